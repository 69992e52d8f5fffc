// FileStamp: what plugins that re-read a file on change compare on every use.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "sccache/file_stamp.hpp"

#include "support/test_support.hpp"

using namespace sccache;
using namespace sccache::test;
namespace fs = std::filesystem;

TEST_CASE("a file's stamp changes when it is replaced or rewritten, and not otherwise") {
  TempDir dir("file-stamp");
  const fs::path file = dir / "keys.json";
  CHECK_FALSE(FileStamp::of(file).has_value());

  write_file(file, "one");
  auto first = FileStamp::of(file);
  REQUIRE(first.has_value());
  CHECK(first->regular);
  CHECK(first->size == 3);
  CHECK(FileStamp::of(file) == first);

  write_file(dir / "keys.json.tmp", "two");  // same size, replaced by rename: a new inode
  fs::rename(dir / "keys.json.tmp", file);
  auto replaced = FileStamp::of(file);
  CHECK(replaced != first);

  write_file(file, "three");  // rewritten in place: a new size
  CHECK(FileStamp::of(file) != replaced);

  const fs::path fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto pipe = FileStamp::of(fifo);
  REQUIRE(pipe.has_value());
  CHECK_FALSE(pipe->regular);
}
