// The caps on what a toolchain archive may hold (image_tar.hpp), with the caps lowered so the
// archives stay small. Needs no engine.
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "sandbox-docker/embedded_helper.hpp"
#include "sandbox-docker/image_tar.hpp"
#include "support/sandbox_test_support.hpp"
#include "support/test_support.hpp"

using namespace sccache;
using namespace sccache::sandbox_docker;
using namespace sccache::test;
namespace fs = std::filesystem;

TEST_CASE("a toolchain archive over the entry or byte cap is refused") {
  TempDir dir("sccache-docker-caps");
  // 13 entries (bin/ and 12 files), 1.2 MB of file contents, 0.01 MB compressed.
  for (int i = 0; i < 12; ++i) {
    write_file(dir / "tree/bin" / ("f" + std::to_string(i)), std::string(100000, 'x'));
  }
  const fs::path archive = dir / "caps.tar.gz";
  REQUIRE(run({"tar", "-C", (dir / "tree").string(), "-czf", archive.string(), "bin"}).exit_code ==
          0);
  auto convert = [&](uint64_t max_entries, uint64_t max_bytes) {
    ImageLayout layout{embedded_helper(), max_entries, max_bytes};
    std::ostringstream out;
    write_image_tar(archive, layout, out);
    return out.str().size();
  };

  CHECK(convert(13, 1200000) > 1200000);
  std::string error = sandbox_error([&] { convert(12, 1200000); });
  CHECK(error.find("refusing caps.tar.gz: more than 12 entries") != std::string::npos);
  error = sandbox_error([&] { convert(13, 1 << 20); });
  CHECK(error.find("refusing caps.tar.gz: more than 1 MiB uncompressed") != std::string::npos);
  // The defaults: 500000 entries, 8 GiB.
  ImageLayout defaults{embedded_helper()};
  CHECK(defaults.max_entries == 500000);
  CHECK(defaults.max_bytes == uint64_t{8} << 30);
}
