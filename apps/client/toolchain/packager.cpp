// Ties the pieces together: override matching, manifest building, the cache protocol.
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "util/file_lock.hpp"
#include "util/sha256.hpp"

#include "client/toolchain/archive_writer.hpp"
#include "client/toolchain/compiler_probe.hpp"
#include "client/toolchain/elf_deps.hpp"
#include "client/toolchain/manifest.hpp"
#include "client/toolchain/toolchain.hpp"
#include "client/toolchain/toolchain_cache.hpp"

namespace sccache::toolchain {
namespace fs = std::filesystem;

namespace {

constexpr const char* k_ld_so_conf = "/etc/ld.so.conf";
constexpr const char* k_ld_so_conf_dir = "/etc/ld.so.conf.d";
// The client asks for LC_ALL=C.UTF-8 remotely so diagnostics use the same quotes as a local
// compile in a UTF-8 locale; the compiler needs this locale's files to honour that.
constexpr const char* k_utf8_locale_dir = "/usr/lib/locale/C.utf8";

spdlog::logger& log() {
  return *spdlog::default_logger();
}

fs::path checked_compiler_path(const fs::path& compiler) {
  if (!compiler.is_absolute()) {
    throw ToolchainError(fmt::format("compiler path {} is not absolute", compiler.string()));
  }
  return compiler.lexically_normal();
}

// The same path, or the same file name in the same (canonical) directory: /bin/gcc matches
// /usr/bin/gcc when /bin -> usr/bin, but clang++ never matches clang (a different driver mode).
bool same_compiler(const fs::path& a, const fs::path& b) {
  if (a == b) {
    return true;
  }
  if (a.filename() != b.filename()) {
    return false;
  }
  std::error_code ec1, ec2;
  fs::path dir_a = fs::canonical(a.parent_path(), ec1);
  fs::path dir_b = fs::canonical(b.parent_path(), ec2);
  return !ec1 && !ec2 && dir_a == dir_b;
}

const ToolchainOverride* match_override(const fs::path& compiler,
                                        const std::vector<ToolchainOverride>& overrides) {
  for (const auto& entry : overrides) {  // exact matches win over equivalent paths
    if (entry.compiler_executable.lexically_normal() == compiler) {
      return &entry;
    }
  }
  for (const auto& entry : overrides) {
    if (same_compiler(entry.compiler_executable.lexically_normal(), compiler)) {
      return &entry;
    }
  }
  return nullptr;
}

std::optional<Toolchain> cached(ToolchainCache& cache, const std::string& key,
                                const std::string& remote_compiler) {
  auto record = cache.read_index(key);
  if (!record) {
    return std::nullopt;
  }
  if (record->kind == IndexRecord::Kind::too_large) {
    if (record->size > cache.max_bytes()) {
      throw ToolchainTooLarge(record->size, cache.max_bytes());
    }
    return std::nullopt;  // the cache grew since: try again
  }
  if (!cache.touch_archive(record->id)) {
    return std::nullopt;  // evicted
  }
  return Toolchain{record->id, cache.archive_path(record->id), record->size, remote_compiler};
}

// path_override: the configured archive as-is, its id cached under the archive's weak key.
Toolchain override_toolchain(ToolchainCache& cache, const fs::path& compiler,
                             const ToolchainOverride& entry) {
  std::string key = weak_key("override", entry.archive, entry.archive);
  Toolchain toolchain{{}, entry.archive, 0, entry.archive_compiler_executable};
  auto lookup = [&]() -> bool {
    auto record = cache.read_index(key);
    if (!record || record->kind != IndexRecord::Kind::archive) {
      return false;
    }
    toolchain.id = record->id;
    toolchain.size = record->size;
    return true;
  };
  if (lookup()) {
    return toolchain;
  }
  util::FileLock lock = cache.lock(key);
  if (lookup()) {
    return toolchain;
  }
  log().debug("toolchain: hashing {} (path_override for {})", entry.archive.string(),
              compiler.string());
  toolchain.id = util::sha256_file_hex(entry.archive);
  std::error_code ec;
  toolchain.size = fs::file_size(entry.archive, ec);
  if (ec) {
    throw ToolchainError(fmt::format("cannot stat {}: {}", entry.archive.string(), ec.message()));
  }
  toolchain.packaged = true;
  cache.write_index(key, {IndexRecord::Kind::archive, toolchain.id, toolchain.size});
  return toolchain;
}

ArchiveResult package_into(const fs::path& compiler, const fs::path& out) {
  auto started = std::chrono::steady_clock::now();
  log().debug("toolchain: packaging {}", compiler.string());
  auto entries = toolchain_manifest(compiler);
  ArchiveResult result = write_archive(entries, out);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started);
  log().debug("toolchain: packaged {} as {} ({} entries, {} bytes) in {} ms", compiler.string(),
              result.id, entries.size(), result.size, ms.count());
  return result;
}

// Runs `body`, reporting std::filesystem errors as ToolchainError (the API's one error type).
template <typename Body>
auto translating_errors(Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const ToolchainError&) {
    throw;
  } catch (const ToolchainTooLarge&) {
    throw;
  } catch (const std::runtime_error& e) {  // file system and util errors
    throw ToolchainError(e.what());
  }
}

std::vector<ManifestEntry> build_manifest(const fs::path& compiler_path) {
  fs::path compiler = checked_compiler_path(compiler_path);
  ManifestBuilder builder;
  std::vector<fs::path> elves = {builder.add_path(compiler)};
  CompilerParts parts = probe_compiler(compiler);
  for (const auto& file : parts.files) {
    fs::path real = builder.add_path(file);
    if (is_elf(real)) {
      elves.push_back(real);
    }
  }
  if (parts.resource_include_dir) {
    builder.add_tree(*parts.resource_include_dir);
  }
  std::set<fs::path> done;
  for (const auto& elf : elves) {
    if (!done.insert(elf).second) {
      continue;
    }
    for (const auto& library : shared_library_deps(elf)) {
      builder.add_path(library);
    }
  }
  std::error_code ec;
  if (fs::exists(k_ld_so_conf, ec)) {
    builder.add_path(k_ld_so_conf);
  }
  if (fs::is_directory(k_ld_so_conf_dir, ec)) {
    builder.add_tree(k_ld_so_conf_dir);
  }
  if (fs::is_directory(k_utf8_locale_dir, ec)) {
    builder.add_tree(k_utf8_locale_dir);
  }
  builder.add_directory("tmp", 01777);
  return builder.entries();
}

}  // namespace

ToolchainTooLarge::ToolchainTooLarge(uint64_t size_, uint64_t max_bytes_)
    : std::runtime_error(fmt::format(
          "the toolchain ({} bytes) is larger than the whole toolchain cache ({} bytes)", size_,
          max_bytes_)),
      size(size_),
      max_bytes(max_bytes_) {}

std::vector<ManifestEntry> toolchain_manifest(const fs::path& compiler) {
  return translating_errors([&] { return build_manifest(compiler); });
}

std::string package_toolchain_to(const fs::path& compiler, const fs::path& out) {
  return translating_errors([&] {
    fs::path target = fs::absolute(out);
    std::string temp =
        (target.parent_path() / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
    int fd = ::mkstemp(temp.data());
    if (fd < 0) {
      throw ToolchainError(fmt::format("cannot create a file next to {}: {}", target.string(),
                                       std::strerror(errno)));
    }
    ::close(fd);
    try {
      ArchiveResult result = package_into(checked_compiler_path(compiler), temp);
      if (::rename(temp.c_str(), target.c_str()) != 0) {
        throw ToolchainError(
            fmt::format("cannot write {}: {}", target.string(), std::strerror(errno)));
      }
      return result.id;
    } catch (...) {
      std::error_code ignored;
      fs::remove(temp, ignored);
      throw;
    }
  });
}

namespace {

std::optional<Toolchain> find_or_package(const fs::path& compiler_path,
                                         const std::vector<ToolchainOverride>& overrides,
                                         const fs::path& cache_root, uint64_t max_bytes) {
  fs::path compiler = checked_compiler_path(compiler_path);
  ToolchainCache cache(cache_root, max_bytes);
  if (const ToolchainOverride* entry = match_override(compiler, overrides)) {
    if (entry->kind == ToolchainOverride::Kind::no_dist) {
      log().debug("toolchain: {} is no_dist", compiler.string());
      return std::nullopt;
    }
    return override_toolchain(cache, compiler, *entry);
  }
  std::string key = weak_key("compiler", compiler, compiler);
  if (auto hit = cached(cache, key, compiler.string())) {
    return hit;
  }
  util::FileLock lock = cache.lock(key);
  if (auto hit = cached(cache, key, compiler.string())) {  // packaged while we waited
    return hit;
  }
  fs::path temp = cache.new_temp_archive();
  ArchiveResult result;
  try {
    result = package_into(compiler, temp);
  } catch (...) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw;
  }
  try {
    fs::path archive = cache.commit_archive(temp, result.id, result.size);
    cache.write_index(key, {IndexRecord::Kind::archive, result.id, result.size});
    return Toolchain{result.id, archive, result.size, compiler.string(), true};
  } catch (const ToolchainTooLarge&) {
    cache.write_index(key, {IndexRecord::Kind::too_large, {}, result.size});
    throw;
  }
}

}  // namespace

std::optional<Toolchain> find_or_package_toolchain(const fs::path& compiler,
                                                   const std::vector<ToolchainOverride>& overrides,
                                                   const fs::path& cache_root, uint64_t max_bytes) {
  return translating_errors(
      [&] { return find_or_package(compiler, overrides, cache_root, max_bytes); });
}

}  // namespace sccache::toolchain
