#include "config_docs/config_docs.hpp"

#include <optional>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

namespace sccache::config_docs {
namespace {

constexpr std::string_view k_marker_prefix = "<!-- keys:";
constexpr std::string_view k_marker_suffix = " -->";

enum class Edge { begin, end };

struct Marker {
  std::string id;
  Edge edge;
};

std::optional<Marker> parse_marker(std::string_view line) {
  if (!line.starts_with(k_marker_prefix) || !line.ends_with(k_marker_suffix)) {
    return std::nullopt;
  }
  line.remove_prefix(k_marker_prefix.size());
  line.remove_suffix(k_marker_suffix.size());
  for (auto [suffix, edge] : {std::pair{":begin", Edge::begin}, std::pair{":end", Edge::end}}) {
    std::string_view tail(suffix);
    if (line.size() > tail.size() && line.ends_with(tail)) {
      return Marker{std::string(line.substr(0, line.size() - tail.size())), edge};
    }
  }
  return std::nullopt;
}

std::string marker(std::string_view id, Edge edge) {
  return fmt::format("{}{}:{}{}", k_marker_prefix, id, edge == Edge::begin ? "begin" : "end",
                     k_marker_suffix);
}

std::string cell(const DocumentedTable& table, const ConfigKey& key, std::string_view text) {
  if (text.find_first_of("|\r\n") != std::string_view::npos) {
    throw std::invalid_argument(
        fmt::format("table '{}', key '{}': a '|' or a line break would break the markdown table",
                    table.id, key.name));
  }
  return std::string(text);
}

std::string key_cell(const DocumentedTable& table, const ConfigKey& key) {
  std::string full =
      table.path.empty() ? std::string(key.name) : fmt::format("{}.{}", table.path, key.name);
  switch (key.type) {
    case ConfigValueType::table:
      return fmt::format("`[{}]`", full);
    case ConfigValueType::table_array:
      return fmt::format("`[[{}]]`", full);
    default:
      return fmt::format("`{}`", key.name);
  }
}

std::string type_cell(const ConfigKey& key) {
  std::string type(config_value_type_name(key.type));
  if (key.secrecy == ConfigSecrecy::secret) {
    type += fmt::format(" {}", k_redacted_secret);
  }
  return type;
}

const DocumentedTable* find_table(const std::vector<DocumentedTable>& tables, std::string_view id) {
  for (const auto& table : tables) {
    if (table.id == id) {
      return &table;
    }
  }
  return nullptr;
}

}  // namespace

std::string render_table(const DocumentedTable& table) {
  std::string text = "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const ConfigKey& key : table.keys) {
    text += fmt::format("| {} | {} | {} | {} |\n", key_cell(table, key), type_cell(key),
                        cell(table, key, key.default_text.empty() ? "none" : key.default_text),
                        cell(table, key, key.description));
  }
  return text;
}

std::string render_block(const DocumentedTable& table) {
  return fmt::format("{}\n{}{}\n", marker(table.id, Edge::begin), render_table(table),
                     marker(table.id, Edge::end));
}

SpliceResult splice_tables(std::string_view doc, const std::vector<DocumentedTable>& tables) {
  SpliceResult result;
  std::set<std::string, std::less<>> seen;
  std::optional<Marker> open;  // the block being read
  const DocumentedTable* open_table = nullptr;
  std::string open_text;
  size_t line_number = 0;
  size_t pos = 0;
  while (pos < doc.size()) {
    const size_t newline = doc.find('\n', pos);
    const size_t next = newline == std::string_view::npos ? doc.size() : newline + 1;
    const std::string_view line = doc.substr(pos, next - pos);
    pos = next;
    ++line_number;
    std::string_view bare = line;
    if (bare.ends_with('\n')) {
      bare.remove_suffix(1);
    }
    auto found = parse_marker(bare);
    if (!found) {
      (open ? open_text : result.text) += line;
      continue;
    }
    if (found->edge == Edge::begin) {
      if (open) {
        result.errors.push_back(fmt::format("line {}: block '{}' begins inside block '{}'",
                                            line_number, found->id, open->id));
        continue;
      }
      open_table = find_table(tables, found->id);
      if (open_table == nullptr) {
        result.errors.push_back(
            fmt::format("line {}: no generated table is called '{}'", line_number, found->id));
      } else if (!seen.insert(found->id).second) {
        result.errors.push_back(
            fmt::format("line {}: a second block for table '{}'", line_number, found->id));
      }
      result.text += line;
      open = std::move(found);
      open_text.clear();
      continue;
    }
    if (!open || open->id != found->id) {
      result.errors.push_back(
          fmt::format("line {}: block '{}' ends but never began", line_number, found->id));
      result.text += line;
      continue;
    }
    if (open_table == nullptr) {
      result.text += open_text;
    } else {
      std::string generated = render_table(*open_table);
      if (generated != open_text) {
        result.stale.push_back(open->id);
      }
      result.text += generated;
    }
    result.text += line;
    open.reset();
  }
  if (open) {
    result.errors.push_back(fmt::format("block '{}' has no end marker", open->id));
    result.text += open_text;
  }
  for (const auto& table : tables) {
    if (!seen.contains(table.id)) {
      result.errors.push_back(fmt::format("no block for table '{}' (add the lines {} and {})",
                                          table.id, marker(table.id, Edge::begin),
                                          marker(table.id, Edge::end)));
    }
  }
  return result;
}

}  // namespace sccache::config_docs
