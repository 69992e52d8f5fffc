// The compile cache with the real binaries (wrapper, local server, compilers): every hit
// byte-identical to a local compile (object, depfile, stderr) in each of its modes, and every
// change that must miss missing.
#include <fstream>

#include <catch2/catch.hpp>

#include "support/cache_machine.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

TEST_CASE(
    "hits are byte-identical to local compiles: object, depfile, stderr (gcc, clang, C, C++)") {
  TempDir dir("sccache-cache-test");
  CacheMachine m(dir.path());
  write_file(m.src() / "scale.h", k_header);
  write_file(m.src() / "a.c", k_c_source);
  write_file(m.src() / "b.cc", k_cxx_source);
  age(m.src() / "scale.h");
  age(m.src() / "a.c");
  age(m.src() / "b.cc");
  std::vector<std::pair<std::string, std::string>> cases = {{"gcc", "a.c"}, {"g++", "b.cc"}};
  if (have("clang")) {
    cases.push_back({"clang", "a.c"});
    cases.push_back({"clang++", "b.cc"});
  }
  uint64_t expected_hits = 0;
  for (const auto& [compiler, source] : cases) {
    INFO(compiler << " " << source);
    const std::vector<std::string> args = {compiler, "-O2", "-Wall", "-c",  source,
                                           "-o",     "x.o", "-MD",   "-MF", "x.d"};
    RunResult reference = local_compile(args, m.src());
    REQUIRE(reference.exit_code == 0);
    REQUIRE(reference.err.find("unused") != std::string::npos);  // there is a warning to replay
    fs::rename(m.src() / "x.o", dir / "ref.o");
    fs::rename(m.src() / "x.d", dir / "ref.d");
    // 0: miss compiled in depend mode (the default here), 1: its direct hit; 2: a miss in
    // preprocessed mode (no direct mode, so no depend mode either), 3: its preprocessed hit.
    for (int round = 0; round < 4; ++round) {
      INFO("round " << round);
      std::map<std::string, std::string> mode;
      if (round >= 2) {
        mode = {{"SCCACHE_DIRECT", "off"}};
      }
      RunResult r = m.compile(args, mode);
      REQUIRE(r.exit_code == 0);
      CHECK(r.err == reference.err);
      CHECK(r.out == reference.out);
      CHECK(same_file(m.src() / "x.o", dir / "ref.o"));
      CHECK(same_file(m.src() / "x.d", dir / "ref.d"));
      fs::remove(m.src() / "x.o");
      fs::remove(m.src() / "x.d");
    }
    expected_hits += 2;
  }
  CacheStats s = m.stats();
  CHECK(s.hits == expected_hits);
  CHECK(s.misses == 2 * cases.size());
  CHECK(s.writes == 2 * cases.size());
  CHECK(s.direct == cases.size());
  CHECK(s.preprocessed == cases.size());
  CHECK(s.read_errors == 0);
}

TEST_CASE("a changed header, -D, compiler or language each miss; the objects stay right") {
  const std::string depend_mode = GENERATE("on", "off");
  INFO("SCCACHE_DEPEND_MODE=" << depend_mode);
  TempDir dir("sccache-cache-test");
  CacheMachine m(dir.path(), {{"SCCACHE_DEPEND_MODE", depend_mode}});
  write_file(m.src() / "scale.h", k_header);
  write_file(m.src() / "a.c", k_c_source);
  // A compiler of our own, to change: a script running gcc (a copy of gcc's driver elsewhere
  // would not find cc1).
  fs::create_directories(dir / "bin");
  write_file(dir / "bin" / "gcc", "#!/bin/sh\nexec gcc \"$@\"\n");
  fs::permissions(dir / "bin" / "gcc", fs::perms::owner_all);
  const std::string own_gcc = (dir / "bin" / "gcc").string();
  settle(m.src());
  auto compile_and_check = [&](const std::vector<std::string>& args) {
    RunResult r = m.compile(args);
    REQUIRE(r.exit_code == 0);
    const fs::path object = m.src() / "a.o";
    const std::string ours = read_file(object);
    REQUIRE(local_compile(args, m.src()).exit_code == 0);
    CHECK(read_file(object) == ours);
  };
  const std::vector<std::string> base = {own_gcc, "-O2", "-c", "a.c", "-o", "a.o"};
  compile_and_check(base);
  compile_and_check(base);  // hit
  CHECK(m.stats().hits == 1);
  write_file(
      m.src() / "scale.h",
      "#pragma once\n#define SCALE 8\nstatic inline int scale(int x) { return x * SCALE; }\n");
  compile_and_check(base);
  CHECK(m.stats().misses == 2);
  std::vector<std::string> defined = base;
  defined.push_back("-DEXTRA=1");
  compile_and_check(defined);
  CHECK(m.stats().misses == 3);
  {
    std::ofstream append(dir / "bin" / "gcc", std::ios::app | std::ios::binary);
    append << "# the same program, other bytes: another compiler as far as a key goes\n";
  }
  compile_and_check(base);
  CHECK(m.stats().misses == 4);
  std::vector<std::string> as_cxx = {own_gcc, "-O2", "-x", "c++", "-c", "a.c", "-o", "a.o"};
  compile_and_check(as_cxx);
  CacheStats s = m.stats();
  CHECK(s.misses == 5);
  CHECK(s.hits == 1);
}

TEST_CASE("direct mode follows header edits and skips the preprocessor once files settle") {
  // Preprocessed mode's manifests (depend mode's are tested in test_depend_mode).
  TempDir dir("sccache-cache-test");
  CacheMachine m(dir.path(), {{"SCCACHE_DEPEND_MODE", "off"}});
  write_file(m.src() / "scale.h", k_header);
  write_file(m.src() / "a.c", k_c_source);
  age(m.src() / "scale.h");
  age(m.src() / "a.c");
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  REQUIRE(m.compile(args).exit_code == 0);  // miss, manifest written
  REQUIRE(m.compile(args).exit_code == 0);  // direct hit
  CHECK(m.stats().direct == 1);
  // The header changes: the manifest no longer matches, the new header is compiled in.
  write_file(
      m.src() / "scale.h",
      "#pragma once\n#define SCALE 9\nstatic inline int scale(int x) { return x * SCALE; }\n");
  REQUIRE(m.compile(args).exit_code == 0);
  const std::string ours = read_file(m.src() / "a.o");
  REQUIRE(local_compile(args, m.src()).exit_code == 0);
  CHECK(read_file(m.src() / "a.o") == ours);
  CacheStats after_edit = m.stats();
  CHECK(after_edit.misses == 2);
  CHECK(after_edit.direct == 1);
  // Just written, the header is too new to trust: that compile recorded no manifest entry.
  // Once it has settled, a preprocessed hit records one, and the next is direct again.
  age(m.src() / "scale.h");
  REQUIRE(wait_until(
      [&] {
        REQUIRE(m.compile(args).exit_code == 0);
        return m.stats().direct == 2;
      },
      std::chrono::seconds(10)));
  CHECK(read_file(m.src() / "a.o") == ours);
  // Going back to the first header finds the first result again, still without preprocessing.
  write_file(m.src() / "scale.h", k_header);
  age(m.src() / "scale.h");
  const uint64_t direct_before = m.stats().direct;
  REQUIRE(wait_until(
      [&] {
        REQUIRE(m.compile(args).exit_code == 0);
        return m.stats().direct > direct_before;
      },
      std::chrono::seconds(10)));
  CHECK(m.stats().misses == 2);
}
