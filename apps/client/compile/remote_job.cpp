#include "client/compile/remote_job.hpp"

#include <langinfo.h>
#include <locale.h>

#include "client/compiler/commands.hpp"
#include "client/source_files.hpp"

namespace sccache {
namespace fs = std::filesystem;

namespace {

// Whether the locale the request's environment selects for LC_CTYPE uses UTF-8. Asked of the
// locale database with newlocale(), never of this process's own locale.
bool wants_utf8(const CompileRequest& request) {
  std::string name;
  for (const char* key : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    if (auto value = request.env(key); value && !value->empty()) {
      name = *value;
      break;
    }
  }
  if (name.empty()) {
    return false;
  }
  locale_t locale = ::newlocale(LC_CTYPE_MASK, name.c_str(), locale_t{});
  if (locale == locale_t{}) {
    return false;  // not installed: the compiler falls back to "C" too
  }
  const bool utf8 = std::string_view(::nl_langinfo_l(CODESET, locale)) == "UTF-8";
  ::freelocale(locale);
  return utf8;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> remote_environment(const CompileRequest& request) {
  std::vector<std::pair<std::string, std::string>> env = {
      {"LC_ALL", wants_utf8(request) ? "C.UTF-8" : "C"}};
  for (const char* key : {"GCC_COLORS", "SOURCE_DATE_EPOCH"}) {
    if (auto value = request.env(key)) {
      env.emplace_back(key, std::string(*value));
    }
  }
  return env;
}

RemoteJob make_remote_job(const PlannedCompile& planned, const fs::path& unit_path,
                          std::string unit_text, const toolchain::Toolchain& toolchain,
                          const CompileRequest& request) {
  const compiler::CompilePlan& plan = planned.plan.value();
  RemoteJob job;
  job.toolchain_id = toolchain.id;
  job.toolchain_archive = toolchain.archive;
  job.command.executable = toolchain.remote_compiler;
  job.command.arguments = compiler::remote_compile_command(plan, unit_path.string());
  if (request.stderr_is_tty && plan.family == compiler::Family::gcc) {
    // The remote stderr is no terminal; keep the colours a local compile would show.
    job.command.arguments.push_back("-fdiagnostics-color=always");
  }
  job.command.environment = remote_environment(request);
  job.command.cwd = request.cwd.string();
  for (const auto& output : plan.outputs) {
    job.command.outputs.push_back((request.cwd / output).lexically_normal().string());
  }
  // The files diagnostics may quote: the project's always, system headers on demand.
  const ReferencedFiles sources = referenced_files(unit_text, request.cwd);
  for (const auto& file : sources.project) {
    if (file != unit_path) {
      job.inputs.push_back({file.string(), file, {}, 0644});
    }
  }
  job.inputs.push_back({unit_path.string(), {}, std::move(unit_text), 0644});
  return job;
}

}  // namespace sccache
