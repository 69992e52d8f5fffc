// Compiler family and driver detection, and the file names the drivers derive.
#include <catch2/catch.hpp>

#include "client/compiler/compiler_family.hpp"
#include "client/compiler/language.hpp"
#include "client/compiler/output_names.hpp"

using namespace sccache::compiler;

TEST_CASE("the family comes from --version text: clang version => clang, anything else gcc") {
  CHECK(family_from_version_output("Debian clang version 14.0.6\nTarget: x86_64-pc-linux-gnu") ==
        Family::clang);
  CHECK(family_from_version_output("Apple clang version 15.0.0 (clang-1500.1.0.2.5)") ==
        Family::clang);
  CHECK(family_from_version_output("Apple LLVM version 10.0.0 (clang-1000.10.44.4)") ==
        Family::clang);
  CHECK(family_from_version_output("gcc (Debian 12.2.0-14+deb12u1) 12.2.0\nCopyright ...") ==
        Family::gcc);
  CHECK(family_from_version_output("") == Family::gcc);
}

TEST_CASE("the C++ driver and, without version text, the family come from the file name") {
  struct Case {
    std::string_view path;
    std::string_view version;
    Family family;
    bool cxx;
  };
  const Case cases[] = {
      {"/usr/bin/gcc", "", Family::gcc, false},
      {"/usr/bin/g++", "", Family::gcc, true},
      {"/usr/bin/x86_64-linux-gnu-g++-12", "", Family::gcc, true},
      {"/usr/bin/clang", "", Family::clang, false},
      {"/usr/lib/llvm-14/bin/clang++", "", Family::clang, true},
      {"clang++-14", "", Family::clang, true},
      {"/usr/bin/cc", "clang version 14.0.6", Family::clang, false},
      {"/usr/bin/c++", "c++ (Debian 12.2.0-14) 12.2.0", Family::gcc, true},
      {"/opt/clang++dir/cc", "", Family::gcc, false},  // only the file name counts
  };
  for (const auto& c : cases) {
    INFO(c.path);
    auto compiler = compiler_from(c.path, c.version);
    CHECK(compiler.family == c.family);
    CHECK(compiler.cxx_driver == c.cxx);
  }
}

TEST_CASE("languages from extensions follow gcc's table; C++ drivers take .c/.i/.h as C++") {
  CHECK(language_from_extension("src/a.c", false) == "c");
  CHECK(language_from_extension("src/a.c", true) == "c++");
  CHECK(language_from_extension("a.i", true) == "c++-cpp-output");
  CHECK(language_from_extension("a.i", false) == "cpp-output");
  for (auto cxx : {"a.cc", "a.cp", "a.cxx", "a.cpp", "a.CPP", "a.c++", "a.C"}) {
    CHECK(language_from_extension(cxx, false) == "c++");
  }
  CHECK(language_from_extension("a.m", false) == "objective-c");
  CHECK(language_from_extension("a.mm", false) == "objective-c++");
  CHECK(language_from_extension("a.hpp", false) == "c++-header");
  CHECK(language_from_extension("a.S", false) == "assembler-with-cpp");
  CHECK(language_from_extension("a.s", false) == "assembler");
  CHECK(language_from_extension("a.o", false).empty());
  CHECK(language_from_extension("dir.d/noext", false).empty());
  CHECK(preprocessed_language("c") == "cpp-output");
  CHECK(preprocessed_language("c++") == "c++-cpp-output");
  CHECK(preprocessed_language("objective-c") == "objective-c-cpp-output");
  CHECK(preprocessed_language("objective-c++") == "objective-c++-cpp-output");
}

TEST_CASE("derived names: gcc's %b keeps a leading-dot name whole, clang's stem does not") {
  CHECK(default_object_path(Family::gcc, "src/a.c") == "a.o");
  CHECK(default_object_path(Family::clang, "src/a.c") == "a.o");
  CHECK(default_object_path(Family::gcc, "a.b.c") == "a.b.o");
  CHECK(default_object_path(Family::gcc, "noext") == "noext.o");
  CHECK(default_object_path(Family::gcc, ".c") == ".c.o");
  CHECK(default_object_path(Family::clang, ".c") == ".o");
  CHECK(default_object_path(Family::gcc, ".hid.c") == ".hid.o");

  CHECK(default_depfile_path(Family::gcc, "src/a.c", std::nullopt) == "a.d");
  CHECK(default_depfile_path(Family::gcc, ".c", std::nullopt) == ".c.d");
  CHECK(default_depfile_path(Family::clang, ".c", std::nullopt) == ".d");
  CHECK(default_depfile_path(Family::gcc, "a.c", std::string("out/x.o")) == "out/x.d");
  CHECK(default_depfile_path(Family::gcc, "a.c", std::string("foo.o.tmp")) == "foo.o.d");
  CHECK(default_depfile_path(Family::gcc, "a.c", std::string("dir.x/foo")) == "dir.x/foo.d");
  CHECK(default_depfile_path(Family::clang, "a.c", std::string("sub/.o")) == "sub/.d");
  CHECK(default_depfile_path(Family::gcc, "a.c", std::string("x./y")) == "x./y.d");
}
