// The tar the engine imports as a toolchain's image (`POST /images/create?fromSrc=-`, what
// `docker import` does): the toolchain archive's entries, cleaned, plus the helper.
//
//  - paths are made relative ("/usr/bin/gcc" -> "usr/bin/gcc"); an entry with ".." is refused,
//    as are devices, FIFOs and sockets, and anything under /.sccache-dist (ours);
//  - everything is owned by root; directories (including the parents an archive leaves
//    implicit) are mode 0755, /tmp 1777; setuid/setgid bits and group/other write bits go;
//    extended attributes and ACLs are dropped. The job's user can change nothing of the
//    toolchain; the helper gives it the directories its inputs, cwd and outputs need;
//  - /.sccache-dist/init is the helper (root, 0555).
//
// Archives are client uploads: only tar (plain, gzip, xz or zstd) is read, so no other format's
// parser (zip, rar, 7z, iso, mtree, ...) nor an external decompressor ever runs on one, and their
// entries and uncompressed bytes are capped, so a decompression bomb cannot fill the engine.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string_view>

#include "sccache/sandbox.hpp"

namespace sccache::sandbox_docker {

struct ImageLayout {
  std::string_view helper;  // sccache-docker-init's bytes
  // The most entries, and file bytes (uncompressed), a toolchain archive may hold: the sandbox
  // contract's limits. Tests lower them.
  uint64_t max_entries = k_max_toolchain_entries;
  uint64_t max_bytes = k_max_toolchain_bytes;
};

// Reads `archive` (a tar, plain or compressed with gzip, xz or zstd, not empty) and writes the
// image's uncompressed tar to `out`. Failure: SandboxError naming the archive (and the entry, or
// the limit).
void write_image_tar(const std::filesystem::path& archive, const ImageLayout& layout,
                     std::ostream& out);

// An image tar with only /tmp and the helper (the readiness probe's image).
void write_helper_image_tar(const ImageLayout& layout, std::ostream& out);

}  // namespace sccache::sandbox_docker
