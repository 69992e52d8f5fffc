// An environment as a list of "KEY=value" entries: this process's, or the one a request carries
// (the local server runs each compile in its wrapper's environment, not its own).
//
// Threads: a plain value. Failure: none.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sccache {

class Environment {
 public:
  Environment() = default;
  explicit Environment(std::vector<std::string> entries) : m_entries(std::move(entries)) {}
  // A copy of this process's environment, taken now.
  static Environment of_this_process();

  // The value of `key` (the first entry, as getenv), or nullopt; an empty value is a value.
  std::optional<std::string_view> get(std::string_view key) const;
  // The value, or nullopt when it is missing or empty.
  std::optional<std::string_view> get_nonempty(std::string_view key) const;
  const std::vector<std::string>& entries() const { return m_entries; }

 private:
  std::vector<std::string> m_entries;
};

}  // namespace sccache
