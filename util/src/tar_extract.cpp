#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <vector>

#include <archive.h>
#include <archive_entry.h>

#include "util/tar.hpp"
#include "util/unique_fd.hpp"

namespace util {
namespace fs = std::filesystem;

namespace {

// Makes `relative`'s directories under `root`, one component at a time with mkdirat and
// O_NOFOLLOW, so that neither a symlink nor a file in the way can redirect what follows: the
// descriptor of the innermost directory.
bool no_space(int error) {
  return error == ENOSPC || error == EDQUOT;
}

UniqueFd open_parents(const fs::path& root, const std::string& relative, bool include_leaf,
                      const std::string& archive_name) {
  UniqueFd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) {
    throw ArchiveError("cannot open the extraction directory: " + std::string(strerror(errno)));
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < relative.size()) {
    size_t end = relative.find('/', start);
    end = end == std::string::npos ? relative.size() : end;
    parts.push_back(relative.substr(start, end - start));
    start = end + 1;
  }
  const size_t count = include_leaf ? parts.size() : parts.size() - 1;
  for (size_t i = 0; i < count; ++i) {
    if (::mkdirat(dir.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
      throw ArchiveError("cannot extract " + archive_name + ": cannot make directory '" + parts[i] +
                             "': " + std::strerror(errno),
                         no_space(errno));
    }
    UniqueFd next(
        ::openat(dir.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) {
      throw ArchiveError("cannot extract " + archive_name + ": '" + relative +
                         "' needs a directory where the archive put something else");
    }
    dir = std::move(next);
  }
  return dir;
}

}  // namespace

std::vector<std::string> extract_tar(std::istream& in, const fs::path& root, ArchiveLimits limits) {
  UntrustedTarReader reader(in, "the archive", limits);
  std::vector<std::string> names;
  std::vector<char> buffer(256 * 1024);
  while (archive_entry* entry = reader.next()) {
    const char* raw = archive_entry_pathname(entry);
    const std::string name = raw != nullptr ? raw : "";
    const std::optional<std::string> relative = clean_archive_path(name);
    if (!relative || relative->empty()) {
      throw ArchiveError("refusing archive entry '" + name + "': it leaves the directory");
    }
    const auto type = archive_entry_filetype(entry);
    if (type == AE_IFDIR) {
      open_parents(root, *relative, /*include_leaf=*/true, "the archive");
      continue;
    }
    if (type != AE_IFREG || archive_entry_hardlink(entry) != nullptr) {
      throw ArchiveError("refusing archive entry '" + name + "': only regular files and " +
                         "directories are accepted");
    }
    UniqueFd parent = open_parents(root, *relative, /*include_leaf=*/false, "the archive");
    const std::string leaf = fs::path(*relative).filename().string();
    // Group/other write and set-id bits never come from a peer.
    const mode_t mode = archive_entry_perm(entry) & 0755;
    ::unlinkat(parent.get(), leaf.c_str(), 0);  // a later entry of the same name replaces it
    UniqueFd out(::openat(parent.get(), leaf.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out.valid()) {
      throw ArchiveError("cannot extract '" + name + "': " + std::strerror(errno), no_space(errno));
    }
    while (size_t got = reader.read(buffer.data(), buffer.size())) {
      const char* data = buffer.data();
      size_t left = got;
      while (left > 0) {
        ssize_t n = ::write(out.get(), data, left);
        if (n < 0 && errno == EINTR) {
          continue;
        }
        if (n <= 0) {
          throw ArchiveError("cannot extract '" + name +
                                 "': " + (n < 0 ? std::strerror(errno) : "the disk is full"),
                             n == 0 || no_space(errno));
        }
        data += n;
        left -= static_cast<size_t>(n);
      }
    }
    ::fchmod(out.get(), mode);
    names.push_back(name);
  }
  return names;
}

}  // namespace util
