#include "sandbox-bwrap/warm_sandbox.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "util/fs.hpp"

#include "sandbox-bwrap/bwrap_command.hpp"
#include "sandbox-bwrap/gate/gate_protocol.hpp"
#include "sandbox-bwrap/job_files.hpp"
#include "sandbox-bwrap/mount_namespace.hpp"

namespace sccache::sandbox_bwrap {
namespace fs = std::filesystem;

namespace {

util::UniqueFd create_capture_file(const fs::path& path) {
  util::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
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

// A captured stream, unless the job wrote more than the contract allows (then it is not read).
std::string read_job_stream(int fd, const char* name) {
  struct stat st {};
  if (::fstat(fd, &st) == 0 && static_cast<uint64_t>(st.st_size) > k_max_job_stream_bytes) {
    throw SandboxError(
        fmt::format("the job wrote more than {} MiB to {}", k_max_job_stream_bytes >> 20, name));
  }
  return util::read_whole_fd(fd);
}

// The gate's command message (gate_protocol.hpp).
std::string command_message(const SandboxJob& job, const std::string& cwd) {
  std::string message = cwd;
  message += '\0';
  message += std::to_string(job.arguments.size() + 1);
  message += '\0';
  message += job.executable;
  message += '\0';
  for (const auto& arg : job.arguments) {
    message += arg;
    message += '\0';
  }
  for (const auto& [key, value] : job.environment) {
    if (key.empty() || key.find('=') != std::string::npos) {
      continue;
    }
    message += key + "=" + value;
    message += '\0';
  }
  return message;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

WarmSandbox::WarmSandbox(const SandboxSetup& setup, ToolchainLeases::Lease lease)
    : m_setup(setup),
      m_toolchain_id(lease.id()),
      m_lease(std::move(lease)),
      m_dirs(setup.builds_dir, "") {
  m_out = create_capture_file(m_dirs.path() / "stdout");
  m_err = create_capture_file(m_dirs.path() / "stderr");
  m_info = util::make_memfd("bwrap-info");
  std::promise<void> ready;
  std::future<void> started = ready.get_future();
  m_thread = std::thread([this, &ready] { hold_namespace(ready); });
  try {
    started.get();
  } catch (...) {
    m_thread.join();
    throw;
  }
}

void WarmSandbox::hold_namespace(std::promise<void>& ready) {
  try {
    // This thread's own mount namespace (only this thread's: CLONE_FS), where the overlay is
    // mounted; nothing propagates to the host. bwrap, spawned from here, starts inside it, and
    // --die-with-parent ties the sandbox to this thread.
    if (::unshare(CLONE_NEWNS | CLONE_FS) != 0) {
      throw SandboxError(fmt::format("cannot create a mount namespace: {}", std::strerror(errno)));
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      throw SandboxError(fmt::format("cannot make / private: {}", std::strerror(errno)));
    }
    OverlayMount overlay({fs::path(m_lease->handle())}, m_dirs.upper(), m_dirs.work(),
                         m_dirs.target());
    m_root = open_root(m_dirs.target());

    int channel[2];
    int status[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0 ||
        ::pipe2(status, O_CLOEXEC) != 0) {
      throw SandboxError(fmt::format("cannot make the gate's channels: {}", std::strerror(errno)));
    }
    m_command = util::UniqueFd(channel[0]);
    util::UniqueFd gate_command(channel[1]);
    m_exec_status = util::UniqueFd(status[0]);
    util::UniqueFd gate_status(status[1]);

    BwrapInvocation invocation{.bwrap = m_setup.bwrap,
                               .root = m_dirs.target(),
                               .read_only_root = false,
                               .clearenv = m_setup.clearenv,
                               .info_fd3 = true,
                               .cwd = "/",
                               .environment = {},
                               .executable = gate::kGatePath,
                               .arguments = {},
                               .ro_binds = {{m_setup.gate.string(), gate::kGatePath}}};
    util::SpawnOptions options;
    options.argv = bwrap_argv(invocation);
    options.environment = std::vector<std::string>{};
    options.fds = {{1, m_out.get()},
                   {2, m_err.get()},
                   {3, m_info.get()},
                   {gate::kCommandFd, gate_command.get()},
                   {gate::kExecStatusFd, gate_status.get()}};
    options.close_other_fds = true;
    options.new_process_group = true;
    options.default_signals = true;
    try {
      m_bwrap.emplace(util::spawn(options));
    } catch (const util::SpawnError& e) {
      throw SandboxError(e.what());
    }
    // Only the sandbox holds the gate's ends now: the exec status reads as end-of-file once the
    // gate's exec succeeds.
    gate_command.reset();
    gate_status.reset();
    ready.set_value();
    // Until the job is done (or the sandbox discarded): the overlay and the thread bwrap's
    // --die-with-parent watches stay.
    std::unique_lock lock(m_mutex);
    m_released_cv.wait(lock, [this] { return m_released; });
  } catch (...) {
    ready.set_exception(std::current_exception());
  }
}

void WarmSandbox::release_toolchain() {
  if (m_bwrap && m_bwrap->wait_for(std::chrono::milliseconds(0))) {
    m_lease.reset();  // bwrap and the job are gone: nothing reads the toolchain through the mount
  }
}

bool WarmSandbox::alive() {
  return m_bwrap && !m_used && !m_bwrap->wait_for(std::chrono::milliseconds(0));
}

SandboxResult WarmSandbox::run(const SandboxJob& job) {
  validate_sandbox_job(job);
  if (m_used || job.toolchain_id != toolchain_id()) {
    throw SandboxError("a sandbox runs one job, on its own toolchain");
  }
  m_used = true;
  // What runs in this directory, for whoever looks at build_dir (an unused sandbox has none).
  try {
    util::write_file_atomically(m_dirs.path() / "job",
                                fmt::format("{} (cwd {})\n", job.executable, job.cwd), 0600);
  } catch (const std::exception& e) {
    throw SandboxError(std::string("cannot start the job: ") + e.what());
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string cwd = job_path("/", job.cwd);
  std::vector<std::string> outputs;
  for (const auto& output : job.outputs) {
    outputs.push_back(job_path(cwd, output));
  }
  copy_tree_into_root(m_root.get(), job.inputs_root);
  make_dirs_in_root(m_root.get(), cwd);
  for (const auto& output : outputs) {
    try {
      make_dirs_in_root(m_root.get(), fs::path(output).parent_path().string());
    } catch (const SandboxError& e) {  // the compiler will report it cannot write there
      m_setup.logger->debug("job {}: {}", m_dirs.name(), e.what());
    }
  }
  const auto command_start = std::chrono::steady_clock::now();
  const std::string message = command_message(job, cwd);
  if (!send_all(m_command.get(), message)) {
    throw SandboxError("the sandbox ended before its job started (bwrap: " +
                       read_job_stream(m_err.get(), "stderr") + ")");
  }
  m_command.reset();  // the gate reads to the end
  int exec_error = 0;
  ssize_t got = 0;
  do {
    got = ::read(m_exec_status.get(), &exec_error, sizeof exec_error);
  } while (got < 0 && errno == EINTR);
  auto status = m_bwrap->wait_for(job.timeout);
  if (!status) {
    // From the inside out: the sandbox's first process (the kernel then kills the rest of its
    // pid namespace and bwrap reaps it), then bwrap's whole process group.
    if (auto child = parse_bwrap_child_pid(util::read_whole_fd(m_info.get()))) {
      ::kill(*child, SIGKILL);
    }
    if (!m_bwrap->wait_for(std::chrono::seconds(2))) {
      m_bwrap->kill_and_reap();
    }
    throw SandboxError(fmt::format("{} did not finish within {} s and was killed", job.executable,
                                   job.timeout.count()));
  }
  SandboxResult result;
  result.command_time = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - command_start);
  result.setup_time = std::chrono::duration_cast<std::chrono::microseconds>(command_start - start);
  result.stdout_data = read_job_stream(m_out.get(), "stdout");
  result.stderr_data = read_job_stream(m_err.get(), "stderr");
  if (got == sizeof exec_error) {
    throw SandboxError(
        fmt::format("cannot run {} in the sandbox: {}", job.executable, std::strerror(exec_error)));
  }
  const int exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  if (auto failure = bwrap_failure(exit_code, result.stderr_data)) {
    throw SandboxError(fmt::format("bwrap could not run {}: {}", job.executable, *failure));
  }
  decode_status(*status, result);
  result.collected = collect_outputs(m_root.get(), outputs, job.outputs_root);
  m_setup.logger->debug("job {}: exit {} (signal {}) in {} ms, {} of {} outputs collected",
                        m_dirs.name(), result.exit_code, result.term_signal,
                        std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count(),
                        result.collected.size(), outputs.size());
  return result;
}

WarmSandbox::~WarmSandbox() {
  // Unused: the gate sees its channel close with no command and ends; a stuck one is killed.
  m_command.reset();
  if (m_bwrap && !m_bwrap->wait_for(std::chrono::seconds(2))) {
    m_bwrap->kill_and_reap();
  }
  m_bwrap.reset();
  m_root.reset();
  {
    std::lock_guard lock(m_mutex);
    m_released = true;
  }
  m_released_cv.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

}  // namespace sccache::sandbox_bwrap
