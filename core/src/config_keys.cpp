#include "sccache/config_keys.hpp"

namespace sccache {

std::string_view config_value_type_name(ConfigValueType type) {
  switch (type) {
    case ConfigValueType::string:
      return "string";
    case ConfigValueType::integer:
      return "integer";
    case ConfigValueType::number:
      return "number";
    case ConfigValueType::boolean:
      return "bool";
    case ConfigValueType::size:
      return "bytes, or `\"10G\"`";
    case ConfigValueType::path:
      return "path";
    case ConfigValueType::path_or_paths:
      return "path or list of paths";
    case ConfigValueType::string_array:
      return "list of strings";
    case ConfigValueType::table:
      return "table";
    case ConfigValueType::table_array:
      return "array of tables";
  }
  return "value";
}

const ConfigKey* find_config_key(std::span<const ConfigKey> keys, std::string_view name) {
  for (const ConfigKey& key : keys) {
    if (key.name == name) {
      return &key;
    }
  }
  return nullptr;
}

}  // namespace sccache
