#include "compiler/commands.hpp"

#include "compiler/language.hpp"

namespace sccache::compiler {

std::vector<std::string> preprocess_command(const CompilePlan& plan,
                                            const std::string& preprocessed_output_path) {
  std::vector<std::string> command = plan.preprocess_args;
  if (preprocessed_output_path != "-") {
    command.insert(command.end(), {"-o", preprocessed_output_path});
  }
  return command;
}

std::vector<std::string> remote_compile_command(const CompilePlan& plan,
                                                const std::string& preprocessed_input_path) {
  std::vector<std::string> command;
  if (!plan.rewrite_includes_only) {
    command = {"-x", preprocessed_language(plan.language)};
  } else if (plan.family == Family::gcc) {
    command = {"-x", plan.language, "-fdirectives-only", "-fpreprocessed"};
  } else {
    command = {"-x", plan.language};
  }
  command.insert(command.end(), {"-c", preprocessed_input_path, "-o", plan.output});
  command.insert(command.end(), plan.remote_args.begin(), plan.remote_args.end());
  return command;
}

}  // namespace sccache::compiler
