#include "docker_fixture.hpp"

#include <csignal>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include "docker_sandbox.hpp"

namespace sccache::test::docker {
namespace fs = std::filesystem;

namespace {

std::string first_word(const std::string& text) {
  std::istringstream in(text);
  std::string word;
  in >> word;
  return word;
}

RunResult must_run(std::vector<std::string> argv) {
  std::string shown = argv.at(0);
  RunResult result = run(std::move(argv));
  if (result.exit_code != 0) {
    throw std::runtime_error(shown + " failed: " + result.err);
  }
  return result;
}

// `path` as stored on the host: every symlink met on the way (as a symlink), then the real file.
void add_path(const fs::path& path, std::set<std::string>& entries, int depth = 0) {
  if (depth > 40) {
    throw std::runtime_error("symlink loop at " + path.string());
  }
  fs::path current = "/";
  for (auto part = path.begin(); part != path.end(); ++part) {
    if (*part == "/") {
      continue;
    }
    fs::path next = current / *part;
    if (fs::is_symlink(next)) {
      entries.insert(next.relative_path().string());
      fs::path target = fs::read_symlink(next);
      fs::path resolved = target.is_absolute() ? target : current / target;
      for (auto rest = std::next(part); rest != path.end(); ++rest) {
        resolved /= *rest;
      }
      add_path(resolved.lexically_normal(), entries, depth + 1);
      return;
    }
    current = next;
  }
  entries.insert(path.relative_path().string());
}

std::vector<std::string> shared_libraries(const std::string& file) {
  std::vector<std::string> libraries;
  std::istringstream lines(must_run({"ldd", file}).out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    for (std::string word; words >> word;) {
      if (word.front() == '/') {
        libraries.push_back(word);
      }
    }
  }
  return libraries;
}

TempDir& archive_dir() {
  static TempDir dir("sccache-docker-toolchains");
  return dir;
}

bool engine_answers() {
  try {
    sandbox_docker::EngineClient client(sandbox_docker::default_docker_socket());
    return client.call("GET", "/_ping", {}, std::chrono::seconds(5)).status == 200;
  } catch (const SandboxError&) {
    return false;
  }
}

}  // namespace

void require_docker_engine() {
  static const bool ready = [] {
    std::signal(SIGPIPE, SIG_IGN);  // as the daemons do
    if (engine_answers()) {
      return true;
    }
    fs::path script = source_dir() / "scripts" / "start-dockerd.sh";
    if (fs::exists(script)) {
      RunResult started = run({"bash", script.string()}, {}, {}, std::chrono::seconds(90));
      std::cerr << started.out << started.err;
    }
    return engine_answers();
  }();
  if (!ready) {
    skip_whole_binary("no Docker engine answers at " +
                      sandbox_docker::default_docker_socket().string() +
                      " and scripts/start-dockerd.sh could not start one (install docker.io with "
                      "scripts/install-deps.sh; dockerd needs root)");
  }
}

std::string build_toolchain(const std::vector<std::string>& files, const fs::path& archive,
                            const std::string& tar_compress_flag) {
  std::set<std::string> entries;
  for (const auto& file : files) {
    add_path(file, entries);
    if (::access(file.c_str(), X_OK) == 0) {
      for (const auto& library : shared_libraries(file)) {
        add_path(library, entries);
      }
    }
  }
  std::vector<std::string> argv = {"tar", "-C", "/", "--no-recursion", "-cf", archive.string()};
  if (!tar_compress_flag.empty()) {
    argv.push_back(tar_compress_flag);
  }
  argv.insert(argv.end(), entries.begin(), entries.end());
  must_run(argv);
  return first_word(must_run({"sha256sum", archive.string()}).out);
}

const ToolchainArchive& full_toolchain() {
  static const ToolchainArchive archive = [] {
    std::string cc1 = first_word(must_run({"gcc-12", "-print-prog-name=cc1"}).out);
    std::string as = first_word(must_run({"gcc-12", "-print-prog-name=as"}).out);
    if (as.find('/') == std::string::npos) {
      as = "/usr/bin/" + as;
    }
    ToolchainArchive result;
    result.archive = archive_dir() / "full.tar.zst";
    result.id =
        build_toolchain({"/bin/bash", "/bin/cat", "/bin/ls", "/bin/ln", "/bin/sleep", "/bin/rm",
                         "/usr/bin/tail", "/usr/bin/gcc-12", cc1, as, "/usr/include/stdc-predef.h"},
                        result.archive, "--zstd");
    return result;
  }();
  return archive;
}

const ToolchainArchive& small_toolchain() {
  static const ToolchainArchive archive = [] {
    ToolchainArchive result;
    result.archive = archive_dir() / "small.tar.gz";
    result.id = build_toolchain({"/bin/bash", "/bin/cat", "/bin/sleep"}, result.archive, "-z");
    return result;
  }();
  return archive;
}

std::unique_ptr<Sandbox> create_sandbox(const std::string& toml_text, const fs::path& file,
                                        HostContext& host, toml::table& keep_alive) {
  keep_alive = parse_config_text(toml_text, file);
  ConfigSection section(file, "builder", *keep_alive["builder"].as_table());
  const auto* factory = static_cast<const SandboxFactory*>(sandbox_docker::descriptor()->factory);
  return factory->create("docker", section, host);
}

TestSandbox::TestSandbox(const std::string& extra_toml, fs::path config_file)
    : m_config_file(config_file.empty() ? m_dir.path() / "server.conf" : std::move(config_file)),
      m_host(make_default_host_context(AppRole::tool, m_dir.path())) {
  std::string text = "[builder]\ntype = \"docker\"\n" + extra_toml;
  m_sandbox = create_sandbox(text, m_config_file, *m_host, m_table);
  m_config = sandbox_docker::read_docker_config(
      ConfigSection(m_config_file, "builder", *m_table["builder"].as_table()));
  m_engine = std::make_unique<sandbox_docker::EngineApi>(m_config, m_host->logger("test"));
}

size_t TestSandbox::running_containers(const std::string& toolchain) const {
  size_t running = 0;
  for (const auto& id : m_engine->containers(toolchain)) {
    auto state = m_engine->client().call_json("GET", "/containers/" + id + "/json");
    running += state->getObject("State")->getValue<bool>("Running") ? 1 : 0;
  }
  return running;
}

TestSandbox& shared_sandbox() {
  static TestSandbox sandbox(
      "cpus = 1.5\nmemory = \"512M\"\npids_limit = 200\nuser = \"4321:4322\"\n");
  static bool ready = [] {
    sandbox->check_ready();
    sandbox->prepare_toolchain(full_toolchain().id, full_toolchain().archive);
    return true;
  }();
  (void)ready;
  return sandbox;
}

TestJob::TestJob(const std::string& toolchain_id, const std::string& cwd,
                 std::vector<std::string> argv) {
  fs::create_directories(dir.path() / "inputs");
  fs::create_directories(dir.path() / "outputs");
  job.toolchain_id = toolchain_id;
  job.executable = argv.at(0);
  job.arguments.assign(argv.begin() + 1, argv.end());
  job.cwd = cwd;
  job.inputs_root = dir.path() / "inputs";
  job.outputs_root = dir.path() / "outputs";
  job.timeout = std::chrono::seconds(60);
}

void TestJob::add_input(const std::string& path, const std::string& contents) const {
  write_file(job.inputs_root / fs::path(path).relative_path(), contents);
}

fs::path TestJob::output(const std::string& path) const {
  return job.outputs_root / fs::path(path).relative_path();
}

SandboxResult run_bash(const std::string& script, std::vector<std::string> outputs) {
  TestJob t(full_toolchain().id, "/work/dir", {"/bin/bash", "-c", script});
  t.job.outputs = std::move(outputs);
  return shared_sandbox()->run(t.job);
}

std::string sandbox_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const SandboxError& e) {
    return e.what();
  }
  return "(no SandboxError)";
}

}  // namespace sccache::test::docker
