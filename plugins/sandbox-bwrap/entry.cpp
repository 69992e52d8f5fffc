#include "sccache/plugin.hpp"

#include "sandbox-bwrap/overlay_sandbox.hpp"

SCCACHE_EXPORT_PLUGIN(sccache::sandbox_bwrap::descriptor)
