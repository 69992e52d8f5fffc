#include "sccache/plugin.hpp"

#include "docker_sandbox.hpp"

SCCACHE_EXPORT_PLUGIN(sccache::sandbox_docker::descriptor)
