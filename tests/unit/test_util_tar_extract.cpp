// util::extract_tar, which unpacks job inputs and outputs that come from peers: everything lands
// inside the root, whatever the names, links, device nodes, modes or sizes in the archive, and
// what it refuses it refuses with an ArchiveError that names no host path.
#include <sstream>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "util/tar.hpp"

#include "support/test_support.hpp"
#include "unit/archive_builder.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

constexpr util::ArchiveLimits k_roomy{1000, 64 << 20};

// A root to extract into, inside a directory that also holds what must never be written to.
struct Extraction {
  TempDir dir{"sccache-extract"};
  fs::path root = dir / "root";
  fs::path outside = dir / "outside";
  Extraction() {
    fs::create_directories(root);
    fs::create_directories(outside);
  }

  std::vector<std::string> extract(const std::string& bytes, util::ArchiveLimits limits = k_roomy) {
    std::istringstream in(bytes);
    return util::extract_tar(in, root, limits);
  }
  // The ArchiveError's message, or "(no ArchiveError)". Checks that the message names no host
  // path: it goes back to the peer that sent the archive.
  std::string refusal(const std::string& bytes, util::ArchiveLimits limits = k_roomy) {
    try {
      extract(bytes, limits);
    } catch (const util::ArchiveError& e) {
      const std::string message = e.what();
      CHECK(message.find(dir.path().string()) == std::string::npos);
      return message;
    }
    return "(no ArchiveError)";
  }
  // Every path below the temp dir other than the root itself and `outside`, relative to it.
  std::vector<std::string> everything() const {
    std::vector<std::string> paths;
    for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
      paths.push_back(fs::relative(e.path(), dir.path()).string());
    }
    std::sort(paths.begin(), paths.end());
    return paths;
  }
};

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

uint64_t bytes_under(const fs::path& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      total += e.file_size();
    }
  }
  return total;
}

}  // namespace

TEST_CASE("extract_tar unpacks files and directories and returns the files' names") {
  Extraction x;
  const auto names = x.extract(ArchiveBuilder()
                                   .directory("src")
                                   .file("src/a.c", "int a;\n")
                                   .file("./b.h", "#pragma once\n")
                                   .file("deep/er/c.txt", "c")
                                   .finish());
  CHECK(names == std::vector<std::string>{"src/a.c", "./b.h", "deep/er/c.txt"});
  CHECK(read_file(x.root / "src/a.c") == "int a;\n");
  CHECK(read_file(x.root / "b.h") == "#pragma once\n");
  CHECK(read_file(x.root / "deep/er/c.txt") == "c");
}

TEST_CASE("extract_tar refuses names that climb out with '..' and writes nothing outside") {
  for (const std::string name : {"../escaped", "src/../../escaped", "..", "a/b/../../../escaped"}) {
    Extraction x;
    INFO(name);
    const std::string message =
        x.refusal(ArchiveBuilder().file("ok.txt", "fine").file(name, "bad").finish());
    CHECK(message.find("refusing archive entry '" + name + "': it leaves the directory") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(x.dir / "escaped"));
    CHECK(x.everything() == std::vector<std::string>{"outside", "root", "root/ok.txt"});
  }
}

TEST_CASE("extract_tar puts absolute names inside the root") {
  Extraction x;
  const std::string host_path = (x.outside / "absolute.txt").string();  // absolute, outside
  x.extract(ArchiveBuilder().file(host_path, "inside").file("/etc/sccache-x", "etc").finish());
  CHECK_FALSE(fs::exists(host_path));
  CHECK(read_file(x.root / fs::path(host_path).relative_path()) == "inside");
  CHECK(read_file(x.root / "etc/sccache-x") == "etc");
  CHECK_FALSE(fs::exists("/etc/sccache-x"));
}

TEST_CASE("extract_tar refuses symlinks and hard links") {
  SECTION("a symlink out of the root") {
    Extraction x;
    const std::string message = x.refusal(ArchiveBuilder().symlink("link", "/etc").finish());
    CHECK(message.find("refusing archive entry 'link'") != std::string::npos);
    CHECK(message.find("only regular files and directories") != std::string::npos);
    CHECK_FALSE(fs::exists(fs::symlink_status(x.root / "link")));
  }
  SECTION("a symlink, then a file through it") {
    Extraction x;
    x.refusal(ArchiveBuilder()
                  .symlink("dir", x.outside.string())
                  .file("dir/payload", "through the link")
                  .finish());
    CHECK(fs::is_empty(x.outside));
  }
  SECTION("a hard link to a host file and to an entry") {
    for (const std::string target : {"/etc/passwd", "real"}) {
      Extraction x;
      INFO(target);
      const std::string message =
          x.refusal(ArchiveBuilder().file("real", "data").hardlink("hard", target).finish());
      CHECK(message.find("refusing archive entry 'hard'") != std::string::npos);
      CHECK_FALSE(fs::exists(fs::symlink_status(x.root / "hard")));
    }
  }
  SECTION("a hard link that declares a size, which reads as a regular file with a link") {
    Extraction x;
    const std::string message = x.refusal(raw_ustar("hard", '1', "/etc/passwd", "data"));
    CHECK(message.find("refusing archive entry 'hard'") != std::string::npos);
    CHECK_FALSE(fs::exists(fs::symlink_status(x.root / "hard")));
    // The same header as a plain file is extracted: the refusal is the link's.
    Extraction plain;
    plain.extract(raw_ustar("hard", '0', "", "data"));
    CHECK(read_file(plain.root / "hard") == "data");
  }
}

TEST_CASE("extract_tar never follows a symlink planted in the root before it ran") {
  SECTION("a directory of the root that is a symlink to outside") {
    Extraction x;
    fs::create_directory_symlink(x.outside, x.root / "dir");
    const std::string message =
        x.refusal(ArchiveBuilder().file("dir/payload", "through the link").finish());
    CHECK(message.find("'dir/payload' needs a directory") != std::string::npos);
    // As a directory entry, and deeper down.
    x.refusal(ArchiveBuilder().directory("dir").finish());
    x.refusal(ArchiveBuilder().directory("dir/sub").file("dir/sub/x", "x").finish());
    CHECK(fs::is_empty(x.outside));
  }
  SECTION("a nested directory that is a symlink") {
    Extraction x;
    fs::create_directories(x.root / "a");
    fs::create_directory_symlink(x.outside, x.root / "a/b");
    x.refusal(ArchiveBuilder().file("a/b/c/x.o", "x").finish());
    CHECK(fs::is_empty(x.outside));
  }
  SECTION("a file of the root that is a symlink to a host file") {
    Extraction x;
    write_file(x.outside / "target", "original");
    fs::create_symlink(x.outside / "target", x.root / "leaf");
    x.extract(ArchiveBuilder().file("leaf", "replaced").finish());
    CHECK(read_file(x.outside / "target") == "original");
    CHECK(fs::is_regular_file(fs::symlink_status(x.root / "leaf")));
    CHECK(read_file(x.root / "leaf") == "replaced");
  }
}

TEST_CASE("extract_tar refuses device nodes and FIFOs") {
  const std::pair<unsigned, const char*> kinds[] = {
      {AE_IFCHR, "char device"}, {AE_IFBLK, "block device"}, {AE_IFIFO, "FIFO"}};
  for (const auto& [type, what] : kinds) {
    Extraction x;
    INFO(what);
    const std::string message = x.refusal(ArchiveBuilder().node("node", type).finish());
    CHECK(message.find("refusing archive entry 'node'") != std::string::npos);
    CHECK_FALSE(fs::exists(fs::symlink_status(x.root / "node")));
  }
}

TEST_CASE("extract_tar drops set-id bits and group/other write permission") {
  Extraction x;
  x.extract(ArchiveBuilder()
                .file("suid", "x", 04755)
                .file("sgid", "x", 02755)
                .file("sticky-all", "x", 07777)
                .file("writable", "x", 0666)
                .file("private", "x", 0600)
                .directory("open-dir", 07777)
                .file("open-dir/f", "x")
                .finish());
  CHECK(mode_of(x.root / "suid") == 0755);
  CHECK(mode_of(x.root / "sgid") == 0755);
  CHECK(mode_of(x.root / "sticky-all") == 0755);
  CHECK(mode_of(x.root / "writable") == 0644);
  CHECK(mode_of(x.root / "private") == 0600);
  CHECK((mode_of(x.root / "open-dir") & 07022) == 0);
}

TEST_CASE("extract_tar stops past max_entries") {
  Extraction x;
  ArchiveBuilder archive;
  for (int i = 0; i < 5; ++i) {
    archive.file("f" + std::to_string(i), "x");
  }
  const std::string bytes = archive.finish();
  const std::string message = x.refusal(bytes, {3, 1 << 20});
  CHECK(message.find("more than 3 entries") != std::string::npos);
  CHECK(x.everything() ==
        std::vector<std::string>{"outside", "root", "root/f0", "root/f1", "root/f2"});
  Extraction exact;
  CHECK(exact.extract(bytes, {5, 1 << 20}).size() == 5);
}

TEST_CASE("a decompression bomb stops with ArchiveError before the excess is written") {
  const uint64_t max_bytes = 1 << 20;
  SECTION("one zstd-compressed file far past max_bytes") {
    const std::string bomb =
        ArchiveBuilder(ArchiveFormat::pax, ArchiveFilter::zstd).zeros("bomb", 256 << 20).finish();
    REQUIRE(bomb.size() < 64 * 1024);  // it is a bomb: tiny on the wire
    Extraction x;
    const std::string message = x.refusal(bomb, {10, max_bytes});
    CHECK(message.find("more than 1 MiB uncompressed") != std::string::npos);
    CHECK(bytes_under(x.root) == 0);
  }
  SECTION("many gzip-compressed files, each small, together past max_bytes") {
    ArchiveBuilder archive(ArchiveFormat::pax, ArchiveFilter::gzip);
    for (int i = 0; i < 64; ++i) {
      archive.zeros("part" + std::to_string(i), 100 * 1024);
    }
    const std::string bomb = archive.finish();
    REQUIRE(bomb.size() < 64 * 1024);
    Extraction x;
    const std::string message = x.refusal(bomb, {1000, max_bytes});
    CHECK(message.find("uncompressed") != std::string::npos);
    CHECK(bytes_under(x.root) <= max_bytes);
    CHECK(bytes_under(x.root) > 0);  // it did extract up to the limit
  }
}

TEST_CASE("a file where a later entry needs a directory is a clean error") {
  Extraction x;
  const std::string message =
      x.refusal(ArchiveBuilder().file("a", "file").file("a/b", "under a file").finish());
  CHECK(message ==
        "cannot extract the archive: 'a/b' needs a directory where the archive put "
        "something else");
  CHECK(read_file(x.root / "a") == "file");
}

TEST_CASE("extract_tar refuses what is not a tar") {
  Extraction x;
  CHECK_THROWS_AS(x.extract("this is not an archive at all, just some bytes"), util::ArchiveError);
  CHECK_THROWS_AS(x.extract(ArchiveBuilder(ArchiveFormat::zip).file("z", "zip").finish()),
                  util::ArchiveError);
  CHECK(fs::is_empty(x.root));
}
