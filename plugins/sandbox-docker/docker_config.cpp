#include "sandbox-docker/docker_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <unistd.h>

#include <Poco/DigestEngine.h>
#include <Poco/SHA1Engine.h>
#include <fmt/format.h>

namespace sccache::sandbox_docker {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t k_min_memory = 6ull << 20;  // the engine refuses less

constexpr ConfigKey k_keys[] = {
    {"type", ConfigValueType::string, "required", "`\"docker\"`"},
    {"docker_socket", ConfigValueType::path,
     "`$DOCKER_HOST` if `unix://…`, else `/var/run/docker.sock`",
     "the engine's Unix socket (TCP engines are not supported)"},
    {"user", ConfigValueType::string, "`\"65534:65534\"`",
     "`\"uid:gid\"` or `\"uid\"`, numeric: who the job runs as; uid or gid 0 is refused"},
    {"cpus", ConfigValueType::number, "`1.0`", "CPUs per job (CFS quota); `0` = no limit"},
    {"memory", ConfigValueType::size, "`\"4G\"`",
     "memory per job, swap included (at least `\"6M\"`); `0` = no limit. A job over it is a "
     "sandbox failure: the client compiles locally"},
    {"pids_limit", ConfigValueType::integer, "`1024`",
     "processes per job (16 to 4194304); `0` = no limit"},
    {"pool_size", ConfigValueType::integer, "`2`",
     "warm containers kept per toolchain (0 to 256); about `max_jobs` suits bursty builds"},
    {"max_images", ConfigValueType::integer, "`8`",
     "toolchain images kept (1 to 1024); the least recently used is removed first"},
    {"owner", ConfigValueType::string, "hash of the host name and the `server.conf` path",
     "names everything the server creates on the engine; 1 to 64 lowercase letters, digits and "
     "`-`. Servers sharing an engine need different owners: set it for servers in containers "
     "that share the host's Docker socket "
     "([why](../plugins/sandbox-docker/README.md#several-servers-on-one-engine))"},
};

// A non-negative number (integer or float) at `key`, or nullopt when absent.
std::optional<double> get_number(const ConfigSection& config, std::string_view key) {
  const toml::node* node = config.table().get(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  std::optional<double> value;
  if (const auto* f = node->as_floating_point()) {
    value = f->get();
  } else if (const auto* i = node->as_integer()) {
    value = static_cast<double>(i->get());
  }
  if (!value || !(*value >= 0) || *value > 1e6) {
    config.fail(key, "must be a non-negative number (e.g. 1.5)");
  }
  return value;
}

unsigned get_count(const ConfigSection& config, std::string_view key, unsigned fallback,
                   unsigned min, unsigned max) {
  auto value = config.get_integer(key);
  if (!value) {
    return fallback;
  }
  if (*value < min || *value > max) {
    config.fail(key, fmt::format("must be between {} and {}", min, max));
  }
  return static_cast<unsigned>(*value);
}

// "uid:gid" or "uid" (gid = uid), numeric: the image has no /etc/passwd to look names up in.
void read_user(const ConfigSection& config, DockerConfig& result) {
  auto text = config.get_string("user");
  if (!text) {
    return;
  }
  auto parse = [&](const std::string& part) -> uint32_t {
    if (part.empty() || part.size() > 10 ||
        part.find_first_not_of("0123456789") != std::string::npos) {
      config.fail("user", "must be a numeric \"uid:gid\" (e.g. \"65534:65534\")");
    }
    uint64_t v = std::stoull(part);
    if (v > std::numeric_limits<uint32_t>::max() - 1) {
      config.fail("user", "uid and gid must be below 4294967295");
    }
    return static_cast<uint32_t>(v);
  };
  size_t colon = text->find(':');
  result.uid = parse(text->substr(0, colon));
  result.gid = colon == std::string::npos ? result.uid : parse(text->substr(colon + 1));
  if (result.uid == 0 || result.gid == 0) {
    config.fail("user", "jobs must not run as root (uid or gid 0); the default is 65534:65534");
  }
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) {
    return {};
  }
  return name;
}

// An operator-chosen owner also names the images (sccache-dist/<owner>), so it must be a valid
// repository path component; this subset is one.
bool valid_owner(const std::string& owner) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (owner.empty() || owner.size() > 64 || !alnum(owner.front()) || !alnum(owner.back())) {
    return false;
  }
  return std::all_of(owner.begin(), owner.end(), [&](char c) { return alnum(c) || c == '-'; });
}

}  // namespace

std::string default_owner(const std::string& host_name, const fs::path& config_file) {
  Poco::SHA1Engine sha1;
  sha1.update(host_name);
  sha1.update(std::string(1, '\0'));
  sha1.update(config_file.string());
  return Poco::DigestEngine::digestToHex(sha1.digest()).substr(0, 12);
}

fs::path default_docker_socket() {
  const char* host = std::getenv("DOCKER_HOST");
  std::string_view value = host != nullptr ? host : "";
  if (value.rfind("unix://", 0) == 0 && value.size() > 7) {
    return fs::path(value.substr(7));
  }
  return "/var/run/docker.sock";
}

std::span<const ConfigKey> config_keys() {
  return k_keys;
}

DockerConfig read_docker_config(const ConfigSection& config) {
  config.reject_unknown_keys(k_keys);
  DockerConfig result;
  result.socket = config.get_path("docker_socket").value_or(default_docker_socket());
  read_user(config, result);
  if (auto cpus = get_number(config, "cpus")) {
    if (*cpus != 0 && *cpus < 0.01) {
      config.fail("cpus", "must be 0 (no limit) or at least 0.01");
    }
    result.cpus = *cpus;
  }
  if (auto memory = config.get_size("memory")) {
    if (*memory != 0 && *memory < k_min_memory) {
      config.fail("memory", "must be 0 (no limit) or at least 6M");
    }
    result.memory = *memory;
  }
  if (auto pids = config.get_integer("pids_limit")) {
    if (*pids != 0 && (*pids < 16 || *pids > 4194304)) {
      config.fail("pids_limit", "must be 0 (no limit) or between 16 and 4194304");
    }
    result.pids_limit = *pids;
  }
  result.pool_size = get_count(config, "pool_size", result.pool_size, 0, 256);
  result.max_images = get_count(config, "max_images", result.max_images, 1, 1024);
  std::error_code ec;
  fs::path file = fs::weakly_canonical(fs::absolute(config.file(), ec), ec);
  if (ec) {
    file = fs::absolute(config.file(), ec).lexically_normal();
  }
  result.config_file = file.string();
  if (auto owner = config.get_string("owner")) {
    if (!valid_owner(*owner)) {
      config.fail("owner",
                  "must be 1 to 64 lowercase letters, digits and '-', starting and ending with a "
                  "letter or digit (e.g. \"build-server-1\")");
    }
    result.owner = *owner;
  } else {
    result.owner = default_owner(host_name(), file);
  }
  return result;
}

}  // namespace sccache::sandbox_docker
