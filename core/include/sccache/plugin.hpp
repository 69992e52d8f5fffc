// What a plugin author includes: the interfaces, and a macro that defines the entry point.
//
//   namespace { const MyAuthFactory g_factory; }
//   SCCACHE_DEFINE_PLUGIN(my_auth_descriptor, SCCACHE_PLUGIN_KIND_AUTH, sccache::AuthFactory,
//                         g_factory, "1.0.0", "per-user tokens", "my_token")
//   SCCACHE_EXPORT_PLUGIN(my_auth_descriptor)
//
// SCCACHE_DEFINE_PLUGIN defines `const sccache_plugin_descriptor* NAME()`, which tests and static
// builds call directly; SCCACHE_EXPORT_PLUGIN adds the exported C entry point (use it in the
// shared object only, so several plugins can be linked statically into one program).
#pragma once

#include "sccache/auth.hpp"
#include "sccache/build_fingerprint.hpp"
#include "sccache/plugin_abi.h"
#include "sccache/sandbox.hpp"
#include "sccache/transport.hpp"

#define SCCACHE_DEFINE_PLUGIN(NAME, KIND, FACTORY_BASE, FACTORY_OBJECT, VERSION, DESCRIPTION, ...) \
  const sccache_plugin_descriptor* NAME() noexcept {                                               \
    static const char* const types[] = {__VA_ARGS__, nullptr};                                     \
    static const sccache_plugin_descriptor descriptor = {                                          \
        sizeof(sccache_plugin_descriptor),                                                         \
        SCCACHE_PLUGIN_ABI_VERSION,                                                                \
        SCCACHE_BUILD_FINGERPRINT,                                                                 \
        KIND,                                                                                      \
        types,                                                                                     \
        VERSION,                                                                                   \
        DESCRIPTION,                                                                               \
        const_cast<void*>(                                                                         \
            static_cast<const void*>(static_cast<const FACTORY_BASE*>(&(FACTORY_OBJECT))))};       \
    return &descriptor;                                                                            \
  }

#define SCCACHE_EXPORT_PLUGIN(NAME)                                                  \
  extern "C" __attribute__((visibility("default"))) const sccache_plugin_descriptor* \
  sccache_plugin_entry_v1(void) noexcept {                                           \
    return NAME();                                                                   \
  }
