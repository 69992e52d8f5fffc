// Placing the job's input tree at "/" (the request's entries) and giving it to the job's user.
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

#include "init/init.hpp"

namespace sccache::sandbox_docker::init {

namespace proto = protocol;

namespace {

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

}  // namespace

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

}  // namespace sccache::sandbox_docker::init
