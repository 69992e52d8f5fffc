#include "client/toolchain/manifest.hpp"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <system_error>

#include <fmt/format.h>

namespace sccache::toolchain {
namespace fs = std::filesystem;

namespace {

constexpr int k_max_symlinks = 40;  // like the kernel's MAXSYMLINKS
constexpr uint32_t k_directory_mode = 0755;

std::string archive_path_of(const fs::path& canonical) {
  return canonical.relative_path().string();
}

}  // namespace

fs::path ManifestBuilder::add_path(const fs::path& path) {
  int budget = k_max_symlinks;
  return resolve(path, budget);
}

fs::path ManifestBuilder::resolve(const fs::path& path, int& symlink_budget) {
  if (!path.is_absolute()) {
    throw ToolchainError(fmt::format("not an absolute path: {}", path.string()));
  }
  std::vector<fs::path> parts(++path.begin(), path.end());  // without the root "/"
  fs::path current = "/";
  for (size_t i = 0; i < parts.size(); ++i) {
    const fs::path& part = parts[i];
    if (part.empty() || part == ".") {
      continue;
    }
    if (part == "..") {
      current = current.parent_path();
      continue;
    }
    fs::path next = current / part;
    struct stat st {};
    if (::lstat(next.c_str(), &st) != 0) {
      throw ToolchainError(fmt::format("cannot add {} to the toolchain: {}: {}", path.string(),
                                       next.string(), std::strerror(errno)));
    }
    bool last = i + 1 == parts.size();
    if (S_ISLNK(st.st_mode)) {
      if (--symlink_budget < 0) {
        throw ToolchainError(fmt::format("too many symlinks resolving {}", path.string()));
      }
      std::error_code ec;
      fs::path target = fs::read_symlink(next, ec);
      if (ec) {
        throw ToolchainError(
            fmt::format("cannot read symlink {}: {}", next.string(), ec.message()));
      }
      put({archive_path_of(next), ManifestEntry::Kind::symlink, {}, target.string(), 0777});
      current = resolve(target.is_absolute() ? target : current / target, symlink_budget);
    } else if (S_ISDIR(st.st_mode)) {
      put({archive_path_of(next), ManifestEntry::Kind::directory, {}, {}, k_directory_mode});
      current = next;
    } else if (S_ISREG(st.st_mode) && last) {
      put({archive_path_of(next), ManifestEntry::Kind::file, next, {}, st.st_mode & 0777u});
      current = next;
    } else {
      throw ToolchainError(fmt::format("cannot add {} to the toolchain: {} is {}", path.string(),
                                       next.string(),
                                       S_ISREG(st.st_mode) ? "not a directory" : "a special file"));
    }
  }
  return current;
}

void ManifestBuilder::add_tree(const fs::path& dir) {
  fs::path root = add_path(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw ToolchainError(fmt::format("not a directory: {}", dir.string()));
  }
  fs::recursive_directory_iterator it(root, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      throw ToolchainError(fmt::format("cannot stat {}: {}", path.string(), std::strerror(errno)));
    }
    if (S_ISLNK(st.st_mode)) {
      add_path(path);
    } else if (S_ISDIR(st.st_mode)) {
      put({archive_path_of(path), ManifestEntry::Kind::directory, {}, {}, k_directory_mode});
    } else if (S_ISREG(st.st_mode)) {
      put({archive_path_of(path), ManifestEntry::Kind::file, path, {}, st.st_mode & 0777u});
    }  // sockets, fifos, devices: not part of a toolchain
  }
  if (ec) {
    throw ToolchainError(fmt::format("cannot list {}: {}", root.string(), ec.message()));
  }
}

void ManifestBuilder::add_directory(const std::string& archive_path, uint32_t mode) {
  auto it = m_entries.find(archive_path);
  if (it != m_entries.end() && it->second.kind != ManifestEntry::Kind::directory) {
    throw ToolchainError(fmt::format("toolchain entry {} is not a directory", archive_path));
  }
  m_entries[archive_path] = {archive_path, ManifestEntry::Kind::directory, {}, {}, mode};
}

void ManifestBuilder::put(ManifestEntry entry) {
  auto [it, inserted] = m_entries.try_emplace(entry.archive_path, entry);
  if (!inserted && it->second.kind != entry.kind) {
    throw ToolchainError(
        fmt::format("{} changed type while packaging the toolchain", entry.archive_path));
  }
}

std::vector<ManifestEntry> ManifestBuilder::entries() const {
  std::map<std::string, ManifestEntry> all = m_entries;
  for (const auto& [name, entry] : m_entries) {
    for (fs::path parent = fs::path(name).parent_path(); !parent.empty();
         parent = parent.parent_path()) {
      auto [it, inserted] = all.try_emplace(
          parent.string(),
          ManifestEntry{parent.string(), ManifestEntry::Kind::directory, {}, {}, k_directory_mode});
      if (!inserted && it->second.kind != ManifestEntry::Kind::directory) {
        throw ToolchainError(
            fmt::format("toolchain entry {} lies beneath non-directory {}", name, parent.string()));
      }
    }
  }
  std::vector<ManifestEntry> result;
  result.reserve(all.size());
  for (auto& [name, entry] : all) {
    result.push_back(std::move(entry));
  }
  return result;
}

}  // namespace sccache::toolchain
