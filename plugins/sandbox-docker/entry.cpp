#include "sccache/plugin.hpp"

#include "sandbox-docker/docker_sandbox.hpp"

SCCACHE_EXPORT_PLUGIN(sccache::sandbox_docker::descriptor)
