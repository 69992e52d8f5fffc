// One "machine" of the compile cache's integration tests: a project directory, a cache
// directory and a local server of its own, driven through the real wrapper; plus the helpers the
// cache tests share (local reference compiles, settling files, sources with a warning to replay).
//
// Threads: one test thread. Failure: Catch2 REQUIREs.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "support/test_support.hpp"

namespace sccache::test {

struct CacheStats {
  uint64_t hits = 0, direct = 0, preprocessed = 0, remote = 0, misses = 0, read_errors = 0,
           write_errors = 0, timeouts = 0, recaches = 0, writes = 0;
  Poco::JSON::Object::Ptr json;
  uint64_t not_cached(const std::string& reason) const;
};

class CacheMachine {
 public:
  // `extra` adds to or overrides the machine's environment (SCCACHE_DIR, ...).
  explicit CacheMachine(const std::filesystem::path& root,
                        std::map<std::string, std::string> extra = {});
  ~CacheMachine();

  std::filesystem::path src() const { return m_root / "src"; }
  std::filesystem::path cache() const { return env.at("SCCACHE_DIR"); }
  void stop();
  static std::filesystem::path sccache() { return bin_dir() / "sccache"; }

  // `sccache <args...>` in src(), with `more` added to the environment.
  RunResult compile(std::vector<std::string> args, std::map<std::string, std::string> more = {});
  CacheStats stats();
  // Writes a.c (k_c_source) and scale.h (k_header) into src() and settles them (settle()).
  void write_sample_sources();
  std::string server_log() const;

  std::map<std::string, std::string> env;

 private:
  std::filesystem::path m_root;
};

// The same command run by the compiler itself, in `dir`.
RunResult local_compile(const std::vector<std::string>& args, const std::filesystem::path& dir);
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

// A file changed less than a second before a compile is too new for a manifest to trust (its
// mtime or ctime could hide a second change), and depend mode stores nothing for it. Tests that
// need entries from freshly written files wait for that second to pass: a rule about
// timestamps, not a handshake. settle() does it for every file under `dir` with one wait.
void age(const std::filesystem::path& file);
void settle(const std::filesystem::path& dir);

bool have(const std::string& compiler);

extern const char* const k_header;
extern const char* const k_c_source;    // includes scale.h; warns (-Wall) of an unused variable
extern const char* const k_cxx_source;  // the same in C++

}  // namespace sccache::test
