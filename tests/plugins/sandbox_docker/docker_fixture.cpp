#include "plugins/sandbox_docker/docker_fixture.hpp"

#include <csignal>
#include <iostream>
#include <unistd.h>

#include "sandbox-docker/docker_sandbox.hpp"

namespace sccache::test::docker {
namespace fs = std::filesystem;

namespace {

bool engine_answers() {
  try {
    sandbox_docker::EngineClient client(sandbox_docker::default_docker_socket());
    return client.call("GET", "/_ping", {}, std::chrono::seconds(5)).status == 200;
  } catch (const SandboxError&) {
    return false;
  }
}

}  // namespace

void require_docker_engine() {
  static const bool ready = [] {
    std::signal(SIGPIPE, SIG_IGN);  // as the daemons do
    if (engine_answers()) {
      return true;
    }
    fs::path script = source_dir() / "scripts" / "start-dockerd.sh";
    if (fs::exists(script)) {
      RunResult started = run({"bash", script.string()}, {}, {}, std::chrono::seconds(90));
      std::cerr << started.out << started.err;
    }
    return engine_answers();
  }();
  if (!ready) {
    skip_whole_binary("no Docker engine answers at " +
                      sandbox_docker::default_docker_socket().string() +
                      " and scripts/start-dockerd.sh could not start one (install docker.io with "
                      "scripts/install-deps.sh; dockerd needs root)");
  }
}

std::unique_ptr<Sandbox> create_sandbox(const std::string& toml_text, const fs::path& file,
                                        HostContext& host, toml::table& keep_alive) {
  keep_alive = parse_config_text(toml_text, file);
  ConfigSection section(file, "builder", *keep_alive["builder"].as_table());
  const auto* factory = static_cast<const SandboxFactory*>(sandbox_docker::descriptor()->factory);
  return factory->create("docker", section, host);
}

TestSandbox::TestSandbox(const std::string& extra_toml, fs::path config_file)
    : m_config_file(config_file.empty() ? m_dir.path() / "server.conf" : std::move(config_file)),
      m_host(make_default_host_context(AppRole::tool, m_dir.path())) {
  std::string text = "[builder]\ntype = \"docker\"\n" + extra_toml;
  m_sandbox = create_sandbox(text, m_config_file, *m_host, m_table);
  m_config = sandbox_docker::read_docker_config(
      ConfigSection(m_config_file, "builder", *m_table["builder"].as_table()));
  m_engine = std::make_unique<sandbox_docker::EngineApi>(m_config, m_host->logger("test"));
}

size_t TestSandbox::running_containers(const std::string& toolchain) const {
  size_t running = 0;
  for (const auto& id : m_engine->containers(toolchain)) {
    auto state = m_engine->client().call_json("GET", "/containers/" + id + "/json");
    running += state->getObject("State")->getValue<bool>("Running") ? 1 : 0;
  }
  return running;
}

TestSandbox& shared_sandbox() {
  static TestSandbox sandbox(
      "cpus = 1.5\nmemory = \"512M\"\npids_limit = 200\nuser = \"4321:4322\"\n");
  static bool ready = [] {
    sandbox->check_ready();
    sandbox->prepare_toolchain(full_toolchain().id, full_toolchain().archive);
    return true;
  }();
  (void)ready;
  return sandbox;
}

SandboxResult run_bash(const std::string& script, std::vector<std::string> outputs) {
  return run_bash_in(*shared_sandbox(), script, std::move(outputs));
}

}  // namespace sccache::test::docker
