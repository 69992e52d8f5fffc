// Config text for tests: a parsed document kept alive with its root section, and the message of
// the ConfigError a step throws.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "sccache/config_section.hpp"

namespace sccache::test {

// Parses `text` as if it came from "test.conf" and keeps the document alive.
struct ConfigDoc {
  explicit ConfigDoc(std::string_view text) : table(parse_config_text(text, "test.conf")) {}
  ConfigSection root() const { return ConfigSection("test.conf", "", table); }
  toml::table table;
};

// The message of the ConfigError `step` throws, or "(no error)".
inline std::string config_error_of(const std::function<void()>& step) {
  try {
    step();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace sccache::test
