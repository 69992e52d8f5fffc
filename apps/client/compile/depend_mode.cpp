#include "client/compile/depend_mode.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <system_error>

#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/random.hpp"

#include "client/cache/depfile.hpp"
#include "client/cache/include_trace.hpp"
#include "client/compile/local_compile.hpp"

namespace sccache {
namespace fs = std::filesystem;

namespace {

bool records_command_line(const std::vector<std::string>& argv) {
  return std::any_of(argv.begin() + 1, argv.end(), [](const std::string& arg) {
    return arg == "-frecord-gcc-switches" || arg == "-grecord-gcc-switches" ||
           arg == "-grecord-command-line" || arg == "-frecord-command-line";
  });
}

bool has_arg(const std::vector<std::string>& argv, std::string_view arg) {
  return std::find(argv.begin() + 1, argv.end(), arg) != argv.end();
}

// The files gcc reads before the source without an #include (its implicit stdc-predef.h, and
// any -include): -H does not show them. Found once per compiler, language and arguments by
// asking the compiler for the dependencies of an empty unit; nullopt if it cannot say.
std::optional<std::vector<fs::path>> implicit_includes(const PlannedCompile& planned,
                                                       const CompileRequest& request) {
  const compiler::CompilePlan& plan = planned.plan.value();
  std::vector<std::string> argv = {planned.argv.front()};
  for (size_t i = 1; i < planned.argv.size(); ++i) {
    const std::string& arg = planned.argv[i];
    if (arg == "-o" || arg == "-MF" || arg == "-MT" || arg == "-MQ") {
      ++i;  // and its value
    } else if (arg == plan.input || arg == "-c" || arg == "-H" || arg.starts_with("-M") ||
               arg.starts_with("-o") || arg.starts_with("-Wp,")) {
      // outputs, the source, and every dependency option: the probe names its own
    } else {
      argv.push_back(arg);
    }
  }
  // -w: no -Werror may fail an empty unit.
  argv.insert(argv.end(), {"-w", "-x", plan.language, "-E", "-M", "-MT", "probe", "/dev/null"});
  std::string key = planned.compiler.string() + '\0' + request.cwd.string();
  for (const auto& arg : argv) {
    key += '\0' + arg;
  }
  static std::mutex mutex;
  static std::map<std::string, std::vector<fs::path>> known;
  {
    std::lock_guard lock(mutex);
    if (auto it = known.find(key); it != known.end()) {
      return it->second;
    }
  }
  util::SpawnOptions options;
  options.argv = argv;
  options.executable = planned.compiler;
  options.cwd = request.cwd;
  options.environment = request.environment;
  const util::CapturedRun run = util::run_captured(std::move(options));
  if (util::shell_exit_code(run.status) != 0) {
    return std::nullopt;
  }
  std::optional<std::vector<fs::path>> files = cache::depfile_prerequisites(run.out, request.cwd);
  if (!files) {
    return std::nullopt;
  }
  std::erase(*files, fs::path("/dev/null"));
  std::lock_guard lock(mutex);
  known.emplace(key, *files);
  return files;
}

// Removes the file on every way out.
struct TemporaryFile {
  fs::path path;
  ~TemporaryFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

}  // namespace

bool depend_mode_applies(const PlannedCompile& planned, const cache::CacheConfig& config) {
  if (!config.depend_mode || planned.distributable || !planned.plan) {
    return false;
  }
  if (planned.plan->depfile && planned.plan->depfile_is_complete) {
    return true;
  }
  if (planned.plan->depfile) {
    // -MMD or -Wp,: gcc's -H trace lists what the depfile leaves out (include_trace.hpp).
    return planned.plan->family == compiler::Family::gcc && !has_arg(planned.argv, "-H");
  }
  return !records_command_line(planned.argv);
}

DependCompile compile_with_depfile(const PlannedCompile& planned, const CompileRequest& request) {
  const compiler::CompilePlan& plan = planned.plan.value();
  DependCompile out;
  if (plan.depfile && plan.depfile_is_complete) {
    out.reply = compile_here(planned, request);
    if (out.reply.exit_code == 0) {
      if (auto text = util::read_file((request.cwd / *plan.depfile).lexically_normal())) {
        out.files = cache::depfile_prerequisites(*text, request.cwd);
      }
    }
    return out;
  }
  if (plan.depfile) {
    PlannedCompile traced = planned;
    traced.argv.push_back("-H");
    out.reply = compile_here(traced, request);
    cache::IncludeTrace trace = cache::split_include_trace(out.reply.stderr_data, request.cwd);
    out.reply.stderr_data = std::move(trace.diagnostics);
    if (out.reply.exit_code == 0) {
      if (auto implicit = implicit_includes(planned, request)) {
        std::vector<fs::path> files = {(request.cwd / plan.input).lexically_normal()};
        files.insert(files.end(), implicit->begin(), implicit->end());
        files.insert(files.end(), trace.files.begin(), trace.files.end());
        out.files = std::move(files);
      }
    }
    return out;
  }
  // Where the compiler keeps its own temporary files for this request.
  const std::optional<std::string_view> tmpdir = request.env("TMPDIR");
  const fs::path tmp = tmpdir && !tmpdir->empty() ? fs::path(*tmpdir) : fs::temp_directory_path();
  TemporaryFile depfile{tmp / ("sccache-depend-" + util::random_hex(8) + ".d")};
  PlannedCompile with_depfile = planned;
  with_depfile.argv.insert(with_depfile.argv.end(), {"-MD", "-MF", depfile.path.string()});
  out.reply = compile_here(with_depfile, request);
  if (out.reply.exit_code == 0) {
    if (auto text = util::read_file(depfile.path)) {
      out.files = cache::depfile_prerequisites(*text, request.cwd);
    }
  }
  return out;
}

}  // namespace sccache
