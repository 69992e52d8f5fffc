#include "client/toolchain/elf_deps.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "util/unique_fd.hpp"

#include "client/toolchain/run_command.hpp"
#include "client/toolchain/toolchain.hpp"

namespace sccache::toolchain {
namespace {

std::string_view trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) {
    return {};
  }
  size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

// "/path (0x...)" -> "/path"; a path without the address part stays as it is.
std::string_view strip_address(std::string_view s) {
  size_t paren = s.rfind(" (0x");
  return trim(paren == std::string_view::npos ? s : s.substr(0, paren));
}

}  // namespace

LddReport parse_ldd_output(std::string_view text) {
  LddReport report;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (line.empty()) {
      continue;
    }
    if (line.find("not a dynamic executable") != std::string_view::npos ||
        line.find("statically linked") != std::string_view::npos) {
      report.is_static = true;
      continue;
    }
    if (line.starts_with("linux-vdso") || line.starts_with("linux-gate")) {
      continue;
    }
    size_t arrow = line.find(" => ");
    if (arrow != std::string_view::npos) {
      std::string_view target = trim(line.substr(arrow + 4));
      if (target.starts_with("not found")) {
        report.missing.emplace_back(trim(line.substr(0, arrow)));
        continue;
      }
      target = strip_address(target);
      if (target.starts_with('/')) {
        report.libraries.emplace_back(target);
      }
      continue;
    }
    std::string_view path = strip_address(line);
    if (path.starts_with('/')) {  // the loader line: "/lib64/ld-linux-x86-64.so.2 (0x...)"
      report.libraries.emplace_back(path);
    }
  }
  return report;
}

bool is_elf(const std::filesystem::path& file) {
  util::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  char magic[4] = {};
  return fd.valid() && ::read(fd.get(), magic, 4) == 4 && magic[0] == 0x7f && magic[1] == 'E' &&
         magic[2] == 'L' && magic[3] == 'F';
}

std::vector<std::filesystem::path> shared_library_deps(const std::filesystem::path& elf) {
  CommandOutput result = run_command({"ldd", elf.string()});
  LddReport report = parse_ldd_output(result.out + "\n" + result.err);
  if (report.is_static) {
    spdlog::default_logger()->debug("toolchain: {} is statically linked", elf.string());
    return {};
  }
  if (result.exit_code != 0) {
    throw ToolchainError(fmt::format("ldd {} failed (exit {}): {}", elf.string(), result.exit_code,
                                     trim(result.err)));
  }
  for (const auto& name : report.missing) {
    spdlog::default_logger()->warn("toolchain: {} needs {}, which the loader cannot find",
                                   elf.string(), name);
  }
  return report.libraries;
}

}  // namespace sccache::toolchain
