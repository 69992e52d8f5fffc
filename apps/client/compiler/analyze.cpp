#include "client/compiler/analyze.hpp"

#include "client/compiler/argument_table.hpp"
#include "client/compiler/language.hpp"
#include "client/compiler/output_names.hpp"

namespace sccache::compiler {

namespace {

// One command-line element, or an option with its separate value, as written.
struct Entry {
  bool is_input = false;
  ArgKind kind = ArgKind::common;  // meaningless for inputs
  std::vector<std::string> args;
};

struct Input {
  std::string path;
  std::string language;  // "" => linker input
};

// Everything one pass over the arguments learns.
struct Scan {
  std::vector<Entry> entries;
  bool compile = false;
  std::optional<std::string> response_file;
  std::optional<std::string> not_compile;
  std::optional<std::string> unsupported;
  std::vector<std::string> outputs;  // every -o value, in order
  std::vector<Input> inputs;
  std::string language;               // the -x in effect ("" after -x none)
  std::optional<std::string> dead_x;  // a -x after the last input (gcc warns that it is unused)
  // Dependency output.
  bool md = false;   // -MD or -MMD
  bool mmd = false;  // -MMD: the depfile leaves system headers out
  std::optional<std::string> mf;
  bool mt_or_mq = false;
  bool mp = false;
  std::vector<std::string> wp_md;  // the files of -Wp,-MD,<file> / -Wp,-MMD,<file>
};

std::string joined(const std::vector<std::string>& args) {
  std::string text;
  for (const auto& arg : args) {
    text += text.empty() ? arg : " " + arg;
  }
  return text;
}

std::string described(const std::vector<std::string>& args, const std::string& why) {
  return why.empty() ? joined(args) : joined(args) + " (" + why + ")";
}

void note_option(Scan& scan, const MatchedArg& match, const std::vector<std::string>& args) {
  switch (match.kind) {
    case ArgKind::compile:
      scan.compile = true;
      break;
    case ArgKind::not_compile:
      if (!scan.not_compile) {
        scan.not_compile = described(args, match.why);
      }
      break;
    case ArgKind::output:
      scan.outputs.push_back(match.value);
      break;
    case ArgKind::language:
      scan.language = match.value == "none" ? "" : match.value;
      scan.dead_x = joined(args);
      break;
    case ArgKind::dependency:
      if (match.option == "-MD" || match.option == "-MMD") {
        scan.md = true;
        scan.mmd = scan.mmd || match.option == "-MMD";
      } else if (match.option == "-MF") {
        scan.mf = match.value;
      } else if (match.option == "-MT" || match.option == "-MQ") {
        scan.mt_or_mq = true;
      } else if (match.option == "-MP") {
        scan.mp = true;
      } else {
        scan.wp_md.push_back(match.value);
      }
      break;
    case ArgKind::unsupported:
      if (!scan.unsupported) {
        scan.unsupported = described(args, match.why);
      }
      break;
    case ArgKind::preprocessor:
    case ArgKind::macro:
    case ArgKind::common:
    case ArgKind::linker:
      break;
  }
}

Scan scan_arguments(const Compiler& compiler, const std::vector<std::string>& args,
                    bool rewrite_includes_only) {
  Scan scan;
  Mode mode{compiler.family, rewrite_includes_only};
  std::size_t i = 0;
  while (i < args.size()) {
    const std::string& arg = args[i];
    if (!arg.empty() && arg[0] == '@') {
      if (!scan.response_file) {
        scan.response_file = arg;
      }
      ++i;
      continue;
    }
    if (arg.empty() || arg[0] != '-' || arg == "-") {
      std::string language = scan.language;
      if (language.empty() && arg != "-") {
        language = language_from_extension(arg, compiler.cxx_driver);
      }
      scan.inputs.push_back({arg, language});
      scan.entries.push_back({true, ArgKind::common, {arg}});
      scan.dead_x.reset();
      ++i;
      continue;
    }
    MatchedArg match = match_option(mode, args, i);
    std::vector<std::string> written(args.begin() + static_cast<std::ptrdiff_t>(i),
                                     args.begin() + static_cast<std::ptrdiff_t>(i + match.count));
    note_option(scan, match, written);
    scan.entries.push_back({false, match.kind, std::move(written)});
    i += match.count;
  }
  return scan;
}

Analysis refused(NotDistributed reason, std::string detail) {
  Analysis analysis;
  analysis.reason = reason;
  analysis.detail = std::move(detail);
  return analysis;
}

// The first reason the scanned command cannot go remote, if any.
std::optional<Analysis> refusal(const Compiler& compiler, const Scan& scan) {
  using N = NotDistributed;
  if (scan.response_file) {
    return refused(N::response_file, *scan.response_file);
  }
  if (scan.not_compile) {
    return refused(N::not_compile, *scan.not_compile);
  }
  if (!scan.compile) {
    return refused(N::not_compile, "no -c (links)");
  }
  for (const auto& output : scan.outputs) {
    if (output == "-") {
      return refused(N::stdout_output, "-o -");
    }
  }
  if (scan.unsupported) {
    return refused(N::unsupported_option, *scan.unsupported);
  }
  if (scan.outputs.size() > 1) {
    return refused(N::unsupported_option, "-o given more than once");
  }
  if (scan.inputs.empty()) {
    return refused(N::no_input, "");
  }
  if (scan.inputs.size() > 1) {
    std::vector<std::string> paths;
    for (const auto& input : scan.inputs) {
      paths.push_back(input.path);
    }
    return refused(N::multiple_inputs, joined(paths));
  }
  const Input& input = scan.inputs.front();
  if (input.path == "-") {
    return refused(N::stdin_input, "-");
  }
  if (scan.dead_x) {
    return refused(N::unsupported_option, *scan.dead_x + " (after the last input)");
  }
  if (input.language.empty()) {
    return refused(N::unsupported_language, input.path + " (linker input)");
  }
  if (is_preprocessed_language(input.language)) {
    return refused(N::already_preprocessed, input.path + " (" + input.language + ")");
  }
  if (!is_source_language(input.language)) {
    return refused(N::unsupported_language, input.path + " (" + input.language + ")");
  }
  bool objective = input.language.rfind("objective-", 0) == 0;
  if (objective && (compiler.family == Family::gcc || compiler.cxx_driver)) {
    return refused(N::unsupported_language,
                   input.path + " (" + input.language + ": unverified with this driver)");
  }
  if ((scan.mf || scan.mt_or_mq || scan.mp) && !scan.md && scan.wp_md.empty()) {
    return refused(N::unsupported_option, "-MF/-MT/-MQ/-MP without -MD or -MMD");
  }
  if (!scan.wp_md.empty() && (scan.md || scan.mf || scan.wp_md.size() > 1)) {
    return refused(N::unsupported_option, "-Wp,-MD/-MMD combined with other depfile options");
  }
  return std::nullopt;
}

bool goes_to_preprocessing(const Entry& entry) {
  if (entry.is_input) {
    return true;
  }
  switch (entry.kind) {
    case ArgKind::language:
    case ArgKind::preprocessor:
    case ArgKind::macro:
    case ArgKind::dependency:
    case ArgKind::common:
    case ArgKind::linker:
      return true;
    case ArgKind::compile:
    case ArgKind::not_compile:
    case ArgKind::output:
    case ArgKind::unsupported:
      return false;
  }
  return false;
}

bool goes_to_remote(const Entry& entry, const CompilePlan& plan) {
  if (entry.is_input) {
    return false;
  }
  if (entry.kind == ArgKind::macro) {
    return plan.family == Family::clang && plan.rewrite_includes_only;
  }
  return entry.kind == ArgKind::common || entry.kind == ArgKind::linker;
}

CompilePlan make_plan(const Compiler& compiler, const Scan& scan, bool rewrite_includes_only) {
  CompilePlan plan;
  plan.family = compiler.family;
  plan.rewrite_includes_only = rewrite_includes_only;
  plan.language = scan.inputs.front().language;
  plan.input = scan.inputs.front().path;
  std::optional<std::string> explicit_output;
  if (!scan.outputs.empty()) {
    explicit_output = scan.outputs.front();
  }
  plan.output = explicit_output.value_or(default_object_path(compiler.family, plan.input));
  plan.outputs = {plan.output};

  plan.preprocess_args.push_back("-E");
  if (rewrite_includes_only) {
    plan.preprocess_args.push_back(compiler.family == Family::gcc ? "-fdirectives-only"
                                                                  : "-frewrite-includes");
  }
  for (const Entry& entry : scan.entries) {
    if (goes_to_preprocessing(entry)) {
      plan.preprocess_args.insert(plan.preprocess_args.end(), entry.args.begin(), entry.args.end());
    }
    if (goes_to_remote(entry, plan)) {
      plan.remote_args.insert(plan.remote_args.end(), entry.args.begin(), entry.args.end());
    }
  }

  // Under -E with our own -o, the drivers would name the depfile and its target after the
  // preprocessed output. Pin both to what the original command uses:
  //  - depfile: -MF if given, else derived from -o / the input (output_names.hpp);
  //  - target: gcc's driver adds "-MQ <-o path>" only when -o is given (otherwise cc1 names the
  //    target after the input, also under -E); clang's driver always adds the equivalent of
  //    "-MQ <object>" (from -o, else "<stem>.o"), and treats -Wp,-MD,<file> as -MD -MF <file>.
  //    gcc passes -Wp,-MD straight to cc1, which names the target after the input either way.
  if (scan.md) {
    plan.depfile =
        scan.mf.value_or(default_depfile_path(compiler.family, plan.input, explicit_output));
    if (!scan.mf) {
      plan.preprocess_args.insert(plan.preprocess_args.end(), {"-MF", *plan.depfile});
    }
    plan.depfile_is_complete = !scan.mmd;
  } else if (!scan.wp_md.empty()) {
    plan.depfile = scan.wp_md.front();
  }
  bool driver_names_target = scan.md || (!scan.wp_md.empty() && compiler.family == Family::clang);
  if (driver_names_target && !scan.mt_or_mq &&
      (compiler.family == Family::clang || explicit_output)) {
    plan.preprocess_args.insert(plan.preprocess_args.end(), {"-MQ", plan.output});
  }
  return plan;
}

}  // namespace

std::string_view to_string(NotDistributed reason) {
  switch (reason) {
    case NotDistributed::none:
      return "none";
    case NotDistributed::not_compile:
      return "not_compile";
    case NotDistributed::no_input:
      return "no_input";
    case NotDistributed::multiple_inputs:
      return "multiple_inputs";
    case NotDistributed::stdin_input:
      return "stdin_input";
    case NotDistributed::stdout_output:
      return "stdout_output";
    case NotDistributed::unsupported_language:
      return "unsupported_language";
    case NotDistributed::unsupported_option:
      return "unsupported_option";
    case NotDistributed::response_file:
      return "response_file";
    case NotDistributed::already_preprocessed:
      return "already_preprocessed";
  }
  return "unknown";
}

Analysis analyze(const Compiler& compiler, const std::vector<std::string>& args,
                 bool rewrite_includes_only) {
  Scan scan = scan_arguments(compiler, args, rewrite_includes_only);
  if (auto refusal_found = refusal(compiler, scan)) {
    return *refusal_found;
  }
  Analysis analysis;
  analysis.plan = make_plan(compiler, scan, rewrite_includes_only);
  return analysis;
}

}  // namespace sccache::compiler
