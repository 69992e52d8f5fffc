// The tokens file: one user per line, "<user> sha256:<hex SHA-256 of the user's token>", blank
// lines and "#" comments allowed. Only hashes are stored, so the file reveals no token.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace user_tokens {

struct UserEntry {
  std::string user;
  std::string token_sha256;  // 64 lowercase hex digits
};

class TokenFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws TokenFileError if the file cannot be read. A malformed line throws TokenFileError naming
// the file and line when `skipped` is null; otherwise the line is left out (its user is then
// refused) and described in `skipped`.
std::vector<UserEntry> read_token_file(const std::filesystem::path& file,
                                       std::vector<std::string>* skipped = nullptr);

// Lowercase hex SHA-256 of `text`.
std::string sha256_hex(const std::string& text);

}  // namespace user_tokens
