#include "client/compile/local_compile.hpp"

#include <algorithm>

#include "util/process.hpp"

#include "client/cache/cache_key.hpp"

namespace sccache {
namespace fs = std::filesystem;

bool wants_colour(const PlannedCompile& planned, const CompileRequest& request) {
  if (!request.stderr_is_tty || request.env("TERM").value_or("dumb") == "dumb") {
    return false;
  }
  return std::none_of(planned.argv.begin() + 1, planned.argv.end(),
                      [](const std::string& arg) { return cache::is_colour_option(arg); });
}

std::string strip_colours(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      size_t j = i + 2;
      while (j < text.size() && ((text[j] >= '0' && text[j] <= '9') || text[j] == ';')) {
        ++j;
      }
      if (j < text.size() && (text[j] == 'm' || text[j] == 'K')) {
        i = j;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

CompileReply compile_here(const PlannedCompile& planned, const CompileRequest& request) {
  const compiler::CompilePlan& plan = planned.plan.value();
  util::SpawnOptions options;
  options.argv = planned.argv;
  if (wants_colour(planned, request)) {
    options.argv.insert(options.argv.begin() + 1, "-fdiagnostics-color=always");
  }
  options.executable = planned.compiler;
  options.cwd = request.cwd;
  options.environment = request.environment;
  util::CapturedRun run = util::run_captured(std::move(options));
  CompileReply reply;
  reply.exit_code = util::shell_exit_code(run.status);
  reply.stdout_data = std::move(run.out);
  reply.stderr_data = std::move(run.err);
  std::vector<std::string> written = plan.outputs;
  if (plan.depfile) {
    written.push_back(*plan.depfile);
  }
  for (const auto& output : written) {
    const fs::path path = (request.cwd / output).lexically_normal();
    std::error_code ec;
    if (fs::exists(path, ec)) {
      reply.outputs.push_back(path);
    }
  }
  return reply;
}

}  // namespace sccache
