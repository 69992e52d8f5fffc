#include "sandbox-bwrap/overlay_config.hpp"

namespace sccache::sandbox_bwrap {

namespace {

constexpr ConfigKey k_keys[] = {
    {"type", ConfigValueType::string, "required", "`\"overlay\"`"},
    {"build_dir", ConfigValueType::path, "required",
     "where unpacked toolchains and jobs live (e.g. `/var/lib/sccache-dist/build`); on ext4, xfs "
     "or btrfs, not overlayfs or NFS"},
    {"bwrap_path", ConfigValueType::path, "`/usr/bin/bwrap`",
     "the bubblewrap (0.3.0 or later) that starts jobs"},
    {"warm_sandboxes", ConfigValueType::integer, "`4`",
     "sandboxes kept started per toolchain (0 to 64), so a job does not wait for bwrap's start; "
     "`0`: each job starts its own"},
};

}  // namespace

std::span<const ConfigKey> config_keys() {
  return k_keys;
}

OverlayConfig read_overlay_config(const ConfigSection& config) {
  config.reject_unknown_keys(k_keys);
  OverlayConfig result;
  auto build_dir = config.get_path("build_dir");
  if (!build_dir) {
    config.fail("build_dir",
                "missing: the overlay builder needs a directory for toolchains and "
                "jobs (e.g. build_dir = \"/var/lib/sccache-dist/build\")");
  }
  result.build_dir = *build_dir;
  result.bwrap_path = config.get_path("bwrap_path").value_or("/usr/bin/bwrap");
  if (auto warm = config.get_integer("warm_sandboxes")) {
    if (*warm < 0 || *warm > 64) {
      config.fail("warm_sandboxes", "expected a number of sandboxes from 0 to 64");
    }
    result.warm_sandboxes = static_cast<unsigned>(*warm);
  }
  return result;
}

}  // namespace sccache::sandbox_bwrap
