// Resolving a directory path inside the container one component at a time (init.hpp).
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox-docker/init/init.hpp"

namespace sccache::sandbox_docker::init {

namespace {

constexpr int k_max_symlinks = 40;  // as the kernel's own path walk

int open_component(int dir, const char* name) {
  return openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

// Replaces `fd` by `next` (closing `fd`).
void step(int& fd, int next) {
  close(fd);
  fd = next;
}

bool fail_with_errno(ResolvedDirectory& dir, int error) {
  if (dir.fd >= 0) {
    close(dir.fd);
    dir.fd = -1;
  }
  errno = error;
  return false;
}

}  // namespace

bool resolve_directory(const char* path, bool create, mode_t mode, ResolvedDirectory& dir) {
  dir = ResolvedDirectory{};
  dir.fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir.fd < 0) {
    return false;
  }
  // What is left to resolve, without its leading slashes.
  char pending[2 * PATH_MAX];
  if (strlen(path) >= sizeof pending) {
    return fail_with_errno(dir, ENAMETOOLONG);
  }
  strcpy(pending, path);
  size_t physical_size = 0;
  bool last_is_requested = true;  // the last pending component is the last of `path`
  int symlinks = 0;
  char* at = pending;
  while (true) {
    while (*at == '/') {
      ++at;
    }
    if (*at == '\0') {
      return true;
    }
    char* end = strchr(at, '/');
    char* rest = end != nullptr ? end + 1 : at + strlen(at);
    if (end != nullptr) {
      *end = '\0';
    }
    const bool is_last = rest[strspn(rest, "/")] == '\0';
    const char* name = at;
    at = rest;
    if (strcmp(name, ".") == 0) {
      continue;
    }
    if (strcmp(name, "..") == 0) {  // never a symlink; ".." of "/" is "/"
      int parent = open_component(dir.fd, "..");
      if (parent < 0) {
        return fail_with_errno(dir, errno);
      }
      step(dir.fd, parent);
      while (physical_size > 0 && dir.physical[--physical_size] != '/') {
      }
      dir.physical[physical_size] = '\0';
      dir.created = false;
      continue;
    }
    int next = open_component(dir.fd, name);
    bool created = false;
    if (next < 0 && errno == ENOENT && create && is_last && last_is_requested) {
      if (mkdirat(dir.fd, name, mode) != 0) {
        return fail_with_errno(dir, errno);
      }
      created = true;
      next = open_component(dir.fd, name);
    }
    if (next >= 0) {
      size_t size = strlen(name);
      if (physical_size + 1 + size >= sizeof dir.physical) {
        close(next);
        return fail_with_errno(dir, ENAMETOOLONG);
      }
      dir.physical[physical_size++] = '/';
      memcpy(dir.physical + physical_size, name, size + 1);
      physical_size += size;
      step(dir.fd, next);
      dir.created = created;
      continue;
    }
    // Not a directory: a symlink is resolved from here (relative) or from "/" (absolute);
    // anything else, or nothing, ends the walk. Nothing is created in a symlink's target.
    int error = errno;
    struct stat st {};
    if ((error != ENOTDIR && error != ELOOP) ||
        fstatat(dir.fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode)) {
      return fail_with_errno(dir, error == ELOOP ? ENOTDIR : error);
    }
    if (++symlinks > k_max_symlinks) {
      return fail_with_errno(dir, ELOOP);
    }
    char target[PATH_MAX];
    ssize_t size = readlinkat(dir.fd, name, target, sizeof target - 1);
    if (size <= 0) {
      return fail_with_errno(dir, size < 0 ? errno : ENOENT);
    }
    target[size] = '\0';
    if (static_cast<size_t>(size) + 1 + strlen(at) >= sizeof pending) {
      return fail_with_errno(dir, ENAMETOOLONG);
    }
    if (is_last) {
      last_is_requested = false;
    }
    char joined[sizeof pending];
    strcpy(joined, target);
    strcat(joined, "/");
    strcat(joined, at);
    strcpy(pending, joined);
    at = pending;
    dir.through_symlink = true;
    if (target[0] == '/') {
      int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (root < 0) {
        return fail_with_errno(dir, errno);
      }
      step(dir.fd, root);
      physical_size = 0;
      dir.physical[0] = '\0';
    }
  }
}

}  // namespace sccache::sandbox_docker::init
