// Checks of registered JWT claims (RFC 7519 §4.1) on an already signature-checked token.
// Reasons are fixed strings: they never echo a claim's value.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <Poco/JSON/Object.h>

namespace sccache::auth_jwt {

enum class Expiry {
  required,    // "exp" must be present and in the future (identity-provider tokens)
  if_present,  // "exp" absent or 0 means no expiry (upstream's server tokens carry exp 0)
};

struct TimeRules {
  std::chrono::seconds leeway{60};  // allowed clock skew, both ways
  Expiry expiry = Expiry::required;
};

// nullopt if "exp", "nbf" and "iat" hold at `now` (with the leeway), else why not.
std::optional<std::string> check_time_claims(const Poco::JSON::Object& claims,
                                             std::chrono::system_clock::time_point now,
                                             const TimeRules& rules);

// Whether "aud" (a string or an array of strings) names `audience`.
bool has_audience(const Poco::JSON::Object& claims, const std::string& audience);

// A string claim, or nullopt if absent or not a string.
std::optional<std::string> string_claim(const Poco::JSON::Object& claims, const std::string& name);

}  // namespace sccache::auth_jwt
