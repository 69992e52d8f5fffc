// Direct mode's manifests (ccache's; upstream's preprocessor cache entries): stored under a
// direct key (cache_key.hpp), a manifest lists, for each result compiled from that command and
// source, the included files and their digests. When every file of one result still has its
// digest, that result is the answer and no preprocessor runs.
//
// At most k_max_results results are kept, newest first; a manifest listing more files than
// k_max_files in all starts over.
//
// Threads: pure, apart from the digests (file_digests.hpp, thread-safe). Failure: decode throws
// CorruptEntry.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/cache/file_digests.hpp"

namespace sccache::cache {

struct Manifest {
  static constexpr size_t k_max_results = 100;
  static constexpr size_t k_max_files = 10'000;

  struct Include {
    std::string path;  // absolute
    std::string digest;
  };
  struct Result {
    std::string result_key;
    std::vector<Include> includes;
  };
  std::vector<Result> results;  // newest first

  // The result whose includes all still match, newest first; nullopt if none does.
  std::optional<std::string> find(FileDigests& digests) const;
  // Puts `result` first (replacing one with the same key), trimming as above.
  void add(Result result);
};

std::string encode_manifest(const Manifest& manifest);
Manifest decode_manifest(std::string_view bytes);

}  // namespace sccache::cache
