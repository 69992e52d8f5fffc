#include "unpack_archive.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <sched.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include "sccache/sandbox.hpp"

namespace sccache::sandbox_bwrap {
namespace fs = std::filesystem;

namespace {

constexpr int k_extract_flags = ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |
                                ARCHIVE_EXTRACT_TIME;

struct ReaderDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriterDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};

std::string archive_message(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown libarchive error";
}

// Copies the data blocks of the current entry from `in` to `out`.
void copy_entry_data(archive* in, archive* out, const fs::path& file, const char* entry) {
  const void* block = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  while (true) {
    int rc = archive_read_data_block(in, &block, &size, &offset);
    if (rc == ARCHIVE_EOF) {
      return;
    }
    if (rc < ARCHIVE_WARN) {
      throw SandboxError(
          fmt::format("cannot read {} (entry {}): {}", file.string(), entry, archive_message(in)));
    }
    if (archive_write_data_block(out, block, size, offset) < ARCHIVE_WARN) {
      throw SandboxError(fmt::format("cannot unpack {} (entry {}): {}", file.string(), entry,
                                     archive_message(out)));
    }
  }
}

// What a toolchain may carry in: directories, regular files, symlinks and hard links, owned by
// root (ARCHIVE_EXTRACT_OWNER is not set) and without set-id bits. The overlay is mounted
// nosuid,nodev anyway; this keeps the unpacked tree in build_dir harmless on the host as well.
void tame_entry(archive_entry* entry, const fs::path& file, const char* name) {
  const mode_t type = archive_entry_filetype(entry);
  if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
    throw SandboxError(fmt::format("refusing to unpack {} (entry {}): a device, FIFO or socket",
                                   file.string(), name));
  }
  archive_entry_set_perm(entry, archive_entry_perm(entry) & ~mode_t{S_ISUID | S_ISGID});
}

// Runs in a thread whose cwd is `dest` (relative entry paths land there).
void extract_here(const fs::path& file) {
  std::unique_ptr<archive, ReaderDeleter> in(archive_read_new());
  std::unique_ptr<archive, WriterDeleter> out(archive_write_disk_new());
  if (!in || !out) {
    throw SandboxError("libarchive: out of memory");
  }
  // What clients send: a tar, plain or compressed with gzip, xz or zstd. No other format's parser
  // (rar, 7z, iso, mtree, ...) and no external decompressor runs on data a client uploaded.
  archive_read_support_filter_none(in.get());
  archive_read_support_filter_gzip(in.get());
  archive_read_support_filter_xz(in.get());
  archive_read_support_filter_zstd(in.get());
  archive_read_support_format_tar(in.get());
  archive_write_disk_set_options(out.get(), k_extract_flags);
  if (archive_read_open_filename(in.get(), file.c_str(), 65536) != ARCHIVE_OK) {
    throw SandboxError(fmt::format("cannot open {}: {}", file.string(), archive_message(in.get())));
  }
  uint64_t entries = 0;
  uint64_t bytes = 0;
  while (true) {
    archive_entry* entry = nullptr;
    int rc = archive_read_next_header(in.get(), &entry);
    if (rc == ARCHIVE_EOF) {
      break;
    }
    // A decompression bomb must not fill build_dir: cap what a toolchain may unpack to.
    bytes += static_cast<uint64_t>(std::max<la_int64_t>(archive_entry_size(entry), 0));
    if (++entries > k_max_toolchain_entries || bytes > k_max_toolchain_bytes) {
      throw SandboxError(
          fmt::format("refusing to unpack {}: a toolchain may hold at most {} entries and {} GiB",
                      file.string(), k_max_toolchain_entries, k_max_toolchain_bytes >> 30));
    }
    if (rc < ARCHIVE_WARN) {
      throw SandboxError(
          fmt::format("cannot read {}: {}", file.string(), archive_message(in.get())));
    }
    const char* name = archive_entry_pathname(entry);
    name = name != nullptr ? name : "?";
    tame_entry(entry, file, name);
    if (archive_write_header(out.get(), entry) < ARCHIVE_WARN) {
      throw SandboxError(fmt::format("refusing to unpack {} (entry {}): {}", file.string(), name,
                                     archive_message(out.get())));
    }
    if (archive_entry_size(entry) > 0) {
      copy_entry_data(in.get(), out.get(), file, name);
    }
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN) {
      throw SandboxError(fmt::format("cannot unpack {} (entry {}): {}", file.string(), name,
                                     archive_message(out.get())));
    }
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK) {
    throw SandboxError(
        fmt::format("cannot finish unpacking {}: {}", file.string(), archive_message(out.get())));
  }
}

}  // namespace

void unpack_archive(const fs::path& archive_path, const fs::path& dest) {
  fs::path file = fs::absolute(archive_path);
  std::exception_ptr failure;
  std::thread thread([&] {
    try {
      // CLONE_FS: this thread gets its own cwd; the rest of the process keeps theirs.
      if (::unshare(CLONE_FS) != 0 || ::chdir(dest.c_str()) != 0) {
        throw SandboxError(fmt::format("cannot enter {}: {}", dest.string(), std::strerror(errno)));
      }
      extract_here(file);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  thread.join();
  if (failure) {
    std::rethrow_exception(failure);
  }
}

}  // namespace sccache::sandbox_bwrap
