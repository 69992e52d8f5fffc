// Table-driven decisions: which command lines go remote, and the named reason for each that
// does not.
#include <catch2/catch.hpp>

#include "client/compiler/analyze.hpp"

using namespace sccache::compiler;
using N = NotDistributed;

namespace {

const Compiler k_gcc{Family::gcc, false};
const Compiler k_gxx{Family::gcc, true};
const Compiler k_clang{Family::clang, false};
const Compiler k_clangxx{Family::clang, true};

struct Case {
  std::vector<std::string> args;
  NotDistributed reason;
  std::string detail = {};  // must appear in Analysis::detail
};

std::string show(const std::vector<std::string>& args) {
  std::string text;
  for (const auto& a : args) {
    text += "'" + a + "' ";
  }
  return text;
}

void check_cases(const Compiler& compiler, const std::vector<Case>& cases, bool rewrite = false) {
  for (const auto& c : cases) {
    INFO(show(c.args) << (rewrite ? " [rewrite]" : ""));
    auto analysis = analyze(compiler, c.args, rewrite);
    INFO("got " << to_string(analysis.reason) << ": " << analysis.detail);
    CHECK(analysis.reason == c.reason);
    CHECK(analysis.plan.has_value() == (c.reason == N::none));
    CHECK(analysis.detail.find(c.detail) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("one C/C++ source with -c and known options is distributable") {
  check_cases(k_gcc,
              {
                  {{"-c", "a.c"}, N::none},
                  {{"-c", "a.c", "-o", "x.o"}, N::none},
                  {{"-c", "-oout/x.o", "a.cpp"}, N::none},
                  {{"-x", "c++", "-c", "a.c"}, N::none},
                  {{"-xc", "-c", "noext"}, N::none},
                  {{"-x", "c", "-c", "a.c", "-x", "none", "-o", "a.o"}, N::unsupported_option},
                  {{"-c", "a.c", "-std=c11", "-DX=1", "-D", "Y", "-UZ", "-U", "W"}, N::none},
                  {{"-c",
                    "a.c",
                    "-Iinc",
                    "-I",
                    "inc",
                    "-isystem",
                    "sys",
                    "-isystemsys2",
                    "-iquote",
                    "q",
                    "-idirafter",
                    "d",
                    "-include",
                    "cfg.h",
                    "-imacros",
                    "m.h",
                    "-iprefix",
                    "p/",
                    "-iwithprefix",
                    "w",
                    "-iwithprefixbefore",
                    "wb",
                    "--sysroot=/s",
                    "--sysroot",
                    "/s",
                    "-isysroot",
                    "/s",
                    "-nostdinc",
                    "-nostdinc++",
                    "-undef"},
                   N::none},
                  {{"-c",
                    "a.c",
                    "-O2",
                    "-Os",
                    "-Ofast",
                    "-g",
                    "-g3",
                    "-ggdb",
                    "-gdwarf-4",
                    "-fPIC",
                    "-fno-lto",
                    "-fdiagnostics-color=always",
                    "-Wall",
                    "-Werror",
                    "-Wno-unused",
                    "-m64",
                    "-msse4.2",
                    "-march=x86-64-v2",
                    "-pedantic",
                    "-pedantic-errors",
                    "-w",
                    "-ansi",
                    "--param",
                    "max-inline-insns-single=4",
                    "--param=ssp-buffer-size=4",
                    "-pipe",
                    "-pthread",
                    "-ffile-prefix-map=/a=/b",
                    "-fsanitize=address",
                    "-frandom-seed=x",
                    "-Wa,--noexecstack"},
                   N::none},
                  {{"-c", "a.c", "-MD", "-MP", "-MF", "x.d", "-MT", "t", "-MQ", "q"}, N::none},
                  {{"-c", "a.c", "-MMD", "-MFx.d", "-MTt", "-MQq"}, N::none},
                  {{"-c", "a.c", "-Wp,-MD,a.d"}, N::none},
                  {{"-c", "a.c", "-Wp,-MMD,a.d", "-MP", "-MT", "t"}, N::none},
                  {{"-c", "a.c", "-Wp,-D_FORTIFY_SOURCE=2", "-Wp,-UX,-DY=1"}, N::none},
                  {{"-c", "a.c", "-lm", "-Lfoo", "-Wl,-z,now", "-Xlinker", "-zdefs", "-shared",
                    "-static", "-pie", "-no-pie", "-rdynamic", "-s", "-fuse-ld=gold"},
                   N::none},
                  {{"-c", "a.c", "-frecord-gcc-switches"}, N::none},
              });
}

TEST_CASE("commands that do not produce exactly one object are not_compile") {
  check_cases(k_gcc, {
                         {{"a.c"}, N::not_compile, "no -c"},
                         {{"a.c", "-o", "a"}, N::not_compile, "no -c"},
                         {{"a.o", "b.o", "-o", "prog", "-lm"}, N::not_compile},
                         {{"-E", "a.c"}, N::not_compile, "-E"},
                         {{"-c", "-E", "a.c"}, N::not_compile, "-E"},
                         {{"-c", "a.c", "-S"}, N::not_compile, "-S"},
                         {{"-S", "a.c"}, N::not_compile, "-S"},
                         {{"-c", "a.c", "-M"}, N::not_compile, "-M"},
                         {{"-c", "a.c", "-MM", "-MF", "a.d"}, N::not_compile, "-MM"},
                         {{"-c", "a.c", "-fsyntax-only"}, N::not_compile, "-fsyntax-only"},
                         {{"-c", "a.c", "-v"}, N::not_compile, "-v"},
                         {{"--verbose", "-c", "a.c"}, N::not_compile},
                         {{"-###", "-c", "a.c"}, N::not_compile, "-###"},
                         {{"--version"}, N::not_compile},
                         {{"--help=optimizers"}, N::not_compile},
                         {{"-dumpversion"}, N::not_compile},
                         {{"-print-search-dirs"}, N::not_compile},
                         {{"-c", "a.c", "-march=native"}, N::unsupported_option},  // control
                         {{"-march=native", "a.c"}, N::not_compile},  // a link: not_compile first
                     });
}

TEST_CASE("inputs and outputs: none, several, stdin, stdout, response files") {
  check_cases(k_gcc, {
                         {{"-c"}, N::no_input},
                         {{"-c", "-O2", "-o", "x.o"}, N::no_input},
                         {{"-c", "a.c", "b.c"}, N::multiple_inputs, "a.c b.c"},
                         {{"-c", "a.c", "b.o"}, N::multiple_inputs},
                         {{"-c", "a.c", "-o", "a.o", "b.cpp"}, N::multiple_inputs},
                         {{"-x", "c", "-c", "-"}, N::stdin_input},
                         {{"-c", "a.c", "-o", "-"}, N::stdout_output},
                         {{"-c", "a.c", "-o-"}, N::stdout_output},
                         {{"@args.rsp"}, N::response_file, "@args.rsp"},
                         {{"-c", "a.c", "@more.rsp"}, N::response_file},
                         {{"-c", "a.c", "-o", "x.o", "-o", "y.o"}, N::unsupported_option, "-o"},
                         {{"-c", "a.c", "-o"}, N::unsupported_option, "missing value"},
                         {{"-c", "a.c", "-x", "c"}, N::unsupported_option, "after the last input"},
                     });
}

TEST_CASE("languages: C and C++ go; assembler, headers, preprocessed and others stay local") {
  check_cases(k_gcc, {
                         {{"-c", "a.s"}, N::unsupported_language, "assembler"},
                         {{"-c", "a.S"}, N::unsupported_language, "assembler-with-cpp"},
                         {{"-c", "a.sx"}, N::unsupported_language},
                         {{"-x", "assembler-with-cpp", "-c", "a.c"}, N::unsupported_language},
                         {{"-c", "a.h"}, N::unsupported_language, "c-header"},
                         {{"-c", "a.hpp"}, N::unsupported_language, "c++-header"},
                         {{"-x", "c++-header", "-c", "a.cc"}, N::unsupported_language},
                         {{"-x", "cuda", "-c", "a.cu"}, N::unsupported_language, "cuda"},
                         {{"-c", "a.cu"}, N::unsupported_language},
                         {{"-c", "a.f90"}, N::unsupported_language},
                         {{"-c", "a.o"}, N::unsupported_language, "linker input"},
                         {{"-c", "noext"}, N::unsupported_language, "linker input"},
                         {{"-c", "a.cppm"}, N::unsupported_language},
                         {{"-c", "a.i"}, N::already_preprocessed},
                         {{"-c", "a.ii"}, N::already_preprocessed},
                         {{"-x", "cpp-output", "-c", "a.c"}, N::already_preprocessed},
                         {{"-c", "a.m"}, N::unsupported_language, "objective-c"},
                         {{"-c", "a.mm"}, N::unsupported_language},
                     });
  check_cases(k_clang, {
                           {{"-c", "a.m"}, N::none},
                           {{"-c", "a.mm"}, N::none},
                           {{"-c", "a.s"}, N::unsupported_language},
                       });
  check_cases(k_clangxx, {{{"-c", "a.m"}, N::unsupported_language}});
}

TEST_CASE("options that read or write local files, or make outputs differ, are refused by name") {
  check_cases(
      k_gcc,
      {
          {{"-c", "a.c", "-save-temps"}, N::unsupported_option, "-save-temps"},
          {{"-c", "a.c", "-save-temps=obj"}, N::unsupported_option, "-save-temps=obj"},
          {{"-c", "a.c", "-fplugin=./p.so"}, N::unsupported_option, "-fplugin=./p.so"},
          {{"-c", "a.c", "-fplugin-arg-p-x=1"}, N::unsupported_option},
          {{"-c", "a.c", "-specs=my.specs"}, N::unsupported_option, "-specs=my.specs"},
          {{"-c", "a.c", "-B", "/opt/bin"}, N::unsupported_option, "-B /opt/bin"},
          {{"-c", "a.c", "-B/opt/bin"}, N::unsupported_option, "-B/opt/bin"},
          {{"-c", "a.c", "-march=native"}, N::unsupported_option, "-march=native"},
          {{"-c", "a.c", "-mtune=native"}, N::unsupported_option, "-mtune=native"},
          {{"-c", "a.c", "-mcpu=native"}, N::unsupported_option, "-mcpu=native"},
          {{"-c", "a.c", "-fprofile-use"}, N::unsupported_option, "-fprofile-use"},
          {{"-c", "a.c", "-fprofile-use=prof/"}, N::unsupported_option},
          {{"-c", "a.c", "-fprofile-generate"}, N::unsupported_option},
          {{"-c", "a.c", "-fprofile-arcs"}, N::unsupported_option},
          {{"-c", "a.c", "-fauto-profile=a.afdo"}, N::unsupported_option},
          {{"-c", "a.c", "-fbranch-probabilities"}, N::unsupported_option},
          {{"-c", "a.c", "-ftest-coverage"}, N::unsupported_option, "-ftest-coverage"},
          {{"-c", "a.c", "--coverage"}, N::unsupported_option, "--coverage"},
          {{"-c", "a.c", "-gsplit-dwarf"}, N::unsupported_option, "-gsplit-dwarf"},
          {{"-c", "a.c", "-fsanitize-blacklist=bl.txt"}, N::unsupported_option},
          {{"-c", "a.c", "-fsanitize-ignorelist=il.txt"}, N::unsupported_option},
          {{"-c", "a.c", "-fprofile-list=l.txt"}, N::unsupported_option},
          {{"-c", "a.c", "-fsanitize-coverage-allowlist=a.txt"}, N::unsupported_option},
          {{"-c", "a.c", "-Wp,-C"}, N::unsupported_option, "-Wp,-C"},
          {{"-c", "a.c", "-Wp,-MD"}, N::unsupported_option},
          {{"-c", "a.c", "-Wp,-MD,a.d,-DX"}, N::unsupported_option},
          {{"-c", "a.c", "-Wp,-MD,x.d", "-MD"}, N::unsupported_option},
          {{"-c", "a.c", "-Wp,-MD,x.d", "-MF", "y.d"}, N::unsupported_option},
          {{"-c", "a.c", "-Xpreprocessor", "-C"}, N::unsupported_option, "-Xpreprocessor -C"},
          {{"-c", "a.c", "-Wa,-adhln=a.lst"}, N::unsupported_option},
          {{"-c", "a.c", "-fmodules-ts"}, N::unsupported_option, "-fmodules-ts"},
          {{"-c", "a.c", "-fmodules"}, N::unsupported_option},
          {{"-c", "a.c", "-fmodule-mapper=m"}, N::unsupported_option},
          {{"-c", "a.c", "-fmodule-map-file=m"}, N::unsupported_option},
          {{"-c", "a.c", "-flto"}, N::unsupported_option, "-flto"},
          {{"-c", "a.c", "-flto=auto"}, N::unsupported_option},
          {{"-c", "a.c", "-fstack-usage"}, N::unsupported_option},
          {{"-c", "a.c", "-fdump-tree-all"}, N::unsupported_option},
          {{"-c", "a.c", "-fcallgraph-info"}, N::unsupported_option},
          {{"-c", "a.c", "-fopt-info-vec"}, N::unsupported_option},
          {{"-c", "a.c", "-fdirectives-only"}, N::unsupported_option},
          {{"-c", "a.c", "-fpreprocessed"}, N::unsupported_option},
          {{"-c", "a.c", "-finput-charset=latin1"}, N::unsupported_option},
          {{"-c", "a.c", "-fpch-preprocess"}, N::unsupported_option},
          {{"-c", "a.c", "-ftime-report"}, N::unsupported_option},
          {{"-c", "a.c", "-dM"}, N::unsupported_option},
          {{"-c", "a.c", "-dumpbase", "x"}, N::unsupported_option},
          {{"-c", "a.c", "-aux-info", "x.aux"}, N::unsupported_option},
          {{"-c", "a.c", "-MG", "-MD"}, N::unsupported_option, "-MG"},
          {{"-c", "a.c", "-MF", "a.d"}, N::unsupported_option, "without -MD"},
          {{"-c", "a.c", "-MT", "t"}, N::unsupported_option},
          {{"-c", "a.c", "-MP"}, N::unsupported_option},
          {{"-c", "a.c", "-include-pch", "a.pch"}, N::unsupported_option},
          {{"-c", "a.c", "-H"}, N::unsupported_option, "unknown option"},
          {{"-c", "a.c", "-C"}, N::unsupported_option, "-C"},
          {{"-c", "a.c", "-P"}, N::unsupported_option},
          {{"-c", "a.c", "--frobnicate"}, N::unsupported_option, "--frobnicate (unknown option)"},
          {{"-c", "a.c", "-Xclang", "-fno-pch-timestamp"}, N::unsupported_option, "clang-only"},
          {{"-c", "a.c", "-mllvm", "-x86-asm-syntax=intel"}, N::unsupported_option},
          {{"-c", "a.c", "-target", "x86_64-linux-gnu"}, N::unsupported_option},
          {{"-c", "a.c", "-stdlib=libc++"}, N::unsupported_option},
          {{"-c", "a.c", "-time"}, N::unsupported_option},
          {{"-c", "a.c", "-gcc-toolchain", "/x"}, N::unsupported_option},
      });
}

TEST_CASE("clang: -Xclang pairs go to both runs except plugins; linker options are refused") {
  check_cases(
      k_clang,
      {
          {{"-c", "a.c", "-Xclang", "-fno-pch-timestamp", "-mllvm", "-inline-threshold=10",
            "-target", "x86_64-linux-gnu", "--target=x86_64-linux-gnu", "-Qunused-arguments",
            "-fcolor-diagnostics", "-stdlib=libc++", "-cxx-isystem", "x"},
           N::none},
          {{"-c", "a.c", "-Xclang", "-load", "-Xclang", "p.so"},
           N::unsupported_option,
           "-Xclang -load"},
          {{"-c", "a.c", "-Xclang", "-plugin", "-Xclang", "p"}, N::unsupported_option},
          {{"-c", "a.c", "-Xclang", "-add-plugin", "-Xclang", "p"}, N::unsupported_option},
          {{"-c", "a.c", "-Xclang", "-plugin-arg-p", "-Xclang", "x"}, N::unsupported_option},
          {{"-c", "a.c", "-Xclang"}, N::unsupported_option, "missing value"},
          {{"-c", "a.c", "-fprofile-sample-use=a.prof"}, N::unsupported_option},
          {{"-c", "a.c", "-fprofile-instr-use=a.profdata"}, N::unsupported_option},
          {{"-c", "a.c", "-fprofile-instr-generate"}, N::unsupported_option},
          {{"-c", "a.c", "-fxray-attr-list=x"}, N::unsupported_option},
          {{"-c", "a.c", "-fbasic-block-sections=list.txt"}, N::unsupported_option},
          {{"-c", "a.c", "-fbasic-block-sections=all"}, N::none},
          {{"-c", "a.c", "-ftime-trace"}, N::unsupported_option},
          {{"-c", "a.c", "-fpass-plugin=p.so"}, N::unsupported_option},
          {{"-c", "a.c", "-gmodules"}, N::unsupported_option},
          {{"-c", "a.c", "-fcxx-modules"}, N::unsupported_option},
          {{"-c", "a.c", "-frecord-command-line"}, N::unsupported_option},
          {{"-c", "a.c", "-grecord-command-line"}, N::unsupported_option},
          {{"-c", "a.c", "-lm"}, N::unsupported_option, "-lm"},
          {{"-c", "a.c", "-Wl,-z,now"}, N::unsupported_option},
          {{"-c", "a.c", "-fuse-ld=lld"}, N::unsupported_option},
          {{"-c", "a.c", "--driver-mode=g++"}, N::unsupported_option},
          {{"-c", "a.c", "-ObjC"}, N::unsupported_option},
      });
  for (const auto& linker : {"-lm", "-Lx", "-Wl,-x", "-shared", "-s", "-rdynamic"}) {
    INFO(linker);
    CHECK(analyze(k_clang, {"-c", "a.c", linker}, false).detail.find("clang warns") !=
          std::string::npos);
  }
}

TEST_CASE("mode-dependent refusals: clang's rewrite drops -imacros; gcc's records its flag") {
  check_cases(k_clang, {{{"-c", "a.c", "-imacros", "m.h"}, N::none}}, false);
  check_cases(k_clang, {{{"-c", "a.c", "-imacros", "m.h"}, N::unsupported_option, "-imacros"}},
              true);
  check_cases(k_gcc, {{{"-c", "a.c", "-imacros", "m.h"}, N::none}}, true);
  check_cases(k_gcc, {{{"-c", "a.c", "-frecord-gcc-switches"}, N::none}}, false);
  check_cases(k_gcc, {{{"-c", "a.c", "-frecord-gcc-switches"}, N::unsupported_option}}, true);
  check_cases(k_gxx, {{{"-c", "a.c", "-fno-record-gcc-switches"}, N::none}}, true);
}

TEST_CASE("every reason has a stable name") {
  CHECK(to_string(N::none) == "none");
  CHECK(to_string(N::not_compile) == "not_compile");
  CHECK(to_string(N::no_input) == "no_input");
  CHECK(to_string(N::multiple_inputs) == "multiple_inputs");
  CHECK(to_string(N::stdin_input) == "stdin_input");
  CHECK(to_string(N::stdout_output) == "stdout_output");
  CHECK(to_string(N::unsupported_language) == "unsupported_language");
  CHECK(to_string(N::unsupported_option) == "unsupported_option");
  CHECK(to_string(N::response_file) == "response_file");
  CHECK(to_string(N::already_preprocessed) == "already_preprocessed");
}
