// The archive itself: deterministic bytes, its id, what tar sees in it.
#include <memory>

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

#include "client/toolchain/toolchain_test_util.hpp"

namespace tc = sccache::toolchain;
namespace fs = std::filesystem;
using namespace sccache::test;
using namespace sccache::test::toolchain;

namespace {

void require_gcc() {
  if (!installed("/usr/bin/gcc") || !installed("/usr/bin/g++")) {
    skip_whole_binary("gcc/g++ are not installed in /usr/bin");
  }
}

}  // namespace

TEST_CASE("packaging twice gives byte-identical archives named by their sha256", "[packaging]") {
  require_gcc();
  for (std::string compiler : {"/usr/bin/g++", "/usr/bin/gcc"}) {
    const Packaged& first = packaged_once(compiler);
    TempDir dir("sccache-tc-again");
    std::string id = tc::package_toolchain_to(compiler, dir / "again.tar.zst");
    REQUIRE(id == first.id);
    REQUIRE(id.size() == 64);
    REQUIRE(id == sha256sum(first.archive));
    REQUIRE(read_file(dir / "again.tar.zst") == read_file(first.archive));
    // No temp file left next to the output.
    REQUIRE(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
  }
}

TEST_CASE("the archive lists with tar and has normalised entries", "[packaging]") {
  require_gcc();
  const Packaged& gxx = packaged_once("/usr/bin/g++");
  std::string listing = must_run({"tar", "--zstd", "-tf", gxx.archive.string()}).out;
  REQUIRE(listing.find("usr/bin/g++\n") != std::string::npos);
  REQUIRE(listing.find("tmp/\n") != std::string::npos);
  REQUIRE(listing.find("etc/ld.so.conf\n") != std::string::npos);

  std::unique_ptr<archive, decltype(&archive_read_free)> in(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(in.get());
  archive_read_support_format_all(in.get());
  REQUIRE(archive_read_open_filename(in.get(), gxx.archive.c_str(), 65536) == ARCHIVE_OK);
  REQUIRE(archive_filter_code(in.get(), 0) == ARCHIVE_FILTER_ZSTD);
  std::string previous;
  archive_entry* entry = nullptr;
  int count = 0;
  while (archive_read_next_header(in.get(), &entry) == ARCHIVE_OK) {
    std::string path = archive_entry_pathname(entry);
    if (path.size() > 1 && path.back() == '/') {  // directories may be stored as "dir/"
      path.pop_back();
    }
    INFO(path);
    REQUIRE(path.front() != '/');
    REQUIRE(previous < path);
    previous = path;
    REQUIRE(archive_entry_mtime(entry) == 0);
    REQUIRE(archive_entry_uid(entry) == 0);
    REQUIRE(archive_entry_gid(entry) == 0);
    const char* uname = archive_entry_uname(entry);
    const char* gname = archive_entry_gname(entry);
    REQUIRE((uname == nullptr || *uname == '\0'));
    REQUIRE((gname == nullptr || *gname == '\0'));
    auto type = archive_entry_filetype(entry);
    REQUIRE((type == AE_IFREG || type == AE_IFDIR || type == AE_IFLNK));
    if (path == "tmp") {
      REQUIRE(archive_entry_perm(entry) == 01777);
    }
    ++count;
  }
  REQUIRE(count > 10);
}

TEST_CASE("package_toolchain_to fails cleanly for a missing compiler", "[packaging]") {
  TempDir dir("sccache-tc-missing");
  REQUIRE_THROWS_AS(tc::package_toolchain_to("/nonexistent/bin/gcc", dir / "out.tar.zst"),
                    tc::ToolchainError);
  REQUIRE(fs::is_empty(dir.path()));
}
