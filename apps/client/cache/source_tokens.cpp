#include "client/cache/source_tokens.hpp"

#include <cctype>

namespace sccache::cache {

namespace {

bool identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

bool has_identifier(std::string_view text, std::string_view identifier) {
  for (size_t pos = text.find(identifier); pos != std::string_view::npos;
       pos = text.find(identifier, pos + 1)) {
    const size_t end = pos + identifier.size();
    if ((pos == 0 || !identifier_char(text[pos - 1])) &&
        (end >= text.size() || !identifier_char(text[end]))) {
      return true;
    }
  }
  return false;
}

bool mentions_time(std::string_view text) {
  return has_identifier(text, "__TIME__") || has_identifier(text, "__TIMESTAMP__");
}

bool mentions_date(std::string_view text) {
  return has_identifier(text, "__DATE__");
}

}  // namespace sccache::cache
