// Bearer tokens as the scheduler and build servers read them before trusting anything: the
// auth-jwt plugin's compact JWS parser and HS256 check, JWKS documents, and the job tokens
// build servers verify (common/job_token.hpp).
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "auth-jwt/compact_jws.hpp"
#include "auth-jwt/jwk_set.hpp"
#include "common/job_token.hpp"

using namespace sccache;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::set<std::string> algorithms = {"HS256", "RS256", "ES256"};
  std::string reason;
  if (auto jws = auth_jwt::parse_compact_jws(text, algorithms, &reason)) {
    (void)auth_jwt::hs256_signature_valid(*jws, "a key of the fuzzer's");
  }
  (void)auth_jwt::parse_bearer_jws(text, algorithms, &reason);
  try {
    std::vector<std::string> skipped;
    (void)auth_jwt::parse_jwks(text, &skipped);
  } catch (const auth_jwt::JwksError&) {
  }
  (void)verify_job_token("0123456789abcdef0123456789abcdef", text, &reason);
  return 0;
}
