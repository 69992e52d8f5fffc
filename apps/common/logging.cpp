#include "common/logging.hpp"

#include <cstdlib>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace sccache {
namespace {

std::optional<spdlog::level::level_enum> level_named(std::string_view name) {
  std::string lower;
  for (char c : name) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower == "trace")
    return spdlog::level::trace;
  if (lower == "debug")
    return spdlog::level::debug;
  if (lower == "info")
    return spdlog::level::info;
  if (lower == "warn" || lower == "warning")
    return spdlog::level::warn;
  if (lower == "error")
    return spdlog::level::err;
  if (lower == "off")
    return spdlog::level::off;
  return std::nullopt;
}

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_directives(std::string_view directives) {
  std::optional<spdlog::level::level_enum> bare;
  std::optional<spdlog::level::level_enum> ours;
  while (!directives.empty()) {
    size_t comma = directives.find(',');
    std::string_view directive = directives.substr(0, comma);
    directives = comma == std::string_view::npos ? "" : directives.substr(comma + 1);
    while (!directive.empty() && directive.front() == ' ')
      directive.remove_prefix(1);
    while (!directive.empty() && directive.back() == ' ')
      directive.remove_suffix(1);
    size_t eq = directive.find('=');
    if (eq == std::string_view::npos) {
      if (auto level = level_named(directive)) {
        bare = level;
      }
    } else if (directive.substr(0, eq).starts_with("sccache")) {
      if (auto level = level_named(directive.substr(eq + 1))) {
        ours = level;
      }
    }
  }
  return ours ? ours : bare;
}

void init_logging(std::string_view app, spdlog::level::level_enum default_level) {
  auto level = default_level;
  for (const char* variable : {"SCCACHE_LOG", "RUST_LOG"}) {
    if (const char* value = std::getenv(variable); value != nullptr && *value != '\0') {
      if (auto parsed = parse_log_directives(value)) {
        level = *parsed;
        break;
      }
    }
  }
  auto logger = std::make_shared<spdlog::logger>(std::string(app),
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("[%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %n] %v", spdlog::pattern_time_type::utc);
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace sccache
