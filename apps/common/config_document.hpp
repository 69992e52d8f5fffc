// A parsed config file kept alive for the life of the process, so the ConfigSections that plugins
// receive stay valid.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sccache/auth.hpp"
#include "sccache/config_section.hpp"

namespace sccache {

struct ConfigDocument {
  std::filesystem::path file;
  std::shared_ptr<const toml::table> root;

  ConfigSection section() const { return ConfigSection(file, "", *root); }
};

// Throws ConfigError (file, line, column) if unreadable or not valid TOML.
ConfigDocument load_config_document(const std::filesystem::path& file);
ConfigDocument config_document_from_text(std::string_view text, const std::filesystem::path& file);

// An auth table ([client_auth], [dist.auth], ...): its `type`, checked against the types upstream
// removed or that need a replacement, with the table kept for the plugin to validate.
struct AuthSection {
  std::string type;
  ConfigSection table;
};
AuthSection read_auth_section(const ConfigSection& table, AuthRole role);

// `plugin_dir`: a string or an array of strings, relative to the config file.
std::vector<std::filesystem::path> read_plugin_dirs(const ConfigSection& root);

// A positive number of seconds (integer).
std::optional<std::chrono::seconds> read_seconds(const ConfigSection& section,
                                                 std::string_view key);

}  // namespace sccache
