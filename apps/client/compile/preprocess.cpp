#include "client/compile/preprocess.hpp"

#include "util/process.hpp"

#include "client/compiler/commands.hpp"

namespace sccache {

PreprocessedUnit preprocess(const PlannedCompile& planned, const CompileRequest& request) {
  const compiler::CompilePlan& plan = planned.plan.value();
  PreprocessedUnit unit;
  const std::filesystem::path source = (request.cwd / plan.input).lexically_normal();
  const bool unit_replaces_source =
      plan.family == compiler::Family::clang && plan.rewrite_includes_only;
  unit.job_path =
      unit_replaces_source ? source : source.parent_path() / compiler::preprocessed_file_name(plan);

  util::SpawnOptions options;
  options.argv = compiler::preprocess_command(plan, "-");
  options.argv.insert(options.argv.begin(), planned.argv[0]);
  options.executable = planned.compiler;
  options.cwd = request.cwd;
  options.environment = request.environment;
  util::CapturedRun run = util::run_captured(std::move(options));
  unit.exit_code = util::shell_exit_code(run.status);
  unit.text = std::move(run.out);
  unit.diagnostics = std::move(run.err);
  return unit;
}

}  // namespace sccache
