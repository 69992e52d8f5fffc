// The list of entries of a toolchain archive, built from host paths so that every path resolves
// inside the unpacked tree exactly as on the host.
//
// add_path() walks a path like the kernel does: each component that is a symlink on the host
// (/lib -> usr/lib, /usr/bin/g++ -> g++-12, ...) becomes a symlink entry with its target
// verbatim, and the walk continues at the target; the file finally reached is stored at its
// canonical path. So no entry lies beneath a symlink entry (what a secure unpack requires), and
// `..` components work because every directory walked through is an entry too.
// Threads: one builder per thread. Failure: ToolchainError (missing path, symlink loop, special
// file).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "client/toolchain/toolchain.hpp"

namespace sccache::toolchain {

class ManifestBuilder {
 public:
  // Adds absolute `path` (file or directory), the symlinks leading to it and the directories
  // walked through. Returns its canonical host path.
  std::filesystem::path add_path(const std::filesystem::path& path);
  // add_path(dir), then everything under it (symlinks inside are followed with add_path).
  void add_tree(const std::filesystem::path& dir);
  // An empty directory with `mode` (e.g. "tmp", 01777).
  void add_directory(const std::string& archive_path, uint32_t mode);

  // Sorted by archive_path (byte order), with every parent directory as its own entry (0755).
  std::vector<ManifestEntry> entries() const;

 private:
  std::filesystem::path resolve(const std::filesystem::path& path, int& symlink_budget);
  void put(ManifestEntry entry);

  std::map<std::string, ManifestEntry> m_entries;
};

}  // namespace sccache::toolchain
