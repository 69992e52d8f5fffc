#include <catch2/catch.hpp>

#include "common/net_address.hpp"

using namespace sccache;

TEST_CASE("host:port parsing") {
  std::string error;
  auto a = parse_host_port("192.168.1.1:10501", &error);
  REQUIRE(a);
  CHECK(a->host == "192.168.1.1");
  CHECK(a->port == 10501);
  auto v6 = parse_host_port("[::1]:10501", &error);
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->to_string() == "[::1]:10501");
  CHECK_FALSE(parse_host_port("192.168.1.1", &error));
  CHECK(error.find("port is missing") != std::string::npos);
  CHECK_FALSE(parse_host_port("1.2.3.4:0", &error));
  CHECK_FALSE(parse_host_port("1.2.3.4:70000", &error));
  CHECK_FALSE(parse_host_port("1.2.3.4:", &error));
  CHECK_FALSE(parse_host_port(":80", &error));
}

TEST_CASE("a bare scheduler address implies the default port") {
  std::string error;
  auto bare = parse_host_optional_port("10.1.2.3", k_default_scheduler_port, &error);
  REQUIRE(bare);
  CHECK(bare->port == 10500);
  auto v6 = parse_host_optional_port("fe80::1", k_default_scheduler_port, &error);
  REQUIRE(v6);
  CHECK(v6->host == "fe80::1");
  CHECK(v6->port == 10500);
}

TEST_CASE("scheduler URLs") {
  std::string error;
  auto url = parse_http_url("http://127.0.0.1:10600/", 10500, &error);
  REQUIRE(url);
  CHECK_FALSE(url->tls);
  CHECK(url->address.port == 10600);
  CHECK(url->to_string() == "http://127.0.0.1:10600");
  auto https = parse_http_url("https://sched.example.com", 10500, &error);
  REQUIRE(https);
  CHECK(https->tls);
  CHECK(https->address.host == "sched.example.com");
  auto bare = parse_http_url("127.0.0.1:10600", 10500, &error);
  REQUIRE(bare);
  CHECK(bare->address.port == 10600);
  CHECK_FALSE(parse_http_url("http://h:1/api", 10500, &error));
  CHECK(error.find("path") != std::string::npos);
  CHECK_FALSE(parse_http_url("ftp://h", 10500, &error));
}

TEST_CASE("loopback detection") {
  CHECK(is_loopback_ip("127.0.0.1"));
  CHECK(is_loopback_ip("127.3.2.1"));
  CHECK(is_loopback_ip("::1"));
  CHECK_FALSE(is_loopback_ip("10.0.0.1"));
  CHECK_FALSE(is_loopback_ip("localhost"));
  CHECK(is_ip_literal("::1"));
  CHECK_FALSE(is_ip_literal("example.com"));
}
