// sccache-sandbox-gate: the first process of a sandbox the overlay builder starts ahead of its
// job (gate_protocol.hpp). It reads the job's command, keeps only stdio and the exec-status
// descriptor, and becomes the job (exec). Static, no C++ runtime: it runs inside any toolchain.
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox-bwrap/gate/gate_protocol.hpp"

namespace gate = sccache::sandbox_bwrap::gate;

namespace {

[[noreturn]] void fail(int error) {
  ssize_t ignored = ::write(gate::kExecStatusFd, &error, sizeof error);
  (void)ignored;
  ::_exit(gate::kCannotStart);
}

}  // namespace

int main() {
  // The whole command: up to the host's close (a job's command line and environment are small;
  // grown as needed).
  size_t capacity = 1 << 16;
  size_t size = 0;
  char* buffer = static_cast<char*>(::malloc(capacity));
  while (buffer != nullptr) {
    if (size == capacity) {
      capacity *= 2;
      buffer = static_cast<char*>(::realloc(buffer, capacity));
      if (buffer == nullptr) {
        break;
      }
    }
    ssize_t n = ::read(gate::kCommandFd, buffer + size, capacity - size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    size += static_cast<size_t>(n);
  }
  if (buffer == nullptr) {
    fail(ENOMEM);
  }
  if (size == 0) {
    ::_exit(0);  // discarded unused
  }
  // Split into strings; the message ends with a NUL.
  if (buffer[size - 1] != '\0') {
    fail(EINVAL);
  }
  size_t count = 0;
  for (size_t i = 0; i < size; ++i) {
    count += buffer[i] == '\0' ? 1 : 0;
  }
  char** strings = static_cast<char**>(::calloc(count + 2, sizeof(char*)));
  if (strings == nullptr) {
    fail(ENOMEM);
  }
  size_t at = 0;
  for (size_t i = 0, start = 0; i < size; ++i) {
    if (buffer[i] == '\0') {
      strings[at++] = buffer + start;
      start = i + 1;
    }
  }
  if (count < 3) {
    fail(EINVAL);
  }
  const char* cwd = strings[0];
  char* end = nullptr;
  const unsigned long argc = ::strtoul(strings[1], &end, 10);
  if (end == strings[1] || *end != '\0' || argc == 0 || argc > count - 2) {
    fail(EINVAL);
  }
  // argv needs its own NULL; the environment runs to the end, where calloc left one.
  char** argv = static_cast<char**>(::calloc(argc + 1, sizeof(char*)));
  if (argv == nullptr) {
    fail(ENOMEM);
  }
  for (unsigned long i = 0; i < argc; ++i) {
    argv[i] = strings[2 + i];
  }
  char** environment = strings + 2 + argc;
  // Nothing of ours reaches the job but stdio: the command pipe and bwrap's info descriptor go,
  // the status descriptor closes itself when the exec succeeds.
  ::close(gate::kCommandFd);
  ::close(3);
  ::syscall(SYS_close_range, gate::kExecStatusFd + 1, ~0U, 0);
  ::fcntl(gate::kExecStatusFd, F_SETFD, FD_CLOEXEC);
  if (::chdir(cwd) != 0) {
    fail(errno);
  }
  ::execve(argv[0], argv, environment);
  fail(errno);
}
