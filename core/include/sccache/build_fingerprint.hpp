// The build fingerprint: everything that must agree between the core and a plugin for C++ objects
// to cross the boundary safely. Expanded in the plugin's translation unit and in the core's, so a
// mismatch means the two were built with different compilers, standards or library versions.
#pragma once

#include <version>

#include <Poco/Version.h>
#include <spdlog/version.h>

#include "sccache/plugin_abi.h"
#include "sccache/toml.hpp"

#define SCCACHE_FP_STR2(x) #x
#define SCCACHE_FP_STR(x) SCCACHE_FP_STR2(x)

#if defined(__clang__)
#define SCCACHE_FP_COMPILER "clang-" __clang_version__
#elif defined(__GNUC__)
#define SCCACHE_FP_COMPILER "gcc-" __VERSION__
#else
#define SCCACHE_FP_COMPILER "unknown"
#endif

#define SCCACHE_BUILD_FINGERPRINT \
  "abi=" SCCACHE_FP_STR(SCCACHE_PLUGIN_ABI_VERSION) ";cxx=" SCCACHE_FP_COMPILER     \
  ";std=" SCCACHE_FP_STR(__cplusplus) ";glibcxx=" SCCACHE_FP_STR(_GLIBCXX_RELEASE)  \
  ";poco=" SCCACHE_FP_STR(POCO_VERSION) ";toml=" SCCACHE_FP_STR(TOML_LIB_MAJOR) "." \
  SCCACHE_FP_STR(TOML_LIB_MINOR) ";spdlog=" SCCACHE_FP_STR(SPDLOG_VER_MAJOR) "."     \
  SCCACHE_FP_STR(SPDLOG_VER_MINOR)

namespace sccache {
// The fingerprint the core was built with (the loader compares plugins against it).
const char* core_build_fingerprint() noexcept;
}  // namespace sccache
