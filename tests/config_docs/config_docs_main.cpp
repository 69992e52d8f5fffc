// sccache-config-docs: the key tables of docs/configuration.md, generated from the config readers'
// declarations (not installed; scripts/update-config-docs.sh and test_config_docs run it).
//
//   sccache-config-docs                 prints every table between its markers
//   sccache-config-docs --splice FILE   prints FILE with every table regenerated, names the stale
//                                       ones on stderr; exit 1 if any was stale, 2 on a marker
//                                       error (an unknown, repeated, unbalanced or missing block)
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "config_docs/config_docs.hpp"
#include "config_docs/config_tables.hpp"

namespace {

int print_blocks() {
  bool first = true;
  for (const auto& table : sccache::config_docs::documented_tables()) {
    std::cout << (first ? "" : "\n") << sccache::config_docs::render_block(table);
    first = false;
  }
  return 0;
}

int splice(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << "sccache-config-docs: cannot read " << file << "\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto result =
      sccache::config_docs::splice_tables(text.str(), sccache::config_docs::documented_tables());
  for (const auto& error : result.errors) {
    std::cerr << file << ": " << error << "\n";
  }
  if (!result.errors.empty()) {
    return 2;
  }
  std::cout << result.text;
  for (const auto& id : result.stale) {
    std::cerr << file << ": table '" << id << "' is stale\n";
  }
  return result.stale.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 1) {
      return print_blocks();
    }
    if (argc == 3 && std::string(argv[1]) == "--splice") {
      return splice(argv[2]);
    }
  } catch (const std::exception& e) {
    std::cerr << "sccache-config-docs: " << e.what() << "\n";
    return 2;
  }
  std::cerr << "usage: sccache-config-docs [--splice FILE]\n";
  return 2;
}
