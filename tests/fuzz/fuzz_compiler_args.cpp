// The compiler argument analysis (client/compiler/analyze.hpp): argv split at NUL bytes, for
// both families and drivers and both preprocessing modes. Pure string work: nothing may throw.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "client/compiler/analyze.hpp"

using namespace sccache::compiler;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args;
  std::string current;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  args.push_back(current);
  for (Family family : {Family::gcc, Family::clang}) {
    for (bool cxx : {false, true}) {
      for (bool rewrite : {false, true}) {
        (void)analyze(Compiler{family, cxx}, args, rewrite);
      }
    }
  }
  return 0;
}
