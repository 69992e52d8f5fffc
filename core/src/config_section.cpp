#include "sccache/config_section.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

namespace sccache {
namespace {

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    default:
      return "nothing";
  }
}

}  // namespace

ConfigSection::ConfigSection(std::filesystem::path file, std::string key_path,
                             const toml::table& table)
    : m_file(std::move(file)), m_key_path(std::move(key_path)), m_table(&table) {}

bool ConfigSection::contains(std::string_view key) const {
  return node(key) != nullptr;
}

std::string ConfigSection::full_key(std::string_view key) const {
  if (m_key_path.empty()) {
    return std::string(key);
  }
  if (key.empty()) {
    return m_key_path;
  }
  return fmt::format("{}.{}", m_key_path, key);
}

const toml::node* ConfigSection::node(std::string_view key) const {
  return m_table->get(key);
}

void ConfigSection::fail_at(const toml::source_region& where, std::string_view key,
                            const std::string& message) const {
  throw ConfigError(m_file, where.begin.line, where.begin.column, full_key(key), message);
}

void ConfigSection::fail(std::string_view key, const std::string& message) const {
  if (const toml::node* n = node(key)) {
    fail_at(n->source(), key, message);
  }
  fail_at(m_table->source(), key, message);
}

std::optional<std::string> ConfigSection::get_string(std::string_view key) const {
  const toml::node* n = node(key);
  if (n == nullptr) {
    return std::nullopt;
  }
  if (const auto* s = n->as_string()) {
    return s->get();
  }
  fail_at(n->source(), key, fmt::format("expected a string, found {}", type_name(*n)));
}

std::string ConfigSection::require_string(std::string_view key) const {
  auto value = get_string(key);
  if (!value) {
    fail(key, "missing required key");
  }
  return *value;
}

std::optional<int64_t> ConfigSection::get_integer(std::string_view key) const {
  const toml::node* n = node(key);
  if (n == nullptr) {
    return std::nullopt;
  }
  if (const auto* i = n->as_integer()) {
    return i->get();
  }
  fail_at(n->source(), key, fmt::format("expected an integer, found {}", type_name(*n)));
}

std::optional<bool> ConfigSection::get_bool(std::string_view key) const {
  const toml::node* n = node(key);
  if (n == nullptr) {
    return std::nullopt;
  }
  if (const auto* b = n->as_boolean()) {
    return b->get();
  }
  fail_at(n->source(), key, fmt::format("expected true or false, found {}", type_name(*n)));
}

std::optional<uint64_t> ConfigSection::get_size(std::string_view key) const {
  const toml::node* n = node(key);
  if (n == nullptr) {
    return std::nullopt;
  }
  if (const auto* i = n->as_integer()) {
    if (i->get() < 0) {
      fail_at(n->source(), key, "a size cannot be negative");
    }
    return static_cast<uint64_t>(i->get());
  }
  if (const auto* s = n->as_string()) {
    if (auto size = parse_size(s->get())) {
      return size;
    }
    fail_at(n->source(), key,
            "expected a size in bytes, or a number with a K, M, G or T suffix such as \"10G\"");
  }
  fail_at(n->source(), key,
          fmt::format("expected a size (an integer or a string such as \"10G\"), found {}",
                      type_name(*n)));
}

std::optional<std::filesystem::path> ConfigSection::get_path(std::string_view key) const {
  auto value = get_string(key);
  if (!value) {
    return std::nullopt;
  }
  if (value->empty()) {
    fail(key, "a path cannot be empty");
  }
  std::filesystem::path path(*value);
  if (path.is_relative()) {
    path = m_file.parent_path() / path;
  }
  return path.lexically_normal();
}

std::optional<std::vector<std::string>> ConfigSection::get_string_array(
    std::string_view key) const {
  const toml::node* n = node(key);
  if (n == nullptr) {
    return std::nullopt;
  }
  const auto* array = n->as_array();
  if (array == nullptr) {
    fail_at(n->source(), key, fmt::format("expected an array of strings, found {}", type_name(*n)));
  }
  std::vector<std::string> values;
  for (const auto& element : *array) {
    const auto* s = element.as_string();
    if (s == nullptr) {
      fail_at(element.source(), key,
              fmt::format("expected an array of strings, found {} in it", type_name(element)));
    }
    values.push_back(s->get());
  }
  return values;
}

std::optional<ConfigSection> ConfigSection::get_table(std::string_view key) const {
  const toml::node* n = node(key);
  if (n == nullptr) {
    return std::nullopt;
  }
  const auto* table = n->as_table();
  if (table == nullptr) {
    fail_at(n->source(), key, fmt::format("expected a table, found {}", type_name(*n)));
  }
  return ConfigSection(m_file, full_key(key), *table);
}

ConfigSection ConfigSection::require_table(std::string_view key) const {
  auto table = get_table(key);
  if (!table) {
    fail(key, fmt::format("missing required table [{}]", full_key(key)));
  }
  return *table;
}

std::vector<ConfigSection> ConfigSection::get_table_array(std::string_view key) const {
  std::vector<ConfigSection> tables;
  const toml::node* n = node(key);
  if (n == nullptr) {
    return tables;
  }
  const auto* array = n->as_array();
  if (array == nullptr) {
    fail_at(n->source(), key, fmt::format("expected an array of tables, found {}", type_name(*n)));
  }
  size_t index = 0;
  for (const auto& element : *array) {
    const auto* table = element.as_table();
    if (table == nullptr) {
      fail_at(element.source(), key,
              fmt::format("expected an array of tables, found {} in it", type_name(element)));
    }
    tables.emplace_back(m_file, fmt::format("{}[{}]", full_key(key), index++), *table);
  }
  return tables;
}

void ConfigSection::reject_unknown_keys(std::span<const ConfigKey> known) const {
  for (const auto& [key, value] : *m_table) {
    if (find_config_key(known, key.str()) == nullptr) {
      std::string expected;
      for (const ConfigKey& k : known) {
        expected += expected.empty() ? "" : ", ";
        expected += k.name;
      }
      throw ConfigError(m_file, key.source().begin.line, key.source().begin.column,
                        full_key(key.str()),
                        fmt::format("unknown key (expected one of: {})",
                                    expected.empty() ? "no keys" : expected));
    }
  }
}

toml::table parse_config_text(std::string_view text, const std::filesystem::path& file) {
  try {
    return toml::parse(text, file.string());
  } catch (const toml::parse_error& error) {
    throw ConfigError(file, error.source().begin.line, error.source().begin.column, "",
                      fmt::format("invalid TOML: {}", error.description()));
  }
}

toml::table parse_config_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ConfigError(file, 0, 0, "",
                      fmt::format("cannot read config file: {}", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_config_text(text.str(), file);
}

std::optional<uint64_t> parse_size(std::string_view text) {
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  uint64_t multiplier = 1;
  switch (text.back()) {
    case 'K':
    case 'k':
      multiplier = 1ull << 10;
      break;
    case 'M':
    case 'm':
      multiplier = 1ull << 20;
      break;
    case 'G':
    case 'g':
      multiplier = 1ull << 30;
      break;
    case 'T':
    case 't':
      multiplier = 1ull << 40;
      break;
    default:
      break;
  }
  if (multiplier != 1) {
    text.remove_suffix(1);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    if (value > (std::numeric_limits<uint64_t>::max() - 9) / 10) {
      return std::nullopt;
    }
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > std::numeric_limits<uint64_t>::max() / multiplier) {
    return std::nullopt;
  }
  return value * multiplier;
}

}  // namespace sccache
