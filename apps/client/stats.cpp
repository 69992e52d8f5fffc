#include "client/stats.hpp"

#include <fcntl.h>
#include <numeric>
#include <sstream>
#include <sys/file.h>
#include <unistd.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

namespace sccache {
namespace {

void add_counts(std::map<std::string, uint64_t>& total,
                const std::map<std::string, uint64_t>& delta) {
  for (const auto& [key, count] : delta) {
    total[key] += count;
  }
}

uint64_t sum(const std::map<std::string, uint64_t>& counts) {
  return std::accumulate(counts.begin(), counts.end(), uint64_t{0},
                         [](uint64_t total, const auto& kv) { return total + kv.second; });
}

Poco::JSON::Object to_object(const std::map<std::string, uint64_t>& counts) {
  Poco::JSON::Object o;
  for (const auto& [k, v] : counts) {
    o.set(k, v);
  }
  return o;
}

std::map<std::string, uint64_t> from_object(const Poco::JSON::Object::Ptr& o) {
  std::map<std::string, uint64_t> counts;
  if (o) {
    for (const auto& key : o->getNames()) {
      counts[key] = o->getValue<uint64_t>(key);
    }
  }
  return counts;
}

std::string read_all(int fd) {
  std::string text;
  char buffer[8192];
  ssize_t got;
  off_t offset = 0;
  while ((got = ::pread(fd, buffer, sizeof buffer, offset)) > 0) {
    text.append(buffer, static_cast<size_t>(got));
    offset += got;
  }
  return text;
}

}  // namespace

void add_stats(ClientStats& total, const ClientStats& delta) {
  total.compile_requests += delta.compile_requests;
  total.remote_compiles += delta.remote_compiles;
  total.remote_compile_errors += delta.remote_compile_errors;
  add_counts(total.remote_by_server, delta.remote_by_server);
  add_counts(total.local_fallbacks, delta.local_fallbacks);
  add_counts(total.remote_retries, delta.remote_retries);
  add_counts(total.not_distributed, delta.not_distributed);
  total.remote_time_ms += delta.remote_time_ms;
  total.local_compiles += delta.local_compiles;
  total.local_time_ms += delta.local_time_ms;
  total.cache_hits_direct += delta.cache_hits_direct;
  total.cache_hits_preprocessed += delta.cache_hits_preprocessed;
  total.cache_hits_remote += delta.cache_hits_remote;
  total.cache_misses += delta.cache_misses;
  total.cache_timeouts += delta.cache_timeouts;
  total.cache_read_errors += delta.cache_read_errors;
  total.cache_write_errors += delta.cache_write_errors;
  total.cache_writes += delta.cache_writes;
  total.forced_recaches += delta.forced_recaches;
  add_counts(total.not_cached, delta.not_cached);
  total.cache_hit_time_ms += delta.cache_hit_time_ms;
}

uint64_t ClientStats::total_not_cached() const {
  return sum(not_cached);
}
uint64_t ClientStats::total_fallbacks() const {
  return sum(local_fallbacks);
}
uint64_t ClientStats::total_not_distributed() const {
  return sum(not_distributed);
}

std::string stats_to_json(const ClientStats& s, const CacheDescription* cache) {
  Poco::JSON::Object o;
  o.set("compile_requests", s.compile_requests);
  o.set("remote_compiles", s.remote_compiles);
  o.set("remote_compile_errors", s.remote_compile_errors);
  o.set("remote_by_server", to_object(s.remote_by_server));
  o.set("local_fallbacks", to_object(s.local_fallbacks));
  o.set("remote_retries", to_object(s.remote_retries));
  o.set("not_distributed", to_object(s.not_distributed));
  o.set("remote_time_ms", s.remote_time_ms);
  o.set("local_compiles", s.local_compiles);
  o.set("local_time_ms", s.local_time_ms);
  o.set("cache_hits", s.cache_hits());
  o.set("cache_hits_direct", s.cache_hits_direct);
  o.set("cache_hits_preprocessed", s.cache_hits_preprocessed);
  o.set("cache_hits_remote", s.cache_hits_remote);
  o.set("cache_misses", s.cache_misses);
  o.set("cache_timeouts", s.cache_timeouts);
  o.set("cache_read_errors", s.cache_read_errors);
  o.set("cache_write_errors", s.cache_write_errors);
  o.set("cache_writes", s.cache_writes);
  o.set("forced_recaches", s.forced_recaches);
  o.set("not_cached", to_object(s.not_cached));
  o.set("cache_hit_time_ms", s.cache_hit_time_ms);
  if (cache) {
    o.set("cache_location", cache->location);
    o.set("cache_size", cache->size);
    o.set("max_cache_size", cache->max_size);
    o.set("use_direct_mode", cache->direct_mode);
    o.set("use_depend_mode", cache->depend_mode);
    Poco::JSON::Array dirs;
    for (const auto& dir : cache->basedirs) {
      dirs.add(dir);
    }
    o.set("basedirs", dirs);
  }
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

ClientStats stats_from_json(const std::string& text) {
  ClientStats s;
  if (text.empty()) {
    return s;
  }
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
    auto number = [&](const char* key) { return o->has(key) ? o->getValue<uint64_t>(key) : 0; };
    s.compile_requests = number("compile_requests");
    s.remote_compiles = number("remote_compiles");
    s.remote_compile_errors = number("remote_compile_errors");
    s.remote_by_server = from_object(o->getObject("remote_by_server"));
    s.local_fallbacks = from_object(o->getObject("local_fallbacks"));
    s.remote_retries = from_object(o->getObject("remote_retries"));
    s.not_distributed = from_object(o->getObject("not_distributed"));
    s.remote_time_ms = number("remote_time_ms");
    s.local_compiles = number("local_compiles");
    s.local_time_ms = number("local_time_ms");
    s.cache_hits_direct = number("cache_hits_direct");
    s.cache_hits_preprocessed = number("cache_hits_preprocessed");
    s.cache_hits_remote = number("cache_hits_remote");
    s.cache_misses = number("cache_misses");
    s.cache_timeouts = number("cache_timeouts");
    s.cache_read_errors = number("cache_read_errors");
    s.cache_write_errors = number("cache_write_errors");
    s.cache_writes = number("cache_writes");
    s.forced_recaches = number("forced_recaches");
    s.not_cached = from_object(o->getObject("not_cached"));
    s.cache_hit_time_ms = number("cache_hit_time_ms");
  } catch (const std::exception&) {
    // A damaged stats file starts over rather than failing compiles: all of it, not the counts
    // read before the damage.
    return ClientStats{};
  }
  return s;
}

bool StatsFile::lock_and_read(ClientStats* stats) {
  std::error_code ec;
  std::filesystem::create_directories(m_path.parent_path(), ec);
  // The stats file is its own lock; it is rewritten in place (no rename, which on ext4 forces a
  // writeback of the new file on every compile). A torn write reads as empty and starts over.
  m_lock_fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_lock_fd < 0) {
    return false;
  }
  if (::flock(m_lock_fd, LOCK_EX) != 0) {
    ::close(m_lock_fd);
    m_lock_fd = -1;
    return false;
  }
  *stats = stats_from_json(read_all(m_lock_fd));
  return true;
}

void StatsFile::write_and_unlock(const ClientStats& stats) {
  const std::string text = stats_to_json(stats) + "\n";
  if (::ftruncate(m_lock_fd, 0) == 0) {
    ssize_t written = ::pwrite(m_lock_fd, text.data(), text.size(), 0);
    (void)written;  // stats never fail a compile
  }
  ::close(m_lock_fd);  // releases the flock
  m_lock_fd = -1;
}

ClientStats StatsFile::read() const {
  int fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return {};
  }
  ::flock(fd, LOCK_SH);
  ClientStats stats = stats_from_json(read_all(fd));
  ::close(fd);
  return stats;
}

void StatsFile::zero() {
  update([](ClientStats& stats) { stats = ClientStats{}; });
}

namespace {

std::string human_size(uint64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} bytes", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

}  // namespace

void print_stats_text(const ClientStats& s, std::ostream& out, const CacheDescription* cache) {
  auto line = [&](std::string_view label, auto value) {
    out << fmt::format("{:<40}{:>12}\n", label, value);
  };
  auto average = [](uint64_t total_ms, uint64_t count) {
    return count == 0 ? std::string("-") : fmt::format("{:.3f} s", total_ms / 1000.0 / count);
  };
  line("Compile requests", s.compile_requests);
  line("Cache hits", s.cache_hits());
  line("  Direct (no preprocessor)", s.cache_hits_direct);
  line("  Preprocessed", s.cache_hits_preprocessed);
  line("  From Redis", s.cache_hits_remote);
  line("Cache misses", s.cache_misses);
  const uint64_t lookups = s.cache_hits() + s.cache_misses;
  line("Cache hits rate",
       lookups == 0 ? std::string("-")
                    : fmt::format("{:.2f} %", 100.0 * static_cast<double>(s.cache_hits()) /
                                                  static_cast<double>(lookups)));
  line("Cache timeouts", s.cache_timeouts);
  line("Cache read errors", s.cache_read_errors);
  line("Forced recaches", s.forced_recaches);
  line("Cache write errors", s.cache_write_errors);
  line("Cache writes", s.cache_writes);
  line("Non-cacheable calls", s.total_not_cached());
  for (const auto& [reason, count] : s.not_cached) {
    line("  " + reason, count);
  }
  line("Remote compiles", s.remote_compiles);
  for (const auto& [server, count] : s.remote_by_server) {
    line("  " + server, count);
  }
  line("Remote compiles with errors in the code", s.remote_compile_errors);
  uint64_t retried = 0;
  for (const auto& [reason, count] : s.remote_retries) {
    retried += count;
  }
  line("Remote attempts retried elsewhere", retried);
  for (const auto& [reason, count] : s.remote_retries) {
    line("  " + reason, count);
  }
  line("Local fallbacks (could not distribute)", s.total_fallbacks());
  for (const auto& [reason, count] : s.local_fallbacks) {
    line("  " + reason, count);
  }
  line("Not distributable calls", s.total_not_distributed());
  for (const auto& [reason, count] : s.not_distributed) {
    line("  " + reason, count);
  }
  line("Average remote compile time", average(s.remote_time_ms, s.remote_compiles));
  line("Average local compile time", average(s.local_time_ms, s.local_compiles));
  line("Average cache hit", average(s.cache_hit_time_ms, s.cache_hits()));
  if (cache) {
    out << "\n";
    out << fmt::format("{:<40}{}\n", "Cache location", cache->location);
    out << fmt::format("{:<40}{}\n", "Use direct mode?", cache->direct_mode ? "yes" : "no");
    out << fmt::format("{:<40}{}\n", "Use depend mode?", cache->depend_mode ? "yes" : "no");
    std::string dirs;
    for (const auto& dir : cache->basedirs) {
      dirs += (dirs.empty() ? "" : ", ") + dir;
    }
    out << fmt::format("{:<40}{}\n", "Base directories", dirs.empty() ? "(none)" : dirs);
    line("Cache size", human_size(cache->size));
    line("Max cache size", human_size(cache->max_size));
  }
}

}  // namespace sccache
