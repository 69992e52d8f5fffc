#include "client/compiler/option_checks.hpp"

#include <string_view>

namespace sccache::compiler {

namespace {

constexpr std::string_view k_reads_file = "reads a local file the build server lacks";
constexpr std::string_view k_writes_file = "writes an extra file next to the object";

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}
bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}
bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    auto comma = text.find(',');
    parts.push_back(text.substr(0, comma));
    if (comma == std::string_view::npos) {
      return parts;
    }
    text = text.substr(comma + 1);
  }
}

}  // namespace

void refuse(MatchedArg& match, std::string_view why) {
  match.kind = ArgKind::unsupported;
  match.why = std::string(why);
}

namespace {

// -Wp,<parts>: only forms whose effect the analysis reproduces exactly: -Wp,-MD,<file> and
// -Wp,-MMD,<file> (dependency output; gcc's cc1 names the target after the input, clang's driver
// turns it into -MD -MF <file>), and lists of -D/-U (macros).
void refine_wp(MatchedArg& match) {
  auto parts = split_commas(match.value);
  if (parts.size() == 2 && (parts[0] == "-MD" || parts[0] == "-MMD") && !parts[1].empty()) {
    match.kind = ArgKind::dependency;
    match.option = "-Wp," + std::string(parts[0]);
    match.value = std::string(parts[1]);
    return;
  }
  for (auto part : parts) {
    if (part.size() <= 2 || !(starts_with(part, "-D") || starts_with(part, "-U"))) {
      refuse(match, "passes preprocessor options the analysis cannot place");
      return;
    }
  }
  match.kind = ArgKind::macro;
}

// -Wa,<parts>: only assembler options known to read and write nothing.
void refine_wa(MatchedArg& match) {
  for (auto part : split_commas(match.value)) {
    bool known = part == "--noexecstack" || part == "--nocompress-debug-sections" ||
                 part == "--compress-debug-sections" ||
                 starts_with(part, "--compress-debug-sections=") ||
                 starts_with(part, "-mrelax-relocations=");
    if (!known) {
      refuse(match, "assembler option the analysis does not know");
      return;
    }
  }
}

void refine_xclang(MatchedArg& match) {
  constexpr std::string_view k_refused[] = {"-load",
                                            "-plugin",
                                            "-add-plugin",
                                            "-include-pch",
                                            "-fmodule",
                                            "-emit-",
                                            "-dependency-",
                                            "-header-include",
                                            "-MT",
                                            "-sys-header-deps",
                                            "-ast-",
                                            "-dump-",
                                            "-print-",
                                            "-fdump",
                                            "-ftime-",
                                            "-fproc-stat",
                                            "-main-file-name",
                                            "-frecord-command-line",
                                            "-dwarf-debug-flags",
                                            "-record-command-line",
                                            "-split-dwarf",
                                            "-coverage",
                                            "-fprofile",
                                            "-stats-file",
                                            "-opt-record",
                                            "-fxray",
                                            "-finclude-default-header"};
  for (auto refused : k_refused) {
    if (starts_with(match.value, refused)) {
      refuse(match, "clang frontend option that loads, writes or names local files");
      return;
    }
  }
}

void refine_f(MatchedArg& match) {
  std::string_view arg = match.option;
  if (starts_with(arg, "-fno-")) {
    return;
  }
  for (auto list : {"blacklist", "ignorelist", "blocklist", "allowlist", "whitelist"}) {
    if (contains(arg, list)) {
      refuse(match, k_reads_file);
      return;
    }
  }
  if (starts_with(arg, "-fdiagnostics-format=") && ends_with(arg, "-file")) {
    refuse(match, k_writes_file);
  } else if (starts_with(arg, "-fbasic-block-sections=") &&
             !(arg == "-fbasic-block-sections=all" || arg == "-fbasic-block-sections=labels" ||
               arg == "-fbasic-block-sections=none")) {
    refuse(match, k_reads_file);
  }
}

}  // namespace

void refine(const Mode& mode, Check check, MatchedArg& match) {
  switch (check) {
    case Check::none:
      return;
    case Check::f_option:
      refine_f(match);
      return;
    case Check::g_option:
      if (mode.family == Family::clang &&
          (match.option == "-grecord-command-line" || match.option == "-grecord-gcc-switches")) {
        refuse(match, "records the command line, which names the preprocessed file");
      }
      return;
    case Check::m_option:
      if (ends_with(match.option, "=native")) {
        refuse(match, "tunes for the local CPU; the build server's may differ");
      }
      return;
    case Check::wp:
      refine_wp(match);
      return;
    case Check::wa:
      refine_wa(match);
      return;
    case Check::xclang:
      refine_xclang(match);
      return;
    case Check::imacros:
      if (mode.family == Family::clang && mode.rewrite_includes_only) {
        refuse(match, "clang -frewrite-includes drops -imacros");
      }
      return;
    case Check::record_switches:
      if (mode.family == Family::clang) {
        refuse(match, "records the command line, which names the preprocessed file");
      } else if (mode.rewrite_includes_only) {
        refuse(match, "would record the remote compile's -fdirectives-only");
      }
      return;
  }
}

}  // namespace sccache::compiler
