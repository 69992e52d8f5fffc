// A job's scratch directory, build_dir/builds/<random>/ with upper/, work/ and target/ for the
// overlay (plus whatever the runner puts beside them, e.g. stdout and stderr). Queued for removal
// (rm -rf, in the background) on destruction, whatever happened. Not shared between threads.
#pragma once

#include <filesystem>
#include <string>

namespace sccache::sandbox_bwrap {

class OverlayDirs {
 public:
  // Failure: SandboxError.
  OverlayDirs(const std::filesystem::path& builds_dir, const std::string& prefix);
  ~OverlayDirs();
  OverlayDirs(const OverlayDirs&) = delete;
  OverlayDirs& operator=(const OverlayDirs&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  std::string name() const { return m_path.filename().string(); }
  std::filesystem::path upper() const { return m_path / "upper"; }
  std::filesystem::path work() const { return m_path / "work"; }
  std::filesystem::path target() const { return m_path / "target"; }

 private:
  std::filesystem::path m_path;
};

}  // namespace sccache::sandbox_bwrap
