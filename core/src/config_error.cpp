#include "sccache/config_error.hpp"

#include <fmt/format.h>

namespace sccache {
namespace {

std::string format_config_error(const std::filesystem::path& file, uint32_t line, uint32_t column,
                                const std::string& key, const std::string& message) {
  std::string where = file.string();
  if (line > 0) {
    where += fmt::format(":{}", line);
    if (column > 0) {
      where += fmt::format(":{}", column);
    }
  }
  if (key.empty()) {
    return fmt::format("{}: {}", where, message);
  }
  return fmt::format("{}: key '{}': {}", where, key, message);
}

}  // namespace

ConfigError::ConfigError(std::filesystem::path file, uint32_t line, uint32_t column,
                         std::string key, const std::string& message)
    : std::runtime_error(format_config_error(file, line, column, key, message)),
      m_file(std::move(file)),
      m_line(line),
      m_column(column),
      m_key(std::move(key)) {}

ConfigError::~ConfigError() = default;

}  // namespace sccache
