// Every config table the project reads, each with the keys its reader declares: the apps' tables
// and the in-tree plugins' ones. docs/configuration.md's key tables are generated from this list
// (sccache-config-docs), and the tests check every reader against its entry.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "sccache/config_keys.hpp"

namespace sccache::config_docs {

struct DocumentedTable {
  // Names the table's block in the doc: <!-- keys:<id>:begin --> ... <!-- keys:<id>:end -->.
  std::string_view id;
  // The table's dotted path in its file ("" for the root, "dist", "builder"), for the names of
  // nested tables in the doc (`[dist.auth]`).
  std::string_view path;
  std::span<const ConfigKey> keys;
};

// In the order docs/configuration.md shows them.
const std::vector<DocumentedTable>& documented_tables();

}  // namespace sccache::config_docs
