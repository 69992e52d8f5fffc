#include "common/environment.hpp"

extern char** environ;

namespace sccache {

Environment Environment::of_this_process() {
  std::vector<std::string> entries;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    entries.emplace_back(*e);
  }
  return Environment(std::move(entries));
}

std::optional<std::string_view> Environment::get(std::string_view key) const {
  for (const auto& entry : m_entries) {
    if (entry.size() > key.size() && entry[key.size()] == '=' && entry.starts_with(key)) {
      return std::string_view(entry).substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> Environment::get_nonempty(std::string_view key) const {
  auto value = get(key);
  return value && !value->empty() ? value : std::nullopt;
}

}  // namespace sccache
