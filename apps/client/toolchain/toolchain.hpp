// The client's toolchain packager: what a build server needs to run a local compiler.
//
// A toolchain is a tar+zstd archive holding the compiler driver (and the symlinks leading to it),
// the programs it runs (cc1, as, ...), every shared library they load and an empty tmp/, at their
// host paths (relative, symlinks kept), so that `bwrap --bind <unpacked> /` can run the compiler
// on preprocessed input with no host files. Its id is the SHA-256 of the archive bytes; the same
// inputs always give the same bytes.
//
// Threads and processes: every function may be called concurrently, from threads or from many
// `sccache` processes sharing one cache; a compiler is packaged once (flock), the others wait.
// Failure: ToolchainError (packaging or cache I/O failed), ToolchainTooLarge; the caller then
// compiles locally.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "client/client_config.hpp"

namespace sccache::toolchain {

struct Toolchain {
  std::string id;                 // lowercase hex SHA-256 of the archive bytes
  std::filesystem::path archive;  // the archive to send (in the cache, or a path_override file)
  uint64_t size = 0;              // bytes of `archive`
  std::string remote_compiler;    // the compiler's path inside the archive
  bool packaged = false;          // this call built (or hashed) it; false on a cache hit
};

// Packaging failed (compiler not found or not gcc/clang, unreadable file, libarchive, cache I/O).
class ToolchainError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The toolchain does not fit in the cache's max_bytes at all. Not a ToolchainError: the caller
// counts it as its own reason for compiling locally.
class ToolchainTooLarge : public std::runtime_error {
 public:
  ToolchainTooLarge(uint64_t size, uint64_t max_bytes);
  uint64_t size;
  uint64_t max_bytes;
};

// The toolchain for `compiler` (absolute, as invoked: the client resolves `g++` via PATH first),
// from the cache under `cache_root` (`<dist cache_dir>/client`) or packaged into it. The cache
// keeps at most `max_bytes` of archives (LRU). nullopt: a [[dist.toolchains]] entry says no_dist
// for this compiler. A path_override entry gives its archive as-is (id = its SHA-256) and
// remote_compiler = archive_compiler_executable. The returned archive stays valid until evicted
// by a later packaging (open it soon). Cheap on a hit: a few stats and one small file read.
std::optional<Toolchain> find_or_package_toolchain(const std::filesystem::path& compiler,
                                                   const std::vector<ToolchainOverride>& overrides,
                                                   const std::filesystem::path& cache_root,
                                                   uint64_t max_bytes);

// `sccache --package-toolchain <EXE> <OUT>`: writes the archive for `compiler` to `out` (via a
// temp file in the same directory, renamed into place); returns its id.
std::string package_toolchain_to(const std::filesystem::path& compiler,
                                 const std::filesystem::path& out);

// One entry of an archive, sorted by archive_path.
struct ManifestEntry {
  enum class Kind { directory, file, symlink };
  std::string archive_path;  // relative, no leading '/': "usr/bin/gcc-12"
  Kind kind = Kind::file;
  std::filesystem::path host_path;  // file: the host file copied; empty otherwise
  std::string link_target;          // symlink: readlink() of the host symlink, verbatim
  uint32_t mode = 0;                // permission bits (0755 directories, 01777 tmp)
};

// What package_toolchain_to() would archive for `compiler` (for tests and debugging).
std::vector<ManifestEntry> toolchain_manifest(const std::filesystem::path& compiler);

}  // namespace sccache::toolchain
