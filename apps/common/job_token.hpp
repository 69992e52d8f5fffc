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

struct JobClaims {
  std::string job_id;
  std::string server_id;
  std::string toolchain_id;
};

// A fresh random key for a server start: 32 bytes, base64url (no padding).
std::string make_job_key();

std::string issue_job_token(const std::string& job_key, const JobClaims& claims,
                            std::chrono::seconds lifetime);

// The claims if the token is valid for this key and not expired; otherwise nullopt and `reason`
// (safe to return to the caller: it never contains the key or the token).
std::optional<JobClaims> verify_job_token(const std::string& job_key, std::string_view token,
                                          std::string* reason);

}  // namespace sccache
