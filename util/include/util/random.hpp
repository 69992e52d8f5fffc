// Random bytes for secrets, unguessable ids and unique file names, from OpenSSL's CSPRNG.
//
// Threads: safe from any thread. Failure: std::runtime_error if OpenSSL cannot provide them
// (never a weaker fallback).
#pragma once

#include <cstddef>
#include <string>

namespace util {

// `count` random bytes.
std::string random_bytes(size_t count);
// `count` random bytes as lowercase hex (2 * count characters).
std::string random_hex(size_t count);

}  // namespace util
