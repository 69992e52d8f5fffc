// Running the job as its user: privileges dropped, output streamed, leftovers killed, outputs
// sent back.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <initializer_list>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox-docker/init/init.hpp"

namespace sccache::sandbox_docker::init {

namespace proto = protocol;

// Becomes the job's user for good: no supplementary groups, no capability in any set.
bool drop_to_job_user() {
  for (int cap = 0; cap <= 63; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return false;
    }
  }
  if (setgroups(0, nullptr) != 0 || setgid(g_gid) != 0 || setuid(g_uid) != 0) {
    return false;
  }
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[2] = {};
  return syscall(SYS_capset, &header, none) == 0 && getuid() == g_uid && geteuid() == g_uid;
}

namespace {

[[noreturn]] void exec_job(char** argv, char** env, const char* cwd, int out, int err, int report) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGXFSZ, SIG_DFL);  // a file over RLIMIT_FSIZE kills the job (the plugin says why)
  setsid();
  umask(022);
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  int null = open("/dev/null", O_RDONLY);
  if (!drop_to_job_user() || null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
      dup2(err, 2) < 0) {
    int e = errno;
    (void)!write(report, &e, sizeof e);
    _exit(127);
  }
  if (chdir(cwd) != 0) {
    int e = -errno;  // negative: the cwd, not the executable
    (void)!write(report, &e, sizeof e);
    _exit(127);
  }
  execve(argv[0], argv, env);
  int e = errno;
  (void)!write(report, &e, sizeof e);
  _exit(127);
}

// How the child of as_job_user_after_killing_the_job() says it ended the reply itself (with an
// error record).
constexpr int k_exit_reply_complete = 3;

// As the job's user, kills every process of the job's user (kill(-1) spares only the caller),
// then runs `then` (if any); waits for that and reaps everything. If `then` ended the reply
// (exit k_exit_reply_complete), so does the helper.
void as_job_user_after_killing_the_job(void (*then)(char**), char** arg) {
  pid_t killer = fork();
  if (killer == 0) {
    if (!drop_to_job_user()) {
      _exit(1);
    }
    kill(-1, SIGKILL);
    if (then != nullptr) {
      then(arg);
    }
    _exit(0);
  }
  int status = 0;
  if (killer > 0 && waitpid(killer, &status, 0) == killer && WIFEXITED(status) &&
      WEXITSTATUS(status) == k_exit_reply_complete) {
    _exit(0);
  }
  if (killer < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fail("cannot clean up or collect the outputs of", "the job", killer < 0 ? errno : ECHILD);
  }
  while (wait(nullptr) > 0 || errno == EINTR) {
  }
}

void kill_job_processes() {
  as_job_user_after_killing_the_job(nullptr, nullptr);
}

// Forwards what is readable on `fd` as `type` records, adding their size to `forwarded`; returns
// false at end of file. A job that writes more than k_max_job_stream to one stream is killed (the
// helper exits, which ends the container) and the plugin told why; what it wrote past the limit
// is never sent.
bool forward(int fd, uint8_t type, uint64_t& forwarded) {
  char buffer[65536];
  ssize_t n = read(fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
    return true;
  }
  if (n <= 0) {
    return false;
  }
  if (static_cast<uint64_t>(n) > proto::k_max_job_stream - forwarded) {
    char message[256];
    snprintf(message, sizeof message, "the job wrote more than %llu MiB to %s; it was killed",
             static_cast<unsigned long long>(proto::k_max_job_stream >> 20),
             type == proto::k_reply_stdout ? "stdout" : "stderr");
    fail_with(message);
  }
  forwarded += static_cast<uint64_t>(n);
  record(type, buffer, static_cast<size_t>(n));
  return true;
}

// An output opened for reading if it is a regular file (not through a symlink of its own); -1
// if it is missing, a symlink, unreadable or not a regular file: not collected.
int open_output(const char* path, struct stat& st) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
    close(fd);
    return -1;
  }
  return fd;
}

// Ends the reply with an error record if an output, or all of them together, are over the
// limits (by the sizes the files claim: a sparse file costs the job nothing but would cost the
// build server real blocks); then nothing of them is sent.
void check_output_sizes(char** outputs) {
  uint64_t total = 0;
  for (char** output = outputs; *output != nullptr; ++output) {
    struct stat st {};
    int fd = open_output(*output, st);
    if (fd < 0) {
      continue;
    }
    close(fd);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    char message[4096] = {};
    if (size > proto::k_max_output_file) {
      snprintf(message, sizeof message,
               "the job's output %s is %llu bytes, more than the %llu MiB an output may have",
               *output, static_cast<unsigned long long>(size),
               static_cast<unsigned long long>(proto::k_max_output_file >> 20));
    } else if (size > proto::k_max_outputs - total) {
      snprintf(message, sizeof message,
               "the job's outputs are more than the %llu MiB all outputs may have together (at %s)",
               static_cast<unsigned long long>(proto::k_max_outputs >> 20), *output);
    }
    if (message[0] != '\0') {
      record(proto::k_reply_error, message, strlen(message));
      record_header(proto::k_reply_end, 0);
      _exit(k_exit_reply_complete);
    }
    total += size;
  }
}

void send_output(const char* path) {
  struct stat st {};
  int fd = open_output(path, st);
  if (fd < 0) {
    return;
  }
  uint32_t path_size = static_cast<uint32_t>(strlen(path));
  unsigned char size_bytes[4];
  put_u32(size_bytes, path_size);
  record_header(proto::k_reply_output, 4 + path_size + static_cast<uint64_t>(st.st_size));
  write_all(size_bytes, 4);
  write_all(path, path_size);
  char buffer[65536];
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = read(fd, buffer, left < static_cast<off_t>(sizeof buffer) ? left : sizeof buffer);
    if (n <= 0) {
      die("an output file shrank while it was read");  // the plugin sees a truncated reply
    }
    write_all(buffer, static_cast<size_t>(n));
    left -= n;
  }
  close(fd);
}

}  // namespace

uint32_t oom_kills() {
  for (const char* file :
       {"/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events"}) {
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    char text[1024];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    text[n > 0 ? n : 0] = '\0';
    const char* at = strstr(text, "oom_kill ");
    return at != nullptr ? static_cast<uint32_t>(strtoul(at + 9, nullptr, 10)) : 0;
  }
  return 0;
}

int run_job(char** argv, char** env, const char* cwd) {
  int out[2], err[2], report[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
    fail("cannot create pipes for", argv[0], errno);
  }
  pid_t child = fork();
  if (child < 0) {
    fail("cannot fork to run", argv[0], errno);
  }
  if (child == 0) {
    exec_job(argv, env, cwd, out[1], err[1], report[1]);
  }
  close(out[1]);
  close(err[1]);
  close(report[1]);
  int exec_error = 0;
  if (read(report[0], &exec_error, sizeof exec_error) == sizeof exec_error) {
    waitpid(child, nullptr, 0);
    fail(exec_error < 0 ? "cannot enter the job's cwd" : "cannot execute",
         exec_error < 0 ? cwd : argv[0], exec_error < 0 ? -exec_error : exec_error);
  }
  close(report[0]);

  int status = 0;
  bool child_done = false;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  uint64_t forwarded[2] = {0, 0};
  int open_pipes = 2;
  while (open_pipes > 0) {
    // Wake up now and then: a process the job left behind may hold the pipes open.
    int ready = poll(fds, 2, child_done ? -1 : 100);
    for (int i = 0; i < 2 && ready > 0; ++i) {
      if (fds[i].fd >= 0 && fds[i].revents != 0 &&
          !forward(fds[i].fd, i == 0 ? proto::k_reply_stdout : proto::k_reply_stderr,
                   forwarded[i])) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_pipes;
      }
    }
    // Reap orphans (PID 1 inherits them) as they die; the job's own exit ends the job.
    int reaped_status = 0;
    for (pid_t pid; (pid = waitpid(-1, &reaped_status, WNOHANG)) > 0;) {
      if (pid == child) {
        status = reaped_status;
        child_done = true;
        kill_job_processes();
      }
    }
  }
  if (!child_done) {
    waitpid(child, &status, 0);
  }
  return status;
}

void collect_outputs(char** outputs) {
  as_job_user_after_killing_the_job(
      [](char** list) {
        check_output_sizes(list);
        for (char** output = list; *output != nullptr; ++output) {
          send_output(*output);
        }
      },
      outputs);
}

}  // namespace sccache::sandbox_docker::init
