#include "image_tar.hpp"

#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include "sccache/sandbox.hpp"

#include "helper_protocol.hpp"

namespace sccache::sandbox_docker {
namespace fs = std::filesystem;

namespace {

constexpr const char* k_accepted_archives =
    " (toolchain archives are tars: plain, or compressed with gzip, xz or zstd)";

struct ReaderDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriterDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

std::string message_of(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown libarchive error";
}

la_ssize_t write_to_stream(archive*, void* client, const void* data, size_t size) {
  auto* out = static_cast<std::ostream*>(client);
  out->write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  return *out ? static_cast<la_ssize_t>(size) : -1;
}

// The relative, clean form of an archive path; nullopt for the root itself. Throws for "..".
std::optional<std::string> clean_path(const char* raw, const std::string& archive_name) {
  std::string path = raw != nullptr ? raw : "";
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    end = end == std::string::npos ? path.size() : end;
    std::string part = path.substr(start, end - start);
    if (part == "..") {
      throw SandboxError(fmt::format("refusing to import {}: entry \"{}\" climbs out with \"..\"",
                                     archive_name, path));
    }
    if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  if (parts.empty()) {
    return std::nullopt;
  }
  std::string result = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    result += "/" + parts[i];
  }
  if (parts[0] == protocol::k_helper_dir) {
    throw SandboxError(fmt::format("refusing to import {}: entry \"{}\" is in /{}, which is ours",
                                   archive_name, path, protocol::k_helper_dir));
  }
  return result;
}

// Writes entries, adding missing parent directories first and each directory once.
class ImageWriter {
 public:
  ImageWriter(const ImageLayout& layout, std::ostream& out, std::string name)
      : m_layout(layout), m_out(archive_write_new()), m_name(std::move(name)) {
    if (!m_out || archive_write_set_format_pax_restricted(m_out.get()) != ARCHIVE_OK ||
        archive_write_open(m_out.get(), &out, nullptr, write_to_stream, nullptr) != ARCHIVE_OK) {
      throw SandboxError("cannot start the image tar: " + message_of(m_out.get()));
    }
  }

  bool seen(const std::string& path) const { return m_paths.count(path) != 0; }

  void directory(const std::string& path, mode_t mode) {
    if (m_directories.count(path) != 0) {
      return;
    }
    parents(path);
    EntryPtr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), AE_IFDIR);
    archive_entry_set_perm(e.get(), mode);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    header(e.get(), path);
    m_directories.insert(path);
  }

  // A file, symlink or hard link from the archive, already cleaned.
  void entry(archive_entry* e, const std::string& path) {
    parents(path);
    header(e, path);
  }

  void data(const void* bytes, size_t size, const std::string& path) {
    if (archive_write_data(m_out.get(), bytes, size) < 0) {
      throw SandboxError(fmt::format("cannot write image entry {} of {}: {}", path, m_name,
                                     message_of(m_out.get())));
    }
  }

  void finish() {
    if (!seen("tmp")) {
      directory("tmp", 01777);
    }
    directory(protocol::k_helper_dir, 0755);
    std::string helper = std::string(protocol::k_helper_dir) + "/init";
    EntryPtr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), helper.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0555);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(m_layout.helper.size()));
    header(e.get(), helper);
    data(m_layout.helper.data(), m_layout.helper.size(), helper);
    if (archive_write_close(m_out.get()) != ARCHIVE_OK) {
      throw SandboxError(
          fmt::format("cannot finish the image of {}: {}", m_name, message_of(m_out.get())));
    }
  }

  const ImageLayout& layout() const { return m_layout; }

 private:
  void parents(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash != std::string::npos) {
      directory(path.substr(0, slash), 0755);
    }
  }

  void header(archive_entry* e, const std::string& path) {
    if (archive_write_header(m_out.get(), e) < ARCHIVE_WARN) {
      throw SandboxError(fmt::format("cannot write image entry {} of {}: {}", path, m_name,
                                     message_of(m_out.get())));
    }
    m_paths.insert(path);
  }

  const ImageLayout& m_layout;
  std::unique_ptr<archive, WriterDeleter> m_out;
  std::string m_name;
  std::set<std::string> m_directories;
  std::set<std::string> m_paths;
};

// Counts an archive's entries and uncompressed file bytes against the layout's caps.
class ArchiveBudget {
 public:
  ArchiveBudget(const ImageLayout& layout, const std::string& name)
      : m_layout(layout), m_name(name) {}

  void entry() {
    if (++m_entries > m_layout.max_entries) {
      throw SandboxError(
          fmt::format("refusing to import {}: more than {} entries", m_name, m_layout.max_entries));
    }
  }
  // An entry's declared size, before any of it is copied.
  void expect(uint64_t size) const {
    if (size > m_layout.max_bytes - m_bytes) {
      too_many_bytes();
    }
  }
  void bytes(uint64_t size) {
    expect(size);
    m_bytes += size;
  }
  uint64_t entries() const { return m_entries; }

 private:
  [[noreturn]] void too_many_bytes() const {
    throw SandboxError(fmt::format("refusing to import {}: more than {} MiB uncompressed", m_name,
                                   m_layout.max_bytes >> 20));
  }

  const ImageLayout& m_layout;
  const std::string& m_name;
  uint64_t m_entries = 0;
  uint64_t m_bytes = 0;
};

void copy_data(archive* in, ImageWriter& writer, const std::string& path, const std::string& name,
               ArchiveBudget& budget) {
  char buffer[65536];
  while (true) {
    la_ssize_t n = archive_read_data(in, buffer, sizeof buffer);
    if (n == 0) {
      return;
    }
    if (n < 0) {
      throw SandboxError(fmt::format("cannot read {} (entry {}): {}", name, path, message_of(in)));
    }
    budget.bytes(static_cast<uint64_t>(n));
    writer.data(buffer, static_cast<size_t>(n), path);
  }
}

// Rewrites one archive entry into the image: clean paths, root's, safe modes.
void copy_entry(archive* in, archive_entry* e, ImageWriter& writer, const std::string& name,
                ArchiveBudget& budget) {
  budget.entry();
  auto path = clean_path(archive_entry_pathname(e), name);
  if (!path) {
    return;  // the root directory itself
  }
  const mode_t type = archive_entry_filetype(e);
  if (type == AE_IFDIR) {
    writer.directory(*path, *path == "tmp" ? 01777 : 0755);
    return;
  }
  if (type != AE_IFREG && type != AE_IFLNK) {
    throw SandboxError(fmt::format(
        "refusing to import {}: entry \"{}\" is a device, FIFO or socket", name, *path));
  }
  archive_entry_set_pathname(e, path->c_str());
  if (const char* link = archive_entry_hardlink(e)) {
    auto target = clean_path(link, name);
    if (!target || !writer.seen(*target)) {
      throw SandboxError(fmt::format(
          "refusing to import {}: hard link \"{}\" to an earlier entry that is not there", name,
          *path));
    }
    archive_entry_set_hardlink(e, target->c_str());
  }
  archive_entry_set_uid(e, 0);
  archive_entry_set_gid(e, 0);
  archive_entry_set_uname(e, nullptr);
  archive_entry_set_gname(e, nullptr);
  archive_entry_xattr_clear(e);
  archive_entry_acl_clear(e);
  archive_entry_set_fflags(e, 0, 0);
  archive_entry_set_perm(e, archive_entry_perm(e) & 0755);
  const bool has_data = type == AE_IFREG && archive_entry_size(e) > 0;
  if (has_data) {
    budget.expect(static_cast<uint64_t>(archive_entry_size(e)));  // refused before it is copied
  }
  writer.entry(e, *path);
  if (has_data) {
    copy_data(in, writer, *path, name, budget);
  }
}

}  // namespace

void write_image_tar(const fs::path& archive_path, const ImageLayout& layout, std::ostream& out) {
  const std::string name = archive_path.filename().string();
  std::unique_ptr<archive, ReaderDeleter> in(archive_read_new());
  if (!in) {
    throw SandboxError("libarchive: out of memory");
  }
  // What clients send: a tar, plain or compressed. No other format's parser and no external
  // decompressor (libarchive runs lrzip, lzop, grzip, ... as programs) sees a client's upload.
  archive_read_support_filter_none(in.get());
  archive_read_support_filter_gzip(in.get());
  archive_read_support_filter_xz(in.get());
  archive_read_support_filter_zstd(in.get());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_filename(in.get(), archive_path.c_str(), 65536) != ARCHIVE_OK) {
    throw SandboxError(fmt::format("cannot open {}: {}{}", archive_path.string(),
                                   message_of(in.get()), k_accepted_archives));
  }
  ImageWriter writer(layout, out, name);
  ArchiveBudget budget(layout, name);
  while (true) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(in.get(), &e);
    if (rc == ARCHIVE_EOF) {
      break;
    }
    if (rc < ARCHIVE_WARN) {
      throw SandboxError(
          fmt::format("cannot read {}: {}{}", name, message_of(in.get()), k_accepted_archives));
    }
    copy_entry(in.get(), e, writer, name, budget);
  }
  if (budget.entries() == 0) {  // also what the tar reader makes of a file that starts with zeros
    throw SandboxError(
        fmt::format("refusing to import {}: it holds nothing{}", name, k_accepted_archives));
  }
  writer.finish();
}

void write_helper_image_tar(const ImageLayout& layout, std::ostream& out) {
  ImageWriter writer(layout, out, "the probe image");
  writer.finish();
}

}  // namespace sccache::sandbox_docker
