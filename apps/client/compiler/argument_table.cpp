#include "client/compiler/argument_table.hpp"

#include <string_view>

#include "client/compiler/option_checks.hpp"

namespace sccache::compiler {

namespace {

enum class Form {
  flag,                // exactly the spelling
  joined,              // the spelling followed by the value in the same element ("-std=c11")
  separate,            // exactly the spelling; the value is the next element
  joined_or_separate,  // "-Idir" or "-I dir"
};
enum class Only { any, clang };

struct Spec {
  std::string_view spelling;
  Form form;
  ArgKind kind;
  std::string_view why = {};
  Only only = Only::any;
  Check check = Check::none;
};

using F = Form;
using K = ArgKind;

constexpr std::string_view k_reads_file = "reads a local file the build server lacks";
constexpr std::string_view k_writes_file = "writes an extra file next to the object";
constexpr std::string_view k_modules = "modules need module files the build server lacks";

// Matching takes the longest spelling; on equal length an exact flag/separate spelling beats a
// joined one ("-M" alone is not_compile, "-MJ" is the unsupported "-M" family).
constexpr Spec k_specs[] = {
    // What the command produces.
    {"-c", F::flag, K::compile},
    {"-o", F::joined_or_separate, K::output},
    {"-x", F::joined_or_separate, K::language},
    {"-E", F::flag, K::not_compile, "preprocesses only"},
    {"-S", F::flag, K::not_compile, "writes assembly (kept local)"},
    {"-M", F::flag, K::not_compile, "writes dependencies only"},
    {"-MM", F::flag, K::not_compile, "writes dependencies only"},
    {"-fsyntax-only", F::flag, K::not_compile, "checks syntax only"},
    {"-v", F::flag, K::not_compile, "verbose driver"},
    {"--verbose", F::flag, K::not_compile, "verbose driver"},
    {"-###", F::flag, K::not_compile, "prints the commands only"},
    {"--version", F::flag, K::not_compile, "prints the version"},
    {"--help", F::joined, K::not_compile, "prints help"},
    {"--target-help", F::flag, K::not_compile, "prints help"},
    {"-dumpversion", F::flag, K::not_compile, "prints the version"},
    {"-dumpfullversion", F::flag, K::not_compile, "prints the version"},
    {"-dumpmachine", F::flag, K::not_compile, "prints the target"},
    {"-dumpspecs", F::flag, K::not_compile, "prints the specs"},
    {"-print-", F::joined, K::not_compile, "prints a setting"},
    {"--print-", F::joined, K::not_compile, "prints a setting"},

    // Local preprocessing only.
    {"-I", F::joined_or_separate, K::preprocessor},
    {"-iquote", F::joined_or_separate, K::preprocessor},
    {"-isystem", F::joined_or_separate, K::preprocessor},
    {"-idirafter", F::joined_or_separate, K::preprocessor},
    {"-include", F::joined_or_separate, K::preprocessor},
    {"-imacros", F::joined_or_separate, K::preprocessor, {}, Only::any, Check::imacros},
    {"-iprefix", F::joined_or_separate, K::preprocessor},
    {"-iwithprefix", F::joined_or_separate, K::preprocessor},
    {"-iwithprefixbefore", F::joined_or_separate, K::preprocessor},
    {"-isysroot", F::joined_or_separate, K::preprocessor},
    {"-imultilib", F::joined_or_separate, K::preprocessor},
    {"-imultiarch", F::joined_or_separate, K::preprocessor},
    {"--sysroot", F::separate, K::preprocessor},
    {"--sysroot=", F::joined, K::preprocessor},
    {"-nostdinc", F::flag, K::preprocessor},
    {"-nostdinc++", F::flag, K::preprocessor},
    {"-cxx-isystem", F::joined_or_separate, K::preprocessor, {}, Only::clang},
    {"-stdlib=", F::joined, K::preprocessor, {}, Only::clang},
    {"-nostdlibinc", F::flag, K::preprocessor, {}, Only::clang},
    {"-nobuiltininc", F::flag, K::preprocessor, {}, Only::clang},
    {"-D", F::joined_or_separate, K::macro},
    {"-U", F::joined_or_separate, K::macro},
    {"-undef", F::flag, K::macro},
    {"-MD", F::flag, K::dependency},
    {"-MMD", F::flag, K::dependency},
    {"-MP", F::flag, K::dependency},
    {"-MF", F::joined_or_separate, K::dependency},
    {"-MT", F::joined_or_separate, K::dependency},
    {"-MQ", F::joined_or_separate, K::dependency},
    {"-Wp,", F::joined, K::unsupported, {}, Only::any, Check::wp},

    // Both runs.
    {"-std=", F::joined, K::common},
    {"-ansi", F::flag, K::common},
    {"-trigraphs", F::flag, K::common},
    {"-pedantic", F::flag, K::common},
    {"-pedantic-errors", F::flag, K::common},
    {"-w", F::flag, K::common},
    {"-pipe", F::flag, K::common},
    {"-pthread", F::flag, K::common},
    {"-p", F::flag, K::common},
    {"-pg", F::flag, K::common},
    {"-no-canonical-prefixes", F::flag, K::common},
    {"--param", F::separate, K::common},
    {"--param=", F::joined, K::common},
    {"-O", F::joined, K::common},
    {"-W", F::joined, K::common},
    {"-f", F::joined, K::common, {}, Only::any, Check::f_option},
    {"-g", F::joined, K::common, {}, Only::any, Check::g_option},
    {"-m", F::joined, K::common, {}, Only::any, Check::m_option},
    {"-Wa,", F::joined, K::common, {}, Only::any, Check::wa},
    {"-Xclang", F::separate, K::common, {}, Only::clang, Check::xclang},
    {"-mllvm", F::separate, K::common, {}, Only::clang},
    {"-target", F::separate, K::common, {}, Only::clang},
    {"--target=", F::joined, K::common, {}, Only::clang},
    {"-Qunused-arguments", F::flag, K::common, {}, Only::clang},
    {"-frecord-gcc-switches", F::flag, K::common, {}, Only::any, Check::record_switches},
    {"-frecord-command-line", F::flag, K::common, {}, Only::any, Check::record_switches},

    // Linker options: no-ops with -c.
    {"-l", F::joined_or_separate, K::linker},
    {"-L", F::joined_or_separate, K::linker},
    {"-u", F::joined_or_separate, K::linker},
    {"-Wl,", F::joined, K::linker},
    {"-Xlinker", F::separate, K::linker},
    {"-fuse-ld=", F::joined, K::linker},
    {"-shared", F::flag, K::linker},
    {"-static", F::flag, K::linker},
    {"-pie", F::flag, K::linker},
    {"-no-pie", F::flag, K::linker},
    {"-static-pie", F::flag, K::linker},
    {"-rdynamic", F::flag, K::linker},
    {"-s", F::flag, K::linker},
    {"-nostdlib", F::flag, K::linker},
    {"-nostdlib++", F::flag, K::linker},
    {"-nodefaultlibs", F::flag, K::linker},
    {"-nostartfiles", F::flag, K::linker},
    {"-static-libgcc", F::flag, K::linker},
    {"-static-libstdc++", F::flag, K::linker},
    {"-shared-libgcc", F::flag, K::linker},

    // Refused.
    {"-I-", F::flag, K::unsupported, "obsolete include-path split"},
    {"-include-pch", F::separate, K::unsupported, k_reads_file},
    {"-MG", F::flag, K::unsupported, "treats missing headers as generated"},
    {"-M", F::joined, K::unsupported, "unsupported dependency option"},
    {"-ObjC", F::flag, K::unsupported, "changes the input language"},
    {"-ObjC++", F::flag, K::unsupported, "changes the input language"},
    {"-save-temps", F::joined, K::unsupported, "writes intermediate files"},
    {"-specs=", F::joined, K::unsupported, k_reads_file},
    {"--specs=", F::joined, K::unsupported, k_reads_file},
    {"-B", F::joined_or_separate, K::unsupported, "looks for compiler parts in a local directory"},
    {"-time", F::joined, K::unsupported, "prints timings"},
    {"-Xpreprocessor", F::separate, K::unsupported, "passes an option the analysis cannot place"},
    {"-Xassembler", F::separate, K::unsupported, "passes an option the analysis cannot place"},
    {"-aux-info", F::separate, K::unsupported, k_writes_file},
    {"-d", F::joined, K::unsupported, "dump option"},
    {"-dumpbase", F::separate, K::unsupported, "changes auxiliary output names"},
    {"-dumpbase-ext", F::separate, K::unsupported, "changes auxiliary output names"},
    {"-dumpdir", F::separate, K::unsupported, "changes auxiliary output names"},
    {"-arch", F::separate, K::unsupported, "multi-architecture compile"},
    {"-gcc-toolchain", F::separate, K::unsupported, "uses a local toolchain directory"},
    {"--gcc-toolchain=", F::joined, K::unsupported, "uses a local toolchain directory"},
    {"--driver-mode=", F::joined, K::unsupported, "changes the driver"},
    {"--coverage", F::flag, K::unsupported, "writes .gcno; instrumentation stamps differ per run"},
    {"-gsplit-dwarf", F::joined, K::unsupported, "writes a .dwo next to the object"},
    {"-gmodules", F::flag, K::unsupported, k_modules},
    {"-gembed-source", F::flag, K::unsupported, "embeds source text that preprocessing changes"},
    {"-gen-reproducer", F::joined, K::unsupported, "writes crash reproducers"},
    {"-fplugin", F::joined, K::unsupported, "loads a local plugin"},
    {"-fpass-plugin=", F::joined, K::unsupported, "loads a local plugin"},
    {"-fprofile", F::joined, K::unsupported, "profile data or instrumentation (local files)"},
    {"-fauto-profile", F::joined, K::unsupported, k_reads_file},
    {"-fcs-profile", F::joined, K::unsupported, "profile instrumentation"},
    {"-fbranch-probabilities", F::flag, K::unsupported, k_reads_file},
    {"-ftest-coverage", F::flag, K::unsupported,
     "writes .gcno; instrumentation stamps differ per run"},
    {"-fcoverage-mapping", F::flag, K::unsupported, "coverage instrumentation"},
    {"-fdump-", F::joined, K::unsupported, "writes dump files"},
    {"-fstack-usage", F::flag, K::unsupported, k_writes_file},
    {"-fcallgraph-info", F::joined, K::unsupported, k_writes_file},
    {"-fopt-info", F::joined, K::unsupported, "optimization reports"},
    {"-fsave-optimization-record", F::joined, K::unsupported, k_writes_file},
    {"-foptimization-record-", F::joined, K::unsupported, k_writes_file},
    {"-flto", F::joined, K::unsupported, "LTO objects differ run to run (random section names)"},
    {"-fthinlto", F::joined, K::unsupported, k_reads_file},
    {"-fmodules", F::joined, K::unsupported, k_modules},
    {"-fmodule-", F::joined, K::unsupported, k_modules},
    {"-fmodule=", F::joined, K::unsupported, k_modules},
    {"-fcxx-modules", F::flag, K::unsupported, k_modules},
    {"-fimplicit-module", F::joined, K::unsupported, k_modules},
    {"-fprebuilt-module", F::joined, K::unsupported, k_modules},
    {"-fprebuilt-implicit-modules", F::flag, K::unsupported, k_modules},
    {"-fbuiltin-module-map", F::flag, K::unsupported, k_modules},
    {"-fpch-", F::joined, K::unsupported, "precompiled headers"},
    {"-fdirectives-only", F::flag, K::unsupported, "the analysis chooses the preprocessing mode"},
    {"-fpreprocessed", F::flag, K::unsupported, "the analysis chooses the preprocessing mode"},
    {"-frewrite-includes", F::flag, K::unsupported, "the analysis chooses the preprocessing mode"},
    {"-frewrite-imports", F::flag, K::unsupported, "the analysis chooses the preprocessing mode"},
    {"-finput-charset=", F::joined, K::unsupported,
     "the preprocessed text is already converted; the remote compile would convert again"},
    {"-fcompare-debug", F::joined, K::unsupported, "compiles twice and writes files"},
    {"-fself-test", F::joined, K::unsupported, "compiler self test"},
    {"-fdeps-", F::joined, K::unsupported, k_writes_file},
    {"-ftime-trace", F::joined, K::unsupported, k_writes_file},
    {"-ftime-report", F::joined, K::unsupported, "prints timings"},
    {"-fmem-report", F::joined, K::unsupported, "prints memory statistics"},
    {"-fstats", F::flag, K::unsupported, "prints statistics"},
    {"-fproc-stat-report", F::joined, K::unsupported, "prints statistics"},
    {"-fdebug-cpp", F::flag, K::unsupported, "preprocessor debug output"},
    {"-fxray-attr-list=", F::joined, K::unsupported, k_reads_file},
    {"-fxray-always-instrument=", F::joined, K::unsupported, k_reads_file},
    {"-fxray-never-instrument=", F::joined, K::unsupported, k_reads_file},
    {"-fopenmp-targets=", F::joined, K::unsupported, "offloading"},
    {"-foffload", F::joined, K::unsupported, "offloading"},
    {"-fcuda", F::joined, K::unsupported, "offloading"},
    {"-fgpu", F::joined, K::unsupported, "offloading"},
    {"-fhip", F::joined, K::unsupported, "offloading"},
    {"-fsycl", F::joined, K::unsupported, "offloading"},
};

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool has_value(Form form) {
  return form != Form::flag;
}

}  // namespace

MatchedArg match_option(const Mode& mode, const std::vector<std::string>& args, std::size_t index) {
  const std::string& arg = args.at(index);
  const Spec* best = nullptr;
  bool best_separate = false;
  std::size_t best_score = 0;
  for (const Spec& spec : k_specs) {
    bool exact = arg == spec.spelling;
    bool prefixed = starts_with(arg, spec.spelling);
    bool matches = false;
    bool separate = false;
    switch (spec.form) {
      case Form::flag:
        matches = exact;
        break;
      case Form::separate:
        matches = exact;
        separate = true;
        break;
      case Form::joined:
        matches = prefixed;
        break;
      case Form::joined_or_separate:
        matches = prefixed;
        separate = exact;
        break;
    }
    if (!matches) {
      continue;
    }
    std::size_t score = spec.spelling.size() * 2 + (exact && spec.form != Form::joined ? 1 : 0);
    if (best == nullptr || score > best_score) {
      best = &spec;
      best_score = score;
      best_separate = separate;
    }
  }

  MatchedArg match;
  if (best == nullptr) {
    match.option = arg;
    match.why = "unknown option";
    return match;
  }
  match.kind = best->kind;
  match.why = std::string(best->why);
  if (!has_value(best->form) ||
      (best->form == Form::joined && best->check != Check::wp && best->check != Check::wa)) {
    // Flags and option families are named by the whole argument.
    match.option = arg;
    match.value = best->form == Form::joined ? arg.substr(best->spelling.size()) : "";
  } else {
    match.option = std::string(best->spelling);
    if (best_separate) {
      if (index + 1 >= args.size()) {
        refuse(match, "missing value");
        return match;
      }
      match.count = 2;
      match.value = args[index + 1];
    } else {
      match.value = arg.substr(best->spelling.size());
    }
  }
  if (best->only == Only::clang && mode.family != Family::clang) {
    refuse(match, "clang-only option");
    return match;
  }
  if (match.kind == ArgKind::linker && mode.family == Family::clang) {
    refuse(match, "linker option: clang warns that it is unused, in each run");
    return match;
  }
  refine(mode, best->check, match);
  return match;
}

}  // namespace sccache::compiler
