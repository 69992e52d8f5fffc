#include "sccache/auth.hpp"

#include <cctype>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

namespace sccache {

CredentialProvider::~CredentialProvider() = default;
CredentialVerifier::~CredentialVerifier() = default;
AuthFactory::~AuthFactory() = default;

std::string_view auth_role_table(AuthRole role) noexcept {
  switch (role) {
    case AuthRole::client_credential:
      return "dist.auth";
    case AuthRole::client_verifier:
      return "client_auth";
    case AuthRole::server_credential:
      return "scheduler_auth";
    case AuthRole::server_verifier:
      return "server_auth";
  }
  return "?";
}

bool is_verifier_role(AuthRole role) noexcept {
  return role == AuthRole::client_verifier || role == AuthRole::server_verifier;
}

void warn_if_secret_readable(const ConfigSection& config, std::string_view key, HostContext& host) {
  if (host.app_role() == AppRole::client) {
    return;
  }
  struct stat st {};
  if (::stat(config.file().c_str(), &st) != 0 || (st.st_mode & S_IROTH) == 0) {
    return;
  }
  host.logger("config")->warn(
      "{} holds the secret '{}' and is readable by every user of this machine; restrict it "
      "(chmod o-r {})",
      config.file().string(), config.full_key(key), config.file().string());
}

std::string_view bearer_token(std::string_view authorization) noexcept {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() < scheme.size()) {
    return {};
  }
  for (size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) {
      return {};
    }
  }
  return authorization.substr(scheme.size());
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sccache
