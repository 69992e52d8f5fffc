// Real clang (installed by scripts/install-deps.sh, so required): the same byte comparisons as
// for gcc.
#include <catch2/catch.hpp>

#include "client/compiler/analyze.hpp"
#include "client/compiler/commands.hpp"
#include "client/compiler/real_compile.hpp"
#include "support/test_support.hpp"

using namespace sccache::test::compile;
using sccache::compiler::analyze;
using sccache::compiler::Family;

namespace {

// clang and clang++ are prerequisites (scripts/install-deps.sh installs clang): a machine
// without them fails these tests, loudly, instead of passing them unrun.
void require_clang() {
  INFO("clang and clang++ must be installed (scripts/install-deps.sh installs them)");
  static const bool found = available("clang") && available("clang++");
  REQUIRE(found);
}

}  // namespace

TEST_CASE("clang: objects and depfiles of the split are byte-identical to the original's") {
  require_clang();
  for (bool rewrite : {false, true}) {
    for (const auto& c : object_cases()) {
      if (c.gcc_only) {
        continue;
      }
      if (rewrite && c.name == "-imacros") {
        // Refused in this mode: clang -frewrite-includes drops -imacros (see the decisions).
        CHECK_FALSE(analyze({Family::clang, false}, c.args, true).plan);
        continue;
      }
      check_case(c.cxx_driver ? "clang++" : "clang", Family::clang, c, rewrite);
    }
  }
  Case objc{"Objective-C", {"-c", "src/o.m", "-o", "out/o.o", "-O2", "-MD"}};
  check_case("clang", Family::clang, objc, false);
  check_case("clang", Family::clang, objc, true);
}

TEST_CASE("clang diagnostics: identical in rewrite mode; macro context lost in full mode") {
  require_clang();
  for (bool rewrite : {false, true}) {
    for (const auto* source : {"src/warn.c", "src/error.c"}) {
      INFO(source << (rewrite ? " rewrite" : " full"));
      sccache::test::TempDir dir("sccache-compiler-diag");
      write_sources(dir.path());
      Args args{"-c", source, "-Iinc", "-Wall", "-o", "out/x.o"};
      auto analysis = analyze({Family::clang, false}, args, rewrite);
      REQUIRE(analysis.plan);
      auto original = run_original("clang", args, dir.path(), expected_files(*analysis.plan));
      // clang prints source excerpts from the preprocessed unit itself: hide the sources.
      auto split = run_split("clang", *analysis.plan, dir.path(), true);
      CHECK(split.exit_code == original.exit_code);
      if (rewrite) {
        CHECK(split.diagnostics == original.diagnostics);
      } else if (split.diagnostics != original.diagnostics) {
        WARN("DIAGNOSTICS DIFFER (clang, full preprocessing, "
             << source << "):\n"
             << line_difference(original.diagnostics, split.diagnostics));
      }
    }
  }
}

TEST_CASE("clang rewrite mode: the object's STT_FILE symbol is the compiled file's name") {
  require_clang();
  // Why preprocessed_file_name() insists on the source's name in this mode.
  sccache::test::TempDir dir("sccache-compiler-name");
  write_sources(dir.path());
  Args args{"-c", "src/a.c", "-Iinc", "-o", "out/a.o", "-O2"};
  auto plan = *analyze({Family::clang, false}, args, true).plan;
  auto original = run_original("clang", args, dir.path(), {"out/a.o"});
  REQUIRE(original.exit_code == 0);
  auto pre = sccache::test::run(
      [&] {
        Args argv{"clang"};
        auto command = sccache::compiler::preprocess_command(plan, "pp/unit.sccache.ii");
        argv.insert(argv.end(), command.begin(), command.end());
        return argv;
      }(),
      {}, dir.path());
  REQUIRE(pre.exit_code == 0);
  Args remote{"clang", "-x", "c", "-c", "pp/unit.sccache.ii", "-o", "out/a.o", "-O2"};
  REQUIRE(sccache::test::run(remote, {}, dir.path()).exit_code == 0);
  auto object = sccache::test::read_file(dir.path() / "out/a.o");
  CHECK(object != *original.files["out/a.o"]);
  CHECK(object.find("unit.sccache.ii") != std::string::npos);
}
