// The gate (gate/main.cpp), built static and embedded in the plugin, so nothing else is
// installed: check_ready() writes it into build_dir for bwrap to bind into every sandbox.
#pragma once

#include <string_view>

namespace sccache::sandbox_bwrap {

std::string_view embedded_gate() noexcept;

}  // namespace sccache::sandbox_bwrap
