// Real gcc: the split (local preprocessing + remote-style compile in the same directory) against
// the original compile, byte for byte: objects, depfiles, diagnostics, exit codes.
#include <algorithm>

#include <catch2/catch.hpp>

#include "client/compiler/analyze.hpp"
#include "client/compiler/real_compile.hpp"
#include "support/test_support.hpp"

using namespace sccache::test::compile;
using sccache::compiler::analyze;
using sccache::compiler::Family;

namespace {

// gcc and g++ are prerequisites (scripts/install-deps.sh installs build-essential): a machine
// without them fails these tests, loudly, instead of passing them unrun.
void require_gcc() {
  INFO("gcc and g++ must be installed (scripts/install-deps.sh installs them)");
  static const bool found = available("gcc") && available("g++");
  REQUIRE(found);
}

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  for (char ch : text) {
    if (ch == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line += ch;
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

struct DiagnosticRun {
  Produced original;
  Produced split;
};

DiagnosticRun run_diagnostics(const std::string& source, bool rewrite, bool hide_sources) {
  sccache::test::TempDir dir("sccache-compiler-diag");
  write_sources(dir.path());
  Args args{"-c", source, "-Iinc", "-Wall", "-o", "out/x.o"};
  auto analysis = analyze({Family::gcc, false}, args, rewrite);
  REQUIRE(analysis.plan);
  DiagnosticRun runs;
  runs.original = run_original("gcc", args, dir.path(), expected_files(*analysis.plan));
  runs.split = run_split("gcc", *analysis.plan, dir.path(), hide_sources);
  return runs;
}

}  // namespace

TEST_CASE("gcc: objects and depfiles of the split are byte-identical to the original's") {
  require_gcc();
  for (bool rewrite : {false, true}) {
    for (const auto& c : object_cases()) {
      if (rewrite && c.full_only) {
        // Refused in rewrite mode: the record would name the remote's -fdirectives-only.
        CHECK_FALSE(analyze({Family::gcc, c.cxx_driver}, c.args, true).plan);
        continue;
      }
      check_case(c.cxx_driver ? "g++" : "gcc", Family::gcc, c, rewrite);
    }
  }
}

TEST_CASE("gcc rewrite mode: warnings and errors are byte-identical (sources present)") {
  require_gcc();
  for (const auto* source : {"src/warn.c", "src/error.c"}) {
    INFO(source);
    auto runs = run_diagnostics(source, true, false);
    CHECK(runs.split.exit_code == runs.original.exit_code);
    CHECK(runs.split.diagnostics == runs.original.diagnostics);
    CHECK(runs.split.preprocess_diagnostics.empty());
    CHECK_FALSE(runs.original.diagnostics.empty());
  }
}

TEST_CASE("gcc full mode: exit codes agree; macro-related diagnostics differ (reported)") {
  require_gcc();
  for (const auto* source : {"src/warn.c", "src/error.c"}) {
    INFO(source);
    auto runs = run_diagnostics(source, false, false);
    CHECK(runs.split.exit_code == runs.original.exit_code);
    if (runs.split.diagnostics != runs.original.diagnostics) {
      WARN("DIAGNOSTICS DIFFER (gcc, full preprocessing, "
           << source << "):\n"
           << line_difference(runs.original.diagnostics, runs.split.diagnostics));
    }
  }
}

TEST_CASE("gcc without the sources on the remote side: only the source excerpts go missing") {
  require_gcc();
  for (const auto* source : {"src/warn.c", "src/error.c"}) {
    INFO(source);
    auto runs = run_diagnostics(source, true, true);
    CHECK(runs.split.exit_code == runs.original.exit_code);
    CHECK(runs.split.diagnostics == without_source_excerpts(runs.original.diagnostics));
    CHECK(runs.split.diagnostics != runs.original.diagnostics);
  }
}

TEST_CASE("gcc: a #warning is reported by the preprocessing, ahead of the compiler's warnings") {
  require_gcc();
  for (bool rewrite : {false, true}) {
    INFO((rewrite ? "rewrite" : "full") << " mode");
    auto runs = run_diagnostics("src/order.c", rewrite, false);
    CHECK(runs.split.exit_code == runs.original.exit_code);
    // The same lines in another order (the local compile interleaves them in source order), and
    // without the local compile's "At top level:" context line before the #warning.
    std::string original_without_context;
    for (const auto& line : sorted_lines(runs.original.diagnostics)) {
      if (line.find(": At top level:") == std::string::npos) {
        original_without_context += line + "\n";
      }
    }
    CHECK(sorted_lines(runs.split.diagnostics) == sorted_lines(original_without_context));
    if (runs.split.diagnostics != runs.original.diagnostics) {
      WARN("DIAGNOSTIC ORDER DIFFERS (gcc, "
           << (rewrite ? "rewrite" : "full") << " mode):\n"
           << line_difference(runs.original.diagnostics, runs.split.diagnostics));
    }
  }
}
