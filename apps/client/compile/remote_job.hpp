// Stage 3a of a remote compile: the job a build server runs — the command, its environment, and
// the inputs (the preprocessed unit, plus the project's sources that diagnostics may quote).
//
// Threads: pure, apart from reading the locale database (thread-safe, per call).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "client/compile/plan.hpp"
#include "client/compile/preprocess.hpp"
#include "client/compile/remote_executor.hpp"
#include "client/compile/request.hpp"
#include "client/toolchain/toolchain.hpp"

namespace sccache {

// `unit_text` (the preprocessed unit) becomes the input at `unit_path` in the job's tree.
RemoteJob make_remote_job(const PlannedCompile& planned, const std::filesystem::path& unit_path,
                          std::string unit_text, const toolchain::Toolchain& toolchain,
                          const CompileRequest& request);

// The remote compiler sees no locale files: keep what matters for its output (UTF-8 quotes in
// diagnostics or not, decided by the request's LC_ALL / LC_CTYPE / LANG as glibc would) with the
// locale every glibc has built in, plus GCC_COLORS and SOURCE_DATE_EPOCH.
std::vector<std::pair<std::string, std::string>> remote_environment(const CompileRequest& request);

}  // namespace sccache
