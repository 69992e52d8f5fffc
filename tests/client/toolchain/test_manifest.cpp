// What goes into a toolchain: ldd parsing, symlink-preserving path walks, the gcc manifest.
#include <algorithm>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "client/toolchain/elf_deps.hpp"
#include "client/toolchain/manifest.hpp"
#include "client/toolchain/toolchain_test_util.hpp"

namespace tc = sccache::toolchain;
namespace fs = std::filesystem;
using namespace sccache::test;
using namespace sccache::test::toolchain;
using Kind = tc::ManifestEntry::Kind;

namespace {

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// The host file `path` resolves to must be a file entry reachable inside the tree.
void require_resolves(const std::vector<tc::ManifestEntry>& manifest, const fs::path& path) {
  auto entry = resolve_in(manifest, path);
  INFO("resolving " << path << " inside the toolchain");
  REQUIRE(entry.has_value());
  REQUIRE(entry->kind == Kind::file);
  REQUIRE(entry->host_path == fs::canonical(path));
}

void check_gcc_manifest(const std::string& driver, const std::string& compiler_proper) {
  auto manifest = tc::toolchain_manifest(driver);

  // Sorted, relative, and nothing beneath a symlink or a file.
  REQUIRE(std::is_sorted(manifest.begin(), manifest.end(), [](const auto& a, const auto& b) {
    return a.archive_path < b.archive_path;
  }));
  for (const auto& entry : manifest) {
    REQUIRE_FALSE(entry.archive_path.empty());
    REQUIRE(entry.archive_path.front() != '/');
    fs::path parent = fs::path(entry.archive_path).parent_path();
    if (!parent.empty()) {
      const auto* p = find_entry(manifest, parent.string());
      INFO(entry.archive_path);
      REQUIRE(p != nullptr);
      REQUIRE(p->kind == Kind::directory);
    }
  }

  // The driver and each symlink on the way to it, as on the host.
  fs::path link = driver;
  while (fs::is_symlink(link)) {
    const auto* entry = find_entry(manifest, link.relative_path().string());
    INFO(link);
    REQUIRE(entry != nullptr);
    REQUIRE(entry->kind == Kind::symlink);
    REQUIRE(entry->link_target == fs::read_symlink(link).string());
    fs::path target = fs::read_symlink(link);
    link = target.is_absolute() ? target : link.parent_path() / target;
  }
  require_resolves(manifest, driver);

  require_resolves(manifest,
                   first_line(must_run({driver, "-print-prog-name=" + compiler_proper}).out));
  require_resolves(manifest, first_line(must_run({"sh", "-c", "command -v as"}).out));
  require_resolves(manifest,
                   first_line(must_run({driver, "-print-file-name=liblto_plugin.so"}).out));

  // libc and the loader, at the paths ldd prints.
  auto libraries = tc::shared_library_deps(fs::canonical(driver));
  bool libc = false;
  for (const auto& library : libraries) {
    require_resolves(manifest, library);
    libc = libc || library.filename() == "libc.so.6";
  }
  REQUIRE(libc);
  require_resolves(manifest, "/lib64/ld-linux-x86-64.so.2");

  // Top-level symlinks of merged-/usr systems stay symlinks.
  for (const char* top : {"/lib", "/lib64", "/bin"}) {
    if (fs::is_symlink(top) && find_entry(manifest, fs::path(top).relative_path().string())) {
      REQUIRE(find_entry(manifest, fs::path(top).relative_path().string())->kind == Kind::symlink);
    }
  }
  require_resolves(manifest, "/etc/ld.so.conf");
  const auto* tmp = find_entry(manifest, "tmp");
  REQUIRE(tmp != nullptr);
  REQUIRE(tmp->kind == Kind::directory);
  REQUIRE(tmp->mode == 01777);
}

}  // namespace

TEST_CASE("ldd output is parsed like the loader resolves it", "[manifest]") {
  auto report = tc::parse_ldd_output(
      "\tlinux-vdso.so.1 (0x00007ffd)\n"
      "\tlibisl.so.23 => /lib/x86_64-linux-gnu/libisl.so.23 (0x00007f9e40600000)\n"
      "\tlibfoo.so.1 => not found\n"
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f9e40881000)\n"
      "\tld-linux.so.2 => /usr/lib64/ld-linux.so.2 (0x1)\n");
  REQUIRE_FALSE(report.is_static);
  REQUIRE(report.libraries == std::vector<fs::path>{"/lib/x86_64-linux-gnu/libisl.so.23",
                                                    "/lib64/ld-linux-x86-64.so.2",
                                                    "/usr/lib64/ld-linux.so.2"});
  REQUIRE(report.missing == std::vector<std::string>{"libfoo.so.1"});

  REQUIRE(tc::parse_ldd_output("\tnot a dynamic executable\n").is_static);
  REQUIRE(tc::parse_ldd_output("\tstatically linked\n").is_static);
  REQUIRE(tc::parse_ldd_output("\tstatically linked\n").libraries.empty());
}

TEST_CASE("paths are walked with every symlink kept as a symlink", "[manifest]") {
  TempDir dir("sccache-tc-walk");
  fs::path root = fs::canonical(dir.path());
  fs::create_directories(root / "real" / "sub");
  write_file(root / "real" / "sub" / "tool", "#!/bin/sh\n");
  ::chmod((root / "real" / "sub" / "tool").c_str(), 0751);
  fs::create_directory_symlink("real", root / "alias");               // relative dir link
  fs::create_symlink(root / "alias" / "sub" / "tool", root / "abs");  // absolute, through a link
  fs::create_symlink("abs", root / "chain");
  fs::create_symlink("loop2", root / "loop1");
  fs::create_symlink("loop1", root / "loop2");

  tc::ManifestBuilder builder;
  REQUIRE(builder.add_path(root / "chain") == root / "real" / "sub" / "tool");
  REQUIRE(builder.add_path(root / "alias" / "sub" / ".." / "sub" / "tool") ==
          root / "real" / "sub" / "tool");
  builder.add_directory("tmp", 01777);
  auto manifest = builder.entries();
  std::string base = root.relative_path().string();
  REQUIRE(find_entry(manifest, base + "/chain")->link_target == "abs");
  REQUIRE(find_entry(manifest, base + "/abs")->link_target == (root / "alias/sub/tool").string());
  REQUIRE(find_entry(manifest, base + "/alias")->kind == Kind::symlink);
  REQUIRE(find_entry(manifest, base + "/alias/sub") == nullptr);  // never beneath a symlink
  const auto* tool = find_entry(manifest, base + "/real/sub/tool");
  REQUIRE(tool->kind == Kind::file);
  REQUIRE(tool->mode == 0751);
  REQUIRE(find_entry(manifest, base + "/real/sub")->kind == Kind::directory);
  REQUIRE(find_entry(manifest, base + "/real/sub")->mode == 0755);
  REQUIRE(resolve_in(manifest, root / "chain")->host_path == root / "real/sub/tool");

  REQUIRE_THROWS_AS(builder.add_path(root / "loop1"), tc::ToolchainError);
  REQUIRE_THROWS_AS(builder.add_path(root / "missing"), tc::ToolchainError);
  REQUIRE_THROWS_AS(builder.add_path("relative/path"), tc::ToolchainError);
}

TEST_CASE("gcc's manifest holds the driver chain, its programs and libraries", "[manifest][gcc]") {
  if (!installed("/usr/bin/gcc") || !installed("/usr/bin/g++")) {
    skip_whole_binary("gcc/g++ are not installed in /usr/bin");
  }
  SECTION("gcc") {
    check_gcc_manifest("/usr/bin/gcc", "cc1");
  }
  SECTION("g++") {
    check_gcc_manifest("/usr/bin/g++", "cc1plus");
  }
}

TEST_CASE("something that is neither gcc nor clang is refused", "[manifest]") {
  REQUIRE_THROWS_AS(tc::toolchain_manifest("/bin/true"), tc::ToolchainError);
  REQUIRE_THROWS_AS(tc::toolchain_manifest("/nonexistent/gcc"), tc::ToolchainError);
}

TEST_CASE("clang's manifest holds the real driver and its resource headers", "[manifest][clang]") {
  INFO("clang must be installed in /usr/bin (scripts/install-deps.sh installs it)");
  REQUIRE(installed("/usr/bin/clang"));
  auto manifest = tc::toolchain_manifest("/usr/bin/clang");
  require_resolves(manifest, "/usr/bin/clang");
  fs::path resource = first_line(must_run({"/usr/bin/clang", "-print-resource-dir"}).out);
  require_resolves(manifest, resource / "include" / "stddef.h");
  require_resolves(manifest, first_line(must_run({"sh", "-c", "command -v as"}).out));
  for (const auto& library : tc::shared_library_deps(fs::canonical("/usr/bin/clang"))) {
    require_resolves(manifest, library);
  }
  REQUIRE(find_entry(manifest, "tmp")->mode == 01777);
}
