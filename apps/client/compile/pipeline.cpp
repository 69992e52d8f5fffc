#include "client/compile/pipeline.hpp"

#include <chrono>
#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "client/cache/cache_key.hpp"
#include "client/cache/include_list.hpp"
#include "client/cache/manifest.hpp"
#include "client/compile/cache_stage.hpp"
#include "client/compile/depend_mode.hpp"
#include "client/compile/local_compile.hpp"
#include "client/compile/plan.hpp"
#include "client/compile/preprocess.hpp"
#include "client/compile/remote_compile.hpp"
#include "client/dist_client.hpp"
#include "client/fallback_reason.hpp"
#include "client/toolchain/toolchain.hpp"

namespace sccache {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
using Cause = CompileReply::LocalCause;

uint64_t elapsed_ms(Clock::time_point since) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

CompileReply local(const PlannedCompile& planned, Cause cause, std::string reason,
                   std::string warning = {}) {
  return CompileReply::local(planned.compiler, planned.argv, cause, std::move(reason),
                             std::move(warning));
}

// The cluster's attempt (when configured), else a local compile the caller runs.
CompileReply compile_uncached(const PlannedCompile& planned, const CompileRequest& request,
                              ClientContext& context, PreprocessedUnit* unit = nullptr) {
  if (!planned.distributable) {
    return local(planned, Cause::not_distributable, planned.local_reason);
  }
  try {
    return compile_remotely(planned, request, context, unit);
  } catch (const DistFailure& failure) {
    std::string reason(to_string(failure.reason()));
    return local(
        planned, Cause::fallback, reason,
        failure.reason() == FallbackReason::no_capacity
            ? ""
            : fmt::format("sccache: warning: compiling locally: {} ({})", reason, failure.what()));
  } catch (const std::exception& e) {
    return local(planned, Cause::fallback, "client_error",
                 fmt::format("sccache: warning: compiling locally: {}", e.what()));
  }
}

void count_compiled_here(ClientContext& context, Cause cause, const std::string& reason,
                         Clock::time_point start) {
  context.stats().update([&](ClientStats& s) {
    s.compile_requests++;
    s.local_compiles++;
    (cause == Cause::fallback ? s.local_fallbacks : s.not_distributed)[reason]++;
    s.local_time_ms += elapsed_ms(start);
  });
}

// A compile whose result the cache keeps: a run_locally answer becomes a compile run here, so
// its outputs can be stored. `stored_ok` says whether the reply's outputs are the bytes a local
// compile gives (a remote object with -g is not: its debug info differs).
CompileReply compile_for_cache(const PlannedCompile& planned, const CompileRequest& request,
                               ClientContext& context, PreprocessedUnit& unit, bool* storable) {
  CompileReply reply = compile_uncached(planned, request, context, &unit);
  *storable = true;
  if (reply.kind == CompileReply::Kind::compiled) {
    // compiled remotely
    *storable = !cache::records_paths(
        std::vector<std::string>(planned.argv.begin() + 1, planned.argv.end()));
    return reply;
  }
  if (reply.reason == "preprocessor_error") {
    return reply;  // the compiler's own words, from the wrapper
  }
  const auto start = Clock::now();
  std::string warning = reply.warning;
  std::optional<LocalSlot> slot = std::move(reply.slot);
  CompileReply here = compile_here(planned, request);
  count_compiled_here(context, reply.cause, reply.reason, start);
  here.warning = std::move(warning);
  return here;
}

CompileReply hit_reply(const cache::Lookup& lookup, const PlannedCompile& planned,
                       const CompileRequest& request, ClientContext& context, bool direct,
                       Clock::time_point start) {
  CompileReply reply = replay(cache::decode_result(lookup.bytes), planned, request, direct);
  context.stats().update([&](ClientStats& s) {
    s.compile_requests++;
    (direct ? s.cache_hits_direct : s.cache_hits_preprocessed)++;
    s.cache_hits_remote += lookup.from_remote ? 1 : 0;
    s.cache_read_errors += lookup.read_errors;
    s.cache_timeouts += lookup.timeouts;
    s.cache_hit_time_ms += elapsed_ms(start);
  });
  spdlog::debug("cache hit ({}{}) in {} ms", direct ? "direct" : "preprocessed",
                lookup.from_remote ? ", from Redis" : "", elapsed_ms(start));
  return reply;
}

// Looks `key` up; a hit that does not decode or cannot be written out is removed, counted, and
// treated as a miss.
std::optional<CompileReply> try_hit(cache::CompileCache& cache, const std::string& key,
                                    const PlannedCompile& planned, const CompileRequest& request,
                                    ClientContext& context, bool direct, Clock::time_point start) {
  cache::Lookup lookup = cache.get(key);
  if (!lookup.hit) {
    if (lookup.read_errors || lookup.timeouts) {
      spdlog::warn("compile cache: {}", lookup.error);
      context.stats().update([&](ClientStats& s) {
        s.cache_read_errors += lookup.read_errors;
        s.cache_timeouts += lookup.timeouts;
      });
    }
    return std::nullopt;
  }
  try {
    return hit_reply(lookup, planned, request, context, direct, start);
  } catch (const std::exception& e) {
    spdlog::warn("compile cache: entry {} unusable, removed: {}", key, e.what());
    cache.remove(key);
    context.stats().update([](ClientStats& s) { s.cache_read_errors++; });
    return std::nullopt;
  }
}

// The direct-mode lookup: the manifest under `direct_key`, then the result it points at. On a
// miss `*manifest` is the manifest found (empty if none), for the entry the compile adds.
std::optional<CompileReply> try_direct_hit(cache::CompileCache& cache,
                                           const std::string& direct_key,
                                           const PlannedCompile& planned,
                                           const CompileRequest& request, ClientContext& context,
                                           Clock::time_point start, cache::Manifest* manifest) {
  cache::Lookup found = cache.get(direct_key);
  if (!found.hit) {
    return std::nullopt;
  }
  std::optional<std::string> result_key;
  try {
    *manifest = cache::decode_manifest(found.bytes);
    result_key = manifest->find(cache.digests());
  } catch (const cache::CorruptEntry& e) {
    spdlog::warn("compile cache: manifest {} damaged, removed: {}", direct_key, e.what());
    cache.remove(direct_key);
    context.stats().update([](ClientStats& s) { s.cache_read_errors++; });
    *manifest = {};
    return std::nullopt;
  }
  if (!result_key) {
    return std::nullopt;
  }
  return try_hit(cache, *result_key, planned, request, context, /*direct=*/true, start);
}

void count_store(ClientContext& context, const cache::Store& store) {
  if (store.write_errors || store.timeouts) {
    spdlog::warn("compile cache: cannot store: {}", store.error);
  }
  context.stats().update([&](ClientStats& s) {
    s.cache_write_errors += store.write_errors;
    s.cache_timeouts += store.timeouts;
  });
}

void count_not_cached(ClientContext& context, const std::string& reason) {
  context.stats().update([&](ClientStats& s) { s.not_cached[reason]++; });
}

// Adds the result to the manifest under `direct_key`, unless a file it read is too new.
void remember(ClientContext& context, cache::CompileCache& cache, const std::string& direct_key,
              const std::string& result_key, const std::vector<fs::path>& files, int64_t since_ns,
              const cache::Manifest* known) {
  if (auto digests = include_digests(cache, files, since_ns)) {
    count_store(context, record_manifest(cache, direct_key,
                                         {result_key, std::move(digests->includes)}, known));
  }
}

void store_result(ClientContext& context, cache::CompileCache& cache, const std::string& key,
                  const cache::CompileResult& result) {
  const cache::Store store = cache.put(key, cache::encode_result(result));
  count_store(context, store);
  if (store.write_errors == 0 && store.timeouts == 0) {
    context.stats().update([](ClientStats& s) { s.cache_writes++; });
  }
}

// Depend mode's miss (depend_mode.hpp): compiled here with no preprocessor run, stored under the
// depend key when every file it read is settled and none names the time macros.
CompileReply compile_depend(const PlannedCompile& planned, const CompileRequest& request,
                            ClientContext& context, cache::CompileCache& cache,
                            const std::string& direct_key, const cache::Manifest& manifest,
                            int64_t since_ns) {
  const auto start = Clock::now();
  DependCompile compiled = compile_with_depfile(planned, request);
  count_compiled_here(context, Cause::not_distributable, planned.local_reason, start);
  CompileReply reply = std::move(compiled.reply);
  if (reply.exit_code != 0) {
    return reply;
  }
  if (!compiled.files) {
    count_not_cached(context, "depfile_unreadable");
    return reply;
  }
  std::optional<IncludeDigests> digests = include_digests(cache, *compiled.files, since_ns);
  if (!digests) {
    count_not_cached(context, "recently_modified");
    return reply;
  }
  const bool pinned_time = request.env("SOURCE_DATE_EPOCH").has_value();
  if (!pinned_time && (digests->mentions_time || digests->mentions_date)) {
    count_not_cached(context, "time_macros");
    return reply;
  }
  std::vector<std::pair<std::string, std::string>> files;
  files.reserve(digests->includes.size());
  for (const auto& include : digests->includes) {
    files.emplace_back(include.path, include.digest);
  }
  const std::string key = cache::depend_key(direct_key, files);
  if (auto result = result_of(reply, planned, request)) {
    store_result(context, cache, key, *result);
    count_store(context,
                record_manifest(cache, direct_key, {key, std::move(digests->includes)}, &manifest));
  }
  return reply;
}

CompileReply compile_cached(const PlannedCompile& planned, const CompileRequest& request,
                            ClientContext& context, cache::CompileCache& cache) {
  const auto start = Clock::now();
  const int64_t since_ns = cache::FileDigests::now_ns();
  const bool recache = request.env("SCCACHE_RECACHE").has_value();
  const std::optional<cache::KeyInputs> inputs = key_inputs(planned, request, cache);
  if (!inputs) {
    count_not_cached(context, "compiler_unreadable");
    return compile_uncached(planned, request, context);
  }
  std::optional<std::string> direct_key;
  if (cache.config().direct_mode) {
    if (auto source = source_digest(planned, request, cache)) {
      direct_key = cache::direct_key(*inputs, planned.plan->input, source->hex);
    }
  }
  // The manifest at direct_key as the lookup found it; nullptr: not looked up (recache).
  cache::Manifest manifest;
  const cache::Manifest* known = nullptr;
  if (direct_key && !recache) {
    if (auto hit =
            try_direct_hit(cache, *direct_key, planned, request, context, start, &manifest)) {
      return std::move(*hit);
    }
    known = &manifest;
  }
  if (direct_key && depend_mode_applies(planned, cache.config())) {
    context.stats().update(
        [&](ClientStats& s) { (recache ? s.forced_recaches : s.cache_misses)++; });
    if (!known) {
      // A recache replaces the entry but keeps the manifest's other results.
      if (cache::Lookup found = cache.get(*direct_key); found.hit) {
        try {
          manifest = cache::decode_manifest(found.bytes);
        } catch (const cache::CorruptEntry&) {
          manifest = {};
        }
      }
    }
    return compile_depend(planned, request, context, cache, *direct_key, manifest, since_ns);
  }
  PreprocessedUnit unit = preprocess(planned, request);
  if (unit.exit_code != 0) {
    count_not_cached(context, "preprocessor_error");
    return local(planned, Cause::not_distributable, "preprocessor_error");
  }
  const cache::ResultKey key = cache::result_key(*inputs, unit.text);
  if (key.not_cacheable) {
    count_not_cached(context, *key.not_cacheable);
    return compile_uncached(planned, request, context, &unit);
  }
  const bool manifest_may_point = direct_key && !key.date_dependent;
  if (!recache) {
    if (auto hit = try_hit(cache, key.key, planned, request, context, false, start)) {
      if (manifest_may_point) {
        remember(context, cache, *direct_key, key.key,
                 cache::included_files(unit.text, request.cwd), since_ns, known);
      }
      return std::move(*hit);
    }
  }
  context.stats().update([&](ClientStats& s) { (recache ? s.forced_recaches : s.cache_misses)++; });
  std::vector<fs::path> includes;
  if (manifest_may_point) {
    includes = cache::included_files(unit.text, request.cwd);
  }
  bool storable = false;
  CompileReply reply = compile_for_cache(planned, request, context, unit, &storable);
  if (reply.kind != CompileReply::Kind::compiled || reply.exit_code != 0) {
    return reply;  // failed compiles are not kept: their errors are the compiler's, afresh
  }
  if (!storable) {
    count_not_cached(context, "remote_debug_info");
  } else if (auto result = result_of(reply, planned, request)) {
    store_result(context, cache, key.key, *result);
    if (manifest_may_point) {
      remember(context, cache, *direct_key, key.key, includes, since_ns, known);
    }
  }
  if (!reply.warning.empty()) {
    reply.stderr_data = reply.warning + "\n" + reply.stderr_data;
    reply.warning.clear();
  }
  return reply;
}

}  // namespace

fs::path stats_file_of(const ClientConfig& config) {
  return config.cache_dir / "client" / "stats.json";
}

ClientContext::ClientContext(ClientConfig config, std::vector<fs::path> not_compilers,
                             std::shared_ptr<StatsStore> stats)
    : m_config(std::move(config)),
      m_not_compilers(std::move(not_compilers)),
      m_stats(stats ? std::move(stats) : std::make_shared<StatsStore>(stats_file_of(m_config))) {}

ClientContext::~ClientContext() = default;

RemoteExecutor& ClientContext::cluster() {
  std::lock_guard lock(m_mutex);
  if (!m_cluster) {
    m_cluster = std::make_unique<DistClient>(m_config);
  }
  return *m_cluster;
}

std::optional<toolchain::Toolchain> ClientContext::toolchain_for(const fs::path& compiler) {
  const std::optional<FileStamp> stamp = FileStamp::of(compiler);
  {
    std::lock_guard lock(m_mutex);
    auto it = m_toolchains.find(compiler);
    if (stamp && it != m_toolchains.end() && it->second.compiler == *stamp) {
      const auto& known = it->second.toolchain;
      // Touched as the on-disk cache's own hits are (it evicts the least recently used); one
      // that was evicted meanwhile is packaged again.
      if (!known || ::utimensat(AT_FDCWD, known->archive.c_str(), nullptr, 0) == 0) {
        return known;
      }
    }
  }
  std::optional<toolchain::Toolchain> found = toolchain::find_or_package_toolchain(
      compiler, m_config.toolchains, m_config.cache_dir / "client", m_config.toolchain_cache_size);
  if (stamp) {
    std::lock_guard lock(m_mutex);
    m_toolchains[compiler] = {*stamp, found};
  }
  return found;
}

cache::CompileCache* ClientContext::cache() {
  std::call_once(m_cache_opened, [&] {
    if (m_config.cache.enabled && !m_config.cache.dir.empty()) {
      m_cache = cache::open_compile_cache(m_config.cache);
    }
  });
  return m_cache.get();
}

void ClientContext::set_cluster(std::unique_ptr<RemoteExecutor> cluster) {
  std::lock_guard lock(m_mutex);
  m_cluster = std::move(cluster);
}

CompileReply run_compile(const CompileRequest& request, ClientContext& context) {
  PlannedCompile planned = plan_compile(request, context.config(), context.not_compilers());
  if (planned.compiler.empty()) {
    CompileReply reply;
    reply.exit_code = 127;
    reply.stderr_data = fmt::format("sccache: cannot find compiler '{}' in PATH\n",
                                    request.argv.empty() ? "" : request.argv[0]);
    return reply;
  }
  if (!planned.plan) {
    spdlog::debug("compiling locally ({}{}{})", planned.local_reason,
                  planned.detail.empty() ? "" : ": ", planned.detail);
    if (context.cache()) {
      count_not_cached(context, planned.local_reason);
    }
    return local(planned, Cause::not_distributable, planned.local_reason);
  }
  cache::CompileCache* cache = context.cache();
  if (cache && !request.env("SCCACHE_NO_CACHE")) {
    try {
      return compile_cached(planned, request, context, *cache);
    } catch (const std::exception& e) {
      // The cache's own failure (e.g. the preprocessor cannot start): the compile goes on.
      return local(planned, Cause::fallback, "client_error",
                   fmt::format("sccache: warning: compiling locally: {}", e.what()));
    }
  }
  return compile_uncached(planned, request, context);
}

void count_local_compile(StatsStore& stats, const CompileReply& reply) {
  stats.update([&](ClientStats& s) {
    s.compile_requests++;
    s.local_compiles++;
    (reply.cause == Cause::fallback ? s.local_fallbacks : s.not_distributed)[reply.reason]++;
  });
}

void count_local_time(StatsStore& stats, uint64_t ms) {
  stats.update([&](ClientStats& s) { s.local_time_ms += ms; });
}

}  // namespace sccache
