#include <catch2/catch.hpp>

#include "common/logging.hpp"

using sccache::parse_log_directives;

TEST_CASE("RUST_LOG / SCCACHE_LOG directives") {
  CHECK(parse_log_directives("trace") == spdlog::level::trace);
  CHECK(parse_log_directives("DEBUG") == spdlog::level::debug);
  CHECK(parse_log_directives("warn") == spdlog::level::warn);
  CHECK(parse_log_directives("sccache=debug") == spdlog::level::debug);
  CHECK(parse_log_directives("info,sccache=trace,hyper=warn") == spdlog::level::trace);
  CHECK(parse_log_directives("hyper=trace,error") == spdlog::level::err);
  CHECK_FALSE(parse_log_directives("hyper=trace"));
  CHECK_FALSE(parse_log_directives("nonsense"));
  CHECK_FALSE(parse_log_directives(""));
}
