#include "client/commands.hpp"

#include <sstream>

#include "client/dist_status.hpp"

namespace sccache {

bool wants_json(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--json" || args[i] == "--stats-format=json" ||
        (args[i] == "--stats-format" && i + 1 < args.size() && args[i + 1] == "json")) {
      return true;
    }
  }
  return false;
}

CommandResult run_command(const std::string& name, const std::vector<std::string>& args,
                          ClientContext& context) {
  CommandResult result;
  std::ostringstream out;
  std::ostringstream err;
  if (name == "--show-stats" || name == "-s" || name == "--stop-server") {
    ClientStats stats = context.stats().snapshot();
    std::optional<CacheDescription> cache;
    if (cache::CompileCache* compile_cache = context.cache()) {
      cache =
          CacheDescription{compile_cache->location(),           compile_cache->disk().size(),
                           compile_cache->disk().max_size(),    compile_cache->config().direct_mode,
                           compile_cache->config().depend_mode, compile_cache->config().basedirs};
    }
    if (wants_json(args)) {
      out << stats_to_json(stats, cache ? &*cache : nullptr) << "\n";
    } else {
      print_stats_text(stats, out, cache ? &*cache : nullptr);
    }
  } else if (name == "--zero-stats" || name == "-z") {
    context.stats().zero();
    out << "Statistics zeroed.\n";
  } else if (name == "--dist-status") {
    for (const auto& arg : args) {
      if (arg != "--json" && arg != "--stats-format=json") {
        result.err = "sccache: unexpected argument '" + arg + "'\n";
        result.exit_code = 2;
        return result;
      }
    }
    result.exit_code = print_dist_status(
        context.config(), args.empty() ? OutputFormat::text : OutputFormat::json, out, err);
  } else {
    result.err = "sccache: unknown command '" + name + "'\n";
    result.exit_code = 2;
    return result;
  }
  result.out = out.str();
  result.err = err.str();
  return result;
}

}  // namespace sccache
