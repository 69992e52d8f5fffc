// A view of one TOML table of a config file, with typed getters whose errors name the file, the
// line and the full dotted key. The core's config readers and every plugin factory use it, so all
// config errors look alike.
//
// Ownership: a ConfigSection refers to a table owned by the parsed document; the document must
// outlive the section (the apps keep it for the life of the process). Thread-safe for reads.
// Failure: every getter throws ConfigError; no message ever contains a configured value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sccache/config_error.hpp"
#include "sccache/config_keys.hpp"
#include "sccache/toml.hpp"

namespace sccache {

class ConfigSection {
 public:
  // `key_path` is the dotted path of `table` in the document ("" for the root).
  ConfigSection(std::filesystem::path file, std::string key_path, const toml::table& table);

  const std::filesystem::path& file() const noexcept { return m_file; }
  const std::string& key_path() const noexcept { return m_key_path; }
  const toml::table& table() const noexcept { return *m_table; }
  bool contains(std::string_view key) const;

  // The full dotted name of `key` in this section, for messages.
  std::string full_key(std::string_view key) const;

  std::optional<std::string> get_string(std::string_view key) const;
  std::string require_string(std::string_view key) const;
  std::optional<int64_t> get_integer(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;
  // An integer byte count, or a string with a K/M/G/T suffix (powers of 1024), e.g. "10G".
  std::optional<uint64_t> get_size(std::string_view key) const;
  // A string path; relative paths are resolved against the config file's directory.
  std::optional<std::filesystem::path> get_path(std::string_view key) const;
  std::optional<std::vector<std::string>> get_string_array(std::string_view key) const;
  std::optional<ConfigSection> get_table(std::string_view key) const;
  ConfigSection require_table(std::string_view key) const;
  // An array of tables ([[x]]); an empty inline array `x = []` gives an empty vector.
  std::vector<ConfigSection> get_table_array(std::string_view key) const;

  // Throws for the first key of this table not declared in `known` (at that key's line, naming
  // the declared keys). `known` is the table's one declaration (sccache/config_keys.hpp).
  void reject_unknown_keys(std::span<const ConfigKey> known) const;

  // Throws a ConfigError about `key`, at the key's line if present, else at the table's.
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;

 private:
  [[noreturn]] void fail_at(const toml::source_region& where, std::string_view key,
                            const std::string& message) const;
  const toml::node* node(std::string_view key) const;

  std::filesystem::path m_file;
  std::string m_key_path;
  const toml::table* m_table;
};

// Parses a TOML file. Throws ConfigError (file, line, column) for unreadable files or syntax
// errors.
toml::table parse_config_file(const std::filesystem::path& file);
// Parses TOML text that claims to come from `file` (for tests and --config -).
toml::table parse_config_text(std::string_view text, const std::filesystem::path& file);

// "10G" -> 10 * 2^30. Accepts a plain integer too. nullopt if malformed or overflowing.
std::optional<uint64_t> parse_size(std::string_view text);

}  // namespace sccache
