#include "client/toolchain/toolchain_test_util.hpp"

#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

namespace sccache::test::toolchain {
namespace fs = std::filesystem;

RunResult must_run(std::vector<std::string> argv, fs::path cwd) {
  std::string shown;
  for (const auto& arg : argv) {
    shown += arg + " ";
  }
  RunResult result = run(std::move(argv), {}, std::move(cwd), std::chrono::seconds(300));
  INFO(shown << "\nstdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  return result;
}

std::string sha256sum(const fs::path& file) {
  std::istringstream out(must_run({"sha256sum", file.string()}).out);
  std::string word;
  out >> word;
  return word;
}

void unpack_like_server(const fs::path& archive_path, const fs::path& dest) {
  constexpr int flags = ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                        ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |
                        ARCHIVE_EXTRACT_TIME;
  std::unique_ptr<archive, decltype(&archive_read_free)> in(archive_read_new(), archive_read_free);
  std::unique_ptr<archive, decltype(&archive_write_free)> out(archive_write_disk_new(),
                                                              archive_write_free);
  archive_read_support_filter_all(in.get());
  archive_read_support_format_all(in.get());
  archive_write_disk_set_options(out.get(), flags);
  fs::path file = fs::absolute(archive_path);
  fs::path previous = fs::current_path();
  fs::current_path(dest);  // relative entries land here (the tests are single-threaded)
  REQUIRE(archive_read_open_filename(in.get(), file.c_str(), 65536) == ARCHIVE_OK);
  std::string failure;
  while (failure.empty()) {
    archive_entry* entry = nullptr;
    int rc = archive_read_next_header(in.get(), &entry);
    if (rc == ARCHIVE_EOF) {
      break;
    }
    if (rc < ARCHIVE_WARN) {
      failure = archive_error_string(in.get());
      break;
    }
    if (archive_write_header(out.get(), entry) < ARCHIVE_WARN) {
      failure = std::string(archive_entry_pathname(entry)) + ": " + archive_error_string(out.get());
      break;
    }
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    while (archive_entry_size(entry) > 0 &&
           (rc = archive_read_data_block(in.get(), &block, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(out.get(), block, size, offset) < ARCHIVE_WARN) {
        failure = archive_error_string(out.get());
        break;
      }
    }
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN) {
      failure = archive_error_string(out.get());
    }
  }
  archive_write_close(out.get());
  fs::current_path(previous);
  INFO("unpacking " << file << " failed: " << failure);
  REQUIRE(failure.empty());
}

const Packaged& packaged_once(const std::string& compiler) {
  static TempDir dir("sccache-tc-shared");
  static std::map<std::string, Packaged> done;
  auto it = done.find(compiler);
  if (it == done.end()) {
    fs::path out = dir / (fs::path(compiler).filename().string() + ".tar.zst");
    std::string id = sccache::toolchain::package_toolchain_to(compiler, out);
    it = done.emplace(compiler, Packaged{out, id}).first;
  }
  return it->second;
}

const ManifestEntry* find_entry(const std::vector<ManifestEntry>& manifest,
                                const std::string& archive_path) {
  for (const auto& entry : manifest) {
    if (entry.archive_path == archive_path) {
      return &entry;
    }
  }
  return nullptr;
}

namespace {

std::optional<ManifestEntry> walk(const std::vector<ManifestEntry>& manifest, const fs::path& path,
                                  int depth) {
  if (depth > 40 || !path.is_absolute()) {
    return std::nullopt;
  }
  std::vector<fs::path> parts(++path.begin(), path.end());
  fs::path current;  // relative to the tree's root
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty() || parts[i] == ".") {
      continue;
    }
    if (parts[i] == "..") {
      current = current.parent_path();
      continue;
    }
    fs::path next = current / parts[i];
    const ManifestEntry* entry = find_entry(manifest, next.string());
    if (entry == nullptr) {
      return std::nullopt;
    }
    bool last = i + 1 == parts.size();
    if (entry->kind == ManifestEntry::Kind::symlink) {
      fs::path target = entry->link_target;
      fs::path resolved = target.is_absolute() ? target : fs::path("/") / current / target;
      for (size_t j = i + 1; j < parts.size(); ++j) {
        resolved /= parts[j];
      }
      return walk(manifest, resolved, depth + 1);
    }
    if (entry->kind == ManifestEntry::Kind::file) {
      return last ? std::optional<ManifestEntry>(*entry) : std::nullopt;
    }
    if (last) {
      return *entry;
    }
    current = next;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ManifestEntry> resolve_in(const std::vector<ManifestEntry>& manifest,
                                        const fs::path& host_path) {
  return walk(manifest, host_path, 0);
}

bool installed(const fs::path& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

}  // namespace sccache::test::toolchain
