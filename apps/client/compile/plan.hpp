// Stage 1 of a compile: which compiler runs, and whether this command can go to the cluster.
//
// Threads: pure (reads the file system to resolve the compiler, nothing else).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "client/client_config.hpp"
#include "client/compile/request.hpp"
#include "client/compiler/analyze.hpp"

namespace sccache {

struct PlannedCompile {
  std::filesystem::path compiler;  // absolute; empty when the compiler was not found
  // The command with argv[0] replaced by `compiler`: gcc finds cc1 relative to where argv[0]
  // leads, and a bare name could lead back to a masquerading symlink.
  std::vector<std::string> argv;
  // Set when the command is one compile we understand: it can be cached, and distributed when
  // `distributable` (a cluster is configured).
  std::optional<compiler::CompilePlan> plan;
  bool distributable = false;
  std::string local_reason;  // when not distributable: why, as a statistic ("unsupported_option")
  std::string detail;        // and what exactly (the argument concerned), for the debug log
};

// `not_compilers` are sccache's own programs, skipped in PATH (a symlink gcc -> sccache must not
// find sccache).
PlannedCompile plan_compile(const CompileRequest& request, const ClientConfig& config,
                            const std::vector<std::filesystem::path>& not_compilers);

}  // namespace sccache
