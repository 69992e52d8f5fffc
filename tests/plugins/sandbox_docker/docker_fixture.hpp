// Shared pieces of the docker sandbox tests: the engine probe (start one with
// scripts/start-dockerd.sh if none answers; skip loudly only if none can start), sandboxes
// configured from TOML text, and a view of what the sandbox left on the engine. Toolchains and
// jobs: sandbox_test_support.hpp.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sccache/config_section.hpp"
#include "sccache/host_context.hpp"
#include "sccache/sandbox.hpp"

#include "sandbox-docker/docker_config.hpp"
#include "sandbox-docker/engine_api.hpp"
#include "support/sandbox_test_support.hpp"
#include "support/test_support.hpp"

namespace sccache::test::docker {

// Skips the whole binary unless a Docker engine answers (after trying scripts/start-dockerd.sh).
void require_docker_engine();

// A sandbox whose config file is `config_file` (its path decides the owner label), with the
// parsed config kept alive. `extra_toml` is appended to the [builder] table.
class TestSandbox {
 public:
  explicit TestSandbox(const std::string& extra_toml = "", std::filesystem::path config_file = {});
  Sandbox& operator*() { return *m_sandbox; }
  Sandbox* operator->() { return m_sandbox.get(); }
  // Destroys the sandbox (as a server stopping does).
  void reset() { m_sandbox.reset(); }
  const std::filesystem::path& config_file() const { return m_config_file; }
  const sandbox_docker::DockerConfig& config() const { return m_config; }
  // The engine, as this sandbox's owner sees it.
  const sandbox_docker::EngineApi& engine() const { return *m_engine; }
  // Running containers of this owner (optionally of one toolchain).
  size_t running_containers(const std::string& toolchain = {}) const;

 private:
  TempDir m_dir{"sccache-docker-test"};
  std::filesystem::path m_config_file;
  std::unique_ptr<HostContext> m_host;
  toml::table m_table;
  sandbox_docker::DockerConfig m_config;
  std::unique_ptr<sandbox_docker::EngineApi> m_engine;
  std::unique_ptr<Sandbox> m_sandbox;
};

// Creates a docker sandbox for `toml_text` (a whole file with a [builder] table) claiming to be
// `file`. Throws what the factory throws (ConfigError).
std::unique_ptr<Sandbox> create_sandbox(const std::string& toml_text,
                                        const std::filesystem::path& file, HostContext& host,
                                        toml::table& keep_alive);

// A ready sandbox with full_toolchain() prepared, shared by the tests of one binary. Its limits:
// cpus 1.5, memory 512M, pids_limit 200, user 4321:4322.
TestSandbox& shared_sandbox();

// Runs `bash -c script` in the shared sandbox with cwd /work/dir.
SandboxResult run_bash(const std::string& script, std::vector<std::string> outputs = {});

}  // namespace sccache::test::docker
