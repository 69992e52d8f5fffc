// Reply records on stdout and request fields on stdin (helper_protocol.hpp).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox-docker/init/init.hpp"

namespace sccache::sandbox_docker::init {

namespace proto = protocol;

uid_t g_uid = 0;
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
[[noreturn]] void fail_with(const char* message) {
  record(proto::k_reply_error, message, strlen(message));
  record_header(proto::k_reply_end, 0);
  _exit(0);
}

[[noreturn]] void fail(const char* what, const char* path, int error) {
  char message[4096];
  snprintf(message, sizeof message, "%s %s: %s", what, path, strerror(error));
  fail_with(message);
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

}  // namespace sccache::sandbox_docker::init
