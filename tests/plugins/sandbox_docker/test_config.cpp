// The [builder] table of type "docker": defaults, and errors that name file, line and key. Needs
// no engine.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

#include "sccache/config_error.hpp"

#include "sandbox-docker/docker_config.hpp"
#include "sandbox-docker/engine_api.hpp"

using namespace sccache;
using namespace sccache::sandbox_docker;

namespace {

DockerConfig parse(const std::string& body, const std::string& file = "/etc/sccache/server.conf") {
  static toml::table table;  // the section refers to it
  table = parse_config_text("[builder]\ntype = \"docker\"\n" + body, file);
  return read_docker_config(ConfigSection(file, "builder", *table["builder"].as_table()));
}

ConfigError error_of(const std::string& body) {
  try {
    parse(body);
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("accepted: " << body);
  throw;
}

}  // namespace

TEST_CASE("every key is optional, with defaults an operator can live with") {
  unsetenv("DOCKER_HOST");
  DockerConfig config = parse("");
  CHECK(config.socket == "/var/run/docker.sock");
  CHECK(config.user() == "65534:65534");
  CHECK(config.cpus == 1.0);
  CHECK(config.memory == 4ull << 30);
  CHECK(config.pids_limit == 1024);
  CHECK(config.pool_size == 2);
  CHECK(config.max_images == 8);
  CHECK(config.owner.size() == 12);
  CHECK(config.config_file == "/etc/sccache/server.conf");

  setenv("DOCKER_HOST", "unix:///run/user/1000/docker.sock", 1);
  CHECK(parse("").socket == "/run/user/1000/docker.sock");
  setenv("DOCKER_HOST", "tcp://10.0.0.1:2375", 1);
  CHECK(parse("").socket == "/var/run/docker.sock");
  unsetenv("DOCKER_HOST");
}

TEST_CASE("keys are read with their units") {
  DockerConfig config = parse(
      "docker_socket = \"/run/docker.sock\"\nuser = \"1000:100\"\ncpus = 0.5\nmemory = \"2G\"\n"
      "pids_limit = 256\npool_size = 0\nmax_images = 3\n");
  CHECK(config.socket == "/run/docker.sock");
  CHECK(config.uid == 1000);
  CHECK(config.gid == 100);
  CHECK(config.cpus == 0.5);
  CHECK(config.memory == 2ull << 30);
  CHECK(config.pids_limit == 256);
  CHECK(config.pool_size == 0);
  CHECK(config.max_images == 3);
  CHECK(parse("cpus = 2\nmemory = 0\npids_limit = 0\n").cpus == 2.0);
  CHECK(parse("user = \"4242\"\n").user() == "4242:4242");
}

TEST_CASE("the default owner follows the host name and the config file") {
  // Stable across restarts on one host, so a restart finds its leftovers.
  CHECK(parse("", "/srv/a/server.conf").owner == parse("", "/srv/a/server.conf").owner);
  CHECK(parse("", "/srv/a/server.conf").owner != parse("", "/srv/b/server.conf").owner);
  char host[256] = {};
  REQUIRE(gethostname(host, sizeof host - 1) == 0);
  CHECK(parse("", "/srv/a/server.conf").owner == default_owner(host, "/srv/a/server.conf"));
  // Two servers in containers (each its own host name) with the same file differ.
  const std::string file = "/etc/sccache-dist/server.conf";
  CHECK(default_owner("3f2a9c1b7d4e", file) != default_owner("8b1e0d5a2c6f", file));
  CHECK(default_owner("3f2a9c1b7d4e", file).size() == 12);
}

TEST_CASE("an operator may name the owner") {
  CHECK(parse("owner = \"build-server-1\"\n").owner == "build-server-1");
  CHECK(parse("owner = \"b\"\n", "/srv/a/server.conf").owner ==
        parse("owner = \"b\"\n", "/srv/b/server.conf").owner);
  for (const char* bad : {"\"\"", "\"Build-1\"", "\"-a\"", "\"a-\"", "\"a_b\"", "\"a/b\"", "7"}) {
    INFO(bad);
    CHECK(error_of(std::string("owner = ") + bad + "\n").key() == "builder.owner");
  }
  CHECK(error_of("owner = \"" + std::string(65, 'a') + "\"\n").key() == "builder.owner");
}

TEST_CASE("bad keys and values name the file, line and key") {
  ConfigError unknown = error_of("memory = \"1G\"\nimage = \"busybox\"\n");
  CHECK(unknown.line() == 4);
  CHECK(unknown.key() == "builder.image");
  CHECK(std::string(unknown.what()).find("server.conf") != std::string::npos);

  CHECK(error_of("user = \"0:0\"\n").key() == "builder.user");
  CHECK(std::string(error_of("user = \"root\"\n").what()).find("numeric") != std::string::npos);
  CHECK(std::string(error_of("user = \"1000:0\"\n").what()).find("root") != std::string::npos);
  CHECK(error_of("cpus = \"two\"\n").key() == "builder.cpus");
  CHECK(error_of("cpus = -1\n").key() == "builder.cpus");
  CHECK(error_of("cpus = 0.001\n").key() == "builder.cpus");
  CHECK(error_of("memory = \"1K\"\n").key() == "builder.memory");
  CHECK(error_of("memory = \"lots\"\n").key() == "builder.memory");
  CHECK(error_of("pids_limit = 3\n").key() == "builder.pids_limit");
  CHECK(error_of("pool_size = -1\n").key() == "builder.pool_size");
  CHECK(error_of("max_images = 0\n").key() == "builder.max_images");
  CHECK(error_of("docker_socket = 5\n").key() == "builder.docker_socket");
  CHECK(error_of("max_images = 0\n").line() == 3);
}

TEST_CASE("job containers get no network, no capabilities and the configured limits") {
  DockerConfig config = parse("cpus = 1.5\nmemory = \"1G\"\npids_limit = 99\nuser = \"1234:99\"\n");
  EngineApi engine(config, spdlog::default_logger());
  std::string spec = engine.container_spec("sha256:abc", std::string(64, 'f'));
  for (const char* expected :
       {"\"NetworkMode\":\"none\"", "\"NetworkDisabled\":true", "\"CapDrop\":[\"ALL\"]",
        "\"SecurityOpt\":[\"no-new-privileges\"]", "\"NanoCpus\":1500000000",
        "\"Memory\":1073741824", "\"MemorySwap\":1073741824", "\"PidsLimit\":99",
        "\"CapAdd\":[\"CHOWN\",\"SETUID\",\"SETGID\",\"SETPCAP\"]",
        "\"User\":\"0:0\"",  // the helper: it runs the job as 1234:99, see test_isolation
        "\"Privileged\":false", "\"Cmd\":[\"/.sccache-dist/init\"]",
        "\"org.sccache-dist.owner\":\"",
        // No file larger than all outputs may be together; the job cannot raise it.
        "{\"Hard\":4294967296,\"Name\":\"fsize\",\"Soft\":4294967296}"}) {
    INFO(expected << " in " << spec);
    CHECK(spec.find(expected) != std::string::npos);
  }
}
