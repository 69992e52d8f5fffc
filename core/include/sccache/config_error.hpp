// Errors raised while reading configuration. Messages name file, line, column and the full key,
// and never contain a configured value (values may be secrets).
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace sccache {

class ConfigError : public std::runtime_error {
 public:
  // `line`/`column` are 1-based; 0 means "unknown" and is left out of the message.
  ConfigError(std::filesystem::path file, uint32_t line, uint32_t column, std::string key,
              const std::string& message);
  ~ConfigError() override;

  const std::filesystem::path& file() const noexcept { return m_file; }
  uint32_t line() const noexcept { return m_line; }
  uint32_t column() const noexcept { return m_column; }
  // The dotted key path, e.g. "builder.bwrap_path"; empty for file-level errors.
  const std::string& key() const noexcept { return m_key; }

 private:
  std::filesystem::path m_file;
  uint32_t m_line;
  uint32_t m_column;
  std::string m_key;
};

}  // namespace sccache
