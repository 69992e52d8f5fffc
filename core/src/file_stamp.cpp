#include "sccache/file_stamp.hpp"

namespace sccache {

std::optional<FileStamp> FileStamp::of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return FileStamp{st.st_ino, st.st_size, st.st_mtim, S_ISREG(st.st_mode)};
}

bool FileStamp::operator==(const FileStamp& other) const noexcept {
  return inode == other.inode && size == other.size && mtime.tv_sec == other.mtime.tv_sec &&
         mtime.tv_nsec == other.mtime.tv_nsec && regular == other.regular;
}

}  // namespace sccache
