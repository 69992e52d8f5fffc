// [[dist.toolchains]]: no_dist and path_override entries.
#include <sys/time.h>

#include <catch2/catch.hpp>

#include "client/toolchain/toolchain_test_util.hpp"

namespace tc = sccache::toolchain;
namespace fs = std::filesystem;
using namespace sccache::test;
using namespace sccache::test::toolchain;
using sccache::ToolchainOverride;

namespace {

constexpr uint64_t k_big = 10ull << 30;

ToolchainOverride no_dist(const fs::path& compiler) {
  ToolchainOverride entry;
  entry.kind = ToolchainOverride::Kind::no_dist;
  entry.compiler_executable = compiler;
  return entry;
}

ToolchainOverride path_override(const fs::path& compiler, const fs::path& archive,
                                const std::string& inside) {
  ToolchainOverride entry;
  entry.kind = ToolchainOverride::Kind::path_override;
  entry.compiler_executable = compiler;
  entry.archive = archive;
  entry.archive_compiler_executable = inside;
  return entry;
}

void set_mtime(const fs::path& path, time_t seconds) {
  timeval times[2] = {{seconds, 0}, {seconds, 0}};
  REQUIRE(::utimes(path.c_str(), times) == 0);
}

}  // namespace

TEST_CASE("no_dist makes a compiler not distributable", "[overrides]") {
  TempDir root("sccache-tc-nodist");
  std::vector<ToolchainOverride> overrides = {no_dist("/usr/bin/g++")};
  REQUIRE_FALSE(tc::find_or_package_toolchain("/usr/bin/g++", overrides, root.path(), k_big));
  REQUIRE_FALSE(tc::find_or_package_toolchain("/usr/bin/./g++", overrides, root.path(), k_big));
  if (fs::is_symlink("/bin") && fs::canonical("/bin") == "/usr/bin") {
    // The same file name in the same directory, reached another way.
    REQUIRE_FALSE(tc::find_or_package_toolchain("/bin/g++", overrides, root.path(), k_big));
  }
  REQUIRE_FALSE(fs::exists(root / "tc"));  // nothing packaged
}

TEST_CASE("path_override sends the given archive as it is", "[overrides]") {
  TempDir root("sccache-tc-override");
  TempDir files("sccache-tc-override-files");
  fs::path archive = files / "custom.tar.gz";
  write_file(archive, "any bytes: the server's libarchive detects the format\n");
  set_mtime(archive, 100000);
  std::vector<ToolchainOverride> overrides = {
      no_dist("/usr/bin/fake-cc"),  // another name in the same directory: does not match
      path_override("/usr/bin/fake-c++", archive, "/opt/cross/bin/c++")};

  auto first = tc::find_or_package_toolchain("/usr/bin/fake-c++", overrides, root.path(), k_big);
  REQUIRE(first);
  REQUIRE(first->packaged);
  REQUIRE(first->id == sha256sum(archive));
  REQUIRE(first->archive == archive);
  REQUIRE(first->size == fs::file_size(archive));
  REQUIRE(first->remote_compiler == "/opt/cross/bin/c++");

  auto second = tc::find_or_package_toolchain("/usr/bin/fake-c++", overrides, root.path(), k_big);
  REQUIRE_FALSE(second->packaged);  // the weak key (the archive's stat) hit
  REQUIRE(second->id == first->id);

  // A changed archive (new mtime and size) is hashed again.
  write_file(archive, "a different archive\n");
  set_mtime(archive, 200000);
  auto third = tc::find_or_package_toolchain("/usr/bin/fake-c++", overrides, root.path(), k_big);
  REQUIRE(third->packaged);
  REQUIRE(third->id == sha256sum(archive));
  REQUIRE(third->id != first->id);
  REQUIRE((!fs::exists(root / "tc") || fs::is_empty(root / "tc")));  // not copied

  fs::remove(archive);
  REQUIRE_THROWS_AS(
      tc::find_or_package_toolchain("/usr/bin/fake-c++", overrides, root.path(), k_big),
      tc::ToolchainError);
}

TEST_CASE("a relative compiler path is refused", "[overrides]") {
  TempDir root("sccache-tc-relative");
  REQUIRE_THROWS_AS(tc::find_or_package_toolchain("g++", {}, root.path(), k_big),
                    tc::ToolchainError);
}
