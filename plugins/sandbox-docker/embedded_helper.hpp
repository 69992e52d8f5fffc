// sccache-docker-init (init/main.cpp), built as a static binary and embedded into the
// plugin at build time, so the plugin is one self-contained file and every image gets the helper
// that matches its protocol.
#pragma once

#include <string_view>

namespace sccache::sandbox_docker {

// The helper executable's bytes; static storage.
std::string_view embedded_helper() noexcept;

}  // namespace sccache::sandbox_docker
