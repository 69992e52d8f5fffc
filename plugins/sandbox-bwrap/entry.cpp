#include "sccache/plugin.hpp"

#include "overlay_sandbox.hpp"

SCCACHE_EXPORT_PLUGIN(sccache::sandbox_bwrap::descriptor)
