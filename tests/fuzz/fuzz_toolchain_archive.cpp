// Toolchain archives as the build server's sandboxes unpack a client's upload (after the build
// server's SHA-256 check, which reads no structure): the overlay builder's unpack_archive into a
// directory, and the docker builder's write_image_tar, the image it imports. SandboxError is the
// answer to a bad archive; anything outside the destination, set-id bits, or an image entry that
// breaks image_tar.hpp's promises is a finding.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <archive_entry.h>

#include "sccache/sandbox.hpp"

#include "util/tar.hpp"

#include "sandbox-bwrap/unpack_archive.hpp"
#include "sandbox-docker/image_tar.hpp"

namespace fs = std::filesystem;
using namespace sccache;

namespace {

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

void unpack(const fs::path& root, const fs::path& archive) {
  const fs::path dest = root / "dest";
  fs::create_directory(dest);
  try {
    sandbox_bwrap::unpack_archive(archive, dest);
  } catch (const SandboxError&) {
  }
  // A ".." or an absolute path would land beside dest; only the two files we made may be there.
  size_t beside = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    check(entry.path() == dest || entry.path() == archive);
    ++beside;
  }
  check(beside == 2);
  for (const auto& entry : fs::recursive_directory_iterator(dest)) {
    if (!entry.is_symlink()) {
      check((entry.status().permissions() & (fs::perms::set_uid | fs::perms::set_gid)) ==
            fs::perms::none);
    }
  }
  fs::remove_all(dest);
}

// Every entry of the image is relative, climbs nowhere, is root's, and is writable by root only
// (except /tmp, 1777), as the docker engine would import it.
void check_image(const std::string& image) {
  std::istringstream in(image);
  util::UntrustedTarReader reader(in, "the image", {100000, 64u << 20});
  while (archive_entry* entry = reader.next()) {
    std::string path = archive_entry_pathname(entry);
    check(!path.empty() && path[0] != '/');
    if (path.back() == '/') {  // how tar writes a directory
      path.pop_back();
    }
    check(util::clean_archive_path(path) == path);
    if (const char* target = archive_entry_hardlink(entry)) {
      check(util::clean_archive_path(target) == std::string(target));
    }
    check(archive_entry_uid(entry) == 0 && archive_entry_gid(entry) == 0);
    const mode_t type = archive_entry_filetype(entry);
    check(type == AE_IFREG || type == AE_IFDIR || type == AE_IFLNK);
    const mode_t allowed = path == "tmp" ? 01777 : 0755;
    check((archive_entry_perm(entry) & ~allowed) == 0);
  }
}

void image(const fs::path& archive) {
  sandbox_docker::ImageLayout layout;
  layout.helper = "the helper's bytes";
  layout.max_entries = 1000;
  layout.max_bytes = 4u << 20;
  std::ostringstream out;
  try {
    sandbox_docker::write_image_tar(archive, layout, out);
  } catch (const SandboxError&) {
    return;
  }
  check_image(out.str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path root =
      fs::temp_directory_path() / ("sccache-fuzz-toolchain-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  const fs::path archive = root / "toolchain.tar";
  std::ofstream(archive, std::ios::binary)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  unpack(root, archive);
  image(archive);
  fs::remove_all(root);
  return 0;
}
