#include "sandbox-bwrap/unpack_archive.hpp"

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

#include "util/tar.hpp"

namespace sccache::sandbox_bwrap {
namespace fs = std::filesystem;

namespace {

constexpr int k_extract_flags = ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |
                                ARCHIVE_EXTRACT_TIME;

struct WriterDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};

std::string archive_message(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown libarchive error";
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

// Runs in a thread whose cwd is `dest` (relative entry paths land there). The reader is the
// untrusted-archive policy: tars only, capped by the sandbox contract's toolchain limits.
void extract_here(const fs::path& file) {
  util::UntrustedTarReader in(file, file.string(),
                              {k_max_toolchain_entries, k_max_toolchain_bytes});
  std::unique_ptr<archive, WriterDeleter> out(archive_write_disk_new());
  if (!out) {
    throw SandboxError("libarchive: out of memory");
  }
  archive_write_disk_set_options(out.get(), k_extract_flags);
  while (archive_entry* entry = in.next()) {
    const char* name = archive_entry_pathname(entry);
    name = name != nullptr ? name : "?";
    tame_entry(entry, file, name);
    if (archive_write_header(out.get(), entry) < ARCHIVE_WARN) {
      throw SandboxError(fmt::format("refusing to unpack {} (entry {}): {}", file.string(), name,
                                     archive_message(out.get())));
    }
    const void* block = nullptr;
    size_t size = 0;
    int64_t offset = 0;
    while (archive_entry_size(entry) > 0 && in.read_block(&block, &size, &offset)) {
      if (archive_write_data_block(out.get(), block, size, offset) < ARCHIVE_WARN) {
        throw SandboxError(fmt::format("cannot unpack {} (entry {}): {}", file.string(), name,
                                       archive_message(out.get())));
      }
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
    } catch (const util::ArchiveError& e) {
      failure = std::make_exception_ptr(SandboxError(e.what()));
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
