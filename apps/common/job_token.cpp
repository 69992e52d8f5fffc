#include "job_token.hpp"

#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/RandomStream.h>

namespace sccache {

std::string make_job_key() {
  char raw[32];
  Poco::RandomInputStream().read(raw, sizeof raw);
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(raw, sizeof raw);
  encoder.close();
  return out.str();
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
                                          std::string* reason) {
  if (token.empty() || token.size() > 4096) {
    *reason = "missing or oversized job token";
    return std::nullopt;
  }
  Poco::JWT::Token verified;
  try {
    Poco::JWT::Signer signer(job_key);
    signer.setAlgorithms({Poco::JWT::Signer::ALGO_HS256});
    if (!signer.tryVerify(std::string(token), verified)) {
      *reason = "invalid job token signature";
      return std::nullopt;
    }
  } catch (const Poco::Exception&) {
    *reason = "malformed job token";
    return std::nullopt;
  }
  if (verified.getAlgorithm() != Poco::JWT::Signer::ALGO_HS256) {
    *reason = "job token algorithm not accepted";
    return std::nullopt;
  }
  if (!verified.payload().has("exp") || verified.getExpiration() < Poco::Timestamp()) {
    *reason = "expired job token";
    return std::nullopt;
  }
  JobClaims claims;
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
