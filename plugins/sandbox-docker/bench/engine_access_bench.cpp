// sccache-docker-access-bench: the per-job cost of four ways to run one job in a running
// container on a Docker engine, measured so the docker sandbox's choice rests on numbers
// (plugins/sandbox-docker/README.md, "Engine access"; bench/bench.py runs it).
//
//   api-attach  ours: the job streamed to the container's PID-1 helper over the attach
//               connection held open since the container started (Poco, Unix socket); no engine
//               request at all during the job
//   cli-attach  the same helper protocol through `docker attach` (one CLI process per job)
//   api-exec    upstream's steps over the API: PUT archive (inputs), exec create + start +
//               inspect, GET archive (the output)
//   cli-exec    upstream's steps with the CLI: `docker cp -` (inputs), `docker exec`,
//               `docker cp` (the output)
//
// The job: 1 KiB of input at /work/tiny.c, the helper's `--probe` as the command (it exits at
// once, so only the overhead is left), /work/tiny.c read back as its output. Containers are
// started before each timed job (a warm pool does that off the job's path) and removed after;
// that start + removal is reported too, as the engine work each job costs in the background.
// Prints a Markdown table. Needs a Docker engine and the `docker` CLI.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include <Poco/JSON/Object.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sandbox-docker/docker_config.hpp"
#include "sandbox-docker/embedded_helper.hpp"
#include "sandbox-docker/engine_api.hpp"
#include "sandbox-docker/helper_protocol.hpp"
#include "sandbox-docker/image_tar.hpp"
#include "sandbox-docker/job_reply.hpp"
#include "sandbox-docker/job_request.hpp"

using namespace sccache;
using namespace sccache::sandbox_docker;
namespace fs = std::filesystem;
using Ms = std::chrono::duration<double, std::milli>;

namespace {

std::string shell_output(const std::string& command, const std::string& input = {}) {
  std::string path = fs::temp_directory_path() / fmt::format("docker-bench-{}.in", ::getpid());
  std::ofstream(path, std::ios::binary) << input;
  FILE* pipe = ::popen((command + " < " + path).c_str(), "r");
  if (pipe == nullptr) {
    throw std::runtime_error("cannot run " + command);
  }
  std::string out;
  char buffer[65536];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
    out.append(buffer, n);
  }
  int status = ::pclose(pipe);
  fs::remove(path);
  if (status != 0) {
    throw std::runtime_error(command + " failed with status " + std::to_string(status));
  }
  return out;
}

struct Stats {
  double median = 0;
  double p90 = 0;
};

Stats stats_of(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples[samples.size() * 9 / 10]};
}

class Bench {
 public:
  Bench(const DockerConfig& config, int runs)
      : m_config(config), m_engine(m_config, spdlog::default_logger()), m_runs(runs) {
    m_dir = fs::temp_directory_path() / fmt::format("sccache-docker-bench-{}", ::getpid());
    fs::create_directories(m_dir / "inputs/work");
    std::ofstream(m_dir / "inputs/work/tiny.c") << std::string(1023, 'x') << "\n";
    m_image = m_engine.import_image("bench", "bench", [](std::ostream& out) {
      write_helper_image_tar({embedded_helper()}, out);
    });
    m_job.executable = protocol::k_helper_path;
    m_job.arguments = {"--probe"};
    m_job.cwd = "/work";
    m_job.inputs_root = m_dir / "inputs";
    m_job.outputs = {"tiny.c"};
    m_paths = JobPaths{"/work", {"/work/tiny.c"}};
    write_job_request([&](const char* d, size_t n) { m_request.append(d, n); }, m_job, m_paths,
                      {m_config.uid, m_config.gid});
    m_inputs_tar = shell_output("tar -C " + (m_dir / "inputs").string() + " -cf - work");
  }

  ~Bench() {
    m_engine.remove_image(m_image);
    fs::remove_all(m_dir);
  }

  // Runs `job` on a fresh running container `m_runs` times (plus a warm-up); returns job times.
  template <typename Job>
  std::vector<double> repeat(bool attach, Job job) {
    std::vector<double> times;
    for (int i = -1; i < m_runs; ++i) {
      auto started = std::chrono::steady_clock::now();
      WarmContainer container = attach ? m_engine.launch_container(m_image, "bench") : start_bare();
      auto ready = std::chrono::steady_clock::now();
      job(container);
      auto done = std::chrono::steady_clock::now();
      m_engine.remove_container(container.id);
      auto removed = std::chrono::steady_clock::now();
      if (i >= 0) {
        times.push_back(Ms(done - ready).count());
        m_lifecycle.push_back(Ms(ready - started).count() + Ms(removed - done).count());
      }
    }
    return times;
  }

  void api_attach(WarmContainer& c) {
    auto deadline = Clock::now() + std::chrono::seconds(30);
    fs::path out = m_dir / "out";
    fs::remove_all(out);
    SandboxJob job = m_job;
    job.outputs_root = out;
    send_job_request(*c.connection, job, m_paths, {m_config.uid, m_config.gid}, deadline);
    SandboxResult r = read_job_reply(*c.connection, m_paths.outputs, out, {}, deadline);
    check(r.exit_code == 0 && r.collected.size() == 1, "api-attach");
  }

  void cli_attach(WarmContainer& c) {
    std::string reply = shell_output("docker attach " + c.id, m_request);
    check(reply.size() > 1024 && reply.back() == '\0' && reply[reply.size() - 9] == 'Z',
          "cli-attach");
  }

  void api_exec(WarmContainer& c) {
    const EngineClient& client = m_engine.client();
    auto put = client.upload(
        "PUT", "/containers/" + c.id + "/archive?path=/", "application/x-tar",
        [&](std::ostream& out) { out << m_inputs_tar; }, std::chrono::seconds(30));
    check(put.status == 200, "PUT archive");
    Poco::JSON::Object exec;
    exec.set("Cmd", std::vector<std::string>{protocol::k_helper_path, "--probe"});
    exec.set("User", m_config.user());
    exec.set("AttachStdout", true);
    exec.set("AttachStderr", true);
    std::ostringstream body;
    exec.stringify(body);
    auto created = client.call_json("POST", "/containers/" + c.id + "/exec", body.str());
    std::string exec_id = created->getValue<std::string>("Id");
    auto stream = client.attach("/exec/" + exec_id + "/start", std::chrono::seconds(30),
                                R"({"Detach":false,"Tty":false})");
    AttachedConnection::Frame frame;
    while (stream->read_frame(frame, Clock::now() + std::chrono::seconds(30))) {
    }
    auto inspected = client.call_json("GET", "/exec/" + exec_id + "/json");
    check(inspected->getValue<int>("ExitCode") == 0, "exec");
    auto output = client.call("GET", "/containers/" + c.id + "/archive?path=/work/tiny.c");
    check(output.status == 200 && output.body.size() >= 1024, "GET archive");
  }

  void cli_exec(WarmContainer& c) {
    shell_output("docker cp - " + c.id + ":/", m_inputs_tar);
    shell_output(fmt::format("docker exec -u {} {} {} --probe", m_config.user(), c.id,
                             protocol::k_helper_path));
    check(shell_output("docker cp " + c.id + ":/work/tiny.c -").size() >= 1024, "docker cp");
  }

  Stats lifecycle() const { return stats_of(m_lifecycle); }

 private:
  // A started container without our attach connection (its helper waits on stdin).
  WarmContainer start_bare() {
    auto created = m_engine.client().call_json("POST", "/containers/create",
                                               m_engine.container_spec(m_image, "bench"));
    WarmContainer c{created->getValue<std::string>("Id"), nullptr};
    auto started = m_engine.client().call("POST", "/containers/" + c.id + "/start");
    check(started.status == 204, "start");
    return c;
  }

  static void check(bool ok, const char* what) {
    if (!ok) {
      throw std::runtime_error(std::string(what) + " did not work");
    }
  }

  const DockerConfig& m_config;
  EngineApi m_engine;
  int m_runs;
  fs::path m_dir;
  std::string m_image;
  SandboxJob m_job;
  JobPaths m_paths;
  std::string m_request;
  std::string m_inputs_tar;
  std::vector<double> m_lifecycle;
};

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 15;
  spdlog::set_level(spdlog::level::warn);
  DockerConfig config;
  config.socket = default_docker_socket();
  config.owner = fmt::format("bench{}", ::getpid());
  config.config_file = "sccache-docker-access-bench";
  try {
    Bench bench(config, runs);
    struct Row {
      const char* name;
      const char* what;
      Stats stats;
    };
    std::vector<Row> rows;
    rows.push_back({"api-attach (ours)", "job over the held attach connection (Poco)",
                    stats_of(bench.repeat(true, [&](auto& c) { bench.api_attach(c); }))});
    rows.push_back({"cli-attach", "`docker attach` per job, same helper",
                    stats_of(bench.repeat(false, [&](auto& c) { bench.cli_attach(c); }))});
    rows.push_back({"api-exec", "PUT archive + exec + GET archive (Poco)",
                    stats_of(bench.repeat(false, [&](auto& c) { bench.api_exec(c); }))});
    rows.push_back({"cli-exec", "`docker cp` + `docker exec` + `docker cp`",
                    stats_of(bench.repeat(false, [&](auto& c) { bench.cli_exec(c); }))});
    std::string cli = shell_output("docker version --format '{{.Client.Version}}'");
    std::string engine = shell_output("docker version --format '{{.Server.Version}}'");
    cli.erase(cli.find_last_not_of("\n") + 1);
    engine.erase(engine.find_last_not_of("\n") + 1);
    std::cout << fmt::format("Docker engine {}, CLI {}; {} jobs each (median, p90).\n\n", engine,
                             cli, runs)
              << "| way | what one job costs | per job p50 (ms) | p90 (ms) |\n|---|---|---|---|\n";
    for (const auto& row : rows) {
      std::cout << fmt::format("| {} | {} | {:.1f} | {:.1f} |\n", row.name, row.what,
                               row.stats.median, row.stats.p90);
    }
    Stats life = bench.lifecycle();
    std::cout << fmt::format(
        "| (background) | start + remove one container: the pool's work per job, off the job's "
        "path | {:.1f} | {:.1f} |\n",
        life.median, life.p90);
  } catch (const std::exception& e) {
    std::cerr << "sccache-docker-access-bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
