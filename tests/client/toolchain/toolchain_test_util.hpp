// Helpers for the toolchain packager tests: running host commands, unpacking an archive the way
// the build server does, and looking paths up in a manifest.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "client/toolchain/toolchain.hpp"
#include "support/test_support.hpp"

namespace sccache::test::toolchain {

using sccache::toolchain::ManifestEntry;

// Runs argv; fails the test (with stderr) unless it exits 0.
RunResult must_run(std::vector<std::string> argv, std::filesystem::path cwd = {});

// `sha256sum file`'s hex digest.
std::string sha256sum(const std::filesystem::path& file);

// Unpacks `archive` into `dest` with libarchive and the build server's flags (no absolute paths,
// no `..`, nothing written through a symlink).
void unpack_like_server(const std::filesystem::path& archive, const std::filesystem::path& dest);

// The archive of `compiler` (packaged once per test process, in a shared temp dir).
struct Packaged {
  std::filesystem::path archive;
  std::string id;
};
const Packaged& packaged_once(const std::string& compiler);

// Follows `host_path` through the manifest's symlink entries like the kernel would inside the
// unpacked tree; the file or directory entry reached, or nullopt if it leaves the tree.
std::optional<ManifestEntry> resolve_in(const std::vector<ManifestEntry>& manifest,
                                        const std::filesystem::path& host_path);

const ManifestEntry* find_entry(const std::vector<ManifestEntry>& manifest,
                                const std::string& archive_path);

// Whether `path` exists and is executable (a compiler installed on this machine).
bool installed(const std::filesystem::path& path);

}  // namespace sccache::test::toolchain
