// The sccache commands that report or reset state (--show-stats, --zero-stats, --dist-status),
// computed for one client context: by the local server for its wrappers, or in this process when
// no server runs.
//
// Threads: as ClientContext. Failure: none; problems are in the result's stderr and exit code.
#pragma once

#include <string>
#include <vector>

#include "client/compile/pipeline.hpp"

namespace sccache {

struct CommandResult {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// `name` is "--show-stats", "--zero-stats" or "--dist-status"; `args` what followed it
// (--json, --stats-format json). An unknown name is exit code 2.
CommandResult run_command(const std::string& name, const std::vector<std::string>& args,
                          ClientContext& context);

bool wants_json(const std::vector<std::string>& args);

}  // namespace sccache
