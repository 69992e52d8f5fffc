// The compile cache with the real binaries (wrapper, local server, compilers, redis-server):
// every hit byte-identical to a local compile (object, depfile, stderr), every change that must
// miss missing, and no failure of the cache — damaged entries, a full disk, Redis gone — ever
// failing a build.
#include <fstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "support/redis_server.hpp"
#include "support/test_support.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

struct Stats {
  uint64_t hits = 0, direct = 0, preprocessed = 0, remote = 0, misses = 0, read_errors = 0,
           write_errors = 0, timeouts = 0, recaches = 0, writes = 0;
  Poco::JSON::Object::Ptr json;
  uint64_t not_cached(const std::string& reason) const {
    auto o = json->getObject("not_cached");
    return o && o->has(reason) ? o->getValue<uint64_t>(reason) : 0;
  }
};

// A project directory, a cache directory and a local server of its own ("one machine").
class Machine {
 public:
  explicit Machine(const fs::path& root, std::map<std::string, std::string> extra = {})
      : m_root(root) {
    fs::create_directories(root / "sock");
    fs::permissions(root / "sock", fs::perms::owner_all, fs::perm_options::replace);
    fs::create_directories(src());
    env = {{"SCCACHE_SERVER_UDS", (root / "sock" / "s.sock").string()},
           {"SCCACHE_ERROR_LOG", (root / "server.log").string()},
           {"SCCACHE_CONF", (root / "no-config").string()},
           {"SCCACHE_DIR", (root / "cache").string()},
           // statistics live under the (dist) client cache dir: one per machine
           {"XDG_CACHE_HOME", (root / "xdg-cache").string()}};
    for (auto& [k, v] : extra) {
      env[k] = v;
    }
  }
  ~Machine() { stop(); }

  fs::path src() const { return m_root / "src"; }
  fs::path cache() const { return fs::path(env.at("SCCACHE_DIR")); }
  void stop() { run({sccache().string(), "--stop-server"}, env); }

  static fs::path sccache() { return bin_dir() / "sccache"; }

  RunResult compile(std::vector<std::string> args, std::map<std::string, std::string> more = {}) {
    args.insert(args.begin(), sccache().string());
    std::map<std::string, std::string> all = env;
    for (auto& [k, v] : more) {
      all[k] = v;
    }
    return run(args, all, src());
  }

  Stats stats() {
    RunResult r = run({sccache().string(), "--show-stats", "--stats-format", "json"}, env);
    REQUIRE(r.exit_code == 0);
    Poco::JSON::Parser parser;
    Stats s;
    s.json = parser.parse(r.out).extract<Poco::JSON::Object::Ptr>();
    auto n = [&](const char* key) { return s.json->getValue<uint64_t>(key); };
    s.hits = n("cache_hits");
    s.direct = n("cache_hits_direct");
    s.preprocessed = n("cache_hits_preprocessed");
    s.remote = n("cache_hits_remote");
    s.misses = n("cache_misses");
    s.read_errors = n("cache_read_errors");
    s.write_errors = n("cache_write_errors");
    s.timeouts = n("cache_timeouts");
    s.recaches = n("forced_recaches");
    s.writes = n("cache_writes");
    return s;
  }

  std::string server_log() const {
    std::error_code ec;
    return fs::exists(m_root / "server.log", ec) ? read_file(m_root / "server.log") : "";
  }

  std::map<std::string, std::string> env;

 private:
  fs::path m_root;
};

// The same command run by the compiler itself, in `dir`.
RunResult local_compile(const std::vector<std::string>& args, const fs::path& dir) {
  return run(args, {}, dir);
}

bool same_file(const fs::path& a, const fs::path& b) {
  return read_file(a) == read_file(b);
}

// A file changed less than a second ago is too new for a manifest to trust (its mtime or ctime
// could hide a second change). Tests that need direct hits wait for that second to pass: a rule
// about timestamps, not a handshake.
void age(const fs::path& file) {
  fs::last_write_time(file, fs::file_time_type::clock::now() - std::chrono::hours(1));
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);  // the ctime is now
  const auto changed = std::chrono::system_clock::time_point(
      std::chrono::seconds(st.st_ctim.tv_sec) + std::chrono::nanoseconds(st.st_ctim.tv_nsec));
  std::this_thread::sleep_until(changed + std::chrono::milliseconds(1050));
}

bool have(const std::string& compiler) {
  return run({"sh", "-c", "command -v " + compiler}).exit_code == 0;
}

const char* k_header =
    "#pragma once\n#define SCALE 7\nstatic inline int scale(int x) { return x * SCALE; }\n";
const char* k_c_source =
    "#include <stdio.h>\n#include \"scale.h\"\n"
    "int main(void) {\n  int unused = 1;\n  printf(\"%d\\n\", scale(6));\n  return 0;\n}\n";
const char* k_cxx_source =
    "#include <vector>\n#include \"scale.h\"\n"
    "int f(std::vector<int> v) {\n  int unused = 1;\n  return scale(v.size());\n}\n";

}  // namespace

TEST_CASE(
    "hits are byte-identical to local compiles: object, depfile, stderr (gcc, clang, C, C++)") {
  TempDir dir("sccache-cache-test");
  Machine m(dir.path());
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
    for (int round = 0; round < 3; ++round) {
      INFO("round " << round);  // 0: miss, 1: direct hit, 2: preprocessed hit
      if (round == 2) {
        m.stop();  // a new server knows no file digests; SCCACHE_DIRECT=off skips the manifest
      }
      RunResult r =
          m.compile(args, round == 2 ? std::map<std::string, std::string>{{"SCCACHE_DIRECT", "off"}}
                                     : std::map<std::string, std::string>{});
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
  Stats s = m.stats();
  CHECK(s.hits == expected_hits);
  CHECK(s.misses == cases.size());
  CHECK(s.writes == cases.size());
  CHECK(s.direct >= cases.size());
  CHECK(s.read_errors == 0);
}

TEST_CASE("a changed header, -D, compiler or language each miss; the objects stay right") {
  TempDir dir("sccache-cache-test");
  Machine m(dir.path());
  write_file(m.src() / "scale.h", k_header);
  write_file(m.src() / "a.c", k_c_source);
  // A compiler of our own, to change: a script running gcc (a copy of gcc's driver elsewhere
  // would not find cc1).
  fs::create_directories(dir / "bin");
  write_file(dir / "bin" / "gcc", "#!/bin/sh\nexec gcc \"$@\"\n");
  fs::permissions(dir / "bin" / "gcc", fs::perms::owner_all);
  const std::string own_gcc = (dir / "bin" / "gcc").string();
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
  Stats s = m.stats();
  CHECK(s.misses == 5);
  CHECK(s.hits == 1);
}

TEST_CASE("direct mode follows header edits and skips the preprocessor once files settle") {
  TempDir dir("sccache-cache-test");
  Machine m(dir.path());
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
  Stats after_edit = m.stats();
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

TEST_CASE("damaged entries are misses, removed and counted; the object is right") {
  TempDir dir("sccache-cache-test");
  Machine m(dir.path());
  write_file(m.src() / "a.c", k_c_source);
  write_file(m.src() / "scale.h", k_header);
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  REQUIRE(local_compile(args, m.src()).exit_code == 0);
  const std::string reference = read_file(m.src() / "a.o");
  REQUIRE(m.compile(args).exit_code == 0);
  // Damage every entry: truncate some, flip bytes in the others.
  int n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(m.cache())) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name[0] == '.') {
      continue;
    }
    std::string bytes = read_file(entry.path());
    if (n++ % 2 == 0) {
      bytes.resize(bytes.size() / 2);
    } else {
      bytes[bytes.size() / 2] ^= 0x20;
    }
    write_file(entry.path(), bytes);
  }
  REQUIRE(n >= 1);
  fs::remove(m.src() / "a.o");
  RunResult r = m.compile(args);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(read_file(m.src() / "a.o") == reference);
  Stats s = m.stats();
  CHECK(s.read_errors >= 1);
  CHECK(s.hits == 0);
  // Stored afresh: the next compile is a hit with the right object.
  fs::remove(m.src() / "a.o");
  REQUIRE(m.compile(args).exit_code == 0);
  CHECK(read_file(m.src() / "a.o") == reference);
  CHECK(m.stats().hits == 1);
}

TEST_CASE("a full cache disk fails no compile") {
  if (::geteuid() != 0) {
    skip_whole_binary("mounting a full disk needs root");
  }
  TempDir dir("sccache-cache-test");
  const fs::path full = dir / "full";
  fs::create_directories(full);
  REQUIRE(::mount("tmpfs", full.c_str(), "tmpfs", 0, "size=64k") == 0);
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{full};
  {
    std::ofstream filler(full / "filler", std::ios::binary);
    const std::string block(4096, 'f');
    for (int i = 0; i < 64 && filler; ++i) {
      filler << block;
    }
  }
  Machine m(dir / "m", {{"SCCACHE_DIR", (full / "cache").string()}});
  write_file(m.src() / "a.c", k_c_source);
  write_file(m.src() / "scale.h", k_header);
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  REQUIRE(local_compile(args, m.src()).exit_code == 0);
  const std::string reference = read_file(m.src() / "a.o");
  fs::remove(m.src() / "a.o");
  RunResult r = m.compile(args);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(read_file(m.src() / "a.o") == reference);
  CHECK(m.stats().write_errors >= 1);
}

TEST_CASE("the cache stays within SCCACHE_CACHE_SIZE, the newest entries kept") {
  TempDir dir("sccache-cache-test");
  Machine m(dir.path(), {{"SCCACHE_CACHE_SIZE", "96K"}});
  for (int i = 0; i < 60; ++i) {
    write_file(m.src() / fmt::format("f{}.c", i),
               fmt::format("int f{0}(int x) {{ return x * {0} + {1}; }}\n"
                           "const char text{0}[] = \"{2}\";\n",
                           i, i * 3, std::string(200 + i * 7, 'a' + i % 26)));
    REQUIRE(m.compile({"gcc", "-O2", "-c", fmt::format("f{}.c", i)}).exit_code == 0);
  }
  uint64_t on_disk = 0;
  for (const auto& entry : fs::recursive_directory_iterator(m.cache())) {
    if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') {
      on_disk += entry.file_size();
    }
  }
  CHECK(on_disk <= 96 * 1024);
  CHECK(on_disk > 0);
  Stats s = m.stats();
  CHECK(s.json->getValue<uint64_t>("cache_size") == on_disk);
  CHECK(s.json->getValue<uint64_t>("max_cache_size") == 96 * 1024);
  // The last file compiled is still a hit.
  REQUIRE(m.compile({"gcc", "-O2", "-c", "f59.c"}).exit_code == 0);
  CHECK(m.stats().hits == 1);
}

TEST_CASE("SCCACHE_RECACHE, SCCACHE_NO_CACHE, failed compiles and __TIME__") {
  TempDir dir("sccache-cache-test");
  Machine m(dir.path());
  write_file(m.src() / "a.c", k_c_source);
  write_file(m.src() / "scale.h", k_header);
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  REQUIRE(m.compile(args).exit_code == 0);
  REQUIRE(m.compile(args, {{"SCCACHE_RECACHE", "1"}}).exit_code == 0);
  Stats s = m.stats();
  CHECK(s.recaches == 1);
  CHECK(s.hits == 0);
  CHECK(s.writes == 2);
  REQUIRE(m.compile(args, {{"SCCACHE_NO_CACHE", "1"}}).exit_code == 0);
  CHECK(m.stats().hits == 0);
  REQUIRE(m.compile(args).exit_code == 0);
  CHECK(m.stats().hits == 1);
  // A compile error is not kept: it is the compiler's, every time.
  write_file(m.src() / "bad.c", "int main(void) { return missing; }\n");
  for (int i = 0; i < 2; ++i) {
    RunResult bad = m.compile({"gcc", "-c", "bad.c", "-o", "bad.o"});
    CHECK(bad.exit_code == 1);
    CHECK(bad.err.find("missing") != std::string::npos);
    CHECK(bad.err == local_compile({"gcc", "-c", "bad.c", "-o", "bad.o"}, m.src()).err);
  }
  CHECK(m.stats().hits == 1);
  // __TIME__ changes every second: never cached.
  write_file(m.src() / "t.c", "const char* when = __TIME__;\n");
  REQUIRE(m.compile({"gcc", "-c", "t.c"}).exit_code == 0);
  REQUIRE(m.compile({"gcc", "-c", "t.c"}).exit_code == 0);
  s = m.stats();
  CHECK(s.hits == 1);
  CHECK(s.not_cached("time_macros") == 2);
  // A link is not a compile: not cached, and counted as such.
  REQUIRE(m.compile({"gcc", "a.o", "-o", "a.out"}).exit_code == 0);
  CHECK(m.stats().not_cached("not_compile") == 1);
}

TEST_CASE("make -j on one cache directory, from two servers: every rebuild object a hit") {
  TempDir dir("sccache-cache-test");
  Machine first(dir / "one", {{"SCCACHE_DIR", (dir / "shared-cache").string()}});
  Machine second(dir / "two", {{"SCCACHE_DIR", (dir / "shared-cache").string()}});
  std::string objects;
  for (int i = 0; i < 24; ++i) {
    write_file(first.src() / fmt::format("u{}.c", i),
               fmt::format("#include <string.h>\n#include \"scale.h\"\n"
                           "int u{0}(const char* s) {{ return (int)strlen(s) * scale({0}); }}\n",
                           i));
    objects += fmt::format(" u{}.o", i);
  }
  write_file(first.src() / "scale.h", k_header);
  write_file(
      first.src() / "Makefile",
      "all:" + objects + "\n%.o: %.c\n\t$(CC) -O2 -MMD -c $< -o $@\nclean:\n\trm -f *.o *.d\n");
  const std::string cc = "CC=" + Machine::sccache().string() + " gcc";
  auto make = [&](Machine& m) {
    std::map<std::string, std::string> env = m.env;
    return run({"make", "-j8", cc}, env, first.src());
  };
  REQUIRE(make(first).exit_code == 0);
  std::map<std::string, std::string> built;
  for (int i = 0; i < 24; ++i) {
    built[fmt::format("u{}.o", i)] = read_file(first.src() / fmt::format("u{}.o", i));
  }
  REQUIRE(run({"make", "clean"}, {}, first.src()).exit_code == 0);
  REQUIRE(make(second).exit_code == 0);  // another server, the same cache
  for (const auto& [name, bytes] : built) {
    CHECK(read_file(first.src() / name) == bytes);
  }
  CHECK(first.stats().misses == 24);
  Stats s = second.stats();
  CHECK(s.hits == 24);
  CHECK(s.misses == 0);
  // Both at once on a clean tree: still right.
  REQUIRE(run({"make", "clean"}, {}, first.src()).exit_code == 0);
  std::vector<std::string> half = {"make", "-j4", cc};
  for (int i = 0; i < 12; ++i) {
    half.push_back(fmt::format("u{}.o", i));
  }
  ChildProcess a(half, first.env, first.src());
  RunResult b = make(second);
  CHECK(a.wait(std::chrono::seconds(120)) == 0);
  CHECK(b.exit_code == 0);
  for (const auto& [name, bytes] : built) {
    CHECK(read_file(first.src() / name) == bytes);
  }
}

TEST_CASE("Redis shared by two machines: a hit from Redis fills the local cache") {
  RedisServer redis;
  TempDir dir("sccache-cache-test");
  const std::map<std::string, std::string> redis_env = {
      {"SCCACHE_REDIS_ENDPOINT", fmt::format("redis://127.0.0.1:{}", redis.port())},
      {"SCCACHE_REDIS_KEY_PREFIX", "test"}};
  Machine a(dir / "a", redis_env);
  Machine b(dir / "b", redis_env);
  for (Machine* m : {&a, &b}) {
    write_file(m->src() / "a.c", k_c_source);
    write_file(m->src() / "scale.h", k_header);
  }
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o", "-MMD"};
  REQUIRE(a.compile(args).exit_code == 0);
  CHECK(redis.dbsize() >= 1);
  RunResult r = b.compile(args);
  REQUIRE(r.exit_code == 0);
  CHECK(read_file(b.src() / "a.o") == read_file(a.src() / "a.o"));
  CHECK(read_file(b.src() / "a.d") == read_file(a.src() / "a.d"));
  Stats sb = b.stats();
  CHECK(sb.hits == 1);
  CHECK(sb.remote == 1);
  CHECK(sb.misses == 0);
  // Now on b's disk: hits without Redis.
  redis.stop();
  fs::remove(b.src() / "a.o");
  REQUIRE(b.compile(args).exit_code == 0);
  CHECK(read_file(b.src() / "a.o") == read_file(a.src() / "a.o"));
  sb = b.stats();
  CHECK(sb.hits == 2);
  CHECK(sb.remote == 1);
  CHECK(b.stats().json->getValue<std::string>("cache_location").find("Redis") != std::string::npos);
}

TEST_CASE("Redis stopped or hung mid-build: compiles go on as misses, counted") {
  RedisServer redis;
  TempDir dir("sccache-cache-test");
  Machine m(dir.path(),
            {{"SCCACHE_REDIS_ENDPOINT", fmt::format("redis://127.0.0.1:{}", redis.port())},
             {"SCCACHE_REDIS_TIMEOUT_MS", "300"}});
  auto compile_n = [&](int i) {
    const std::string name = fmt::format("n{}.c", i);
    write_file(m.src() / name, fmt::format("int n{0}(void) {{ return {0}; }}\n", i));
    const auto start = std::chrono::steady_clock::now();
    RunResult r = m.compile({"gcc", "-O2", "-c", name});
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    const std::string ours = read_file(m.src() / fmt::format("n{}.o", i));
    REQUIRE(local_compile({"gcc", "-O2", "-c", name}, m.src()).exit_code == 0);
    CHECK(read_file(m.src() / fmt::format("n{}.o", i)) == ours);
    return std::chrono::steady_clock::now() - start;
  };
  compile_n(0);
  compile_n(1);
  redis.stop();
  for (int i = 2; i < 6; ++i) {
    compile_n(i);
  }
  Stats s = m.stats();
  CHECK(s.misses == 6);
  CHECK(s.read_errors + s.timeouts + s.write_errors >= 1);
  // Hung: accepted, never answered. The timeout bounds each compile's wait.
  redis.start();
  redis.pause();
  const auto hung = compile_n(7);
  redis.resume();
  CHECK(hung < std::chrono::seconds(5));
  CHECK(m.stats().misses == 7);
}
