// source_files: which files a preprocessed unit came from, read from its line markers (flags,
// escaped names, <built-in>, relative names against the cwd, system headers apart), and whether a
// compiler's diagnostics (coloured or not) point into given files.
#include <catch2/catch.hpp>

#include "client/source_files.hpp"
#include "support/test_support.hpp"

using namespace sccache;
using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

struct Tree {
  TempDir dir{"sccache-source-files"};
  fs::path cwd = dir / "project";
  Tree() {
    for (const char* file :
         {"project/src/a.c", "project/inc/b.h", "project/inc/q\"uote.h",
          "project/inc/back\\slash.h", "sys/stdio.h", "sys/bits/types.h", "other/line.h"}) {
      write_file(dir / file, "/* */\n");
    }
  }
  fs::path operator/(const std::string& name) const { return dir / name; }
};

}  // namespace

TEST_CASE("line markers name the unit's files; flag 3 marks system headers") {
  Tree t;
  const std::string sys = (t / "sys").string();
  const std::string unit =
      "# 0 \"src/a.c\"\n"
      "# 0 \"<built-in>\"\n"
      "# 0 \"<command-line>\"\n"
      "# 1 \"src/a.c\"\n"
      "# 1 \"" +
      sys +
      "/stdio.h\" 1 3 4\n"
      "# 27 \"" +
      sys +
      "/bits/../bits/types.h\" 1 3\n"
      "typedef int x;\n"
      "# 2 \"src/a.c\" 2\n"
      "# 1 \"inc/b.h\" 1\n"
      "#line 7 \"" +
      (t / "other/line.h").string() +
      "\"\n"
      "# 1 \"./inc/q\\\"uote.h\" 1\n"
      "# 1 \"inc/back\\\\slash.h\" 1\n"
      "# 3 \"missing.h\" 1\n"
      "#pragma once\n"
      "# define NOT_A_MARKER \"inc/b.h\"\n"
      "int a;\n";
  const ReferencedFiles files = referenced_files(unit, t.cwd);
  CHECK(files.project == std::vector<fs::path>{t.cwd / "src/a.c", t.cwd / "inc/b.h",
                                               t / "other/line.h", t.cwd / "inc/q\"uote.h",
                                               t.cwd / "inc/back\\slash.h"});
  CHECK(files.system == std::vector<fs::path>{t / "sys/stdio.h", t / "sys/bits/types.h"});
}

TEST_CASE("a file is listed once, as it was first seen; no markers, no files") {
  Tree t;
  const std::string unit =
      "# 1 \"src/a.c\"\n# 1 \"inc/b.h\" 1\n# 2 \"src/a.c\" 2\n"
      "# 1 \"inc/b.h\" 1\n# 9 \"src/a.c\" 2\n";
  const ReferencedFiles files = referenced_files(unit, t.cwd);
  CHECK(files.project == std::vector<fs::path>{t.cwd / "src/a.c", t.cwd / "inc/b.h"});
  CHECK(files.system.empty());
  CHECK(referenced_files("int main() { return 0; }\n", t.cwd).project.empty());
  CHECK(referenced_files("", t.cwd).project.empty());
  // A directory is no source file.
  CHECK(referenced_files("# 1 \"src\"\n", t.cwd).project.empty());
}

TEST_CASE("diagnostics_point_into finds a diagnostic located in one of the files") {
  Tree t;
  const std::vector<fs::path> project = {t.cwd / "src/a.c"};
  const std::vector<fs::path> system = {t / "sys/stdio.h"};
  const std::string sys = (t / "sys/stdio.h").string();

  CHECK(diagnostics_point_into("src/a.c:3:5: error: expected ';'\n", project, t.cwd));
  CHECK(diagnostics_point_into("./src/../src/a.c:3:5: warning: unused\n", project, t.cwd));
  CHECK(diagnostics_point_into(sys + ":12:1: note: declared here\n", system, t.cwd));
  CHECK(diagnostics_point_into("src/a.c: In function 'main':\n" + sys + ":40:3: error: x\n", system,
                               t.cwd));
  // Not located in them: other files, the function-context line, the include chain.
  CHECK_FALSE(diagnostics_point_into("inc/b.h:1:1: error: x\n", project, t.cwd));
  CHECK_FALSE(diagnostics_point_into("src/a.c: In function 'main':\n", project, t.cwd));
  CHECK_FALSE(diagnostics_point_into("In file included from " + sys + ":3,\n", system, t.cwd));
  CHECK_FALSE(diagnostics_point_into("", project, t.cwd));
  CHECK_FALSE(diagnostics_point_into("src/a.c:3:5: error: x\n", {}, t.cwd));
}

TEST_CASE("diagnostics_point_into sees through -fdiagnostics-color") {
  Tree t;
  const std::vector<fs::path> project = {t.cwd / "src/a.c"};
  // gcc's colours: bold locus, then a coloured "error:".
  const std::string coloured =
      "\x1b[01m\x1b[Ksrc/a.c:\x1b[m\x1b[K In function '\x1b[01m\x1b[Kmain\x1b[m\x1b[K':\n"
      "\x1b[01m\x1b[Ksrc/a.c:3:5:\x1b[m\x1b[K \x1b[01;31m\x1b[Kerror: \x1b[m\x1b[Kexpected\n";
  CHECK(diagnostics_point_into(coloured, project, t.cwd));
  // clang's: the locus in bold white.
  CHECK(diagnostics_point_into("\x1b[1msrc/a.c:3:5: \x1b[0m\x1b[0;1;31merror: \x1b[0mx\n", project,
                               t.cwd));
  CHECK_FALSE(
      diagnostics_point_into("\x1b[01m\x1b[Kinc/b.h:3:5:\x1b[m\x1b[K error\n", project, t.cwd));
}
