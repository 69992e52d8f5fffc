#include "archive_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include "sha256.hpp"
#include "unique_fd.hpp"

namespace sccache::toolchain {
namespace {

constexpr size_t k_read_chunk = 1 << 18;

struct WriterDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

// Where libarchive's output goes: hashed, then written to `fd`.
struct Sink {
  int fd = -1;
  Sha256 hash;
  uint64_t size = 0;
};

la_ssize_t write_callback(archive* a, void* client_data, const void* buffer, size_t length) {
  auto* sink = static_cast<Sink*>(client_data);
  try {
    sink->hash.update(buffer, length);
  } catch (const std::exception& e) {
    archive_set_error(a, EIO, "%s", e.what());
    return -1;
  }
  const char* data = static_cast<const char*>(buffer);
  size_t left = length;
  while (left > 0) {
    ssize_t n = ::write(sink->fd, data, left);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      archive_set_error(a, errno, "write: %s", std::strerror(errno));
      return -1;
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  sink->size += length;
  return static_cast<la_ssize_t>(length);
}

std::string message(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown libarchive error";
}

void check(archive* a, int rc, const std::string& what) {
  if (rc < ARCHIVE_WARN) {
    throw ToolchainError(fmt::format("{}: {}", what, message(a)));
  }
}

std::unique_ptr<archive, WriterDeleter> new_writer() {
  std::unique_ptr<archive, WriterDeleter> a(archive_write_new());
  if (!a) {
    throw ToolchainError("libarchive: out of memory");
  }
  check(a.get(), archive_write_set_format_pax_restricted(a.get()), "libarchive pax format");
  check(a.get(), archive_write_add_filter_zstd(a.get()), "libarchive zstd filter");
  check(a.get(), archive_write_set_filter_option(a.get(), "zstd", "compression-level", "3"),
        "libarchive zstd level");
  // Multi-threaded zstd gives the same bytes for any number of threads >= 1. Optional: older
  // libarchive rejects the option.
  std::string threads = std::to_string(std::max(1u, std::thread::hardware_concurrency()));
  archive_write_set_filter_option(a.get(), "zstd", "threads", threads.c_str());
  archive_write_set_bytes_in_last_block(a.get(), 1);  // no padding after the compressed stream
  return a;
}

// Copies exactly `size` bytes of `fd` into the current entry.
void copy_file_data(archive* a, int fd, const ManifestEntry& entry, int64_t size) {
  std::vector<char> buffer(k_read_chunk);
  int64_t left = size;
  while (left > 0) {
    ssize_t n = ::read(fd, buffer.data(), std::min<int64_t>(left, buffer.size()));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw ToolchainError(fmt::format("cannot read {}: {}", entry.host_path.string(),
                                       n < 0 ? std::strerror(errno) : "file shrank"));
    }
    if (archive_write_data(a, buffer.data(), static_cast<size_t>(n)) < 0) {
      throw ToolchainError(
          fmt::format("cannot archive {}: {}", entry.host_path.string(), message(a)));
    }
    left -= n;
  }
}

void write_entry(archive* a, const ManifestEntry& entry) {
  std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
  archive_entry_copy_pathname(e.get(), entry.archive_path.c_str());
  archive_entry_set_uid(e.get(), 0);
  archive_entry_set_gid(e.get(), 0);
  archive_entry_set_mtime(e.get(), 0, 0);
  UniqueFd fd;
  int64_t size = 0;
  switch (entry.kind) {
    case ManifestEntry::Kind::directory:
      archive_entry_set_filetype(e.get(), AE_IFDIR);
      break;
    case ManifestEntry::Kind::symlink:
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_copy_symlink(e.get(), entry.link_target.c_str());
      break;
    case ManifestEntry::Kind::file: {
      fd.reset(::open(entry.host_path.c_str(), O_RDONLY | O_CLOEXEC));
      struct stat st {};
      if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
        throw ToolchainError(
            fmt::format("cannot open {}: {}", entry.host_path.string(), std::strerror(errno)));
      }
      if (!S_ISREG(st.st_mode)) {
        throw ToolchainError(fmt::format("{} is not a regular file", entry.host_path.string()));
      }
      size = st.st_size;
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_size(e.get(), size);
      break;
    }
  }
  archive_entry_set_perm(e.get(), entry.mode);
  check(a, archive_write_header(a, e.get()), "cannot archive " + entry.archive_path);
  if (fd.valid()) {
    copy_file_data(a, fd.get(), entry, size);
  }
  check(a, archive_write_finish_entry(a), "cannot archive " + entry.archive_path);
}

}  // namespace

ArchiveResult write_archive(const std::vector<ManifestEntry>& entries,
                            const std::filesystem::path& out) {
  Sink sink;
  UniqueFd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    throw ToolchainError(fmt::format("cannot create {}: {}", out.string(), std::strerror(errno)));
  }
  sink.fd = fd.get();
  auto a = new_writer();
  check(a.get(), archive_write_open(a.get(), &sink, nullptr, write_callback, nullptr),
        "cannot start " + out.string());
  for (const auto& entry : entries) {
    write_entry(a.get(), entry);
  }
  check(a.get(), archive_write_close(a.get()), "cannot finish " + out.string());
  a.reset();
  if (::close(fd.release()) != 0) {
    throw ToolchainError(fmt::format("cannot write {}: {}", out.string(), std::strerror(errno)));
  }
  return {sink.hash.hex_digest(), sink.size};
}

}  // namespace sccache::toolchain
