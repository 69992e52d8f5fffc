// Shared pieces of the overlay sandbox tests: the environment probe (skip loudly when this
// machine cannot run the sandbox at all) and sandboxes configured from TOML text. Toolchains and
// jobs: sandbox_test_support.hpp.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "sccache/config_section.hpp"
#include "sccache/host_context.hpp"
#include "sccache/sandbox.hpp"

#include "support/sandbox_test_support.hpp"
#include "support/test_support.hpp"

namespace sccache::test::bwrap {

// Skips the whole binary unless we run as root with /usr/bin/bwrap and overlayfs available.
void require_sandbox_environment();

// A sandbox on its own build dir, with the parsed config kept alive.
class TestSandbox {
 public:
  // `extra_toml` is appended to the [builder] table (after type and build_dir); the build dir is
  // `build_dir_name` in a fresh temporary directory.
  explicit TestSandbox(const std::string& extra_toml = "",
                       const std::string& build_dir_name = "build");
  Sandbox& operator*() { return *m_sandbox; }
  Sandbox* operator->() { return m_sandbox.get(); }
  const std::filesystem::path& build_dir() const { return m_build_dir; }

 private:
  TempDir m_dir{"sccache-bwrap-test"};
  std::filesystem::path m_build_dir;
  std::unique_ptr<HostContext> m_host;
  toml::table m_table;
  std::unique_ptr<Sandbox> m_sandbox;
};

// Creates a sandbox from the overlay plugin for `toml_text` (a whole file with a [builder]
// table). Throws what the factory throws (ConfigError).
std::unique_ptr<Sandbox> create_sandbox(const std::string& toml_text, HostContext& host,
                                        toml::table& keep_alive);

// A ready sandbox with full_toolchain() prepared, shared by the tests of one binary (the
// conformance suite's shared()).
TestSandbox& shared_sandbox();

}  // namespace sccache::test::bwrap
