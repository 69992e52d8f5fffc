#include "client/compile/depend_mode.hpp"

#include <algorithm>
#include <system_error>

#include "util/fs.hpp"
#include "util/random.hpp"

#include "client/cache/depfile.hpp"
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
  if (planned.plan->depfile) {
    return planned.plan->depfile_is_complete;
  }
  return !records_command_line(planned.argv);
}

DependCompile compile_with_depfile(const PlannedCompile& planned, const CompileRequest& request) {
  const compiler::CompilePlan& plan = planned.plan.value();
  DependCompile out;
  if (plan.depfile) {
    out.reply = compile_here(planned, request);
    if (out.reply.exit_code == 0) {
      if (auto text = util::read_file((request.cwd / *plan.depfile).lexically_normal())) {
        out.files = cache::depfile_prerequisites(*text, request.cwd);
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
