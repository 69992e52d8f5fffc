#include "util/fs.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

#include "util/random.hpp"
#include "util/unique_fd.hpp"

namespace util {
namespace fs = std::filesystem;

std::string remove_tree(const fs::path& path) noexcept {
  try {
    std::error_code ec;
    fs::remove_all(path, ec);
    return ec ? ec.message() : "";
  } catch (const std::exception& e) {  // bad_alloc
    return e.what();
  }
}

fs::path make_temp_file(const fs::path& dir, std::string_view prefix, unsigned mode) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    fs::path path = dir / (std::string(prefix) + random_hex(8));
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (fd.valid()) {
      ::fchmod(fd.get(), mode);  // whatever the umask took away
      return path;
    }
    if (errno != EEXIST) {
      throw std::runtime_error("cannot create a file in " + dir.string() + ": " +
                               std::strerror(errno));
    }
  }
  throw std::runtime_error("cannot create a unique file in " + dir.string());
}

void write_file_atomically(const fs::path& path, std::string_view data, unsigned mode,
                           Durability durability) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const fs::path temp = make_temp_file(dir, "." + path.filename().string() + ".tmp-", mode);
  auto fail = [&](const std::string& what) {
    const int error = errno;
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(error));
  };
  {
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (!fd.valid()) {
      fail("cannot write");
    }
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        if (n == 0) {
          errno = ENOSPC;
        }
        fail("cannot write");
      }
      done += static_cast<size_t>(n);
    }
    if (durability == Durability::fsync && ::fsync(fd.get()) != 0) {
      fail("cannot sync");
    }
    if (::close(fd.release()) != 0) {
      fail("cannot write");
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    fail("cannot replace");
  }
}

std::optional<std::string> read_file(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return std::nullopt;
  }
  std::string data;
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return std::nullopt;
    }
    if (n == 0) {
      return data;
    }
    data.append(buffer, static_cast<size_t>(n));
  }
}

void make_private_directory(const fs::path& path) {
  fs::create_directories(path);
  fs::permissions(path, fs::perms::owner_all, fs::perm_options::replace);
}

}  // namespace util
