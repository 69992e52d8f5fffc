#include "sandbox-docker/image_tar.hpp"

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

#include "util/tar.hpp"

#include "sandbox-docker/helper_protocol.hpp"

namespace sccache::sandbox_docker {
namespace fs = std::filesystem;

namespace {

// The relative, clean form of an archive path; nullopt for the root itself. Throws for "..".
std::optional<std::string> clean_path(const char* raw, const std::string& archive_name) {
  std::string path = raw != nullptr ? raw : "";
  std::optional<std::string> clean = util::clean_archive_path(path);
  if (!clean) {
    throw SandboxError(fmt::format("refusing to import {}: entry \"{}\" climbs out with \"..\"",
                                   archive_name, path));
  }
  if (clean->empty()) {
    return std::nullopt;
  }
  if (clean->substr(0, clean->find('/')) == protocol::k_helper_dir) {
    throw SandboxError(fmt::format("refusing to import {}: entry \"{}\" is in /{}, which is ours",
                                   archive_name, path, protocol::k_helper_dir));
  }
  return clean;
}

// Writes entries, adding missing parent directories first and each directory once.
class ImageWriter {
 public:
  ImageWriter(const ImageLayout& layout, std::ostream& out, std::string name)
      : m_layout(layout), m_out(util::sink_to(out)), m_name(std::move(name)) {}

  bool seen(const std::string& path) const { return m_paths.count(path) != 0; }

  void directory(const std::string& path, mode_t mode) {
    if (m_directories.count(path) != 0) {
      return;
    }
    parents(path);
    m_out.add_directory(path, mode);
    m_paths.insert(path);
    m_directories.insert(path);
  }

  // A file, symlink or hard link from the archive, already cleaned.
  void entry(archive_entry* e, const std::string& path) {
    parents(path);
    m_out.add_raw(e);
    m_paths.insert(path);
  }

  void data(const void* bytes, size_t size) { m_out.write_data(bytes, size); }

  void finish() {
    if (!seen("tmp")) {
      directory("tmp", 01777);
    }
    directory(protocol::k_helper_dir, 0755);
    std::string helper = std::string(protocol::k_helper_dir) + "/init";
    m_out.add_file(helper, 0555, m_layout.helper);
    m_out.finish();
  }

 private:
  void parents(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash != std::string::npos) {
      directory(path.substr(0, slash), 0755);
    }
  }

  const ImageLayout& m_layout;
  util::TarWriter m_out;
  std::string m_name;
  std::set<std::string> m_directories;
  std::set<std::string> m_paths;
};

void copy_data(util::UntrustedTarReader& in, ImageWriter& writer) {
  char buffer[65536];
  while (size_t n = in.read(buffer, sizeof buffer)) {
    writer.data(buffer, n);
  }
}

// Rewrites one archive entry into the image: clean paths, root's, safe modes.
void copy_entry(util::UntrustedTarReader& in, archive_entry* e, ImageWriter& writer,
                const std::string& name) {
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
  writer.entry(e, *path);
  if (type == AE_IFREG && archive_entry_size(e) > 0) {
    copy_data(in, writer);
  }
}

}  // namespace

void write_image_tar(const fs::path& archive_path, const ImageLayout& layout, std::ostream& out) {
  const std::string name = archive_path.filename().string();
  try {
    // What clients send is read through the untrusted-archive policy: tars only, capped.
    util::UntrustedTarReader in(archive_path, name, {layout.max_entries, layout.max_bytes});
    ImageWriter writer(layout, out, name);
    while (archive_entry* e = in.next()) {
      copy_entry(in, e, writer, name);
    }
    if (in.entries() == 0) {  // also what the tar reader makes of a file that starts with zeros
      throw SandboxError(fmt::format("refusing to import {}: it holds nothing ({})", name,
                                     util::UntrustedTarReader::k_accepted));
    }
    writer.finish();
  } catch (const util::ArchiveError& e) {
    throw SandboxError(e.what());
  }
}

void write_helper_image_tar(const ImageLayout& layout, std::ostream& out) {
  try {
    ImageWriter writer(layout, out, "the probe image");
    writer.finish();
  } catch (const util::ArchiveError& e) {
    throw SandboxError(e.what());
  }
}

}  // namespace sccache::sandbox_docker
