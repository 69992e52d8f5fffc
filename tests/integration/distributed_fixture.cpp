#include "integration/distributed_fixture.hpp"

#include <cstdlib>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#define CATCH_CONFIG_EXTERNAL_INTERFACES  // for the listener below
#include <catch2/catch.hpp>

namespace sccache::test {
namespace fs = std::filesystem;

namespace {

fs::path lua_sources() {
  const fs::path dir = source_dir() / ".work" / "sources" / "lua5.4-5.4.4" / "src";
  if (!fs::exists(dir / "lapi.c")) {
    FAIL("the Lua sources are missing: run scripts/fetch-sources.sh (scripts/test.sh does)");
  }
  return dir;
}

// Test clusters stop their servers with SIGKILL, which leaves a docker builder's containers and
// images behind (only the same server's next start would remove them): remove them after each
// test case.
struct DockerLeftovers : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    TestEventListenerBase::testCaseEnded(stats);
    if (test_builder() != "docker") {
      return;
    }
    const std::string clusters = (fs::temp_directory_path() / "sccache-cluster-").string();
    for (const auto& id : docker_objects("containers", clusters)) {
      docker_call("DELETE", "/containers/" + id + "?force=1&v=1");
    }
    for (const auto& id : docker_objects("images", clusters)) {
      docker_call("DELETE", "/images/" + id + "?force=1");
    }
  }
};
CATCH_REGISTER_LISTENER(DockerLeftovers)

}  // namespace

std::string docker_call(const std::string& method, const std::string& path) {
  const char* host = std::getenv("DOCKER_HOST");
  std::string socket_path = host != nullptr && std::string(host).rfind("unix://", 0) == 0
                                ? std::string(host).substr(7)
                                : "/var/run/docker.sock";
  Poco::Net::StreamSocket socket(
      Poco::Net::SocketAddress(Poco::Net::SocketAddress::UNIX_LOCAL, socket_path));
  Poco::Net::HTTPClientSession session(socket);
  Poco::Net::HTTPRequest request(method, "/v1.41" + path, Poco::Net::HTTPMessage::HTTP_1_1);
  request.setHost("docker");
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
  return body;
}

std::vector<std::string> docker_objects(const std::string& kind, const std::string& config_prefix) {
  std::string filter;
  Poco::URI::encode(R"({"label":["org.sccache-dist.config"]})", "{}[]\":,", filter);
  Poco::JSON::Parser parser;
  auto list = parser.parse(docker_call("GET", "/" + kind + "/json?all=1&filters=" + filter))
                  .extract<Poco::JSON::Array::Ptr>();
  std::vector<std::string> ids;
  for (unsigned i = 0; i < list->size(); ++i) {
    auto object = list->getObject(i);
    auto labels = object->getObject("Labels");
    if (labels &&
        labels->optValue<std::string>("org.sccache-dist.config", "").rfind(config_prefix, 0) == 0) {
      ids.push_back(object->getValue<std::string>("Id"));
    }
  }
  return ids;
}

fs::path copy_tree(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive);
  return to;
}

// Debian's Lua includes a header its packaging generates; provide it as debian/rules does.
fs::path lua_tree(const fs::path& to) {
  copy_tree(lua_sources(), to);
  write_file(to / "lua5.4-deb-multiarch.h", "#define DEB_HOST_MULTIARCH \"x86_64-linux-gnu\"\n");
  return to;
}

Poco::JSON::Object::Ptr stats_json(Cluster& cluster, const fs::path& config) {
  RunResult r = cluster.sccache_in(cluster.dir(), {"--show-stats", "--json"}, config);
  Poco::JSON::Parser parser;
  return parser.parse(r.out).extract<Poco::JSON::Object::Ptr>();
}

uint64_t counter(const Poco::JSON::Object::Ptr& stats, const std::string& group,
                 const std::string& key) {
  auto object = stats->getObject(group);
  return object && object->has(key) ? object->getValue<uint64_t>(key) : 0;
}

fs::path start_one_server(Cluster& cluster) {
  cluster.start_scheduler();
  cluster.start_server();
  REQUIRE(cluster.wait_for_servers(1));
  return cluster.client_config();
}

std::pair<Compiled, Compiled> compile_both(Cluster& cluster, const fs::path& config,
                                           const fs::path& dir, const std::string& compiler,
                                           const std::vector<std::string>& flags,
                                           const std::string& source, const std::string& object) {
  std::vector<std::string> args = {compiler};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {"-MD", "-c", source, "-o", object});
  const fs::path depfile = (dir / object).replace_extension(".d");
  auto collect = [&](RunResult r) {
    Compiled c{std::move(r), read_file(dir / object), read_file(depfile)};
    fs::remove(dir / object);
    fs::remove(depfile);
    return c;
  };
  Compiled local = collect(run(args, {}, dir));
  Compiled remote = collect(cluster.sccache_in(dir, args, config));
  return {std::move(local), std::move(remote)};
}

}  // namespace sccache::test
