// Catch2's main, plus two conventions of the suite:
//  - "skip loudly": a test binary that cannot run its component calls
//    sccache::test::skip_whole_binary(), which prints why and exits with code 125 (ctest: SKIPPED);
//  - one local sccache server per test binary: SCCACHE_SERVER_UDS points into a private
//    directory of this run (unless the caller chose one), so binaries running in parallel never
//    share a server, and the server a binary's compiles started is stopped when it ends;
//  - one compile cache per test binary: SCCACHE_DIR is in that directory too (unless the caller
//    chose one), so no test reads or fills the user's ~/.cache/sccache.
#define CATCH_CONFIG_RUNNER
#include <cstdlib>
#include <filesystem>
#include <stdlib.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

namespace {

class PrivateServerSocket {
 public:
  PrivateServerSocket() {
    if (std::getenv("SCCACHE_SERVER_UDS") != nullptr) {
      return;  // the caller's choice
    }
    char pattern[] = "/tmp/sccache-test-server-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
      return;
    }
    m_dir = pattern;
    ::setenv("SCCACHE_SERVER_UDS", (m_dir / "server.sock").c_str(), 1);
    if (std::getenv("SCCACHE_DIR") == nullptr) {
      ::setenv("SCCACHE_DIR", (m_dir / "cache").c_str(), 1);
    }
    if (std::getenv("SCCACHE_ERROR_LOG") == nullptr) {
      ::setenv("SCCACHE_ERROR_LOG", (m_dir / "server.log").c_str(), 1);
    }
  }
  ~PrivateServerSocket() {
    if (m_dir.empty()) {
      return;
    }
    std::error_code ec;
    if (std::filesystem::exists(m_dir / "server.sock", ec) &&
        std::getenv("SCCACHE_TEST_BIN_DIR") != nullptr) {
      sccache::test::run({(sccache::test::bin_dir() / "sccache").string(), "--stop-server"});
    }
    if (std::getenv("SCCACHE_TEST_KEEP") == nullptr) {
      std::filesystem::remove_all(m_dir, ec);
    }
  }

 private:
  std::filesystem::path m_dir;
};

}  // namespace

int main(int argc, char** argv) {
  PrivateServerSocket server_socket;
  return Catch::Session().run(argc, argv);
}
