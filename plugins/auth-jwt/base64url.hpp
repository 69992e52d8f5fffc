// Base64url (RFC 4648 §5) as JWTs and JWKs use it, over Poco's codec. Decoding is strict: only
// the URL-safe alphabet, no padding unless `allow_padding`, no whitespace, no impossible length.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sccache::auth_jwt {

std::string base64url_encode(std::string_view bytes);

enum class Padding { forbidden, allowed };

// The decoded bytes, or nullopt if `text` is not strict base64url.
std::optional<std::string> base64url_decode(std::string_view text,
                                            Padding padding = Padding::forbidden);

}  // namespace sccache::auth_jwt
