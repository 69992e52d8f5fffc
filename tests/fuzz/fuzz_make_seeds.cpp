// Writes seed inputs for the fuzzers whose formats are binary and ours (the local server's
// frames, cache entries and manifests), made by the real encoders so they follow the format as
// it changes. Usage: fuzz_make_seeds <corpus root>; scripts/fuzz.sh runs it before fuzzing.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "client/cache/cache_entry.hpp"
#include "client/cache/manifest.hpp"
#include "common/server_protocol.hpp"

namespace fs = std::filesystem;
using namespace sccache;

namespace {

void write(const fs::path& file, const std::string& bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << bytes;
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
  return 0;
}
