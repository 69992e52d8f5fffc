// The build server's `[builder] type = "docker"` sandbox: each job runs in its own container of
// an image made from the toolchain archive, with no network, as a non-root user, under CPU,
// memory and process limits. Needs access to a Docker engine's socket, not root. See README.md.
#pragma once

#include "sccache/plugin_abi.h"

namespace sccache::sandbox_docker {

const sccache_plugin_descriptor* descriptor() noexcept;

}  // namespace sccache::sandbox_docker
