#include "plugins/sandbox_bwrap/sandbox_fixture.hpp"

#include <fstream>
#include <unistd.h>

#include "sandbox-bwrap/overlay_sandbox.hpp"

namespace sccache::test::bwrap {
namespace fs = std::filesystem;

void require_sandbox_environment() {
  if (::geteuid() != 0) {
    skip_whole_binary(
        "the overlay sandbox needs root (it mounts overlayfs); run the tests as root");
  }
  if (::access("/usr/bin/bwrap", X_OK) != 0) {
    skip_whole_binary("bubblewrap is not installed at /usr/bin/bwrap (apt-get install bubblewrap)");
  }
  std::ifstream filesystems("/proc/filesystems");
  std::string text((std::istreambuf_iterator<char>(filesystems)), std::istreambuf_iterator<char>());
  if (text.find("\toverlay\n") == std::string::npos) {
    skip_whole_binary(
        "overlayfs is not available on this kernel (no overlay in /proc/filesystems)");
  }
}

std::unique_ptr<Sandbox> create_sandbox(const std::string& toml_text, HostContext& host,
                                        toml::table& keep_alive) {
  keep_alive = parse_config_text(toml_text, "server.conf");
  ConfigSection section("server.conf", "builder", *keep_alive["builder"].as_table());
  const auto* factory = static_cast<const SandboxFactory*>(sandbox_bwrap::descriptor()->factory);
  return factory->create("overlay", section, host);
}

TestSandbox::TestSandbox(const std::string& extra_toml, const std::string& build_dir_name)
    : m_build_dir(m_dir.path() / build_dir_name),
      m_host(make_default_host_context(AppRole::tool, m_dir.path())) {
  std::string escaped;  // as a TOML basic string
  for (char c : m_build_dir.string()) {
    escaped += (c == '\\' || c == '"') ? std::string{'\\', c} : std::string{c};
  }
  std::string text =
      "[builder]\ntype = \"overlay\"\nbuild_dir = \"" + escaped + "\"\n" + extra_toml;
  m_sandbox = create_sandbox(text, *m_host, m_table);
}

TestSandbox& shared_sandbox() {
  static TestSandbox sandbox;
  static bool ready = [] {
    sandbox->check_ready();
    sandbox->prepare_toolchain(full_toolchain().id, full_toolchain().archive);
    return true;
  }();
  (void)ready;
  return sandbox;
}

}  // namespace sccache::test::bwrap
