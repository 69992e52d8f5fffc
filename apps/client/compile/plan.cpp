#include "client/compile/plan.hpp"

#include "client/compiler/compiler_family.hpp"
#include "client/program_path.hpp"

namespace sccache {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_default_path = "/usr/local/bin:/usr/bin:/bin";

fs::path resolve_compiler(const CompileRequest& request, const std::vector<fs::path>& skip) {
  const std::string& name = request.argv.at(0);
  if (name.find('/') != std::string::npos) {
    return (request.cwd / name).lexically_normal();
  }
  return find_in_path(name, request.env("PATH").value_or(k_default_path), skip);
}

// By name, as invoked or after symlinks: `cc` may be clang.
compiler::Family family_of(const fs::path& compiler) {
  std::error_code ec;
  return compiler::family_from_executable_name(compiler.string()) == compiler::Family::clang
             ? compiler::Family::clang
             : compiler::family_from_executable_name(fs::canonical(compiler, ec).string());
}

}  // namespace

PlannedCompile plan_compile(const CompileRequest& request, const ClientConfig& config,
                            const std::vector<fs::path>& not_compilers) {
  PlannedCompile planned;
  planned.compiler = resolve_compiler(request, not_compilers);
  if (planned.compiler.empty()) {
    return planned;
  }
  planned.argv = request.argv;
  planned.argv[0] = planned.compiler.string();
  const std::vector<std::string> args(request.argv.begin() + 1, request.argv.end());
  const compiler::Compiler compiler{family_of(planned.compiler),
                                    compiler::is_cxx_driver(planned.compiler.string())};
  compiler::Analysis analysis = compiler::analyze(compiler, args, config.rewrite_includes_only);
  planned.detail = std::move(analysis.detail);
  if (!analysis.plan) {
    planned.local_reason = std::string(compiler::to_string(analysis.reason));
  } else if (request.env("DEPENDENCIES_OUTPUT") || request.env("SUNPRO_DEPENDENCIES")) {
    // gcc would write a depfile the remote cannot, and a cache hit would not
    planned.local_reason = "dependencies_env";
  } else {
    planned.plan = std::move(analysis.plan);
    planned.distributable = config.scheduler.has_value();
    if (!planned.distributable) {
      planned.local_reason = "dist_disabled";
    }
  }
  return planned;
}

}  // namespace sccache
