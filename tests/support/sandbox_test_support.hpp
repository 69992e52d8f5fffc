// What the sandbox plugins' tests share: real toolchain archives built from the host's bash,
// coreutils and gcc (as the client packages a compiler: the files, their libraries and the
// symlinks leading to them), jobs with fresh input and output directories, and error capture.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "sccache/sandbox.hpp"

#include "support/test_support.hpp"

namespace sccache::test {

struct ToolchainArchive {
  std::string id;  // sha256 of the archive
  std::filesystem::path archive;
};

// bash, the coreutils the tests use (cat ls ln sleep rm tail truncate), gcc-12 with cc1 and as,
// their libraries and the dynamic loader, at their real paths (with the symlinks leading there).
// zstd-compressed when zstd exists, as the client makes them. Built once per process.
const ToolchainArchive& full_toolchain();
// bash, cat and sleep only, gzip-compressed. Built once per process.
const ToolchainArchive& small_toolchain();
// A tar of `files` (absolute host paths, plus what they need) into `archive`, compressed with
// `tar_compress_flag` ("" for none). Returns the sha256 of the result.
std::string build_toolchain(const std::vector<std::string>& files,
                            const std::filesystem::path& archive,
                            const std::string& tar_compress_flag);
// The toolchain id of an archive: the lowercase hex sha256 of its bytes.
std::string archive_id(const std::filesystem::path& archive);

// A job with fresh inputs_root and outputs_root directories.
struct TestJob {
  TempDir dir{"sccache-sandbox-job"};
  SandboxJob job;
  TestJob(const std::string& toolchain_id, const std::string& cwd,
          std::vector<std::string> argv);  // argv[0] is the executable
  // Writes `contents` at job path `path` in the inputs.
  void add_input(const std::string& path, const std::string& contents) const;
  std::filesystem::path output(const std::string& path) const;  // outputs_root/<job path>
};

// Runs `bash -c script` with full_toolchain() (prepared) in `sandbox`, cwd /work/dir.
SandboxResult run_bash_in(Sandbox& sandbox, const std::string& script,
                          std::vector<std::string> outputs = {});

// The SandboxError message `f` throws, or "(no SandboxError)".
std::string sandbox_error(const std::function<void()>& f);

}  // namespace sccache::test
