// Streaming SHA-256 (OpenSSL EVP) giving lowercase hex digests.
//
// Threads: a Sha256 object is used by one thread at a time; the free functions are thread-safe.
// Failure: ToolchainError (OpenSSL failure, unreadable file).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "sha256_hash.hpp"

namespace sccache::toolchain {

using sccache::Sha256;

std::string sha256_hex(std::string_view data);
std::string sha256_file_hex(const std::filesystem::path& file);

}  // namespace sccache::toolchain
