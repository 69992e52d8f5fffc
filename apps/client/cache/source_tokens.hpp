// Whole-identifier search in source text, for the cache's safety rules (__TIME__, __DATE__,
// __FILE__ in a unit or a header). Conservative by design: an identifier in a comment or an
// unused branch counts too.
//
// Threads: pure. Failure: none.
#pragma once

#include <string_view>

namespace sccache::cache {

// Whether `identifier` occurs in `text` with no identifier character on either side.
bool has_identifier(std::string_view text, std::string_view identifier);

// __TIME__ or __TIMESTAMP__: the output changes every second.
bool mentions_time(std::string_view text);
// __DATE__: the output changes every day.
bool mentions_date(std::string_view text);

}  // namespace sccache::cache
