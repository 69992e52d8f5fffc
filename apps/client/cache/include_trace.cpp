#include "client/cache/include_trace.hpp"

#include <set>

namespace sccache::cache {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_guard_report = "Multiple include guards may be useful for:";

// The path of a trace line ("... path", "! path.gch", "x path.gch"), else "". `used` says
// whether the compile read the file (a rejected precompiled header it did not).
std::string_view traced_path(std::string_view line, bool* used) {
  *used = true;
  size_t dots = 0;
  while (dots < line.size() && line[dots] == '.') {
    ++dots;
  }
  if (dots > 0) {
    return dots + 1 < line.size() && line[dots] == ' ' ? line.substr(dots + 1) : "";
  }
  if (line.size() > 2 && (line[0] == '!' || line[0] == 'x') && line[1] == ' ' &&
      line.ends_with(".gch")) {
    *used = line[0] == '!';
    return line.substr(2);
  }
  return "";
}

}  // namespace

IncludeTrace split_include_trace(std::string_view text, const fs::path& cwd) {
  IncludeTrace out;
  std::set<std::string> printed;  // paths as the trace printed them
  std::set<std::string> seen;     // normalized, for `files`
  bool in_guard_report = false;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    const std::string_view line_with_end = text.substr(pos, end - pos);
    const std::string_view line =
        nl == std::string_view::npos ? line_with_end : line_with_end.substr(0, nl - pos);
    pos = end;
    if (nl != std::string_view::npos) {  // only whole lines are the trace's
      if (in_guard_report && printed.count(std::string(line)) != 0) {
        continue;
      }
      in_guard_report = false;
      if (line == k_guard_report) {
        in_guard_report = true;
        continue;
      }
      bool used = true;
      const std::string_view path = traced_path(line, &used);
      if (!path.empty()) {
        printed.insert(std::string(path));
        if (used) {
          fs::path file(path);
          file = (file.is_relative() ? cwd / file : file).lexically_normal();
          if (seen.insert(file.string()).second) {
            out.files.push_back(std::move(file));
          }
        }
        continue;
      }
    }
    out.diagnostics.append(line_with_end);
  }
  return out;
}

}  // namespace sccache::cache
