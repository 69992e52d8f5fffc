// Where jwt_validate gets its public keys: a JWKS file, re-read when it changes, or a JWKS URL,
// re-fetched periodically and when a token names a key id it does not know.
//
// Threads: every method is thread-safe; keys() never waits on the network for more than a few
// seconds (a URL is fetched on the source's own thread). Failure: a source that cannot be read,
// or holds no JWKS at all, keeps the keys it had (logging why); a JWKS that parses replaces them,
// even when it holds no usable key (that is how an operator revokes every key). A source that
// never could be read has no keys, so every token is refused.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>

#include "auth-jwt/jwk_set.hpp"

namespace sccache::auth_jwt {

using KeyList = std::shared_ptr<const std::vector<VerificationKey>>;

class KeySource {
 public:
  virtual ~KeySource() = default;
  // The current keys. A `key_id` not among them may trigger a refresh (rate-limited).
  virtual KeyList keys(std::string_view key_id) = 0;
};

// Reads `file` now (throws JwksError if it cannot, or it holds no usable key) and again whenever
// its inode, size or modification time changes, which is checked on every call (one stat).
std::unique_ptr<KeySource> make_file_key_source(std::filesystem::path file,
                                                std::shared_ptr<spdlog::logger> log);

// Fetches `url` (https://, or http:// to a loopback host) now and every `refresh` (every
// `min_refetch` while fetches fail); an unknown key id re-fetches at most once per `min_refetch`.
// Fetch failures are logged (without the URL's user info or query), never thrown.
std::unique_ptr<KeySource> make_url_key_source(std::string url, std::chrono::seconds refresh,
                                               std::chrono::seconds min_refetch,
                                               std::shared_ptr<spdlog::logger> log);

}  // namespace sccache::auth_jwt
