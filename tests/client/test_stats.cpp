// StatsFile, the client's counts shared by every sccache process of a user: concurrent updates
// from many processes lose no count, a damaged file starts over instead of failing compiles,
// zero() resets everything, and the JSON form round-trips.
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "client/stats.hpp"
#include "support/test_support.hpp"

using namespace sccache;
using namespace sccache::test;

namespace {

// The value printed on the line of `label` (a line "<label><spaces><value>"), or "(no line)".
std::string value_of(const std::string& text, const std::string& label) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(label + " ", 0) == 0) {
      const size_t start = line.find_first_not_of(' ', label.size());
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "(no line)";
}

}  // namespace

TEST_CASE("concurrent updates from several processes lose no count") {
  TempDir dir;
  const auto path = dir / "stats" / "stats.json";  // the directory is made on first use
  constexpr int k_processes = 6;
  constexpr int k_updates = 150;
  std::vector<pid_t> children;
  for (int p = 0; p < k_processes; ++p) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      StatsFile stats(path);
      for (int i = 0; i < k_updates; ++i) {
        stats.update([&](ClientStats& s) {
          ++s.compile_requests;
          ++s.remote_by_server["server-" + std::to_string(p)];
          s.remote_time_ms += 2;
        });
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
  }
  const ClientStats stats = StatsFile(path).read();
  CHECK(stats.compile_requests == k_processes * k_updates);
  CHECK(stats.remote_time_ms == 2 * k_processes * k_updates);
  REQUIRE(stats.remote_by_server.size() == k_processes);
  for (const auto& [server, count] : stats.remote_by_server) {
    CHECK(count == k_updates);
  }
}

TEST_CASE("a damaged stats file starts over") {
  const char* damaged[] = {
      "{not json at all",
      "{\"compile_requests\": 41, \"remote_compiles\": 2",  // torn write
      "{\"compile_requests\": 41, \"remote_compiles\": \"many\"}",
      "{\"compile_requests\": 41, \"local_fallbacks\": {\"x\": -3}}",
      "[1, 2, 3]",
      "\x01\x02\x03",
  };
  for (const char* text : damaged) {
    INFO(text);
    TempDir dir;
    write_file(dir / "stats.json", text);
    StatsFile file(dir / "stats.json");
    CHECK(file.read().compile_requests == 0);
    file.update([](ClientStats& s) { ++s.compile_requests; });
    const ClientStats after = file.read();
    CHECK(after.compile_requests == 1);
    CHECK(after.remote_compiles == 0);
    CHECK(after.local_fallbacks.empty());
  }
}

TEST_CASE("zero() resets every count; a missing file reads as zeros") {
  TempDir dir;
  StatsFile file(dir / "stats.json");
  CHECK(file.read().compile_requests == 0);
  file.update([](ClientStats& s) {
    s.compile_requests = 7;
    s.local_fallbacks["scheduler_unreachable"] = 3;
    s.not_distributed["-E"] = 2;
  });
  CHECK(file.read().total_fallbacks() == 3);
  file.zero();
  const ClientStats zeroed = file.read();
  CHECK(zeroed.compile_requests == 0);
  CHECK(zeroed.local_fallbacks.empty());
  CHECK(zeroed.not_distributed.empty());
  CHECK(std::filesystem::exists(dir / "stats.json"));
}

TEST_CASE("stats round-trip through their JSON form and print every count") {
  ClientStats s;
  s.compile_requests = 10;
  s.remote_compiles = 6;
  s.remote_compile_errors = 1;
  s.remote_by_server = {{"10.0.0.1:10501", 4}, {"10.0.0.2:10501", 2}};
  s.local_fallbacks = {{"toolchain_upload", 1}, {"no_capacity", 2}};
  s.not_distributed = {{"-E", 1}};
  s.remote_time_ms = 1200;
  s.local_compiles = 4;
  s.local_time_ms = 400;
  const ClientStats back = stats_from_json(stats_to_json(s));
  CHECK(back.compile_requests == 10);
  CHECK(back.remote_compiles == 6);
  CHECK(back.remote_compile_errors == 1);
  CHECK(back.remote_by_server == s.remote_by_server);
  CHECK(back.local_fallbacks == s.local_fallbacks);
  CHECK(back.not_distributed == s.not_distributed);
  CHECK(back.remote_time_ms == 1200);
  CHECK(back.local_compiles == 4);
  CHECK(back.local_time_ms == 400);
  CHECK(back.total_fallbacks() == 3);
  CHECK(back.total_not_distributed() == 1);

  std::ostringstream text;
  print_stats_text(back, text);
  CHECK(value_of(text.str(), "Compile requests") == "10");
  CHECK(value_of(text.str(), "Local fallbacks (could not distribute)") == "3");
  CHECK(value_of(text.str(), "  no_capacity") == "2");
  CHECK(value_of(text.str(), "  10.0.0.1:10501") == "4");
  CHECK(value_of(text.str(), "Average remote compile time") == "0.200 s");
  CHECK(value_of(text.str(), "Average local compile time") == "0.100 s");
}

TEST_CASE("the cache's counts survive JSON and merging, and print in upstream's rows") {
  ClientStats s;
  s.compile_requests = 10;
  s.cache_hits_direct = 5;
  s.cache_hits_preprocessed = 1;
  s.cache_hits_remote = 2;
  s.cache_misses = 2;
  s.cache_timeouts = 3;
  s.cache_read_errors = 4;
  s.cache_write_errors = 5;
  s.cache_writes = 6;
  s.forced_recaches = 7;
  s.not_cached = {{"time_macros", 1}, {"not_compile", 2}};
  s.cache_hit_time_ms = 60;
  // Every field: merging into zero and a JSON round trip both give the same document.
  ClientStats merged;
  add_stats(merged, s);
  CHECK(stats_to_json(merged) == stats_to_json(s));
  CHECK(stats_to_json(stats_from_json(stats_to_json(s))) == stats_to_json(s));
  add_stats(merged, s);
  CHECK(merged.cache_hits() == 12);
  CHECK(merged.not_cached.at("not_compile") == 4);

  CacheDescription cache{"Local disk: \"/c\"", 3 << 20, 10ull << 30, true, false, {"/home"}};
  std::ostringstream text;
  print_stats_text(s, text, &cache);
  CHECK(value_of(text.str(), "Cache hits") == "6");
  CHECK(value_of(text.str(), "Cache misses") == "2");
  CHECK(value_of(text.str(), "Cache hits rate") == "75.00 %");
  CHECK(value_of(text.str(), "Cache timeouts") == "3");
  CHECK(value_of(text.str(), "Cache read errors") == "4");
  CHECK(value_of(text.str(), "Cache write errors") == "5");
  CHECK(value_of(text.str(), "Forced recaches") == "7");
  CHECK(value_of(text.str(), "Non-cacheable calls") == "3");
  CHECK(value_of(text.str(), "  time_macros") == "1");
  CHECK(value_of(text.str(), "Average cache hit") == "0.010 s");
  CHECK(value_of(text.str(), "Cache size") == "3.0 MiB");
  CHECK(value_of(text.str(), "Max cache size") == "10.0 GiB");
  CHECK(value_of(text.str(), "Use direct mode?") == "yes");
  CHECK(value_of(text.str(), "Use depend mode?") == "no");
  CHECK(text.str().find("Cache location                          Local disk: \"/c\"") !=
        std::string::npos);
  const std::string json = stats_to_json(s, &cache);
  CHECK(json.find("\"cache_location\":\"Local disk: \\\"/c\\\"\"") != std::string::npos);
  CHECK(json.find("\"max_cache_size\":10737418240") != std::string::npos);
  CHECK(json.find("\"use_depend_mode\":false") != std::string::npos);
}
