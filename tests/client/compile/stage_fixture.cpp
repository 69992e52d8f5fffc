#include "client/compile/stage_fixture.hpp"

#include "util/process.hpp"

namespace sccache::test {
namespace fs = std::filesystem;

CompileRequest request_in(const fs::path& dir, std::vector<std::string> argv,
                          std::optional<std::vector<std::string>> environment) {
  CompileRequest request;
  request.argv = std::move(argv);
  request.cwd = dir;
  request.environment = environment ? *environment : util::current_environment();
  return request;
}

ClientConfig stage_config(const fs::path& dir) {
  ClientConfig config;
  config.scheduler = HttpUrl{false, {"127.0.0.1", 1}};
  config.cache_dir = dir / "cache";
  const fs::path archive = dir / "fake-toolchain.tar";
  write_file(archive, "not used by the local cluster");
  config.toolchains.push_back(
      {ToolchainOverride::Kind::path_override, "/usr/bin/gcc", archive, "/usr/bin/gcc"});
  return config;
}

RemoteOutcome LocalCluster::run(const RemoteJob& job, const fs::path& outputs_root,
                                std::chrono::milliseconds queue_wait) {
  const int call = m_calls++;
  m_waits.push_back(queue_wait);
  m_last = job;
  if (m_fail) {
    m_fail(call);
  }
  RemoteOutcome outcome;
  outcome.server_id = "127.0.0.1:10501";
  outcome.outputs_root = outputs_root;
  if (job.command.executable.empty()) {
    return outcome;  // a job with no command (execute-stage tests): an empty success
  }
  // The job's tree: its inputs at their job paths under a scratch root.
  const fs::path root = outputs_root / ".job-root";
  for (const auto& input : job.inputs) {
    const fs::path at = root / fs::path(input.name).relative_path();
    fs::create_directories(at.parent_path());
    if (input.source.empty()) {
      write_file(at, input.contents);
    } else {
      fs::copy_file(input.source, at, fs::copy_options::overwrite_existing);
    }
  }
  // Run in the real cwd with paths that point into the scratch root: rewrite the job paths.
  std::vector<std::string> argv = {job.command.executable};
  for (const auto& arg : job.command.arguments) {
    argv.push_back(arg.starts_with("/") && fs::exists(root / fs::path(arg).relative_path())
                       ? (root / fs::path(arg).relative_path()).string()
                       : arg);
  }
  util::SpawnOptions options;
  options.argv = argv;
  options.cwd = job.command.cwd;
  options.environment = std::vector<std::string>{};
  for (const auto& [key, value] : job.command.environment) {
    options.environment->push_back(key + "=" + value);
  }
  options.environment->push_back("PATH=/usr/bin:/bin");
  // Outputs go to a scratch cwd copy so the real project is untouched until delivery.
  const fs::path out_cwd = outputs_root / fs::path(job.command.cwd).relative_path();
  fs::create_directories(out_cwd);
  options.cwd = out_cwd;
  util::CapturedRun run = util::run_captured(options);
  outcome.result.exit_code = util::shell_exit_code(run.status);
  outcome.result.stdout_data = run.out;
  outcome.result.stderr_data = run.err;
  fs::remove_all(root);
  return outcome;
}

}  // namespace sccache::test
