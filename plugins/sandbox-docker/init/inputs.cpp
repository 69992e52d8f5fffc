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

#include "sandbox-docker/init/init.hpp"

namespace sccache::sandbox_docker::init {

namespace proto = protocol;

namespace {

// Removes what is at `path` unless it is a directory (inputs replace toolchain files, as an upper
// layer does).
void clear_path(const char* path) {
  struct stat st {};
  if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode) && unlink(path) != 0) {
    fail("cannot replace", path, errno);
  }
}

// Gives the directory at `physical` (a path without symlinks, "" for "/") to the job's user,
// changing the directory itself, never what a symlink there would lead to.
void give_directory_to_job(const char* physical) {
  ResolvedDirectory dir;
  const char* path = physical[0] != '\0' ? physical : "/";
  if (!resolve_directory(path, false, 0, dir)) {
    fail("cannot hand to the job's user", path, errno);
  }
  int result = dir.through_symlink ? -1 : fchownat(dir.fd, "", g_uid, g_gid, AT_EMPTY_PATH);
  int error = dir.through_symlink ? ELOOP : errno;
  close(dir.fd);
  if (result != 0) {
    fail("cannot hand to the job's user", path, error);
  }
}

// Directories are given to the job's user only once every input is in place: this process (root
// without CAP_DAC_OVERRIDE) could not create anything in them afterwards. They are kept by their
// physical paths: nothing but this process changes the container's files until the job starts,
// and it never replaces a directory.
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
        give_directory_to_job(g_job_directories.items[i]);
      }
      return;
    }
    char* path = read_string();
    if (path[0] != '/') {
      fail("protocol error: relative path", path, EPROTO);
    }
    if (kind == proto::k_entry_directory || kind == proto::k_entry_directory_if_possible) {
      mode_t mode = static_cast<mode_t>(read_uint(4));
      ResolvedDirectory dir;
      if (resolve_directory(path, true, mode & 0777, dir)) {
        close(dir.fd);
        // A directory reached through a symlink stays its owner's (a toolchain's directory is
        // root's), unless it was made now.
        if (dir.created || !dir.through_symlink) {
          char* physical = strdup(dir.physical);
          if (physical == nullptr) {
            die("out of memory");
          }
          give_later(physical);
        }
      } else if (kind == proto::k_entry_directory) {
        fail("cannot create directory", path, errno);
      }
    } else if (kind == proto::k_entry_file) {
      mode_t mode = static_cast<mode_t>(read_uint(4));
      create_file(path, mode, read_uint(8));
    } else if (kind == proto::k_entry_symlink) {
      char* target = read_string();
      clear_path(path);
      if (symlink(target, path) != 0 || lchown(path, g_uid, g_gid) != 0) {
        fail("cannot create symlink", path, errno);
      }
      free(target);
    } else {
      fail("protocol error: unknown entry for", path, EPROTO);
    }
    free(path);
  }
}

}  // namespace sccache::sandbox_docker::init
