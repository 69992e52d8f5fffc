#include "sandbox-bwrap/job_files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sccache/sandbox.hpp"

namespace sccache::sandbox_bwrap {
namespace fs = std::filesystem;

namespace {

// openat2 scoped to the root; `abs_path` is a job path. Returns -1 with errno set on failure.
int open_in_root(int root_fd, const std::string& abs_path, uint64_t flags) {
  std::string relative = "." + abs_path;  // "/a/b" -> "./a/b", "/" -> "./"
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & O_CREAT) != 0 ? 0600 : 0;  // created private; the caller sets the mode
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
    // EAGAIN: a concurrent rename raced the ".." check; nothing renames here, but retry anyway.
    if (fd >= 0 || (errno != EAGAIN && errno != EINTR) || attempt == 10) {
      return static_cast<int>(fd);
    }
  }
}

void copy_fd(int from, int to, const fs::path& destination) {
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(from, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw SandboxError(fmt::format("cannot read an output: {}", std::strerror(errno)));
    }
    if (n == 0) {
      return;
    }
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(to, buffer + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) {
        continue;
      }
      if (w < 0) {
        throw SandboxError(
            fmt::format("cannot write {}: {}", destination.string(), std::strerror(errno)));
      }
      done += w;
    }
  }
}

}  // namespace

UniqueFd open_root(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    throw SandboxError(fmt::format("cannot open {}: {}", dir.string(), std::strerror(errno)));
  }
  return fd;
}

void make_dirs_in_root(int root_fd, const std::string& abs_path) {
  std::string prefix;
  UniqueFd current(open_in_root(root_fd, "/", O_PATH | O_DIRECTORY));
  for (const auto& part : fs::path(abs_path).relative_path()) {
    prefix += "/" + part.string();
    // mkdirat never follows `part` itself; the next lookup resolves it inside the root.
    if (::mkdirat(current.get(), part.c_str(), 0755) != 0 && errno != EEXIST) {
      throw SandboxError(
          fmt::format("cannot create {} in the job's root: {}", prefix, std::strerror(errno)));
    }
    current = UniqueFd(open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY));
    if (!current.valid()) {
      throw SandboxError(
          fmt::format("cannot create {} in the job's root: {}", prefix, std::strerror(errno)));
    }
  }
}

void copy_tree_into_root(int root_fd, const fs::path& host_dir) {
  std::error_code ec;
  fs::recursive_directory_iterator it(host_dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string job_path = "/" + it->path().lexically_relative(host_dir).string();
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) {
      throw SandboxError(
          fmt::format("cannot read the input {}: {}", job_path, std::strerror(errno)));
    }
    if (S_ISDIR(st.st_mode)) {
      make_dirs_in_root(root_fd, job_path);
      continue;
    }
    if (S_ISLNK(st.st_mode)) {
      // As it would be in an overlay layer above the toolchain: the link itself, resolved (by
      // the job, and by us) inside the job's tree.
      std::error_code link_ec;
      const fs::path target = fs::read_symlink(it->path(), link_ec);
      const fs::path parent = fs::path(job_path).parent_path();
      UniqueFd dir(open_in_root(root_fd, parent.string(), O_PATH | O_DIRECTORY));
      if (link_ec || !dir.valid() ||
          ::symlinkat(target.c_str(), dir.get(), fs::path(job_path).filename().c_str()) != 0) {
        throw SandboxError(fmt::format("cannot place the input {} in the job's root: {}", job_path,
                                       link_ec ? link_ec.message() : std::strerror(errno)));
      }
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      continue;  // the build server extracts nothing else
    }
    UniqueFd in(::open(it->path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    // A job path opened inside the root: a toolchain symlink leads inside the job's tree only.
    UniqueFd out(open_in_root(root_fd, job_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW));
    if (!in.valid() || !out.valid()) {
      throw SandboxError(fmt::format("cannot place the input {} in the job's root: {}", job_path,
                                     std::strerror(errno)));
    }
    ::fchmod(out.get(), st.st_mode & 0755);
    copy_fd(in.get(), out.get(), job_path);
  }
  if (ec) {
    throw SandboxError(fmt::format("cannot list the job's inputs: {}", ec.message()));
  }
}

std::vector<std::string> collect_outputs(int root_fd, const std::vector<std::string>& abs_paths,
                                         const fs::path& outputs_root) {
  // First open them all and check the sizes, so outputs over the limits cost no copying.
  struct Found {
    std::string path;
    UniqueFd fd;
  };
  std::vector<Found> found;
  uint64_t total = 0;
  for (const auto& path : abs_paths) {
    if (std::any_of(found.begin(), found.end(), [&](const Found& f) { return f.path == path; })) {
      continue;
    }
    // O_NONBLOCK: a FIFO planted as an output must not block us; it is skipped below.
    // O_NOFOLLOW: an output that is a symlink is not collected, even to a file of the tree;
    // compilers write regular files, and every sandbox collects exactly those.
    UniqueFd in(open_in_root(root_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW));
    if (!in.valid()) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EISDIR) {
        continue;  // not produced (the compile may have failed), or not a usable file
      }
      throw SandboxError(fmt::format("cannot open output {}: {}", path, std::strerror(errno)));
    }
    struct stat st {};
    if (::fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      continue;
    }
    // Sizes as the file claims them: a sparse file would become real blocks on the host.
    const auto size = static_cast<uint64_t>(st.st_size);
    total += size;
    if (size > k_max_job_output_file_bytes || total > k_max_job_outputs_bytes) {
      throw SandboxError(fmt::format(
          "the job's outputs are too large ({} is {} MiB; at most {} MiB per file and {} MiB in "
          "all)",
          path, size >> 20, k_max_job_output_file_bytes >> 20, k_max_job_outputs_bytes >> 20));
    }
    found.push_back({path, std::move(in)});
  }

  std::vector<std::string> collected;
  for (const auto& [path, in] : found) {
    fs::path destination = outputs_root / fs::path(path).relative_path();
    std::error_code ec;
    fs::create_directories(destination.parent_path(), ec);
    UniqueFd out(
        ::open(destination.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!out.valid()) {
      throw SandboxError(
          fmt::format("cannot create {}: {}", destination.string(), std::strerror(errno)));
    }
    copy_fd(in.get(), out.get(), destination);
    collected.push_back(path);
  }
  return collected;
}

}  // namespace sccache::sandbox_bwrap
