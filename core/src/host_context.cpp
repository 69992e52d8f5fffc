#include "sccache/host_context.hpp"

#include <spdlog/spdlog.h>

namespace sccache {

HostContext::~HostContext() = default;

namespace {

class DefaultHostContext final : public HostContext {
 public:
  DefaultHostContext(AppRole role, std::filesystem::path temp_dir, std::string identity)
      : m_role(role), m_temp_dir(std::move(temp_dir)), m_identity(std::move(identity)) {}

  std::shared_ptr<spdlog::logger> logger(std::string_view component) override {
    auto base = spdlog::default_logger();
    auto logger = base->clone(std::string(component));
    return logger;
  }
  std::filesystem::path temp_dir() const override { return m_temp_dir; }
  AppRole app_role() const override { return m_role; }
  std::string identity() const override { return m_identity; }

 private:
  AppRole m_role;
  std::filesystem::path m_temp_dir;
  std::string m_identity;
};

}  // namespace

std::unique_ptr<HostContext> make_default_host_context(AppRole role, std::filesystem::path temp_dir,
                                                       std::string identity) {
  return std::make_unique<DefaultHostContext>(role, std::move(temp_dir), std::move(identity));
}

}  // namespace sccache
