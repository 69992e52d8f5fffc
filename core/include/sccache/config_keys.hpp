// The keys of one config table, declared once: name, value type, default, secrecy and a one-line
// description. A reader checks its table against the declaration
// (ConfigSection::reject_unknown_keys), and the key tables of docs/configuration.md are generated
// from the same declarations, so the names a reader accepts and the names the docs list cannot
// drift apart. Every plugin declares the tables it reads.
//
//   constexpr ConfigKey k_keys[] = {
//       {"type", ConfigValueType::string, "required", "`\"my_auth\"`"},
//       {"my_key", ConfigValueType::string, "required", "the shared secret",
//        ConfigSecrecy::secret},
//   };
//   config.reject_unknown_keys(k_keys);
//
// Threads: plain constant data. Failure: none here.
#pragma once

#include <span>
#include <string_view>

namespace sccache {

// What a key's value is, as the docs name it. The readers' typed getters (ConfigSection) check the
// value itself; this is the declaration they are documented by.
enum class ConfigValueType {
  string,
  integer,
  number,         // an integer or a float
  boolean,        // true or false
  size,           // bytes: an integer, or a string with a K, M, G or T suffix ("10G")
  path,           // a string; relative to the config file
  path_or_paths,  // a path, or an array of paths
  string_array,   // an array of strings
  table,          // [x]
  table_array,    // [[x]]
};

// A secret's value is never printed: not in messages, dumps or docs.
enum class ConfigSecrecy { plain, secret };

// What is shown instead of a secret's value.
inline constexpr std::string_view k_redacted_secret = "(secret)";

struct ConfigKey {
  std::string_view name;
  ConfigValueType type;
  // The default as the docs show it (markdown), e.g. "`10`", "required", "CPUs"; "" when there
  // is none (the description then says what leaving the key out means).
  std::string_view default_text;
  // One line of markdown, no '|' (the docs are a markdown table).
  std::string_view description;
  ConfigSecrecy secrecy = ConfigSecrecy::plain;
};

// How the docs name `type`: "string", "integer", "bytes, or `\"10G\"`", "array of tables", ...
std::string_view config_value_type_name(ConfigValueType type);

// The key named `name` in `keys`, or nullptr.
const ConfigKey* find_config_key(std::span<const ConfigKey> keys, std::string_view name);

}  // namespace sccache
