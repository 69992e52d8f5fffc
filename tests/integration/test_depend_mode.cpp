// Depend mode with the real binaries: a miss compiled here runs the compiler once and no
// preprocessor, its entry is byte-identical to a local compile, and its key follows every file the
// compiler read — including one changed while the compile ran. The compiler is a logging script
// in front of gcc, so the tests see every command the local server ran.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "support/cache_machine.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

// A compiler of the test's own that logs each command line (one per line) to `log`, then runs
// `compiler`; `after` is shell run after it (with its exit code kept).
fs::path logging_gcc(const fs::path& dir, const fs::path& log, const std::string& after = "",
                     const std::string& compiler = "gcc") {
  fs::create_directories(dir);
  const fs::path script = dir / compiler;
  write_file(script, fmt::format("#!/bin/sh\necho \"$*\" >> '{}'\n{} \"$@\"\nrc=$?\n{}\nexit $rc\n",
                                 log.string(), compiler, after));
  fs::permissions(script, fs::perms::owner_all);
  return script;
}

std::vector<std::string> log_lines(const fs::path& log) {
  std::vector<std::string> lines;
  std::error_code ec;
  if (!fs::exists(log, ec)) {
    return lines;
  }
  const std::string text = read_file(log);
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find('\n', pos);
    lines.push_back(text.substr(pos, end - pos));
    pos = end == std::string::npos ? text.size() : end + 1;
  }
  return lines;
}

// Whether a preprocessor ran on a source (depend mode's one probe of an empty unit, -M of
// /dev/null for the files gcc reads unasked, is not counted).
bool ran_preprocessor(const std::vector<std::string>& lines) {
  for (const auto& line : lines) {
    if (line.ends_with("/dev/null")) {
      continue;
    }
    if (line.starts_with("-E ") || line.find(" -E ") != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::vector<fs::path> entries_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    out.push_back(entry.path());
  }
  return out;
}

}  // namespace

TEST_CASE("depend mode: one compile, no preprocessor; hits byte-identical (own -MD or none)") {
  TempDir dir("sccache-depend-test");
  const fs::path tmp = dir / "tmp";
  fs::create_directories(tmp);
  CacheMachine m(dir / "m", {{"TMPDIR", tmp.string()}});
  const fs::path log = dir / "commands.log";
  const std::string gcc = logging_gcc(dir / "bin", log).string();
  m.write_sample_sources();
  const std::vector<std::vector<std::string>> commands = {
      {gcc, "-O2", "-Wall", "-c", "a.c", "-o", "x.o", "-MD", "-MF", "x.d"},
      {gcc, "-O2", "-Wall", "-c", "a.c", "-o", "x.o", "-MD", "-MP", "-MT", "target"},
      {gcc, "-O2", "-Wall", "-g", "-c", "a.c", "-o", "x.o"}};
  uint64_t hits = 0;
  for (const auto& args : commands) {
    INFO(args.back());
    const bool depfile = std::find(args.begin(), args.end(), "-MD") != args.end();
    const fs::path depfile_path = m.src() / "x.d";  // -MF's, or named after -o
    RunResult reference = local_compile(args, m.src());
    REQUIRE(reference.exit_code == 0);
    REQUIRE(reference.err.find("unused") != std::string::npos);
    fs::rename(m.src() / "x.o", dir / "ref.o");
    if (depfile) {
      fs::rename(depfile_path, dir / "ref.d");
    }
    fs::remove(log);
    for (int round = 0; round < 2; ++round) {
      INFO("round " << round);  // 0: the miss, 1: its direct hit
      RunResult r = m.compile(args);
      REQUIRE(r.exit_code == 0);
      CHECK(r.err == reference.err);
      CHECK(r.out == reference.out);
      CHECK(same_file(m.src() / "x.o", dir / "ref.o"));
      if (depfile) {
        CHECK(same_file(depfile_path, dir / "ref.d"));
        fs::remove(depfile_path);
      } else {
        CHECK_FALSE(fs::exists(depfile_path));  // the depfile depend mode added is not left
      }
      fs::remove(m.src() / "x.o");
      const std::vector<std::string> lines = log_lines(log);
      CHECK(lines.size() == 1);  // the miss's compile; nothing at all for the hit
      CHECK_FALSE(ran_preprocessor(lines));
      if (!depfile && round == 0 && !lines.empty()) {
        // The added depfile goes to the request's TMPDIR, and is gone afterwards (below).
        CHECK(lines[0].find("-MD -MF " + (tmp / "sccache-depend-").string()) != std::string::npos);
      }
    }
    ++hits;
    CHECK(entries_in(tmp).empty());
    CHECK(entries_in(m.src()).size() == 2);  // a.c, scale.h: nothing else written beside them
  }
  CacheStats s = m.stats();
  CHECK(s.hits == hits);
  CHECK(s.direct == hits);
  CHECK(s.misses == commands.size());
  CHECK(s.writes == commands.size());
  CHECK(s.json->getValue<bool>("use_depend_mode"));
}

TEST_CASE("depend mode follows header edits, keeps both results, and needs settled files") {
  TempDir dir("sccache-depend-test");
  CacheMachine m(dir / "m");
  m.write_sample_sources();
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  auto compile_and_check = [&] {
    REQUIRE(m.compile(args).exit_code == 0);
    const std::string ours = read_file(m.src() / "a.o");
    REQUIRE(local_compile(args, m.src()).exit_code == 0);
    CHECK(read_file(m.src() / "a.o") == ours);
  };
  compile_and_check();  // miss, stored
  compile_and_check();  // direct hit
  CHECK(m.stats().direct == 1);
  write_file(
      m.src() / "scale.h",
      "#pragma once\n#define SCALE 9\nstatic inline int scale(int x) { return x * SCALE; }\n");
  compile_and_check();  // miss; the header is too new to key on: nothing stored
  CacheStats s = m.stats();
  CHECK(s.misses == 2);
  CHECK(s.not_cached("recently_modified") == 1);
  settle(m.src());
  compile_and_check();  // miss, stored
  compile_and_check();  // direct hit
  s = m.stats();
  CHECK(s.misses == 3);
  CHECK(s.direct == 2);
  write_file(m.src() / "scale.h", k_header);  // back to the first header: its result again
  settle(m.src());
  compile_and_check();
  s = m.stats();
  CHECK(s.misses == 3);
  CHECK(s.direct == 3);
}

TEST_CASE("depend mode: a header changed while the compile runs is never keyed as read") {
  TempDir dir("sccache-depend-test");
  CacheMachine m(dir / "m");
  const fs::path log = dir / "commands.log";
  // The first compile rewrites scale.h once it has read it, and takes over a second more, so the
  // change is older than a second when the result is keyed: only the compile's start tells.
  const std::string changed_header =
      "#pragma once\n#define SCALE 8\nstatic inline int scale(int x) { return x * SCALE; }\n";
  write_file(dir / "changed.h", changed_header);
  const std::string gcc =
      logging_gcc(dir / "bin", log,
                  fmt::format("if [ ! -e '{0}/changed' ]; then touch '{0}/changed'; "
                              "cp '{0}/changed.h' scale.h; sleep 1.2; fi",
                              dir.path().string()))
          .string();
  m.write_sample_sources();
  const std::vector<std::string> args = {gcc, "-O2", "-c", "a.c", "-o", "a.o"};
  REQUIRE(m.compile(args).exit_code == 0);
  CHECK(m.stats().not_cached("recently_modified") == 1);
  settle(m.src());
  REQUIRE(m.compile(args).exit_code == 0);  // must compile the changed header
  const std::string ours = read_file(m.src() / "a.o");
  REQUIRE(local_compile({"gcc", "-O2", "-c", "a.c", "-o", "a.o"}, m.src()).exit_code == 0);
  CHECK(read_file(m.src() / "a.o") == ours);
  CacheStats s = m.stats();
  CHECK(s.hits == 0);
  CHECK(s.misses == 2);
}

TEST_CASE("depend mode stores nothing that names the time macros, unless the time is pinned") {
  TempDir dir("sccache-depend-test");
  CacheMachine m(dir / "m");
  write_file(m.src() / "when.h", "#define BUILT_ON __DATE__\n");
  write_file(m.src() / "a.c", "#include \"when.h\"\nconst char* built = BUILT_ON;\n");
  settle(m.src());
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  REQUIRE(m.compile(args).exit_code == 0);
  REQUIRE(m.compile(args).exit_code == 0);
  CacheStats s = m.stats();
  CHECK(s.hits == 0);
  CHECK(s.not_cached("time_macros") == 2);
  const std::map<std::string, std::string> pinned = {{"SOURCE_DATE_EPOCH", "1700000000"}};
  REQUIRE(m.compile(args, pinned).exit_code == 0);
  REQUIRE(m.compile(args, pinned).exit_code == 0);
  CHECK(m.stats().hits == 1);
}

TEST_CASE("preprocessed mode where depend mode cannot be trusted or shares less") {
  TempDir dir("sccache-depend-test");
  const fs::path log = dir / "commands.log";
  const std::string gcc = logging_gcc(dir / "bin", log).string();
  REQUIRE(have("clang"));  // scripts/install-deps.sh installs it
  const std::string logging_clang = logging_gcc(dir / "bin", log, "", "clang").string();
  struct Case {
    std::string why;
    std::vector<std::string> extra_args;
    std::map<std::string, std::string> env;
    std::string config;  // the client config's text, if any
  };
  const std::vector<Case> cases = {
      {"clang -MMD (no include trace to take the system headers from)", {"-MMD"}, {}},
      // (kept local in rewrite mode, gcc would record -fdirectives-only: full preprocessing)
      {"-frecord-gcc-switches would record an added -MD",
       {"-frecord-gcc-switches"},
       {},
       "[dist]\nrewrite_includes_only = false\n"},
      {"base directories share preprocessed keys", {}, {{"SCCACHE_BASEDIRS", "/nonexistent"}}},
      {"turned off", {}, {{"SCCACHE_DEPEND_MODE", "off"}}}};
  int n = 0;
  for (const auto& c : cases) {
    INFO(c.why);
    const bool uses_clang = c.why.starts_with("clang");
    std::map<std::string, std::string> env = c.env;
    const fs::path root = dir / fmt::format("m{}", n++);
    if (!c.config.empty()) {
      fs::create_directories(root);
      write_file(root / "client.conf", c.config);
      env["SCCACHE_CONF"] = (root / "client.conf").string();
    }
    CacheMachine m(root, env);
    m.write_sample_sources();
    std::vector<std::string> args = {
        uses_clang ? logging_clang : gcc, "-O2", "-c", "a.c", "-o", "a.o"};
    args.insert(args.end(), c.extra_args.begin(), c.extra_args.end());
    fs::remove(log);
    REQUIRE(m.compile(args).exit_code == 0);
    CHECK(ran_preprocessor(log_lines(log)));
    const std::string ours = read_file(m.src() / "a.o");
    fs::remove(m.src() / "a.o");
    const RunResult hit = m.compile(args);  // a hit all the same
    REQUIRE(hit.exit_code == 0);
    CHECK(read_file(m.src() / "a.o") == ours);
    const RunResult reference = local_compile(args, m.src());
    REQUIRE(reference.exit_code == 0);
    CHECK(read_file(m.src() / "a.o") == ours);
    CHECK(hit.err == reference.err);
    CacheStats s = m.stats();
    CHECK(s.hits == 1);
    CHECK(s.misses == 1);
    CHECK(s.json->getValue<bool>("use_depend_mode") == !c.extra_args.empty());
  }
}

TEST_CASE("depend mode: a failed compile is the compiler's own, and nothing is stored") {
  TempDir dir("sccache-depend-test");
  CacheMachine m(dir / "m");
  write_file(m.src() / "bad.c", "int main(void) { return missing; }\n");
  settle(m.src());
  const std::vector<std::string> args = {"gcc", "-c", "bad.c", "-o", "bad.o", "-MD"};
  const RunResult reference = local_compile(args, m.src());
  REQUIRE(reference.exit_code == 1);
  for (int i = 0; i < 2; ++i) {
    RunResult r = m.compile(args);
    CHECK(r.exit_code == reference.exit_code);
    CHECK(r.err == reference.err);
  }
  CacheStats s = m.stats();
  CHECK(s.hits == 0);
  CHECK(s.writes == 0);
}

TEST_CASE("gcc -MMD takes depend mode through the include trace; stderr stays the compiler's") {
  TempDir dir("sccache-depend-test");
  CacheMachine m(dir / "m");
  const fs::path log = dir / "commands.log";
  const std::string gcc = logging_gcc(dir / "bin", log).string();
  // Warnings from a header (with "In file included from"), an unguarded header (gcc's -H then
  // ends with its "Multiple include guards" report), a system header.
  write_file(m.src() / "unguarded.h", "int unguarded_counter;\n");
  write_file(m.src() / "warns.h",
             "#pragma once\nstatic int helper(int a) { int unused_in_header; return a; }\n");
  write_file(m.src() / "a.c",
             "#include <stdio.h>\n#include \"unguarded.h\"\n#include \"warns.h\"\n"
             "int main(void) { int unused = helper(2); printf(\"x\\n\"); return 0; }\n");
  settle(m.src());
  const std::vector<std::string> args = {gcc,   "-O2",  "-Wall", "-c",  "a.c", "-o",
                                         "a.o", "-MMD", "-MP",   "-MF", "a.d"};
  fs::remove(log);
  const RunResult reference = local_compile(args, m.src());
  REQUIRE(reference.exit_code == 0);
  REQUIRE(reference.err.find("unused_in_header") != std::string::npos);
  const std::string object = read_file(m.src() / "a.o");
  const std::string depfile = read_file(m.src() / "a.d");
  fs::remove(log);
  for (int round = 0; round < 2; ++round) {
    INFO("round " << round);  // 0: the miss, traced; 1: its direct hit
    fs::remove(m.src() / "a.o");
    fs::remove(m.src() / "a.d");
    const RunResult r = m.compile(args);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err == reference.err);
    CHECK(r.out == reference.out);
    CHECK(read_file(m.src() / "a.o") == object);
    CHECK(read_file(m.src() / "a.d") == depfile);
  }
  const std::vector<std::string> lines = log_lines(log);
  CHECK_FALSE(ran_preprocessor(lines));
  REQUIRE(lines.size() == 2);  // the traced compile, and the probe for the files read unasked
  CHECK(lines.front().ends_with(" -H"));
  CHECK(lines.back().ends_with("/dev/null"));
  CacheStats s = m.stats();
  CHECK(s.direct == 1);
  CHECK(s.misses == 1);
  // A system header the -MMD depfile leaves out is in the key all the same: it is in the
  // manifest, so a changed one would miss. (Proved on a header of our own, made "system" by
  // -isystem.)
  fs::create_directories(m.src() / "sys");
  write_file(m.src() / "sys" / "sysdep.h", "#define SYS_VALUE 1\n");
  write_file(m.src() / "b.c", "#include <sysdep.h>\nint b(void) { return SYS_VALUE; }\n");
  settle(m.src());
  const std::vector<std::string> b_args = {gcc, "-O2", "-isystem", "sys", "-c", "b.c", "-MMD"};
  REQUIRE(m.compile(b_args).exit_code == 0);
  CHECK(read_file(m.src() / "b.d").find("sysdep.h") == std::string::npos);  // -MMD's choice
  write_file(m.src() / "sys" / "sysdep.h", "#define SYS_VALUE 2\n");
  settle(m.src());
  REQUIRE(m.compile(b_args).exit_code == 0);
  const std::string ours = read_file(m.src() / "b.o");
  REQUIRE(local_compile(b_args, m.src()).exit_code == 0);
  CHECK(read_file(m.src() / "b.o") == ours);
  CHECK(m.stats().direct == 1);  // the changed system header missed
  // With -Werror -Wpedantic too, the trace and the probe (-w) change no outcome: stored, then hit.
  write_file(m.src() / "c.c", "int c(void) { return 3; }\n");
  settle(m.src());
  const std::vector<std::string> c_args = {gcc,  "-O2", "-Wpedantic", "-Werror",
                                           "-c", "c.c", "-MMD"};
  REQUIRE(m.compile(c_args).exit_code == 0);
  REQUIRE(m.compile(c_args).exit_code == 0);
  CHECK(m.stats().direct == 2);
}
