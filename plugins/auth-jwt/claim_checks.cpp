#include "auth-jwt/claim_checks.hpp"

#include <cmath>

#include <Poco/JSON/Array.h>

namespace sccache::auth_jwt {

namespace {

enum class Numeric { absent, invalid, present };

// A NumericDate claim in seconds since the epoch.
Numeric numeric_date(const Poco::JSON::Object& claims, const std::string& name, double* value) {
  if (!claims.has(name)) {
    return Numeric::absent;
  }
  Poco::Dynamic::Var var = claims.get(name);
  if (!var.isNumeric() || var.isString()) {
    return Numeric::invalid;
  }
  *value = var.convert<double>();
  return std::isfinite(*value) && *value >= 0 ? Numeric::present : Numeric::invalid;
}

}  // namespace

std::optional<std::string> check_time_claims(const Poco::JSON::Object& claims,
                                             std::chrono::system_clock::time_point now,
                                             const TimeRules& rules) {
  const double t = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double leeway = static_cast<double>(rules.leeway.count());
  double exp = 0;
  switch (numeric_date(claims, "exp", &exp)) {
    case Numeric::invalid:
      return "malformed token: \"exp\" is not a number of seconds";
    case Numeric::absent:
      if (rules.expiry == Expiry::required) {
        return "token has no expiry (\"exp\"), which is required";
      }
      break;
    case Numeric::present:
      if (exp == 0 && rules.expiry == Expiry::if_present) {
        break;
      }
      if (t > exp + leeway) {
        return "token expired";
      }
      break;
  }
  double nbf = 0;
  switch (numeric_date(claims, "nbf", &nbf)) {
    case Numeric::invalid:
      return "malformed token: \"nbf\" is not a number of seconds";
    case Numeric::present:
      if (t + leeway < nbf) {
        return "token not yet valid (\"nbf\" is in the future)";
      }
      break;
    case Numeric::absent:
      break;
  }
  double iat = 0;
  switch (numeric_date(claims, "iat", &iat)) {
    case Numeric::invalid:
      return "malformed token: \"iat\" is not a number of seconds";
    case Numeric::present:
      if (t + leeway < iat) {
        return "token issued in the future (\"iat\")";
      }
      break;
    case Numeric::absent:
      break;
  }
  return std::nullopt;
}

bool has_audience(const Poco::JSON::Object& claims, const std::string& audience) {
  if (!claims.has("aud")) {
    return false;
  }
  if (auto single = string_claim(claims, "aud")) {
    return *single == audience;
  }
  Poco::JSON::Array::Ptr list = claims.getArray("aud");
  if (!list) {
    return false;
  }
  for (unsigned i = 0; i < list->size(); ++i) {
    Poco::Dynamic::Var entry = list->get(i);
    if (entry.isString() && entry.extract<std::string>() == audience) {
      return true;
    }
  }
  return false;
}

std::optional<std::string> string_claim(const Poco::JSON::Object& claims, const std::string& name) {
  if (!claims.has(name)) {
    return std::nullopt;
  }
  Poco::Dynamic::Var var = claims.get(name);
  if (!var.isString()) {
    return std::nullopt;
  }
  return var.extract<std::string>();
}

}  // namespace sccache::auth_jwt
