#include "client/compiler/real_compile.hpp"

#include <algorithm>
#include <regex>
#include <sstream>

#include <catch2/catch.hpp>

#include "client/compiler/commands.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;

namespace sccache::test::compile {

namespace {

constexpr const char* k_a_c = R"(#include "h.h"
#include <string.h>
#define SQ(x) ((x) * (x))
#ifndef CMDLINE
#define CMDLINE 0
#endif
#ifdef CFG
static const int cfg = CFG;
#else
static const int cfg = 0;
#endif
int  answer(int y) {   return SQ(y) +  FROM_H + CMDLINE + cfg; }
const char* where(void) { return __FILE__; }
int line(void) { return __LINE__; }
size_t length(const char* s) { return strlen(s) + (size_t)h_helper(1); }
)";

constexpr const char* k_b_cpp = R"(#include <string>
#include <vector>
#include "h.h"
namespace {
struct Registry {
  Registry() { names.push_back(__FILE__); }
  std::vector<std::string> names;
};
Registry registry;
}  // namespace
template <typename T> T twice(T v) { return v + v; }
std::string name(int i) { return registry.names.at(0) + std::to_string(twice(i) + FROM_H); }
int  use(int x) { auto f = [x](int y) {   return x * y; }; return f(3); }
)";

constexpr const char* k_h_h = R"(#pragma once
#define FROM_H 3
static inline int h_helper(int v) { return v + FROM_H; }
)";

constexpr const char* k_w_h = R"(#define WH(x) ((x) + undefined_thing)
static int h(void) { int q; return 0; }
)";

constexpr const char* k_warn_c = R"(#include "w.h"
#define UNUSED_VAR(n) int n
int g(int a) {
  UNUSED_VAR(zz);
  if (a = 3) return 1;
  return a;
}
)";

constexpr const char* k_error_c = R"(#include "w.h"
int g(int a) {
  int unused;
  return WH(a);
}
)";

constexpr const char* k_order_c = R"(int f(int a) { int unused; return a; }
#warning "a #warning between two functions"
int g(void) { int u2; return 0; }
)";

std::string slurp_optional(const fs::path& path, bool& exists) {
  exists = fs::exists(path);
  return exists ? read_file(path) : std::string();
}

Produced collect(Produced produced, const fs::path& dir, const std::vector<std::string>& files) {
  for (const auto& file : files) {
    bool exists = false;
    std::string contents = slurp_optional(dir / file, exists);
    produced.files[file] = exists ? std::optional<std::string>(contents) : std::nullopt;
    std::error_code ec;
    fs::remove(dir / file, ec);
  }
  return produced;
}

Args with_compiler(const std::string& compiler, const Args& args) {
  Args argv{compiler};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

}  // namespace

std::vector<Case> object_cases() {
  const Args a_c{"-c", "src/a.c", "-Iinc", "-o", "out/a.o"};
  auto with = [](Args base, const Args& more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
  };
  return {
      {"C -O0", with(a_c, {"-DCMDLINE=4", "-O0"})},
      {"C -O2", with(a_c, {"-DCMDLINE=4", "-O2"})},
      {"C -O0 -g", with(a_c, {"-DCMDLINE=4", "-O0", "-g"}), false, true},
      {"C -O2 -g", with(a_c, {"-DCMDLINE=4", "-O2", "-g"}), false, true},
      {"C without -o, separate -I/-D/-include, -MD",
       {"-c", "src/a.c", "-I", "inc", "-D", "CMDLINE=4", "-include", "inc/cfg.h", "-O2", "-MD"}},
      {"-MMD -MP, object in a subdirectory", with(a_c, {"-MMD", "-MP"})},
      {"-MD -MF", with(a_c, {"-MD", "-MF", "deps/a.dep"})},
      {"-MD -MF joined, -MT", with(a_c, {"-MD", "-MFdeps/a.dep", "-MT", "custom-target"})},
      {"-MD -MQ with make-special characters", with(a_c, {"-MD", "-MQ", "$(weird) target"})},
      {"-MD -MMD -MP", with(a_c, {"-MD", "-MMD", "-MP"})},
      {"-o with a double suffix", {"-c", "src/a.c", "-Iinc", "-o", "out/a.o.tmp", "-MD"}},
      {"-o without suffix", {"-c", "src/a.c", "-Iinc", "-o", "out/a", "-MMD"}},
      {"-Wp,-MD,file", with(a_c, {"-Wp,-MD,deps/wp.d"})},
      {"-Wp,-MMD,file without -o", {"-c", "src/a.c", "-Iinc", "-Wp,-MMD,deps/wp.d", "-MP"}},
      {"language, code generation and warning flags",
       with(a_c, {"-std=c99", "-pedantic", "-fPIC", "-ffunction-sections", "-march=x86-64-v2",
                  "-Wextra", "-fno-omit-frame-pointer", "-fstack-protector-strong",
                  "-Wp,-D_FORTIFY_SOURCE=2", "-O2", "-fdiagnostics-color=always"})},
      {"linker options with -c", with(a_c, {"-lm", "-Lfoo", "-Wl,-z,now", "-pthread", "-shared"}),
       false, false, true},
      {"-imacros", with(a_c, {"-imacros", "inc/cfg.h"})},
      {"-frecord-gcc-switches", with(a_c, {"-frecord-gcc-switches", "-O1"}), false, false, true,
       true},
      {"-U then -D", with(a_c, {"-UCMDLINE", "-D", "CMDLINE=2", "-U", "NOTHING"})},
      {"-x c on a file without extension", {"-x", "c", "-c", "src/noext", "-Iinc", "-MD"}},
      {"leading-dot source name without -o", {"-c", "dot/.c", "-Iinc", "-MD"}},
      {"C++ -O2", {"-c", "src/b.cpp", "-Iinc", "-o", "out/b.o", "-O2", "-std=c++17"}, true},
      {"C++ -O0 -g -MD",
       {"-c", "src/b.cpp", "-Iinc", "-o", "out/b.o", "-O0", "-g", "-MD"},
       true,
       true},
      {"C++ driver on a .c file", with(a_c, {"-O1"}), true},
  };
}

bool available(const std::string& compiler) {
  try {
    return run({compiler, "--version"}).exit_code == 0;
  } catch (const std::exception&) {
    return false;
  }
}

void write_sources(const fs::path& dir) {
  write_file(dir / "src/a.c", k_a_c);
  write_file(dir / "src/noext", k_a_c);
  write_file(dir / "dot/.c", k_a_c);
  write_file(dir / "src/b.cpp", k_b_cpp);
  write_file(dir / "inc/h.h", k_h_h);
  write_file(dir / "inc/cfg.h", "#define CFG 7\n");
  write_file(dir / "inc/w.h", k_w_h);
  write_file(dir / "src/warn.c", k_warn_c);
  write_file(dir / "src/error.c", k_error_c);
  write_file(dir / "src/order.c", k_order_c);
  write_file(dir / "src/o.m", "@interface Thing\n@end\nint objc_answer(void) { return 42; }\n");
  for (const char* sub : {"out", "deps", "pp"}) {
    fs::create_directories(dir / sub);
  }
}

Produced run_original(const std::string& compiler, const Args& args, const fs::path& dir,
                      const std::vector<std::string>& files) {
  auto result = run(with_compiler(compiler, args), {}, dir);
  Produced produced;
  produced.exit_code = result.exit_code;
  produced.diagnostics = result.err;
  return collect(std::move(produced), dir, files);
}

Produced run_split(const std::string& compiler, const compiler::CompilePlan& plan,
                   const fs::path& dir, bool hide_sources) {
  // Deliberately unlike the source's name, except where the name must be the source's.
  const std::string preprocessed =
      plan.family == compiler::Family::clang && plan.rewrite_includes_only
          ? "pp/" + compiler::preprocessed_file_name(plan)
          : "pp/unit.sccache.ii";
  Produced produced;
  auto pre =
      run(with_compiler(compiler, compiler::preprocess_command(plan, preprocessed)), {}, dir);
  produced.preprocess_diagnostics = pre.err;
  produced.diagnostics = pre.err;
  produced.exit_code = pre.exit_code;
  if (pre.exit_code == 0) {
    if (hide_sources) {
      fs::rename(dir / "src", dir / "src.hidden");
      fs::rename(dir / "inc", dir / "inc.hidden");
    }
    auto remote =
        run(with_compiler(compiler, compiler::remote_compile_command(plan, preprocessed)), {}, dir);
    if (hide_sources) {
      fs::rename(dir / "src.hidden", dir / "src");
      fs::rename(dir / "inc.hidden", dir / "inc");
    }
    produced.diagnostics += remote.err;
    produced.exit_code = remote.exit_code;
  }
  return collect(std::move(produced), dir, expected_files(plan));
}

std::vector<std::string> all_files(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      files.push_back(fs::relative(entry.path(), dir).string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void check_case(const std::string& executable, compiler::Family family, const Case& c,
                bool rewrite) {
  const std::string mode = rewrite ? "rewrite" : "full";
  INFO(executable << ", " << mode << " mode: " << c.name);
  TempDir dir("sccache-compiler-args");
  write_sources(dir.path());
  const auto sources = all_files(dir.path());

  auto analysis = compiler::analyze({family, c.cxx_driver}, c.args, rewrite);
  INFO(to_string(analysis.reason) << ": " << analysis.detail);
  REQUIRE(analysis.plan);
  const auto& plan = *analysis.plan;
  const auto files = expected_files(plan);

  auto original = run_original(executable, c.args, dir.path(), files);
  INFO("original stderr:\n" << original.diagnostics);
  REQUIRE(original.exit_code == 0);
  for (const auto& file : files) {
    INFO("the plan names " << file);
    REQUIRE(original.files[file].has_value());
  }
  CHECK(all_files(dir.path()) == sources);

  auto split = run_split(executable, plan, dir.path());
  INFO("split stderr:\n" << split.diagnostics);
  REQUIRE(split.exit_code == 0);
  CHECK(split.diagnostics == original.diagnostics);
  auto left_behind = sources;
  left_behind.push_back(rewrite && family == compiler::Family::clang
                            ? "pp/" + compiler::preprocessed_file_name(plan)
                            : "pp/unit.sccache.ii");
  std::sort(left_behind.begin(), left_behind.end());
  CHECK(all_files(dir.path()) == left_behind);

  if (plan.depfile) {
    INFO("depfile " << *plan.depfile << "\n" << original.files[*plan.depfile].value_or(""));
    CHECK(split.files[*plan.depfile] == original.files[*plan.depfile]);
  }
  const std::string& expected = *original.files[plan.output];
  const std::string actual = split.files[plan.output].value_or("");
  if (!c.debug) {
    CHECK(actual == expected);
    return;
  }
  if (actual != expected) {
    auto scratch = dir.path() / "scratch";
    CHECK(strip_debug(actual, scratch / "s") == strip_debug(expected, scratch / "o"));
    WARN("DEBUG INFO DIFFERS (" << executable << ", " << mode << " mode, " << c.name
                                << "); code and data are identical. readelf differences:\n"
                                << debug_dump_difference(expected, actual, scratch));
  }
}

std::string without_source_excerpts(const std::string& text) {
  static const std::regex excerpt(R"(^ *[0-9]* \|.*$)");
  std::string kept;
  for (const auto& line : lines_of(text)) {
    if (!std::regex_match(line, excerpt)) {
      kept += line + "\n";
    }
  }
  return kept;
}

std::vector<std::string> expected_files(const compiler::CompilePlan& plan) {
  std::vector<std::string> files = plan.outputs;
  if (plan.depfile) {
    files.push_back(*plan.depfile);
  }
  return files;
}

std::string strip_debug(const std::string& object, const fs::path& scratch) {
  fs::create_directories(scratch);
  write_file(scratch / "in.o", object);
  auto result = run(
      {"objcopy", "--strip-debug", (scratch / "in.o").string(), (scratch / "stripped.o").string()});
  if (result.exit_code != 0) {
    return "objcopy failed: " + result.err;
  }
  return read_file(scratch / "stripped.o");
}

std::string debug_dump_difference(const std::string& a, const std::string& b,
                                  const fs::path& scratch) {
  fs::create_directories(scratch);
  write_file(scratch / "original.o", a);
  write_file(scratch / "split.o", b);
  auto dump = [&](const char* name) {
    return run({"readelf", "--debug-dump=info,rawline", (scratch / name).string()}, {}, scratch)
        .out;
  };
  return line_difference(dump("original.o"), dump("split.o"));
}

std::string line_difference(const std::string& a, const std::string& b) {
  auto left = lines_of(a);
  auto right = lines_of(b);
  std::ostringstream report;
  int shown = 0;
  for (std::size_t i = 0; i < std::max(left.size(), right.size()) && shown < 16; ++i) {
    std::string l = i < left.size() ? left[i] : "<none>";
    std::string r = i < right.size() ? right[i] : "<none>";
    if (l != r) {
      report << "  original: " << l << "\n  split:    " << r << "\n";
      ++shown;
    }
  }
  return report.str();
}

}  // namespace sccache::test::compile
