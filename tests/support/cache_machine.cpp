#include "support/cache_machine.hpp"

#include <chrono>
#include <sys/stat.h>
#include <thread>

#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

namespace sccache::test {
namespace fs = std::filesystem;

uint64_t CacheStats::not_cached(const std::string& reason) const {
  auto o = json->getObject("not_cached");
  return o && o->has(reason) ? o->getValue<uint64_t>(reason) : 0;
}

CacheMachine::CacheMachine(const fs::path& root, std::map<std::string, std::string> extra)
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

CacheMachine::~CacheMachine() {
  stop();
}

void CacheMachine::stop() {
  run({sccache().string(), "--stop-server"}, env);
}

RunResult CacheMachine::compile(std::vector<std::string> args,
                                std::map<std::string, std::string> more) {
  args.insert(args.begin(), sccache().string());
  std::map<std::string, std::string> all = env;
  for (auto& [k, v] : more) {
    all[k] = v;
  }
  return run(args, all, src());
}

CacheStats CacheMachine::stats() {
  RunResult r = run({sccache().string(), "--show-stats", "--stats-format", "json"}, env);
  REQUIRE(r.exit_code == 0);
  Poco::JSON::Parser parser;
  CacheStats s;
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

void CacheMachine::write_sample_sources() {
  write_file(src() / "a.c", k_c_source);
  write_file(src() / "scale.h", k_header);
  settle(src());
}

std::string CacheMachine::server_log() const {
  std::error_code ec;
  return fs::exists(m_root / "server.log", ec) ? read_file(m_root / "server.log") : "";
}

RunResult local_compile(const std::vector<std::string>& args, const fs::path& dir) {
  return run(args, {}, dir);
}

bool same_file(const fs::path& a, const fs::path& b) {
  return read_file(a) == read_file(b);
}

namespace {

// Sets the mtime an hour back; returns the ctime that this (or the file's writing) left.
std::chrono::system_clock::time_point backdate(const fs::path& file) {
  fs::last_write_time(file, fs::file_time_type::clock::now() - std::chrono::hours(1));
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  return std::chrono::system_clock::time_point(std::chrono::seconds(st.st_ctim.tv_sec) +
                                               std::chrono::nanoseconds(st.st_ctim.tv_nsec));
}

}  // namespace

void age(const fs::path& file) {
  std::this_thread::sleep_until(backdate(file) + std::chrono::milliseconds(1050));
}

void settle(const fs::path& dir) {
  std::chrono::system_clock::time_point latest{};
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      latest = std::max(latest, backdate(entry.path()));
    }
  }
  std::this_thread::sleep_until(latest + std::chrono::milliseconds(1050));
}

bool have(const std::string& compiler) {
  return run({"sh", "-c", "command -v " + compiler}).exit_code == 0;
}

const char* const k_header =
    "#pragma once\n#define SCALE 7\nstatic inline int scale(int x) { return x * SCALE; }\n";
const char* const k_c_source =
    "#include <stdio.h>\n#include \"scale.h\"\n"
    "int main(void) {\n  int unused = 1;\n  printf(\"%d\\n\", scale(6));\n  return 0;\n}\n";
const char* const k_cxx_source =
    "#include <vector>\n#include \"scale.h\"\n"
    "int f(std::vector<int> v) {\n  int unused = 1;\n  return scale(v.size());\n}\n";

}  // namespace sccache::test
