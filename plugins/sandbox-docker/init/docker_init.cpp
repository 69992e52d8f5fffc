// sccache-docker-init: PID 1 of every job container of the docker sandbox.
//
// Built as a static binary (the toolchain's userland may be anything and has no shell) and
// embedded into the plugin, which adds it to every toolchain image at /.sccache-dist/init. It runs
// as root with only CAP_CHOWN, CAP_SETUID, CAP_SETGID and CAP_SETPCAP. One container runs one job:
//   1. say "ready" on stdout (the container is warm and waits in the pool);
//   2. read the job from stdin (helper_protocol.hpp) and create its input tree at "/", giving the
//      directories and files to the job's user;
//   3. run the compiler as that user with no capabilities (bounding set dropped, no_new_privs set
//      by the engine), exactly the job's argv, environment and cwd, stdin /dev/null, its stdout
//      and stderr streamed back as they come;
//   4. when the compiler exits, a child as the job's user kills everything the job left
//      (kill(-1)) and sends back the requested outputs that are regular files, with the job's own
//      permissions; then the exit status and "end"; exit.
// Failures to set up or start the job are reported as an error record; the plugin turns them into
// SandboxError. Only libc is used, so the binary stays small.
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

#include "helper_protocol.hpp"

namespace proto = sccache::sandbox_docker::protocol;

namespace {

uid_t g_uid = 0;  // the job's user, from the request
gid_t g_gid = 0;

[[noreturn]] void die(const char* what) {
  dprintf(2, "sccache-docker-init: %s: %s\n", what, strerror(errno));
  _exit(111);
}

void write_all(const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(1, p, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      die("cannot write to stdout");
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void put_u32(unsigned char* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out[i] = static_cast<unsigned char>(v >> (24 - 8 * i));
  }
}

void record_header(uint8_t type, uint64_t length) {
  unsigned char header[9] = {type};
  for (int i = 0; i < 8; ++i) {
    header[1 + i] = static_cast<unsigned char>(length >> (56 - 8 * i));
  }
  write_all(header, sizeof header);
}

void record(uint8_t type, const void* data, size_t size) {
  record_header(type, size);
  write_all(data, size);
}

// An error record, then exit: the plugin reports `message` as a sandbox failure.
[[noreturn]] void fail(const char* what, const char* path, int error) {
  char message[4096];
  int n = snprintf(message, sizeof message, "%s %s: %s", what, path, strerror(error));
  record(proto::k_reply_error, message, n < 0 ? 0 : static_cast<size_t>(n));
  record_header(proto::k_reply_end, 0);
  _exit(0);
}

void read_exact(void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = read(0, p, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      _exit(n == 0 ? 0 : 112);  // the plugin went away: nothing to do
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

uint64_t read_uint(int bytes) {
  unsigned char buffer[8];
  read_exact(buffer, static_cast<size_t>(bytes));
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v = (v << 8) | buffer[i];
  }
  return v;
}

char* read_string() {
  uint64_t size = read_uint(4);
  if (size > proto::k_max_string) {
    fail("protocol error:", "string too long", EPROTO);
  }
  char* s = static_cast<char*>(malloc(size + 1));
  if (s == nullptr) {
    die("out of memory");
  }
  read_exact(s, size);
  s[size] = '\0';
  return s;
}

// A NULL-terminated list of strings.
char** read_list() {
  uint64_t n = read_uint(4);
  if (n > proto::k_max_list) {
    fail("protocol error:", "list too long", EPROTO);
  }
  char** list = static_cast<char**>(calloc(n + 1, sizeof(char*)));
  if (list == nullptr) {
    die("out of memory");
  }
  for (uint64_t i = 0; i < n; ++i) {
    list[i] = read_string();
  }
  return list;
}

bool is_directory(const char* path) {
  struct stat st {};
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

// Removes what is at `path` unless it is a directory (inputs replace toolchain files, as an upper
// layer does).
void clear_path(const char* path) {
  struct stat st {};
  if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode) && unlink(path) != 0) {
    fail("cannot replace", path, errno);
  }
}

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

void give_to_job(const char* path, bool follow) {
  if ((follow ? chown(path, g_uid, g_gid) : lchown(path, g_uid, g_gid)) != 0) {
    fail("cannot hand to the job's user", path, errno);
  }
}

// Directories are given to the job's user only once every input is in place: this process (root
// without CAP_DAC_OVERRIDE) could not create anything in them afterwards.
struct PathList {
  char** items = nullptr;
  size_t size = 0;
  size_t capacity = 0;
};
PathList g_job_directories;

void give_later(char* path) {
  PathList& list = g_job_directories;
  if (list.size == list.capacity) {
    list.capacity = list.capacity == 0 ? 64 : list.capacity * 2;
    list.items = static_cast<char**>(realloc(list.items, list.capacity * sizeof(char*)));
    if (list.items == nullptr) {
      die("out of memory");
    }
  }
  list.items[list.size++] = path;
}

void create_file(const char* path, mode_t mode, uint64_t size) {
  clear_path(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    fail("cannot create", path, errno);
  }
  char buffer[65536];
  while (size > 0) {
    size_t chunk = size < sizeof buffer ? size : sizeof buffer;
    read_exact(buffer, chunk);
    for (size_t done = 0; done < chunk;) {
      ssize_t n = write(fd, buffer + done, chunk - done);
      if (n < 0) {
        fail("cannot write", path, errno);
      }
      done += static_cast<size_t>(n);
    }
    size -= chunk;
  }
  if (fchmod(fd, mode & 0777) != 0 || fchown(fd, g_uid, g_gid) != 0 || close(fd) != 0) {
    fail("cannot write", path, errno);
  }
}

void receive_inputs() {
  while (true) {
    uint8_t kind = static_cast<uint8_t>(read_uint(1));
    if (kind == proto::k_entry_end) {
      for (size_t i = 0; i < g_job_directories.size; ++i) {
        give_to_job(g_job_directories.items[i], true);
      }
      return;
    }
    char* path = read_string();
    if (path[0] != '/') {
      fail("protocol error: relative path", path, EPROTO);
    }
    if (kind == proto::k_entry_directory || kind == proto::k_entry_directory_if_possible) {
      mode_t mode = static_cast<mode_t>(read_uint(4));
      bool made = mkdir(path, mode & 0777) == 0 || (errno == EEXIST && is_directory(path));
      if (made) {
        give_later(path);
        continue;  // `path` is kept
      }
      if (kind == proto::k_entry_directory) {
        fail("cannot create directory", path, errno);
      }
    } else if (kind == proto::k_entry_file) {
      mode_t mode = static_cast<mode_t>(read_uint(4));
      create_file(path, mode, read_uint(8));
    } else if (kind == proto::k_entry_symlink) {
      char* target = read_string();
      clear_path(path);
      if (symlink(target, path) != 0) {
        fail("cannot create symlink", path, errno);
      }
      give_to_job(path, false);
      free(target);
    } else {
      fail("protocol error: unknown entry for", path, EPROTO);
    }
    free(path);
  }
}

// The OOM kills the kernel counted in this container's memory cgroup (v1 or v2), or 0.
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

[[noreturn]] void exec_job(char** argv, char** env, const char* cwd, int out, int err, int report) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  signal(SIGPIPE, SIG_DFL);
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

// As the job's user, kills every process of the job's user (kill(-1) spares only the caller),
// then runs `then` (if any); waits for that and reaps everything.
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
  if (killer < 0 || waitpid(killer, &status, 0) != killer || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    fail("cannot clean up or collect the outputs of", "the job", killer < 0 ? errno : ECHILD);
  }
  while (wait(nullptr) > 0 || errno == EINTR) {
  }
}

void kill_job_processes() {
  as_job_user_after_killing_the_job(nullptr, nullptr);
}

// Forwards what is readable on `fd` as `type` records; returns false at end of file.
bool forward(int fd, uint8_t type) {
  char buffer[65536];
  ssize_t n = read(fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
    return true;
  }
  if (n <= 0) {
    return false;
  }
  record(type, buffer, static_cast<size_t>(n));
  return true;
}

// Runs the job; returns its wait status once it and everything it started are gone.
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
  int open_pipes = 2;
  while (open_pipes > 0) {
    // Wake up now and then: a process the job left behind may hold the pipes open.
    int ready = poll(fds, 2, child_done ? -1 : 100);
    for (int i = 0; i < 2 && ready > 0; ++i) {
      if (fds[i].fd >= 0 && fds[i].revents != 0 &&
          !forward(fds[i].fd, i == 0 ? proto::k_reply_stdout : proto::k_reply_stderr)) {
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

void send_output(const char* path);

void send_outputs(char** outputs) {
  for (char** output = outputs; *output != nullptr; ++output) {
    send_output(*output);
  }
}

void send_output(const char* path) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  struct stat st {};
  if (fd < 0) {
    return;  // missing, a symlink, or unreadable: not collected
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
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

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--probe") == 0) {  // the readiness check's job
    printf("sccache-docker-init uid=%u gid=%u\n", getuid(), getgid());
    return 0;
  }
  signal(SIGPIPE, SIG_IGN);
  record_header(proto::k_reply_ready, 0);

  char magic[sizeof proto::k_request_magic];
  read_exact(magic, sizeof magic);
  if (memcmp(magic, proto::k_request_magic, sizeof magic) != 0) {
    fail("protocol error:", "bad request magic", EPROTO);
  }
  g_uid = static_cast<uid_t>(read_uint(4));
  g_gid = static_cast<gid_t>(read_uint(4));
  if (g_uid == 0 || g_gid == 0) {
    fail("protocol error:", "jobs never run as root", EPROTO);
  }
  char** job_argv = read_list();
  char** job_env = read_list();
  char* cwd = read_string();
  char** outputs = read_list();
  if (job_argv[0] == nullptr) {
    fail("protocol error:", "empty argv", EPROTO);
  }
  receive_inputs();

  int status = run_job(job_argv, job_env, cwd);
  as_job_user_after_killing_the_job(send_outputs, outputs);
  unsigned char exit_record[9];
  exit_record[0] = WIFSIGNALED(status) ? 1 : 0;
  put_u32(exit_record + 1,
          static_cast<uint32_t>(WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)));
  put_u32(exit_record + 5, oom_kills());
  record(proto::k_reply_exit, exit_record, sizeof exit_record);
  record_header(proto::k_reply_end, 0);
  return 0;
}
