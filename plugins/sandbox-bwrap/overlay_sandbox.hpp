// The build server's `[builder] type = "overlay"` sandbox: each job runs under bubblewrap on an
// overlayfs of its inputs above an unpacked toolchain, in a private mount namespace. Needs root.
// See README.md for what is isolated and how.
#pragma once

#include "sccache/plugin_abi.h"

namespace sccache::sandbox_bwrap {

const sccache_plugin_descriptor* descriptor() noexcept;

}  // namespace sccache::sandbox_bwrap
