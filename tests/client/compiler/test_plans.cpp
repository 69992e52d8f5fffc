// The plans' exact shape: what each run gets, in which order, and the -MF/-MQ that pin the
// depfile to the original command's.
#include <stdexcept>

#include <catch2/catch.hpp>

#include "client/compiler/analyze.hpp"
#include "client/compiler/commands.hpp"

using namespace sccache::compiler;
using Args = std::vector<std::string>;

namespace {

CompilePlan plan_for(const Compiler& compiler, const Args& args, bool rewrite = false) {
  auto analysis = analyze(compiler, args, rewrite);
  INFO(to_string(analysis.reason) << ": " << analysis.detail);
  REQUIRE(analysis.plan);
  return *analysis.plan;
}

const Compiler k_gcc{Family::gcc, false};
const Compiler k_clang{Family::clang, false};

}  // namespace

TEST_CASE("gcc, full preprocessing: preprocessor and depfile options stay local, common go both") {
  Args args{"-c",    "src/a.c", "-o",  "out/a.o",  "-O2",   "-DX=1", "-I",         "inc",
            "-Wall", "-MD",     "-MP", "-include", "cfg.h", "-g",    "-std=gnu11", "-lm"};
  auto plan = plan_for(k_gcc, args);
  CHECK(plan.family == Family::gcc);
  CHECK(plan.language == "c");
  CHECK(plan.input == "src/a.c");
  CHECK(plan.output == "out/a.o");
  CHECK(plan.outputs == Args{"out/a.o"});
  CHECK(plan.depfile == std::optional<std::string>("out/a.d"));
  CHECK(plan.preprocess_args == Args{"-E", "src/a.c", "-O2", "-DX=1", "-I", "inc", "-Wall", "-MD",
                                     "-MP", "-include", "cfg.h", "-g", "-std=gnu11", "-lm", "-MF",
                                     "out/a.d", "-MQ", "out/a.o"});
  CHECK(plan.remote_args == Args{"-O2", "-Wall", "-g", "-std=gnu11", "-lm"});
  CHECK(preprocess_command(plan, "pp/a.ii") ==
        Args{"-E",  "src/a.c", "-O2",      "-DX=1",   "-I", "inc",        "-Wall",
             "-MD", "-MP",     "-include", "cfg.h",   "-g", "-std=gnu11", "-lm",
             "-MF", "out/a.d", "-MQ",      "out/a.o", "-o", "pp/a.ii"});
  CHECK(preprocess_command(plan, "-").back() == "out/a.o");
  CHECK(remote_compile_command(plan, "pp/a.ii") == Args{"-x", "cpp-output", "-c", "pp/a.ii", "-o",
                                                        "out/a.o", "-O2", "-Wall", "-g",
                                                        "-std=gnu11", "-lm"});
}

TEST_CASE(
    "gcc, rewrite mode: -fdirectives-only locally, -fdirectives-only -fpreprocessed remotely") {
  auto plan = plan_for(k_gcc, {"-c", "b.cpp", "-DX", "-O1"}, true);
  CHECK(plan.language == "c++");
  CHECK(plan.output == "b.o");
  CHECK_FALSE(plan.depfile);
  CHECK(plan.preprocess_args == Args{"-E", "-fdirectives-only", "b.cpp", "-DX", "-O1"});
  CHECK(remote_compile_command(plan, "b.ii") ==
        Args{"-x", "c++", "-fdirectives-only", "-fpreprocessed", "-c", "b.ii", "-o", "b.o", "-O1"});
}

TEST_CASE("clang, rewrite mode: -frewrite-includes locally; macros also go to the remote compile") {
  auto plan = plan_for(k_clang,
                       {"-c", "a.c", "-DX=1", "-U", "Y", "-Iinc", "-include", "c.h", "-undef",
                        "-Wp,-DZ", "-O2", "-o", "a.o"},
                       true);
  CHECK(plan.preprocess_args == Args{"-E", "-frewrite-includes", "a.c", "-DX=1", "-U", "Y", "-Iinc",
                                     "-include", "c.h", "-undef", "-Wp,-DZ", "-O2"});
  CHECK(remote_compile_command(plan, "pp/a.c") == Args{"-x", "c", "-c", "pp/a.c", "-o", "a.o",
                                                       "-DX=1", "-U", "Y", "-undef", "-Wp,-DZ",
                                                       "-O2"});
  auto full = plan_for(k_clang, {"-c", "a.cc", "-DX=1", "-O2"});
  CHECK(remote_compile_command(full, "a.ii") ==
        Args{"-x", "c++-cpp-output", "-c", "a.ii", "-o", "a.o", "-O2"});
  auto objc = plan_for(k_clang, {"-c", "a.m"});
  CHECK(remote_compile_command(objc, "a.mi")[1] == "objective-c-cpp-output");
}

TEST_CASE("depfile pinning: -MF and -MQ are added only where the drivers would derive them") {
  struct Case {
    Compiler compiler;
    Args args;
    std::optional<std::string> depfile;
    Args added;  // what follows the original arguments in preprocess_args
  };
  const Case cases[] = {
      // gcc without -o: cc1 names the target after the input under -E too; only -MF is needed.
      {k_gcc, {"-c", "src/a.c", "-MD"}, "a.d", {"-MF", "a.d"}},
      {k_gcc, {"-c", "src/a.c", "-MMD", "-o", "x/y.o"}, "x/y.d", {"-MF", "x/y.d", "-MQ", "x/y.o"}},
      {k_gcc, {"-c", "a.c", "-MD", "-MF", "d/a.dep", "-o", "a.o"}, "d/a.dep", {"-MQ", "a.o"}},
      {k_gcc, {"-c", "a.c", "-MD", "-MT", "t", "-o", "a.o"}, "a.d", {"-MF", "a.d"}},
      {k_gcc, {"-c", "a.c", "-MD", "-MQ", "t", "-o", "a.o"}, "a.d", {"-MF", "a.d"}},
      {k_gcc, {"-c", "a.c", "-MD", "-o", "a.o.tmp"}, "a.o.d", {"-MF", "a.o.d", "-MQ", "a.o.tmp"}},
      {k_gcc, {"-c", ".c", "-MD"}, ".c.d", {"-MF", ".c.d"}},
      // gcc passes -Wp,-MD straight to cc1: nothing to add.
      {k_gcc, {"-c", "a.c", "-Wp,-MD,w.d", "-o", "o/a.o"}, "w.d", {}},
      // clang always names the target after the object (or -MT/-MQ), -Wp,-MD included.
      {k_clang, {"-c", "src/a.c", "-MD"}, "a.d", {"-MF", "a.d", "-MQ", "a.o"}},
      {k_clang, {"-c", ".c", "-MD"}, ".d", {"-MF", ".d", "-MQ", ".o"}},
      {k_clang, {"-c", "a.c", "-Wp,-MMD,w.d", "-o", "o/a.o"}, "w.d", {"-MQ", "o/a.o"}},
      {k_clang, {"-c", "a.c", "-MD", "-MT", "t"}, "a.d", {"-MF", "a.d"}},
      {k_gcc, {"-c", "a.c"}, std::nullopt, {}},
  };
  for (const auto& c : cases) {
    std::string shown;
    for (const auto& a : c.args) {
      shown += a + " ";
    }
    INFO(shown);
    auto plan = plan_for(c.compiler, c.args);
    CHECK(plan.depfile == c.depfile);
    Args expected{"-E"};
    for (const auto& a : c.args) {
      if (a != "-c") {
        expected.push_back(a);
      }
    }
    // -o and its value are not part of the preprocessing.
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      if (*it == "-o") {
        expected.erase(it, it + 2);
        break;
      }
    }
    expected.insert(expected.end(), c.added.begin(), c.added.end());
    CHECK(plan.preprocess_args == expected);
  }
}

TEST_CASE("the C++ drivers compile .c as C++; -x applies to the inputs after it") {
  CHECK(plan_for({Family::gcc, true}, {"-c", "a.c"}).language == "c++");
  CHECK(plan_for({Family::clang, true}, {"-c", "a.c"}).language == "c++");
  CHECK(plan_for(k_gcc, {"-x", "c++", "-c", "a.c"}).language == "c++");
  CHECK(plan_for({Family::gcc, true}, {"-x", "c", "-c", "a.c"}).language == "c");
  CHECK(plan_for(k_gcc, {"-x", "c++", "-x", "none", "-c", "a.c"}).language == "c");
  auto plan = plan_for(k_gcc, {"-x", "c", "-c", "noext"});
  CHECK(plan.output == "noext.o");
  // -x stays in the preprocessing, where it is needed; the remote compile gets its own.
  CHECK(plan.preprocess_args == Args{"-E", "-x", "c", "noext"});
  CHECK(remote_compile_command(plan, "p.i") ==
        Args{"-x", "cpp-output", "-c", "p.i", "-o", "noext.o"});
}

TEST_CASE("the preprocessed unit's name: free, except in clang's rewrite mode") {
  auto gcc_full = plan_for(k_gcc, {"-c", "src/a.c"});
  CHECK(preprocessed_file_name(gcc_full) == "a.c.sccache.i");
  CHECK(preprocessed_file_name(plan_for(k_gcc, {"-c", "src/b.cc"}, true)) == "b.cc.sccache.ii");
  CHECK(preprocessed_file_name(plan_for(k_clang, {"-c", "x.m"})) == "x.m.sccache.mi");
  CHECK_NOTHROW(remote_compile_command(gcc_full, "any/name.ii"));
  CHECK_THROWS_AS(remote_compile_command(gcc_full, "-weird.ii"), std::invalid_argument);

  auto clang_rewrite = plan_for(k_clang, {"-c", "src/a.c"}, true);
  CHECK(preprocessed_file_name(clang_rewrite) == "a.c");
  CHECK_NOTHROW(remote_compile_command(clang_rewrite, "/build/job1/a.c"));
  CHECK_THROWS_AS(remote_compile_command(clang_rewrite, "pp/unit.sccache.ii"),
                  std::invalid_argument);
}
