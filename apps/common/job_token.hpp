// Job tokens: the scheduler's permission for one client to run one job on one build server.
//
// Each build server makes a random key at start and gives it to the scheduler in its heartbeats
// (the scheduler link is authenticated). The scheduler signs {job, server, toolchain, expiry}
// with that key (HS256; no other algorithm is accepted); the server checks the signature, the
// expiry, that it is the named server and that the job in the URL is the job in the token.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sccache {

// How long a job token is valid: its job must start within this time. Long enough for a large
// toolchain upload, short enough that a leaked token is soon worthless (it is single-use too).
inline constexpr std::chrono::seconds k_job_token_lifetime{300};
// The scheduler's clock signs, the build server's checks: this much disagreement is tolerated.
inline constexpr std::chrono::seconds k_job_token_clock_skew{60};

struct JobClaims {
  std::string job_id;
  std::string server_id;
  std::string toolchain_id;
  std::chrono::system_clock::time_point expires_at;  // on the scheduler's clock
};

// A fresh random key for a server start: 32 bytes from OpenSSL's CSPRNG, base64url (no padding).
// Throws std::runtime_error if OpenSSL cannot provide them.
std::string make_job_key();

std::string issue_job_token(const std::string& job_key, const JobClaims& claims,
                            std::chrono::seconds lifetime = k_job_token_lifetime);

// The claims if the token is valid for this key and its expiry is plausible at `now` (not past,
// nor further ahead than a token's lifetime, each give or take k_job_token_clock_skew);
// otherwise nullopt and `reason` (safe to return to the caller: it never contains the key or the
// token).
std::optional<JobClaims> verify_job_token(
    const std::string& job_key, std::string_view token, std::string* reason,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace sccache
