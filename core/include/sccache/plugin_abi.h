// The C boundary between the core runtime and a plugin shared object.
//
// Each plugin .so exports exactly one symbol, SCCACHE_PLUGIN_ENTRY_NAME, returning a pointer to a
// descriptor with static storage duration. The loader checks the plain C fields (size, ABI version,
// build fingerprint, kind, types) before any C++ object crosses the boundary, so a stale or
// mismatched plugin is rejected with a clear error instead of crashing.
//
// Two versions, for two different things:
// - The entry symbol's suffix (_v1) versions this C descriptor's layout. It changes only if the
//   struct below changes incompatibly; struct_size lets fields be appended without a change.
// - SCCACHE_PLUGIN_ABI_VERSION versions the C++ interfaces (auth.hpp, sandbox.hpp, transport.hpp,
//   host_context.hpp, config_section.hpp, ...). Bump it whenever any of them changes layout or
//   vtables; the loader accepts only an exact match.
//
// History: 1 = first in-tree plugins; 2 = HostContext::identity() (the first installed SDK);
// 3 = ServerOptions::tls_certificate_file and tls_key_file; 4 = ToolchainLeases (the sandbox
// SDK's toolchain bookkeeping, sccache/toolchain_leases.hpp); 5 = ConfigKey tables
// (sccache/config_keys.hpp): ConfigSection::reject_unknown_keys takes a table's declared keys
// instead of a list of names; 6 = typed error replies (ErrorReply, error_reply_json) and
// ClientOptions::ca_file and ca_dir (sccache/transport.hpp), SandboxResult::setup_time and
// command_time.
#ifndef SCCACHE_PLUGIN_ABI_H
#define SCCACHE_PLUGIN_ABI_H

#include <stdint.h>

#define SCCACHE_PLUGIN_ABI_VERSION 6u
#define SCCACHE_PLUGIN_ENTRY_NAME "sccache_plugin_entry_v1"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sccache_plugin_kind {
  SCCACHE_PLUGIN_KIND_AUTH = 1,      /* factory is a sccache::AuthFactory* */
  SCCACHE_PLUGIN_KIND_SANDBOX = 2,   /* factory is a sccache::SandboxFactory* */
  SCCACHE_PLUGIN_KIND_TRANSPORT = 3, /* factory is a sccache::TransportFactory* */
} sccache_plugin_kind;

typedef struct sccache_plugin_descriptor {
  uint32_t struct_size;          /* sizeof(sccache_plugin_descriptor) as the plugin saw it */
  uint32_t abi_version;          /* SCCACHE_PLUGIN_ABI_VERSION the plugin was built against */
  const char* build_fingerprint; /* SCCACHE_BUILD_FINGERPRINT; must match the core byte for byte */
  uint32_t kind;                 /* a sccache_plugin_kind */
  const char* const* types;      /* NULL-terminated config `type` names this plugin serves */
  const char* version;           /* the plugin's own version, for --version and logs */
  const char* description;       /* one line, for logs */
  void* factory;                 /* the kind's factory; static storage, never freed */
} sccache_plugin_descriptor;

typedef const sccache_plugin_descriptor* (*sccache_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif
