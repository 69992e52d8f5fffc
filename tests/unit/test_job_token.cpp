// Job tokens: signed by the scheduler for one job on one server, checked by that server with
// its own clock.
#include <catch2/catch.hpp>

#include "common/job_token.hpp"

using namespace sccache;
using std::chrono::seconds;
using Clock = std::chrono::system_clock;

namespace {

const JobClaims k_claims{"00000000000000ff", "127.0.0.1:10501", std::string(64, 'a'), {}};

std::string refusal(const std::string& key, const std::string& token, Clock::time_point now) {
  std::string reason;
  return verify_job_token(key, token, &reason, now) ? "(accepted)" : reason;
}

}  // namespace

TEST_CASE("a job token carries its claims and is bound to its key") {
  const std::string key = make_job_key();
  CHECK(key.size() == 43);  // 32 bytes, base64url without padding
  CHECK(make_job_key() != key);
  const std::string token = issue_job_token(key, k_claims);
  std::string reason;
  auto claims = verify_job_token(key, token, &reason);
  REQUIRE(claims);
  CHECK(claims->job_id == k_claims.job_id);
  CHECK(claims->server_id == k_claims.server_id);
  CHECK(claims->toolchain_id == k_claims.toolchain_id);
  CHECK(claims->expires_at > Clock::now());
  CHECK(refusal(make_job_key(), token, Clock::now()) == "invalid job token signature");
  CHECK(refusal(key, token.substr(0, token.size() - 2), Clock::now()) ==
        "invalid job token signature");
  CHECK(refusal(key, "", Clock::now()) == "missing or oversized job token");
  CHECK(refusal(key, "a.b", Clock::now()) == "malformed job token");
}

TEST_CASE("a job token tolerates a minute of clock disagreement and no more") {
  const std::string key = make_job_key();
  const std::string token = issue_job_token(key, k_claims);  // expires in 300 s
  const auto now = Clock::now();
  // This server's clock behind the scheduler's: fine within the skew, refused beyond it.
  CHECK(refusal(key, token, now - seconds(50)) == "(accepted)");
  CHECK(refusal(key, token, now - seconds(90)).find("clocks disagree") != std::string::npos);
  CHECK(refusal(key, token, now - seconds(90)).find("longer than a job token can be") !=
        std::string::npos);
  // Ahead of it: usable a minute past expiry, then expired.
  CHECK(refusal(key, token, now + seconds(330)) == "(accepted)");
  CHECK(refusal(key, token, now + seconds(400)).find("expired job token") != std::string::npos);
  // A token minted with a longer lifetime (a scheduler with its clock far ahead) is refused too.
  const std::string long_lived = issue_job_token(key, k_claims, seconds(3600));
  CHECK(refusal(key, long_lived, now).find("clocks disagree") != std::string::npos);
}
