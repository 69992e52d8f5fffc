// The encodings and MAC that bearer tokens and JWTs are made of, for the apps and for auth
// plugins alike: base64url (RFC 4648 §5, over Poco's codec) and HMAC-SHA256 (OpenSSL). Compare
// MACs with constant_time_equal() (auth.hpp).
//
// Threads: pure functions, safe from any thread. Failure: decoding returns nullopt, never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sccache {

// Without padding, as JWTs and the keys of `sccache-dist auth` use it.
std::string base64url_encode(std::string_view bytes);

enum class Base64Padding { forbidden, allowed };

// The decoded bytes, or nullopt if `text` is not strict base64url: only the URL-safe alphabet, no
// whitespace, no impossible length, and trailing '=' padding only when `padding` allows it.
std::optional<std::string> base64url_decode(std::string_view text,
                                            Base64Padding padding = Base64Padding::forbidden);

// HMAC-SHA256 of `data` under `key`: the 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace sccache
