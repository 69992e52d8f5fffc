// Shared pieces of the docker sandbox tests: the engine probe (start one with
// scripts/start-dockerd.sh if none answers; skip loudly only if none can start), real toolchain
// archives built from the host's bash, coreutils and gcc, sandboxes configured from TOML text,
// and a view of what the sandbox left on the engine.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sccache/config_section.hpp"
#include "sccache/host_context.hpp"
#include "sccache/sandbox.hpp"

#include "docker_config.hpp"
#include "engine_api.hpp"
#include "test_support.hpp"

namespace sccache::test::docker {

// Skips the whole binary unless a Docker engine answers (after trying scripts/start-dockerd.sh).
void require_docker_engine();

struct ToolchainArchive {
  std::string id;  // sha256 of the archive
  std::filesystem::path archive;
};

// bash, coreutils the tests use, gcc-12 with cc1 and as, their libraries and the dynamic loader,
// at their real paths. zstd-compressed, as the client makes them. Built once per process.
const ToolchainArchive& full_toolchain();
// bash, cat and sleep only, gzip-compressed. Built once per process.
const ToolchainArchive& small_toolchain();
// A tar of `files` (absolute host paths, plus what they need) compressed with
// `tar_compress_flag` ("" for none); returns its sha256.
std::string build_toolchain(const std::vector<std::string>& files,
                            const std::filesystem::path& archive,
                            const std::string& tar_compress_flag);

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

// A job with fresh inputs_root and outputs_root directories.
struct TestJob {
  TempDir dir{"sccache-docker-job"};
  SandboxJob job;
  TestJob(const std::string& toolchain_id, const std::string& cwd,
          std::vector<std::string> argv);  // argv[0] is the executable
  // Writes `contents` at job path `path` in the inputs.
  void add_input(const std::string& path, const std::string& contents) const;
  std::filesystem::path output(const std::string& path) const;  // outputs_root/<job path>
};

// Runs `bash -c script` in the shared sandbox with cwd /work/dir.
SandboxResult run_bash(const std::string& script, std::vector<std::string> outputs = {});

// The SandboxError message `f` throws, or "(no SandboxError)".
std::string sandbox_error(const std::function<void()>& f);

}  // namespace sccache::test::docker
