// The [builder] table of type "overlay": where jobs and toolchains live, and which bwrap to run.
#pragma once

#include <filesystem>
#include <span>

#include "sccache/config_keys.hpp"
#include "sccache/config_section.hpp"

namespace sccache::sandbox_bwrap {

struct OverlayConfig {
  std::filesystem::path build_dir;   // required; holds toolchains/ and builds/
  std::filesystem::path bwrap_path;  // default /usr/bin/bwrap
  // Sandboxes kept ready per toolchain, so a job need not wait for bwrap's start; 0: none.
  unsigned warm_sandboxes = 4;
};

// Failure: ConfigError (file:line:key) for unknown keys, a missing build_dir or wrong types.
OverlayConfig read_overlay_config(const ConfigSection& config);

// The keys of the table (what read_overlay_config accepts and docs/configuration.md lists).
std::span<const ConfigKey> config_keys();

}  // namespace sccache::sandbox_bwrap
