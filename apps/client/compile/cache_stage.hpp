// The compile cache's steps inside a compile (pipeline.cpp runs them): the key's inputs for a
// planned command, a hit replayed as the compiler's own output, a finished compile made into an
// entry, and direct mode's manifest kept up to date.
//
// Threads: any number at once (the cache is thread-safe). Failure: as each function says.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "client/cache/cache_entry.hpp"
#include "client/cache/cache_key.hpp"
#include "client/cache/compile_cache.hpp"
#include "client/cache/manifest.hpp"
#include "client/compile/plan.hpp"
#include "client/compile/request.hpp"

namespace sccache {

// The key's inputs; nullopt when the compiler cannot be read (then nothing is cached).
std::optional<cache::KeyInputs> key_inputs(const PlannedCompile& planned,
                                           const CompileRequest& request,
                                           cache::CompileCache& cache);

// The source's path as the key takes it, and its digest; nullopt if it cannot be read.
std::optional<cache::FileDigest> source_digest(const PlannedCompile& planned,
                                               const CompileRequest& request,
                                               cache::CompileCache& cache);

// Writes the entry's object (and its depfile when `write_depfile`: a direct hit, where no
// preprocessor wrote one) in place, each by a temp file and a rename; the reply carries the
// entry's stdout and stderr (colours removed unless the request wants them). Throws
// std::runtime_error when an output cannot be written (the compile then runs normally).
CompileReply replay(const cache::CompileResult& result, const PlannedCompile& planned,
                    const CompileRequest& request, bool write_depfile);

// The entry for a successful compile's reply: its streams and its outputs read back. nullopt
// when an output is missing or unreadable.
std::optional<cache::CompileResult> result_of(const CompileReply& reply,
                                              const PlannedCompile& planned,
                                              const CompileRequest& request);

// The files a result was compiled from, with their digests, for its manifest entry. nullopt when
// a file is missing or changed after `since_ns` (or within the second before it: the compile
// that started then may have read it before the change), so a manifest must not trust it.
struct IncludeDigests {
  std::vector<cache::Manifest::Include> includes;
  bool mentions_time = false;  // some file names __TIME__ or __TIMESTAMP__
  bool mentions_date = false;  // some file names __DATE__
};
std::optional<IncludeDigests> include_digests(cache::CompileCache& cache,
                                              const std::vector<std::filesystem::path>& files,
                                              int64_t since_ns);

// Puts `entry` first in the manifest at `direct_key`: `known` is that manifest as a lookup just
// found it (empty when there was none), nullptr to read it now. Returns the write's problems,
// to count.
cache::Store record_manifest(cache::CompileCache& cache, const std::string& direct_key,
                             cache::Manifest::Result entry, const cache::Manifest* known);

}  // namespace sccache
