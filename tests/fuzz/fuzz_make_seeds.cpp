// Writes seed inputs for the fuzzers whose formats are binary and ours (the local server's
// frames, cache entries and manifests), made by the real encoders so they follow the format as
// it changes, and tokens minted by the tests' JWT helpers (support/jwt_mint.hpp) with the keys
// fuzz_jwt verifies with. Usage: fuzz_make_seeds <corpus root>; scripts/fuzz.sh runs it first.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "util/tar.hpp"

#include "client/cache/cache_entry.hpp"
#include "client/cache/manifest.hpp"
#include "common/server_protocol.hpp"
#include "common/wire.hpp"
#include "support/jwt_mint.hpp"

namespace fs = std::filesystem;
using namespace sccache;

namespace {

void write(const fs::path& file, const std::string& bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << bytes;
}

// One record of the docker helper's reply (sandbox-docker/helper_protocol.hpp): u8 type, u64
// length, payload.
std::string record(char type, const std::string& payload) {
  std::string out(1, type);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out += static_cast<char>(static_cast<uint64_t>(payload.size()) >> shift);
  }
  return out + payload;
}

std::string u32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// The local-server fuzzer reads a frame's body (the 4-byte length stripped).
std::string body(const std::string& frame) {
  return frame.substr(4);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds <corpus root>\n";
    return 2;
  }
  const fs::path root = argv[1];
  namespace sp = server_protocol;
  const fs::path local = root / "fuzz_local_protocol";
  write(local / "hello", body(sp::encode(sp::Hello{sp::k_version, "0.1.0 build"})));
  sp::Compile compile;
  compile.cwd = "/src";
  compile.argv = {"gcc", "-c", "a.c", "-o", "a.o"};
  compile.environment = {"PATH=/usr/bin", "HOME=/root"};
  write(local / "compile", body(sp::encode(compile)));
  write(local / "command",
        body(sp::encode(sp::Command{"--show-stats", {"--stats-format", "json"}, {"HOME=/root"}})));
  write(local / "compiled", body(sp::encode_compiled({1, "out", "a.c:1: error"})));
  write(local / "run_locally", body(sp::encode(sp::RunLocally{"/usr/bin/gcc", {"gcc"}, "w"})));
  write(local / "mismatch", body(sp::encode_version_mismatch("0.0.9")));

  const fs::path entries = root / "fuzz_cache_entry";
  cache::CompileResult result;
  result.stdout_data = "";
  result.stderr_data = "a.c:1:1: warning: unused\n";
  result.files = {{"object", 0644,
                   std::string("\x7f"
                               "ELF object bytes",
                               17)},
                  {"depfile", 0644, "a.o: a.c b.h\n"}};
  write(entries / "result", cache::encode_result(result));
  cache::Manifest manifest;
  manifest.add(
      {std::string(64, 'a'),
       {{"/src/a.c", std::string(64, 'b')}, {"/usr/include/stdio.h", std::string(64, 'c')}}});
  write(entries / "manifest", cache::encode_manifest(manifest));

  // A run request (command frame, inputs) and a run response (progress, result, outputs).
  const fs::path job = root / "fuzz_job_frame";
  wire::JobCommand command;
  command.toolchain_id = std::string(64, 'a');
  command.executable = "/usr/bin/gcc";
  command.arguments = {"-c", "/src/a.c", "-o", "/src/a.o"};
  command.environment = {{"LANG", "C"}};
  command.cwd = "/src";
  command.outputs = {"/src/a.o"};
  std::ostringstream request;
  wire::write_frame(request, command.to_json());
  util::write_tar_zst(request, {{"src/a.c", {}, "int main(void) { return 0; }\n", 0644}});
  write(job / "run_request_v4", request.str());
  wire::JobResult job_result;
  job_result.exit_code = 0;
  job_result.stderr_data = "a.c:1: warning: x\n";
  job_result.outputs = {"/src/a.o"};
  job_result.timings_ms = {{"receive", 1.5}, {"setup", 2}, {"compile", 30}};
  std::ostringstream response;
  wire::write_progress_frame(response);
  wire::write_progress_frame(response);
  wire::write_frame(response, job_result.to_json());
  util::write_tar_zst(response, {{"src/a.o",
                                  {},
                                  "\x7f"
                                  "ELF",
                                  0644}});
  write(job / "run_response_v4", response.str());

  // A docker job container's replies (fuzz_docker_reply: the first byte sets the engine's frame
  // size): the ready record; a compile with output, a warning and its object; a setup error.
  const fs::path docker = root / "fuzz_docker_reply";
  write(docker / "ready", std::string(1, '\x04') + record('R', ""));
  const std::string path = "/src/a.o";
  write(docker / "job_reply",
        std::string(1, '\x02') + record('o', "compiled\n") + record('e', "a.c:1: warning\n") +
            record('F', u32(path.size()) + path +
                            "\x7f"
                            "ELF object") +
            record('x', std::string(1, '\0') + u32(0) + u32(0)) + record('Z', ""));
  write(docker / "job_error", std::string(1, '\0') + record('E', "cannot chdir to /src"));

  // A build server's token with fuzz_jwt's jwt_hs256 secret (accepted), and a client's token
  // from an identity provider whose key fuzz_jwt does not know (refused at the signature).
  const fs::path jwt = root / "fuzz_jwt";
  const int64_t now = test::unix_now();
  write(jwt / "server_token",
        "Bearer " + test::mint_hs256(
                        "0123456789abcdef0123456789ABCDEF",
                        R"({"server_id":"127.0.0.1:10501","iat":)" + std::to_string(now) + "}"));
  const test::SigningKey idp(test::SigningKey::Kind::ec_p256, "k1");
  write(
      jwt / "client_token",
      "Bearer " + idp.mint(R"({"iss":"joe","aud":"sccache-dist","sub":"alice","iat":)" +
                           std::to_string(now) + R"(,"exp":)" + std::to_string(now + 3600) + "}"));
  write(jwt / "client_jwks", test::jwks({&idp}));
  return 0;
}
