#include "token_file.hpp"

#include <fstream>
#include <sstream>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace user_tokens {

namespace {

bool is_lower_hex(const std::string& text) {
  return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

std::vector<UserEntry> read_token_file(const std::filesystem::path& file,
                                       std::vector<std::string>* skipped) {
  std::ifstream in(file);
  if (!in) {
    throw TokenFileError("cannot read " + file.string());
  }
  std::vector<UserEntry> entries;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream words(line);
    std::string user, hash, extra;
    if (!(words >> user) || user[0] == '#') {
      continue;
    }
    constexpr std::string_view prefix = "sha256:";
    if (!(words >> hash) || (words >> extra) || !hash.starts_with(prefix) ||
        hash.size() != prefix.size() + 64 || !is_lower_hex(hash.substr(prefix.size()))) {
      std::string problem = file.string() + ":" + std::to_string(number) +
                            ": expected \"<user> sha256:<64 lowercase hex digits>\"";
      if (skipped == nullptr) {
        throw TokenFileError(problem);
      }
      skipped->push_back(std::move(problem));
      continue;
    }
    entries.push_back({user, hash.substr(prefix.size())});
  }
  return entries;
}

std::string sha256_hex(const std::string& text) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(text);
  return Poco::DigestEngine::digestToHex(engine.digest());
}

}  // namespace user_tokens
