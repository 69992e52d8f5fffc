#include "sccache/auth.hpp"

#include <cctype>

#include <openssl/crypto.h>

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
