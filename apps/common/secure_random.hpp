// Random bytes for secrets and unguessable ids, from OpenSSL's CSPRNG.
//
// Threads: safe. Failure: std::runtime_error if OpenSSL cannot provide them (never a weaker
// fallback).
#pragma once

#include <cstddef>
#include <string>

namespace sccache {

std::string random_bytes(size_t count);
// `count` random bytes as base64url without padding.
std::string random_base64url(size_t count);
// `count` random bytes as lowercase hex.
std::string random_hex(size_t count);

}  // namespace sccache
