#include "common/config_document.hpp"

#include <fmt/format.h>

namespace sccache {

ConfigDocument load_config_document(const std::filesystem::path& file) {
  return {file, std::make_shared<const toml::table>(parse_config_file(file))};
}

ConfigDocument config_document_from_text(std::string_view text, const std::filesystem::path& file) {
  return {file, std::make_shared<const toml::table>(parse_config_text(text, file))};
}

namespace {

// Types that upstream sccache-dist accepts or once accepted but this implementation does not
// serve, with what to use instead.
struct RetiredType {
  std::string_view type;
  std::string_view advice;
};
constexpr RetiredType k_retired_types[] = {
    {"mozilla",
     "the \"mozilla\" auth type was removed upstream (May 2025); use type = \"jwt_validate\" with "
     "your identity provider's audience, issuer and JWKS, or type = \"token\""},
    {"proxy_token",
     "type = \"proxy_token\" is not supported; use type = \"token\" or type = \"jwt_validate\""},
    {"oauth2_code_grant_pkce",
     "interactive OAuth2 login is not supported; use type = \"token\" (or a custom auth plugin)"},
    {"oauth2_implicit",
     "interactive OAuth2 login is not supported; use type = \"token\" (or a custom auth plugin)"},
};

}  // namespace

AuthSection read_auth_section(const ConfigSection& table, AuthRole /*role*/) {
  std::string type = table.require_string("type");
  for (const auto& retired : k_retired_types) {
    if (type == retired.type) {
      table.fail("type", std::string(retired.advice));
    }
  }
  if (type.empty()) {
    table.fail("type", "the auth type cannot be empty");
  }
  return {std::move(type), table};
}

std::vector<std::filesystem::path> read_plugin_dirs(const ConfigSection& root) {
  std::vector<std::filesystem::path> dirs;
  if (!root.contains("plugin_dir")) {
    return dirs;
  }
  if (root.table().get("plugin_dir")->is_array()) {
    const auto entries = root.get_string_array("plugin_dir");
    for (const auto& dir : *entries) {
      std::filesystem::path path(dir);
      dirs.push_back(path.is_relative() ? root.file().parent_path() / path : path);
    }
  } else {
    dirs.push_back(*root.get_path("plugin_dir"));
  }
  return dirs;
}

std::optional<std::chrono::seconds> read_seconds(const ConfigSection& section,
                                                 std::string_view key) {
  auto value = section.get_integer(key);
  if (!value) {
    return std::nullopt;
  }
  if (*value <= 0 || *value > 86400) {
    section.fail(key, "expected a number of seconds from 1 to 86400");
  }
  return std::chrono::seconds(*value);
}

}  // namespace sccache
