#include "sandbox-bwrap/job_runner.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "util/process.hpp"

#include "sandbox-bwrap/bwrap_command.hpp"
#include "sandbox-bwrap/job_files.hpp"
#include "sandbox-bwrap/mount_namespace.hpp"
#include "sandbox-bwrap/overlay_dirs.hpp"

namespace sccache::sandbox_bwrap {
namespace fs = std::filesystem;

namespace {

UniqueFd create_capture_file(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    throw SandboxError(fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  }
  return fd;
}

// bwrap reports a command killed by signal N as exit status 128 + N (like a shell); turn that
// back into a signal. bwrap itself dying by a signal counts the same.
void decode_status(int status, SandboxResult& result) {
  if (WIFSIGNALED(status)) {
    result.exit_code = -1;
    result.term_signal = WTERMSIG(status);
    return;
  }
  int code = WEXITSTATUS(status);
  if (code > 128 && code < 128 + NSIG) {
    result.exit_code = -1;
    result.term_signal = code - 128;
    return;
  }
  result.exit_code = code;
}

// Kills a timed-out sandbox from the inside out: its first process first (the kernel then kills
// the rest of its pid namespace and bwrap reaps it), so no orphan is left for the host's init to
// reap; then bwrap's whole process group if bwrap does not exit promptly.
void stop_sandbox(util::Child& bwrap, int info_fd) {
  if (auto child = parse_bwrap_child_pid(util::read_whole_fd(info_fd))) {
    ::kill(*child, SIGKILL);
    if (bwrap.wait_for(std::chrono::seconds(2))) {
      return;
    }
  }
  bwrap.kill_and_reap();
}

// bwrap with the job's stdout, stderr and bwrap's info pipe (fd 3) and nothing else of ours: an
// empty environment (the job's comes as arguments), no other descriptor, default signals, its
// own process group.
util::Child start_bwrap(const std::vector<std::string>& argv, int out, int err, int info) {
  util::SpawnOptions options;
  options.argv = argv;
  options.environment = std::vector<std::string>{};
  options.fds = {{1, out}, {2, err}, {3, info}};
  options.close_other_fds = true;
  options.new_process_group = true;
  options.default_signals = true;
  try {
    return util::spawn(options);
  } catch (const util::SpawnError& e) {
    throw SandboxError(e.what());
  }
}

// A captured stream, unless the job wrote more than the contract allows (then it is not read).
std::string read_job_stream(int fd, const char* name) {
  struct stat st {};
  if (::fstat(fd, &st) == 0 && static_cast<uint64_t>(st.st_size) > k_max_job_stream_bytes) {
    throw SandboxError(
        fmt::format("the job wrote more than {} MiB to {}", k_max_job_stream_bytes >> 20, name));
  }
  return util::read_whole_fd(fd);
}

std::string joined(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) {
    text += (text.empty() ? "" : " ") + arg;
  }
  return text;
}

}  // namespace

SandboxResult run_job(const JobContext& context, const fs::path& toolchain_dir,
                      const SandboxJob& job) {
  validate_sandbox_job(job);
  auto start = std::chrono::steady_clock::now();
  std::string cwd = job_path("/", job.cwd);
  std::vector<std::string> outputs;
  for (const auto& output : job.outputs) {
    outputs.push_back(job_path(cwd, output));
  }

  OverlayDirs dir(context.builds_dir, "");
  UniqueFd out = create_capture_file(dir.path() / "stdout");
  UniqueFd err = create_capture_file(dir.path() / "stderr");
  UniqueFd info = util::make_memfd("bwrap-info");
  BwrapInvocation invocation{.bwrap = context.bwrap,
                             .root = dir.target(),
                             .read_only_root = false,
                             .clearenv = context.clearenv,
                             .info_fd3 = true,
                             .cwd = cwd,
                             .environment = job.environment,
                             .executable = job.executable,
                             .arguments = job.arguments};
  std::vector<std::string> argv = bwrap_argv(invocation);
  context.logger->debug("job {}: {}", dir.name(), joined(argv));

  SandboxResult result;
  run_in_private_mount_namespace([&] {
    // Inputs above the toolchain; everything the job writes lands in upper/.
    OverlayMount overlay({job.inputs_root, toolchain_dir}, dir.upper(), dir.work(), dir.target());
    UniqueFd root = open_root(dir.target());
    make_dirs_in_root(root.get(), cwd);
    for (const auto& output : outputs) {
      try {
        make_dirs_in_root(root.get(), fs::path(output).parent_path().string());
      } catch (const SandboxError& e) {  // the compiler will report it cannot write there
        context.logger->debug("job {}: {}", dir.name(), e.what());
      }
    }
    util::Child bwrap = start_bwrap(argv, out.get(), err.get(), info.get());
    auto status = bwrap.wait_for(job.timeout);
    if (!status) {
      stop_sandbox(bwrap, info.get());
      throw SandboxError(fmt::format("{} did not finish within {} s and was killed", job.executable,
                                     job.timeout.count()));
    }
    result.stdout_data = read_job_stream(out.get(), "stdout");
    result.stderr_data = read_job_stream(err.get(), "stderr");
    int exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
    if (auto failure = bwrap_failure(exit_code, result.stderr_data)) {
      throw SandboxError(fmt::format("bwrap could not run {}: {}", job.executable, *failure));
    }
    decode_status(*status, result);
    result.collected = collect_outputs(root.get(), outputs, job.outputs_root);
  });

  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start);
  context.logger->debug("job {}: exit {} (signal {}) in {} ms, {} of {} outputs collected",
                        dir.name(), result.exit_code, result.term_signal, ms.count(),
                        result.collected.size(), outputs.size());
  return result;
}

}  // namespace sccache::sandbox_bwrap
