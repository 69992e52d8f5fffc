// What the host application lends to plugins. Plugins never call spdlog::get() or other global
// registries: those do not reliably cross shared-object boundaries. Tests pass their own context.
//
// Threads: every method is thread-safe. Ownership: the host owns the context and keeps it alive
// longer than any plugin object created with it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace sccache {

enum class AppRole { client, scheduler, server, tool };

class HostContext {
 public:
  virtual ~HostContext();

  // A logger for one component (e.g. "auth-token"); shares the host's sinks and level. Never null.
  virtual std::shared_ptr<spdlog::logger> logger(std::string_view component) = 0;
  // A private, writable directory for temporary files.
  virtual std::filesystem::path temp_dir() const = 0;
  virtual AppRole app_role() const = 0;
  // Who this process is to its peers, as its config declares it: a build server's public_addr
  // ("ip:port"); "" for the other roles. Credential plugins check that a credential naming an
  // identity names this one, so a misconfigured server stops at start instead of being refused.
  virtual std::string identity() const = 0;
};

// The host context the apps use: loggers cloned from the host's default logger.
std::unique_ptr<HostContext> make_default_host_context(AppRole role, std::filesystem::path temp_dir,
                                                       std::string identity = {});

}  // namespace sccache
