// What one compile is given and what it gives back: the boundary of the client's compile
// pipeline (pipeline.hpp). A request carries everything the compile may depend on — nothing in
// the pipeline reads this process's globals (cwd, environment, terminal, std::cout) — so one
// pipeline can serve compiles for many wrappers at once.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/local_slots.hpp"

namespace sccache {

struct CompileRequest {
  std::vector<std::string> argv;         // argv[0]: the compiler as invoked (a name or a path)
  std::filesystem::path cwd;             // absolute: where the compiler runs
  std::vector<std::string> environment;  // "KEY=value": the compiler's environment
  bool stderr_is_tty = false;            // the compiler's stderr is a terminal (colours)

  // The value of `key` in `environment` (the first one, as getenv), or nullopt.
  std::optional<std::string_view> env(std::string_view key) const;
};

struct CompileReply {
  enum class Kind {
    compiled,     // done: exit_code, the streams and the outputs are the compile's
    run_locally,  // the caller runs `argv` (with `executable`) itself, with its own stdio
  };
  Kind kind = Kind::compiled;
  int exit_code = 0;
  std::string stdout_data;
  std::string stderr_data;
  std::vector<std::filesystem::path> outputs;  // compiled: the files written (absolute)

  // run_locally: what to run, and why the cluster was not used.
  std::filesystem::path executable;
  std::vector<std::string> argv;
  enum class LocalCause { not_distributable, fallback };
  LocalCause cause = LocalCause::not_distributable;
  std::string reason;   // the statistic: "unsupported_option", "server_unreachable", ...
  std::string warning;  // one line to print first ("" for none): why a fallback happened
  // A local CPU slot held for this local compile (when the cluster was full); released with the
  // reply, so keep the reply until the local compile ends.
  std::optional<LocalSlot> slot;

  static CompileReply local(std::filesystem::path executable, std::vector<std::string> argv,
                            LocalCause cause, std::string reason, std::string warning = {});
};

}  // namespace sccache
