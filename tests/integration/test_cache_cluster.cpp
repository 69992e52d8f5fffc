// The compile cache with the cluster (real scheduler, build server and overlay sandbox): the
// cache is looked up first, a miss is compiled remotely and stored, and a rebuild never reaches
// the cluster; a remote object with -g (whose debug info differs from a local compile's) is not
// stored.
#include <catch2/catch.hpp>

#include "integration/distributed_fixture.hpp"
#include "support/test_support.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

uint64_t number(const Poco::JSON::Object::Ptr& stats, const char* key) {
  return stats->getValue<uint64_t>(key);
}

}  // namespace

TEST_CASE("a miss compiles remotely and is stored; the rebuild is served by the cache") {
  Cluster cluster;
  const fs::path config = start_one_server(cluster);
  const fs::path dir = cluster.dir() / "project";
  write_file(dir / "scale.h", "#pragma once\n#define SCALE 3\n");
  write_file(dir / "a.c",
             "#include <stdio.h>\n#include \"scale.h\"\n"
             "int main(void) {\n  int unused;\n  printf(\"%d\\n\", SCALE);\n  return 0;\n}\n");
  const std::vector<std::string> args = {"gcc", "-O2", "-Wall", "-c", "a.c", "-o", "a.o", "-MD"};
  RunResult local = run(args, {}, dir);
  REQUIRE(local.exit_code == 0);
  const std::string local_object = read_file(dir / "a.o");
  const std::string local_depfile = read_file(dir / "a.d");
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    fs::remove(dir / "a.o");
    fs::remove(dir / "a.d");
    RunResult r = cluster.sccache_in(dir, args, config);
    REQUIRE(r.exit_code == 0);
    CHECK(read_file(dir / "a.o") == local_object);
    CHECK(read_file(dir / "a.d") == local_depfile);
    CHECK(r.err.find("unused") != std::string::npos);  // the warning, replayed on hits too
  }
  auto stats = stats_json(cluster, config);
  CHECK(number(stats, "remote_compiles") == 1);
  CHECK(number(stats, "cache_misses") == 1);
  CHECK(number(stats, "cache_hits") == 2);
  CHECK(number(stats, "cache_writes") == 1);
}

TEST_CASE("a remote object with -g is not stored; a local one is") {
  Cluster cluster;
  const fs::path config = start_one_server(cluster);
  const fs::path dir = cluster.dir() / "debug";
  write_file(dir / "g.c", "int g(int x) { return x * 2; }\n");
  const std::vector<std::string> args = {"gcc", "-g", "-O1", "-c", "g.c", "-o", "g.o"};
  for (int round = 0; round < 2; ++round) {
    REQUIRE(cluster.sccache_in(dir, args, config).exit_code == 0);
  }
  auto stats = stats_json(cluster, config);
  CHECK(number(stats, "remote_compiles") == 2);  // never served from the cache
  CHECK(number(stats, "cache_hits") == 0);
  CHECK(counter(stats, "not_cached", "remote_debug_info") == 2);
  // With the cluster gone, the compile is local, stored, and then a hit identical to gcc's.
  const fs::path no_cluster = cluster.dir() / "no-cluster.conf";
  write_file(no_cluster, "[dist]\ncache_dir = \"" + (cluster.dir() / "nc").string() + "\"\n");
  REQUIRE(cluster.sccache_in(dir, args, no_cluster).exit_code == 0);
  fs::remove(dir / "g.o");
  REQUIRE(cluster.sccache_in(dir, args, no_cluster).exit_code == 0);
  const std::string hit = read_file(dir / "g.o");
  REQUIRE(run(args, {}, dir).exit_code == 0);
  CHECK(read_file(dir / "g.o") == hit);
  auto local_stats = stats_json(cluster, no_cluster);
  CHECK(number(local_stats, "cache_hits") == 1);
}
