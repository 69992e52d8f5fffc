// An example sccache-dist auth plugin: per-user client tokens, kept hashed in a file that is
// re-read whenever it changes, so adding or revoking a user needs no scheduler restart.
//
//   # scheduler.conf
//   plugin_dir = "/usr/local/lib/sccache/plugins"    # where sccache-auth-user-tokens.so is
//   [client_auth]
//   type = "user_tokens"
//   tokens_file = "/etc/sccache/users.txt"
//
// Clients keep [dist.auth] type = "token" with their own token. See README.md.
#include <mutex>

#include <spdlog/spdlog.h>

#include "sccache/file_stamp.hpp"
#include "sccache/plugin.hpp"

#include "token_file.hpp"

namespace user_tokens {
namespace {

// The keys of the [client_auth] table, declared once (the scheduler refuses any other key).
constexpr sccache::ConfigKey k_keys[] = {
    {"type", sccache::ConfigValueType::string, "required", "`\"user_tokens\"`"},
    {"tokens_file", sccache::ConfigValueType::path, "required",
     "the file of `<user> sha256:<hash>` lines, re-read when it changes"},
};

// Verifies bearer tokens against the file. Thread-safe: verify() runs on many request threads.
class UserTokenVerifier final : public sccache::CredentialVerifier {
 public:
  UserTokenVerifier(std::filesystem::path file, std::shared_ptr<spdlog::logger> log)
      : m_file(std::move(file)), m_log(std::move(log)) {
    m_users = read_token_file(m_file);  // a bad file stops the scheduler at start
    m_stamp = sccache::FileStamp::of(m_file);
    m_log->info("{}: {} user(s)", m_file.string(), m_users.size());
  }

  sccache::AuthDecision verify(const sccache::AuthRequest& request) const override {
    const std::string_view token = sccache::bearer_token(request.authorization);
    if (token.empty()) {
      return sccache::AuthDecision::refuse("no bearer token in the Authorization header");
    }
    const std::string hash = sha256_hex(std::string(token));
    std::lock_guard lock(m_mutex);
    reload_if_changed();
    std::string user;
    for (const auto& entry : m_users) {  // every entry, in constant time each
      if (sccache::constant_time_equal(entry.token_sha256, hash)) {
        user = entry.user;
      }
    }
    if (user.empty()) {
      return sccache::AuthDecision::refuse("unknown or revoked user token");
    }
    return sccache::AuthDecision::accept(user);
  }

 private:
  // Called with m_mutex held. A file that cannot be read (mid-deploy, say) keeps the users in
  // force, and says so. A malformed line leaves its user out, and says so: an edit meant to
  // revoke someone must never keep them in because another line has a typo.
  void reload_if_changed() const {
    const std::optional<sccache::FileStamp> now = sccache::FileStamp::of(m_file);
    if (now == m_stamp) {
      return;
    }
    m_stamp = now;
    try {
      std::vector<std::string> skipped;
      m_users = read_token_file(m_file, &skipped);
      for (const auto& problem : skipped) {
        m_log->error("{} (that line's user is refused until it is fixed)", problem);
      }
      m_log->info("{} changed: {} user(s)", m_file.string(), m_users.size());
    } catch (const TokenFileError& e) {
      m_log->error("{} (keeping the previous users)", e.what());
    }
  }

  const std::filesystem::path m_file;
  const std::shared_ptr<spdlog::logger> m_log;
  mutable std::mutex m_mutex;
  mutable std::optional<sccache::FileStamp> m_stamp;
  mutable std::vector<UserEntry> m_users;
};

class UserTokensFactory final : public sccache::AuthFactory {
 public:
  std::unique_ptr<sccache::CredentialProvider> create_provider(
      std::string_view, sccache::AuthRole, const sccache::ConfigSection& config,
      sccache::HostContext&) const override {
    config.fail("type",
                "user_tokens checks clients in [client_auth]; clients present their token with "
                "type = \"token\"");
  }

  std::unique_ptr<sccache::CredentialVerifier> create_verifier(
      std::string_view, sccache::AuthRole role, const sccache::ConfigSection& config,
      sccache::HostContext& host) const override {
    if (role != sccache::AuthRole::client_verifier) {
      config.fail("type", "user_tokens belongs in [client_auth]");
    }
    config.reject_unknown_keys(k_keys);
    const auto file = config.get_path("tokens_file");
    if (!file) {
      config.fail("tokens_file", "required: the file of \"<user> sha256:<hash>\" lines");
    }
    try {
      return std::make_unique<UserTokenVerifier>(*file, host.logger("user-tokens"));
    } catch (const TokenFileError& e) {
      config.fail("tokens_file", e.what());
    }
  }
};

const UserTokensFactory g_factory;

}  // namespace

SCCACHE_DEFINE_PLUGIN(descriptor, SCCACHE_PLUGIN_KIND_AUTH, sccache::AuthFactory, g_factory,
                      "1.0.0", "per-user client tokens from a hashed tokens file", "user_tokens")

}  // namespace user_tokens

SCCACHE_EXPORT_PLUGIN(user_tokens::descriptor)
