// Shared by the end-to-end test files (one binary, test_distributed, run with the overlay
// builder and, as test_distributed_docker, with the docker builder): Lua sources, stats, compiling
// one file locally and through the cluster, and the docker builder's objects on the engine.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <Poco/JSON/Object.h>

#include "integration/cluster_fixture.hpp"

namespace sccache::test {

// `method path` on the Docker engine's API over its Unix socket; the response body.
std::string docker_call(const std::string& method, const std::string& path);
// Ids of the containers (kind "containers") or images ("images") that build servers made from a
// config file whose path starts with `config_prefix`; the docker builder labels them so.
std::vector<std::string> docker_objects(const std::string& kind, const std::string& config_prefix);

// A copy of Debian's Lua 5.4 sources (fetched by scripts/fetch-sources.sh) in `to`, with the
// header its packaging generates.
std::filesystem::path lua_tree(const std::filesystem::path& to);
// A copy of `from` in a fresh directory, so tests never write into the shared tree.
std::filesystem::path copy_tree(const std::filesystem::path& from, const std::filesystem::path& to);

// `sccache --show-stats --json` for this client config, and one counter of a group in it.
Poco::JSON::Object::Ptr stats_json(Cluster& cluster, const std::filesystem::path& config);
uint64_t counter(const Poco::JSON::Object::Ptr& stats, const std::string& group,
                 const std::string& key);

// A scheduler and one build server, registered; returns the client config for them.
std::filesystem::path start_one_server(Cluster& cluster);

struct Compiled {
  RunResult result;
  std::string object;
  std::string depfile;
};

// Compiles `source` to `object` in `dir` with the compiler run directly, then through sccache,
// each time from scratch; returns both results.
std::pair<Compiled, Compiled> compile_both(Cluster& cluster, const std::filesystem::path& config,
                                           const std::filesystem::path& dir,
                                           const std::string& compiler,
                                           const std::vector<std::string>& flags,
                                           const std::string& source, const std::string& object);

}  // namespace sccache::test
