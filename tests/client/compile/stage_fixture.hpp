// What the compile-stage tests share: a request in a temporary project, a client config whose
// toolchain is a path_override (no packaging), and a stand-in cluster that runs each job's
// command here, as a build server would, in a directory holding the job's inputs.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "client/client_config.hpp"
#include "client/compile/remote_executor.hpp"
#include "client/compile/request.hpp"
#include "support/test_support.hpp"

namespace sccache::test {

// A project directory with `files` (name -> contents) and a request to run `argv` there with
// this process's environment (PATH included) unless `environment` is given.
CompileRequest request_in(const std::filesystem::path& dir, std::vector<std::string> argv,
                          std::optional<std::vector<std::string>> environment = std::nullopt);

// A client config pointing at a scheduler (never contacted by these tests), caching under
// `dir`, with /usr/bin/gcc's toolchain given as an archive so nothing is packaged.
ClientConfig stage_config(const std::filesystem::path& dir);

// Runs the job's command with the job's inputs placed under a scratch root whose layout mirrors
// the job paths (what a build server does, minus the sandbox), and extracts nothing: the outputs
// are copied to outputs_root as the real client's extraction would place them.
class LocalCluster final : public RemoteExecutor {
 public:
  // `fail` (optional) decides per call whether to throw instead (a DistFailure).
  explicit LocalCluster(std::function<void(int call)> fail = {}) : m_fail(std::move(fail)) {}
  RemoteOutcome run(const RemoteJob& job, const std::filesystem::path& outputs_root,
                    std::chrono::milliseconds queue_wait) override;
  int calls() const { return m_calls; }
  const std::vector<std::chrono::milliseconds>& waits() const { return m_waits; }
  const RemoteJob& last_job() const { return m_last; }

 private:
  std::function<void(int)> m_fail;
  int m_calls = 0;
  std::vector<std::chrono::milliseconds> m_waits;
  RemoteJob m_last;
};

}  // namespace sccache::test
