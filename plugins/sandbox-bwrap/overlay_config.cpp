#include "sandbox-bwrap/overlay_config.hpp"

namespace sccache::sandbox_bwrap {

OverlayConfig read_overlay_config(const ConfigSection& config) {
  config.reject_unknown_keys({"type", "build_dir", "bwrap_path"});
  OverlayConfig result;
  auto build_dir = config.get_path("build_dir");
  if (!build_dir) {
    config.fail("build_dir",
                "missing: the overlay builder needs a directory for toolchains and "
                "jobs (e.g. build_dir = \"/var/lib/sccache-dist/build\")");
  }
  result.build_dir = *build_dir;
  result.bwrap_path = config.get_path("bwrap_path").value_or("/usr/bin/bwrap");
  return result;
}

}  // namespace sccache::sandbox_bwrap
