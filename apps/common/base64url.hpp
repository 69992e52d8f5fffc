// Base64url without padding (RFC 4648 §5), as JWTs and the keys of `sccache-dist auth` use it,
// over Poco's codec.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sccache {

std::string base64url_encode(std::string_view bytes);
// The bytes, or nullopt if `text` has characters outside the URL-safe alphabet (trailing '='
// padding is tolerated).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace sccache
