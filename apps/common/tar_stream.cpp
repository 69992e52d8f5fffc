#include "tar_stream.hpp"

#include <fstream>
#include <memory>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

namespace sccache {
namespace {

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;

std::string error_of(archive* a) {
  const char* message = archive_error_string(a);
  return message ? message : "unknown libarchive error";
}

la_ssize_t write_to_stream(archive*, void* client, const void* buffer, size_t length) {
  auto* out = static_cast<std::ostream*>(client);
  out->write(static_cast<const char*>(buffer), static_cast<std::streamsize>(length));
  return *out ? static_cast<la_ssize_t>(length) : -1;
}

struct ReadState {
  std::istream* in;
  char buffer[64 * 1024];
};

la_ssize_t read_from_stream(archive*, void* client, const void** buffer) {
  auto* state = static_cast<ReadState*>(client);
  state->in->read(state->buffer, sizeof state->buffer);
  *buffer = state->buffer;
  return static_cast<la_ssize_t>(state->in->gcount());
}

// A path inside the archive made relative and free of "..", or "" if it must be refused.
std::string safe_relative(std::string_view name) {
  std::filesystem::path path(name);
  std::filesystem::path result;
  for (const auto& part : path.relative_path()) {
    if (part == "..") {
      return "";
    }
    if (part == "." || part.empty()) {
      continue;
    }
    result /= part;
  }
  return result.string();
}

}  // namespace

void write_tar_zst(std::ostream& out, const std::vector<TarEntry>& entries, int level) {
  ArchivePtr a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  archive_write_add_filter_zstd(a.get());
  archive_write_set_filter_option(a.get(), "zstd", "compression-level",
                                  std::to_string(level).c_str());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open(a.get(), &out, nullptr, write_to_stream, nullptr) != ARCHIVE_OK) {
    throw ArchiveError("cannot start archive: " + error_of(a.get()));
  }
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                 archive_entry_free);
  std::vector<char> buffer(256 * 1024);
  for (const auto& e : entries) {
    archive_entry_clear(entry.get());
    archive_entry_set_pathname(entry.get(), e.name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), e.mode);
    std::ifstream file;
    uint64_t size = e.contents.size();
    if (!e.source.empty()) {
      file.open(e.source, std::ios::binary);
      if (!file) {
        throw ArchiveError(fmt::format("cannot read {}", e.source.string()));
      }
      size = std::filesystem::file_size(e.source);
    }
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
      throw ArchiveError(fmt::format("cannot add {}: {}", e.name, error_of(a.get())));
    }
    if (e.source.empty()) {
      if (archive_write_data(a.get(), e.contents.data(), e.contents.size()) < 0) {
        throw ArchiveError(fmt::format("cannot write {}: {}", e.name, error_of(a.get())));
      }
      continue;
    }
    uint64_t left = size;
    while (left > 0 && file) {
      file.read(buffer.data(),
                static_cast<std::streamsize>(std::min<uint64_t>(left, buffer.size())));
      auto got = file.gcount();
      if (got <= 0 || archive_write_data(a.get(), buffer.data(), static_cast<size_t>(got)) < 0) {
        throw ArchiveError(fmt::format("cannot write {}: {}", e.name, error_of(a.get())));
      }
      left -= static_cast<uint64_t>(got);
    }
    if (left != 0) {
      throw ArchiveError(fmt::format("{} changed while being archived", e.source.string()));
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    throw ArchiveError("cannot finish archive: " + error_of(a.get()));
  }
}

std::vector<std::string> extract_tar(std::istream& in, const std::filesystem::path& root,
                                     uint64_t max_bytes) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  auto state = std::make_unique<ReadState>();
  state->in = &in;
  if (archive_read_open(a.get(), state.get(), nullptr, read_from_stream, nullptr) != ARCHIVE_OK) {
    throw ArchiveError("cannot read archive: " + error_of(a.get()));
  }
  std::vector<std::string> names;
  uint64_t total = 0;
  std::vector<char> buffer(256 * 1024);
  archive_entry* entry = nullptr;
  while (true) {
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) {
      break;
    }
    if (rc != ARCHIVE_OK) {
      throw ArchiveError("corrupt archive: " + error_of(a.get()));
    }
    const std::string name = archive_entry_pathname(entry);
    const std::string relative = safe_relative(name);
    if (relative.empty()) {
      throw ArchiveError(fmt::format("refusing archive entry '{}'", name));
    }
    const auto type = archive_entry_filetype(entry);
    const std::filesystem::path target = root / relative;
    if (type == AE_IFDIR) {
      std::filesystem::create_directories(target);
      continue;
    }
    if (type != AE_IFREG) {
      throw ArchiveError(fmt::format("refusing archive entry '{}': not a regular file", name));
    }
    std::filesystem::create_directories(target.parent_path());
    // Parents were made by us from sanitized names, so no symlink can redirect this write.
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw ArchiveError(fmt::format("cannot create {}", target.string()));
    }
    while (true) {
      la_ssize_t got = archive_read_data(a.get(), buffer.data(), buffer.size());
      if (got < 0) {
        throw ArchiveError("corrupt archive: " + error_of(a.get()));
      }
      if (got == 0) {
        break;
      }
      total += static_cast<uint64_t>(got);
      if (total > max_bytes) {
        throw ArchiveError(fmt::format("archive expands past the limit of {} bytes", max_bytes));
      }
      out.write(buffer.data(), got);
    }
    std::filesystem::permissions(
        target, static_cast<std::filesystem::perms>(archive_entry_perm(entry) & 0755),
        std::filesystem::perm_options::replace);
    names.push_back(name);
  }
  return names;
}

}  // namespace sccache
