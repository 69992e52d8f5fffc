// The markdown key tables of docs/configuration.md, rendered from the readers' declarations, and
// spliced into the doc between markers:
//
//   <!-- keys:scheduler.conf:begin -->
//   | key | type | default | meaning |
//   ...
//   <!-- keys:scheduler.conf:end -->
//
// Everything outside the markers is prose and is kept as written.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config_docs/config_tables.hpp"

namespace sccache::config_docs {

// The table as markdown, ending in a newline. Secrets show as "string (secret)"; an empty default
// as "none". Throws std::invalid_argument naming the table and key when a text would break the
// table (a '|' or a line break in it).
std::string render_table(const DocumentedTable& table);

// The begin marker, the table and the end marker.
std::string render_block(const DocumentedTable& table);

struct SpliceResult {
  std::string text;                 // the doc with every block regenerated
  std::vector<std::string> stale;   // ids of the blocks whose text differed, in doc order
  std::vector<std::string> errors;  // unknown, repeated, unbalanced or missing blocks
};

// Regenerates every block of `doc`. Each table of `tables` must have exactly one block, and every
// block must name one of them; otherwise `errors` says which (and `text` is not to be written).
SpliceResult splice_tables(std::string_view doc, const std::vector<DocumentedTable>& tables);

}  // namespace sccache::config_docs
