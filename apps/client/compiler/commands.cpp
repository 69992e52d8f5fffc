#include "client/compiler/commands.hpp"

#include <stdexcept>
#include <string_view>

#include "client/compiler/language.hpp"

namespace sccache::compiler {

namespace {

bool needs_source_name(const CompilePlan& plan) {
  return plan.family == Family::clang && plan.rewrite_includes_only;
}

}  // namespace

std::vector<std::string> preprocess_command(const CompilePlan& plan,
                                            const std::string& preprocessed_output_path) {
  std::vector<std::string> command = plan.preprocess_args;
  if (preprocessed_output_path != "-") {
    command.insert(command.end(), {"-o", preprocessed_output_path});
  }
  return command;
}

std::string preprocessed_file_name(const CompilePlan& plan) {
  std::string name(file_name(plan.input));
  if (needs_source_name(plan)) {
    return name;
  }
  std::string_view extension = plan.language == "c"             ? "i"
                               : plan.language == "c++"         ? "ii"
                               : plan.language == "objective-c" ? "mi"
                                                                : "mii";
  return name + ".sccache." + std::string(extension);
}

std::vector<std::string> remote_compile_command(const CompilePlan& plan,
                                                const std::string& preprocessed_input_path) {
  if (preprocessed_input_path.empty() || preprocessed_input_path[0] == '-') {
    throw std::invalid_argument("preprocessed input path must not start with '-': " +
                                preprocessed_input_path);
  }
  if (needs_source_name(plan) &&
      file_name(preprocessed_input_path) != preprocessed_file_name(plan)) {
    throw std::invalid_argument(
        "clang rewrite-includes mode: the preprocessed unit must be named " +
        preprocessed_file_name(plan) + ", not " + preprocessed_input_path);
  }
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
