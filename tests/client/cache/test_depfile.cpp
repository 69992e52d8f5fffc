#include <catch2/catch.hpp>

#include "client/cache/depfile.hpp"
#include "client/cache/source_tokens.hpp"

using namespace sccache::cache;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> names(const std::optional<std::vector<fs::path>>& files) {
  REQUIRE(files);
  std::vector<std::string> out;
  for (const auto& f : *files) {
    out.push_back(f.string());
  }
  return out;
}

}  // namespace

TEST_CASE("depfile prerequisites: gcc's layout, continuations, relative paths") {
  const char* text =
      "obj/a.o: src/a.c /usr/include/stdio.h \\\n"
      " /usr/include/x86_64-linux-gnu/bits/libc-header-start.h \\\n"
      " src/../include/scale.h\n";
  CHECK(names(depfile_prerequisites(text, "/work")) ==
        std::vector<std::string>{"/work/src/a.c", "/usr/include/stdio.h",
                                 "/usr/include/x86_64-linux-gnu/bits/libc-header-start.h",
                                 "/work/include/scale.h"});
}

TEST_CASE("depfile prerequisites: escapes, -MP's phony rules, several targets, duplicates") {
  const char* text =
      "a.o b.o: my\\ dir/a.c we\\#ird.h cost$$.h scale.h\r\n"
      "\n"
      "my\\ dir/a.c:\n"
      "scale.h:\n"
      "c.o: scale.h\n";
  CHECK(names(depfile_prerequisites(text, "/w")) ==
        std::vector<std::string>{"/w/my dir/a.c", "/w/we#ird.h", "/w/cost$.h", "/w/scale.h"});
}

TEST_CASE("depfile prerequisites: what is not a depfile") {
  CHECK_FALSE(depfile_prerequisites("", "/w"));
  CHECK_FALSE(depfile_prerequisites("\n\n", "/w"));
  CHECK_FALSE(depfile_prerequisites("just some words\n", "/w"));
  CHECK_FALSE(depfile_prerequisites("a.o: a.c\ngarbage here\n", "/w"));
  // A rule with no prerequisites is a depfile, of nothing.
  REQUIRE(depfile_prerequisites("a.o:\n", "/w"));
  CHECK(depfile_prerequisites("a.o:\n", "/w")->empty());
}

TEST_CASE("time macros are found as whole identifiers only") {
  CHECK(mentions_time("const char* t = __TIME__;"));
  CHECK(mentions_time("x(__TIMESTAMP__)"));
  CHECK_FALSE(mentions_time("MY__TIME__ = 1; __TIME___X"));
  CHECK(mentions_date("__DATE__"));
  CHECK_FALSE(mentions_date("__DATE__S"));
  CHECK(has_identifier("a __FILE__ b", "__FILE__"));
  CHECK_FALSE(has_identifier("a_FILE__", "__FILE__"));
}
