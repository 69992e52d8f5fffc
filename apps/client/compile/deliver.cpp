#include "client/compile/deliver.hpp"

namespace sccache {
namespace fs = std::filesystem;

std::vector<fs::path> install_outputs(const PlannedCompile& planned, const RemoteOutcome& outcome,
                                      const CompileRequest& request) {
  std::vector<fs::path> installed;
  for (const auto& output : planned.plan.value().outputs) {
    const fs::path target = (request.cwd / output).lexically_normal();
    const fs::path extracted = outcome.outputs_root / target.relative_path();
    std::error_code ec;
    if (!fs::exists(extracted, ec)) {
      continue;  // the compiler did not write it (e.g. it failed); neither would it locally
    }
    fs::rename(extracted, target, ec);
    if (ec) {
      // Another filesystem: copy beside the target, then rename, so readers never see half.
      const fs::path temp = target.string() + ".sccache-tmp";
      fs::copy_file(extracted, temp, fs::copy_options::overwrite_existing);
      fs::rename(temp, target);
    }
    installed.push_back(target);
  }
  return installed;
}

CompileReply deliver(const PlannedCompile& planned, std::string preprocess_diagnostics,
                     RemoteOutcome&& outcome, const CompileRequest& request) {
  CompileReply reply;
  reply.outputs = install_outputs(planned, outcome, request);
  reply.exit_code = outcome.result.exit_code;
  reply.stderr_data = std::move(preprocess_diagnostics) + outcome.result.stderr_data;
  reply.stdout_data = std::move(outcome.result.stdout_data);
  return reply;
}

}  // namespace sccache
