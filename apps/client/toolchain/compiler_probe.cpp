#include "client/toolchain/compiler_probe.hpp"

#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "client/toolchain/run_command.hpp"
#include "client/toolchain/toolchain.hpp"

namespace sccache::toolchain {
namespace fs = std::filesystem;

namespace {

// What the driver runs for gcc, besides itself.
constexpr const char* k_gcc_programs[] = {"cc1",         "cc1plus", "collect2", "lto1",
                                          "lto-wrapper", "as",      "objcopy"};
constexpr const char* k_gcc_files[] = {"liblto_plugin.so", "specs"};
constexpr const char* k_clang_programs[] = {"as", "objcopy"};

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
    line.pop_back();
  }
  return line;
}

bool is_regular(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The driver's one-line answer to `compiler option`; empty if it failed.
std::string ask(const fs::path& compiler, const std::string& option) {
  CommandOutput result = run_command({compiler.string(), option});
  if (result.exit_code != 0) {
    spdlog::default_logger()->debug("toolchain: {} {} failed (exit {})", compiler.string(), option,
                                    result.exit_code);
    return {};
  }
  return first_line(result.out);
}

// A -print-prog-name answer: an absolute path, or a bare name the driver would look up in PATH.
std::optional<fs::path> program_path(const fs::path& compiler, const std::string& name) {
  std::string answer = ask(compiler, "-print-prog-name=" + name);
  if (answer.empty()) {
    return std::nullopt;
  }
  if (answer.find('/') == std::string::npos) {
    return find_in_path(answer);
  }
  fs::path path = fs::absolute(answer);
  return is_regular(path) ? std::optional<fs::path>(path) : std::nullopt;
}

// A -print-file-name answer; gcc echoes the bare name back when it has no such file.
std::optional<fs::path> file_path(const fs::path& compiler, const std::string& name) {
  std::string answer = ask(compiler, "-print-file-name=" + name);
  if (answer.empty() || answer.find('/') == std::string::npos) {
    return std::nullopt;
  }
  fs::path path = fs::absolute(answer);
  return is_regular(path) ? std::optional<fs::path>(path) : std::nullopt;
}

void add_programs(const fs::path& compiler, const auto& names, CompilerParts& parts) {
  for (const char* name : names) {
    if (auto path = program_path(compiler, name)) {
      parts.files.push_back(*path);
    } else {
      spdlog::default_logger()->debug("toolchain: {} has no {}", compiler.string(), name);
    }
  }
}

}  // namespace

std::optional<fs::path> find_in_path(std::string_view name) {
  const char* path_env = std::getenv("PATH");
  std::string_view dirs = path_env != nullptr ? path_env : "/bin:/usr/bin";
  while (true) {
    size_t colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    fs::path candidate = fs::absolute(fs::path(dir.empty() ? "." : dir) / name);
    if (is_regular(candidate) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    dirs = dirs.substr(colon + 1);
  }
}

CompilerParts probe_compiler(const fs::path& compiler) {
  CommandOutput version = run_command({compiler.string(), "--version"});
  if (version.exit_code != 0) {
    throw ToolchainError(
        fmt::format("{} --version failed (exit {})", compiler.string(), version.exit_code));
  }
  CompilerParts parts;
  if (version.out.find("clang") != std::string::npos) {
    parts.family = CompilerFamily::clang;
    add_programs(compiler, k_clang_programs, parts);
    std::string resource_dir = ask(compiler, "-print-resource-dir");
    if (!resource_dir.empty() && fs::is_directory(fs::path(resource_dir) / "include")) {
      parts.resource_include_dir = fs::absolute(fs::path(resource_dir) / "include");
    }
    return parts;
  }
  // gcc names its compilers proper by absolute path; anything else echoes or says nothing.
  if (ask(compiler, "-print-prog-name=cc1").find('/') == std::string::npos &&
      ask(compiler, "-print-prog-name=cc1plus").find('/') == std::string::npos) {
    throw ToolchainError(fmt::format("{} is neither gcc nor clang (version: {})", compiler.string(),
                                     first_line(version.out)));
  }
  parts.family = CompilerFamily::gcc;
  add_programs(compiler, k_gcc_programs, parts);
  for (const char* name : k_gcc_files) {
    if (auto path = file_path(compiler, name)) {
      parts.files.push_back(*path);
    }
  }
  return parts;
}

}  // namespace sccache::toolchain
