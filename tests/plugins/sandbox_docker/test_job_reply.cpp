// Reading a job container's reply (job_reply.hpp) from crafted bytes: what the plugin refuses
// whatever the helper sends. Needs no engine: the reply is handed to an AttachedConnection as if
// already received, on a socket whose other end is closed.
#include <filesystem>
#include <string>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <catch2/catch.hpp>

#include "sandbox-docker/helper_protocol.hpp"
#include "sandbox-docker/job_reply.hpp"
#include "support/sandbox_test_support.hpp"
#include "support/test_support.hpp"

using namespace sccache;
using namespace sccache::sandbox_docker;
using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

std::string big_endian(uint64_t value, int size) {
  std::string out;
  for (int i = size - 1; i >= 0; --i) {
    out += static_cast<char>(value >> (8 * i));
  }
  return out;
}

// The helper's reply records, as the engine frames its stdout.
class CraftedReply {
 public:
  // An output record that claims `size` bytes of contents but carries only `sent` of them.
  CraftedReply& output(const std::string& path, uint64_t size, uint64_t sent) {
    m_records += static_cast<char>(protocol::k_reply_output);
    m_records += big_endian(4 + path.size() + size, 8);
    m_records += big_endian(path.size(), 4) + path + std::string(sent, 'o');
    return *this;
  }
  CraftedReply& exit_and_end() {
    m_records +=
        static_cast<char>(protocol::k_reply_exit) + big_endian(9, 8) + std::string(9, '\0');
    m_records += static_cast<char>(protocol::k_reply_end) + big_endian(0, 8);
    return *this;
  }
  // The records as stdout frames of the engine's attach stream.
  std::string framed() const {
    std::string out;
    for (size_t at = 0; at < m_records.size(); at += 65536) {
      std::string chunk = m_records.substr(at, 65536);
      out += std::string{1, 0, 0, 0} + big_endian(chunk.size(), 4) + chunk;
    }
    return out;
  }

 private:
  std::string m_records;
};

// read_job_reply over `reply`, the container's output then ending.
SandboxResult read(const CraftedReply& reply, const std::vector<std::string>& outputs,
                   const fs::path& outputs_root, const ReplyLimits& limits) {
  Poco::Net::ServerSocket server(Poco::Net::SocketAddress("127.0.0.1", 0));
  Poco::Net::StreamSocket socket(server.address());
  server.acceptConnection().close();
  AttachedConnection connection(socket, reply.framed());
  return read_job_reply(connection, outputs, outputs_root, limits,
                        Clock::now() + std::chrono::seconds(10));
}

}  // namespace

TEST_CASE("an output over a limit is refused before anything of it is written") {
  TempDir dir("sccache-docker-reply");
  // The contract's limits, scaled down: 1 MiB per file, 1.5 MiB together.
  const ReplyLimits limits{0, 1 << 20, 3 << 19};

  // A 2 GiB (sparse, say) output: refused from its record's length alone.
  std::string error = sandbox_error([&] {
    read(CraftedReply().output("/work/big.o", 2ull << 30, 4096), {"/work/big.o"}, dir.path(),
         limits);
  });
  CHECK(error.find("more than the 1 MiB an output may have") != std::string::npos);
  CHECK(error.find("/work/big.o") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "work/big.o"));

  // Two outputs that fit one by one but not together: the first is written, the second is not.
  error = sandbox_error([&] {
    read(CraftedReply().output("/work/a.o", 1 << 20, 1 << 20).output("/work/b.o", 1 << 20, 0),
         {"/work/a.o", "/work/b.o"}, dir.path(), limits);
  });
  CHECK(error.find("more than the 1 MiB all outputs may have together") != std::string::npos);
  CHECK(fs::file_size(dir / "work/a.o") == 1 << 20);
  CHECK_FALSE(fs::exists(dir / "work/b.o"));

  // At the limits exactly.
  TempDir ok("sccache-docker-reply");
  SandboxResult r = read(CraftedReply()
                             .output("/work/a.o", 1 << 20, 1 << 20)
                             .output("/work/b.o", 1 << 19, 1 << 19)
                             .exit_and_end(),
                         {"/work/a.o", "/work/b.o"}, ok.path(), limits);
  CHECK(r.collected == std::vector<std::string>{"/work/a.o", "/work/b.o"});
}
