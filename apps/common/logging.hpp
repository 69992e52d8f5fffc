// Logging for the apps: spdlog to stderr, level from SCCACHE_LOG, else RUST_LOG (the quickstart
// tells users to set RUST_LOG=trace), else the app's default.
#pragma once

#include <optional>
#include <string_view>

#include <spdlog/common.h>

namespace sccache {

// Reads env_logger-style directives ("debug", "sccache=trace,hyper=info"): a bare level, or the
// level given for a target starting with "sccache". nullopt if none applies.
std::optional<spdlog::level::level_enum> parse_log_directives(std::string_view directives);

// Installs the default logger named `app`; call once, first thing in main().
void init_logging(std::string_view app, spdlog::level::level_enum default_level);

}  // namespace sccache
