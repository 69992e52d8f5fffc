// Authentication interfaces. A config table such as [client_auth] names a `type`; the plugin that
// serves that type creates a credential provider (the side that presents a credential) or a
// verifier (the side that checks it), depending on the table's role.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sccache/config_section.hpp"
#include "sccache/host_context.hpp"

namespace sccache {

// Which config table an auth plugin is configured from, and so what it must create.
enum class AuthRole {
  client_credential,  // client [dist.auth]: the credential a client presents to the scheduler
  client_verifier,    // scheduler [client_auth]: checks clients
  server_credential,  // build server [scheduler_auth]: the credential a server presents
  server_verifier,    // scheduler [server_auth]: checks build servers
};

// The config table name for a role, e.g. "client_auth".
std::string_view auth_role_table(AuthRole role) noexcept;
bool is_verifier_role(AuthRole role) noexcept;

// Presents a credential. Thread-safe; may refresh the credential internally.
class CredentialProvider {
 public:
  virtual ~CredentialProvider();
  // The value of the Authorization header to send (e.g. "Bearer <token>"). Throws on failure.
  virtual std::string authorization() = 0;
};

// What the verifier sees of a request.
struct AuthRequest {
  std::string_view authorization;  // the Authorization header, "" if absent
  std::string_view claimed_id;     // the identity the caller claims (a server's public_addr), or ""
  std::string_view peer_address;   // the TCP peer, "ip:port"
};

struct AuthDecision {
  bool accepted = false;
  std::string identity;  // who was authenticated (never a secret)
  std::string reason;    // why not; safe to log and to send back (never contains the credential)

  static AuthDecision accept(std::string identity) { return {true, std::move(identity), {}}; }
  static AuthDecision refuse(std::string reason) { return {false, {}, std::move(reason)}; }
};

// Checks credentials. Thread-safe; verify() must not throw for bad input, only refuse.
class CredentialVerifier {
 public:
  virtual ~CredentialVerifier();
  virtual AuthDecision verify(const AuthRequest& request) const = 0;
};

// Stateless factory exported by an auth plugin. Factories validate their table (unknown keys,
// missing keys, wrong role) and throw ConfigError naming file, line and key.
class AuthFactory {
 public:
  virtual ~AuthFactory();
  virtual std::unique_ptr<CredentialProvider> create_provider(std::string_view type, AuthRole role,
                                                              const ConfigSection& config,
                                                              HostContext& host) const = 0;
  virtual std::unique_ptr<CredentialVerifier> create_verifier(std::string_view type, AuthRole role,
                                                              const ConfigSection& config,
                                                              HostContext& host) const = 0;
};

// For auth plugins that read a secret from their table: logs a warning (once per call) when the
// config file is readable by every user of the machine, naming the file and key, never the
// value. Daemons only: a client's per-compile stderr stays clean.
void warn_if_secret_readable(const ConfigSection& config, std::string_view key, HostContext& host);

// Splits "Bearer <token>" (case-insensitive scheme); "" if the header is not a bearer credential.
std::string_view bearer_token(std::string_view authorization) noexcept;
// Constant-time comparison (the time depends on the lengths only).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace sccache
