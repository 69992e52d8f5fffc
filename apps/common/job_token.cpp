#include "common/job_token.hpp"

#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include "sccache/auth.hpp"
#include "sccache/token_crypto.hpp"

#include "util/random.hpp"

namespace sccache {

std::string make_job_key() {
  return base64url_encode(util::random_bytes(32));
}

std::string issue_job_token(const std::string& job_key, const JobClaims& claims,
                            std::chrono::seconds lifetime) {
  Poco::JWT::Token token;
  token.setType("JWT");
  token.payload().set("job", claims.job_id);
  token.payload().set("srv", claims.server_id);
  token.payload().set("tc", claims.toolchain_id);
  Poco::Timestamp now;
  token.setIssuedAt(now);
  token.setExpiration(now + Poco::Timespan(lifetime.count(), 0));
  Poco::JWT::Signer signer(job_key);
  return signer.sign(token, Poco::JWT::Signer::ALGO_HS256);
}

std::optional<JobClaims> verify_job_token(const std::string& job_key, std::string_view token,
                                          std::string* reason,
                                          std::chrono::system_clock::time_point now) {
  if (token.empty() || token.size() > 4096) {
    *reason = "missing or oversized job token";
    return std::nullopt;
  }
  Poco::JWT::Token verified;
  try {
    verified = Poco::JWT::Token(std::string(token));
  } catch (const Poco::Exception&) {
    *reason = "malformed job token";
    return std::nullopt;
  }
  const size_t signature_start = token.rfind('.');
  if (verified.getAlgorithm() != Poco::JWT::Signer::ALGO_HS256 ||
      signature_start == std::string_view::npos) {
    *reason = "job token algorithm not accepted";
    return std::nullopt;
  }
  // Checked here rather than with Poco's Signer, whose HMAC comparison is not constant-time.
  const std::string expected =
      base64url_encode(hmac_sha256(job_key, token.substr(0, signature_start)));
  if (!constant_time_equal(expected, token.substr(signature_start + 1))) {
    *reason = "invalid job token signature";
    return std::nullopt;
  }
  if (!verified.payload().has("exp")) {
    *reason = "job token without expiry";
    return std::nullopt;
  }
  const auto expires_at =
      std::chrono::system_clock::from_time_t(verified.getExpiration().epochTime());
  if (expires_at + k_job_token_clock_skew < now) {
    *reason =
        "expired job token (if this keeps happening, the scheduler's and this build "
        "server's clocks disagree)";
    return std::nullopt;
  }
  if (expires_at > now + k_job_token_lifetime + k_job_token_clock_skew) {
    *reason =
        "job token valid for longer than a job token can be (the scheduler's and this "
        "build server's clocks disagree)";
    return std::nullopt;
  }
  JobClaims claims;
  claims.expires_at = expires_at;
  try {
    claims.job_id = verified.payload().getValue<std::string>("job");
    claims.server_id = verified.payload().getValue<std::string>("srv");
    claims.toolchain_id = verified.payload().getValue<std::string>("tc");
  } catch (const Poco::Exception&) {
    *reason = "job token lacks its claims";
    return std::nullopt;
  }
  return claims;
}

}  // namespace sccache
