// Bearer tokens as the scheduler and build servers check them before trusting anything, through
// the real verifiers with fixed keys: auth-jwt's jwt_hs256 (build servers' tokens) and
// jwt_validate (clients' identity-provider tokens, against a fixed JWKS file), the JWKS parser
// (a provider's document), and the job tokens build servers verify (common/job_token.hpp).
// verify() must refuse bad input, never throw; the JWKS parser throws JwksError only.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "sccache/auth.hpp"

#include "auth-jwt/jwk_set.hpp"
#include "auth-jwt/jwt_auth.hpp"
#include "common/job_token.hpp"
#include "support/auth_plugin_fixture.hpp"

namespace fs = std::filesystem;
using namespace sccache;

namespace {

// The secrets the seeds are signed with (fuzz_make_seeds.cpp, corpus/fuzz_jwt/).
const std::string k_server_secret_b64 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlBQkNERUY";
const std::string k_job_key = "0123456789abcdef0123456789abcdef";
// RFC 7515 A.3's ES256 key: the corpus carries that appendix's signed example.
const std::string k_jwks =
    R"({"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"k1","use":"sig","alg":"ES256"}]})";

// The two verifiers, made once; the JWKS file goes at exit, so a run leaves nothing in /tmp.
struct Verifiers {
  Verifiers()
      : jwks_file(fs::temp_directory_path() /
                  ("sccache-fuzz-jwks-" + std::to_string(::getpid()) + ".json")),
        server_fixture(auth_jwt::descriptor(),
                       "type = \"jwt_hs256\"\nsecret_key = \"" + k_server_secret_b64 + "\"\n",
                       "server_auth"),
        client_fixture(auth_jwt::descriptor(),
                       "type = \"jwt_validate\"\naudience = \"sccache-dist\"\nissuer = \"joe\"\n"
                       "jwks_file = \"" +
                           jwks_file.string() + "\"\n",
                       "client_auth") {
    std::ofstream(jwks_file) << k_jwks;
    servers = server_fixture.verifier("jwt_hs256", AuthRole::server_verifier);
    clients = client_fixture.verifier("jwt_validate", AuthRole::client_verifier);
  }
  ~Verifiers() { fs::remove(jwks_file); }

  const fs::path jwks_file;
  test::AuthPluginFixture server_fixture;
  test::AuthPluginFixture client_fixture;
  std::unique_ptr<CredentialVerifier> servers;
  std::unique_ptr<CredentialVerifier> clients;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Verifiers verifiers;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)verifiers.servers->verify({text, "127.0.0.1:10501", "127.0.0.1:40000"});
  (void)verifiers.clients->verify({text, "", "127.0.0.1:40000"});
  try {
    std::vector<std::string> skipped;
    (void)auth_jwt::parse_jwks(text, &skipped);
  } catch (const auth_jwt::JwksError&) {
  }
  // As the build server reads its Authorization header. The seed job token expires at
  // 2000000000: checked just before, it is valid.
  std::string reason;
  (void)verify_job_token(k_job_key, bearer_token(text), &reason,
                         std::chrono::system_clock::from_time_t(2000000000 - 60));
  return 0;
}
