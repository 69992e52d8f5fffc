// The important property: the unpacked toolchain alone (no host files) compiles preprocessed
// input under bubblewrap, exactly like the host compiler does.
#include <catch2/catch.hpp>

#include "client/toolchain/toolchain_test_util.hpp"

namespace fs = std::filesystem;
using namespace sccache::test;
using namespace sccache::test::toolchain;

namespace {

const char* k_cxx_source = R"(#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <vector>

template <typename T>
T total(const std::vector<T>& values) {
  T sum{};
  for (const auto& v : values) sum += v;
  return sum;
}

int main(int argc, char** argv) {
  std::map<std::string, int> counts;
  for (int i = 0; i < argc; ++i) counts[argv[i]]++;
  std::vector<int> values = {3, 1, 2};
  std::sort(values.begin(), values.end());
  std::cout << total(values) << " " << counts.size() << "\n";
  return 0;
}
)";

const char* k_c_source = R"(#include <math.h>
#include <stdio.h>
#include <string.h>

struct point { double x, y; };

static double norm(struct point p) { return sqrt(p.x * p.x + p.y * p.y); }

int main(int argc, char** argv) {
  struct point p = {3.0, (double)strlen(argv[0]) + argc};
  printf("%f\n", norm(p));
  return 0;
}
)";

void require_bwrap() {
  RunResult probe = run({"bwrap", "--bind", "/", "/", "--unshare-all", "--", "/bin/true"});
  if (probe.exit_code != 0) {
    skip_whole_binary("bubblewrap cannot run here: " + probe.err);
  }
}

// Preprocesses `source` on the host in a fresh directory, compiles the result with the host's
// `driver` and with the same driver inside the unpacked toolchain (same absolute cwd), and
// requires byte-identical objects.
void check_remote_compile(const std::string& driver, const std::string& source,
                          const std::string& source_name, const std::string& preprocessed_language,
                          const std::vector<std::string>& flags) {
  require_bwrap();
  const Packaged& toolchain = packaged_once(driver);
  TempDir work("sccache-tc-src");
  fs::path cwd = fs::canonical(work.path());
  write_file(cwd / source_name, source);
  must_run({driver, "-E", source_name, "-o", "a.i"}, cwd);

  std::vector<std::string> compile = {driver};
  compile.insert(compile.end(), flags.begin(), flags.end());
  compile.insert(compile.end(), {"-x", preprocessed_language, "-c", "a.i", "-o", "a.o"});
  must_run(compile, cwd);
  std::string host_object = read_file(cwd / "a.o");
  REQUIRE(host_object.size() > 100);

  TempDir tree("sccache-tc-tree");
  unpack_like_server(toolchain.archive, tree.path());
  fs::path inner_cwd = tree.path() / cwd.relative_path();
  fs::create_directories(inner_cwd);
  fs::copy_file(cwd / "a.i", inner_cwd / "a.i");

  std::vector<std::string> sandboxed = {"bwrap",    "--bind",     tree.path().string(),
                                        "/",        "--proc",     "/proc",
                                        "--dev",    "/dev",       "--unshare-all",
                                        "--chdir",  cwd.string(), "--clearenv",
                                        "--setenv", "PATH",       "/usr/local/bin:/usr/bin:/bin",
                                        "--"};
  sandboxed.insert(sandboxed.end(), compile.begin(), compile.end());
  must_run(sandboxed);
  REQUIRE(fs::exists(inner_cwd / "a.o"));
  REQUIRE(read_file(inner_cwd / "a.o") == host_object);

  // The host tree really is invisible in there.
  RunResult leak = run({"bwrap", "--bind", tree.path().string(), "/", "--unshare-all", "--",
                        "/bin/sh", "-c", "true"});
  INFO(leak.err);
  REQUIRE(leak.exit_code != 0);  // no shell in a gcc toolchain
}

}  // namespace

TEST_CASE("g++'s toolchain compiles C++ alone in a sandbox", "[sandbox][gcc]") {
  if (!installed("/usr/bin/g++")) {
    skip_whole_binary("g++ is not installed in /usr/bin");
  }
  SECTION("default flags") {
    check_remote_compile("/usr/bin/g++", k_cxx_source, "a.cc", "c++-cpp-output", {});
  }
  SECTION("-O2 -g") {
    check_remote_compile("/usr/bin/g++", k_cxx_source, "a.cc", "c++-cpp-output", {"-O2", "-g"});
  }
}

TEST_CASE("gcc's toolchain compiles C alone in a sandbox", "[sandbox][gcc]") {
  if (!installed("/usr/bin/gcc")) {
    skip_whole_binary("gcc is not installed in /usr/bin");
  }
  SECTION("default flags") {
    check_remote_compile("/usr/bin/gcc", k_c_source, "a.c", "cpp-output", {});
  }
  SECTION("-O2 -g") {
    check_remote_compile("/usr/bin/gcc", k_c_source, "a.c", "cpp-output", {"-O2", "-g"});
  }
}

TEST_CASE("clang's toolchain compiles alone in a sandbox", "[sandbox][clang]") {
  INFO("clang and clang++ must be installed in /usr/bin (scripts/install-deps.sh installs them)");
  REQUIRE(installed("/usr/bin/clang"));
  REQUIRE(installed("/usr/bin/clang++"));
  SECTION("clang, C, -O2 -g") {
    check_remote_compile("/usr/bin/clang", k_c_source, "a.c", "cpp-output", {"-O2", "-g"});
  }
  SECTION("clang++, C++") {
    check_remote_compile("/usr/bin/clang++", k_cxx_source, "a.cc", "c++-cpp-output", {});
  }
}
