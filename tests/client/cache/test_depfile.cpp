#include <catch2/catch.hpp>

#include "client/cache/depfile.hpp"
#include "client/cache/include_trace.hpp"
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

TEST_CASE("gcc's -H trace is split from the diagnostics around it, whole lines only") {
  const std::string text =
      ". /usr/include/stdio.h\n"
      ".. /usr/include/features.h\n"
      ". ./warns.h\n"
      "In file included from a.c:3:\n"
      "./warns.h:2:30: warning: unused variable 'x' [-Wunused-variable]\n"
      "    2 | static int helper(int a) { int x; return a; }\n"
      "! pch/all.h.gch\n"
      "x pch/old.h.gch\n"
      ".. ../up/a.h\n"
      "Multiple include guards may be useful for:\n"
      "/usr/include/features.h\n"
      "../up/a.h\n"
      "/tmp/ccXYZ.s: Assembler messages:\n"
      ". truncated";
  IncludeTrace trace = split_include_trace(text, "/w/src");
  CHECK(trace.diagnostics ==
        "In file included from a.c:3:\n"
        "./warns.h:2:30: warning: unused variable 'x' [-Wunused-variable]\n"
        "    2 | static int helper(int a) { int x; return a; }\n"
        "/tmp/ccXYZ.s: Assembler messages:\n"
        ". truncated");
  std::vector<std::string> files;
  for (const auto& f : trace.files) {
    files.push_back(f.string());
  }
  CHECK(files == std::vector<std::string>{"/usr/include/stdio.h", "/usr/include/features.h",
                                          "/w/src/warns.h", "/w/src/pch/all.h.gch", "/w/up/a.h"});
  // Nothing of the trace: the text is kept as it is.
  CHECK(split_include_trace("a.c:1:1: error: x\n", "/w").diagnostics == "a.c:1:1: error: x\n");
}
