#include "client/source_files.hpp"

#include <cctype>
#include <set>

namespace sccache {
namespace fs = std::filesystem;

namespace {

// Parses `# <line> "<file>" <flags...>` (and `#line <n> "<file>"`); false if not a marker.
bool parse_marker(std::string_view line, std::string* file, bool* system) {
  if (line.starts_with("#line ")) {
    line.remove_prefix(6);
  } else if (line.starts_with("# ")) {
    line.remove_prefix(2);
  } else {
    return false;
  }
  size_t quote = line.find('"');
  if (quote == std::string_view::npos || quote == 0 || line[0] < '0' || line[0] > '9') {
    return false;
  }
  file->clear();
  size_t i = quote + 1;
  for (; i < line.size() && line[i] != '"'; ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      ++i;  // the preprocessor escapes '"' and '\' in file names
    }
    file->push_back(line[i]);
  }
  std::string_view flags = i < line.size() ? line.substr(i + 1) : std::string_view();
  *system = flags.find(" 3") != std::string_view::npos;
  return true;
}

// Drops ANSI colour sequences (ESC [ ... letter), which -fdiagnostics-color puts around paths.
std::string without_colours(std::string_view line) {
  std::string plain;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\x1b' && i + 1 < line.size() && line[i + 1] == '[') {
      i += 2;
      while (i < line.size() && !std::isalpha(static_cast<unsigned char>(line[i]))) {
        ++i;
      }
      continue;
    }
    plain.push_back(line[i]);
  }
  return plain;
}

}  // namespace

ReferencedFiles referenced_files(std::string_view text, const fs::path& cwd) {
  std::set<std::string> seen;
  ReferencedFiles files;
  size_t pos = 0;
  std::string name;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    bool system = false;
    if (line.empty() || line[0] != '#' || !parse_marker(line, &name, &system)) {
      continue;
    }
    if (name.empty() || name.front() == '<' || !seen.insert(name).second) {
      continue;  // <built-in>, <command-line>
    }
    fs::path path = (cwd / name).lexically_normal();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      continue;
    }
    (system ? files.system : files.project).push_back(std::move(path));
  }
  return files;
}

bool diagnostics_point_into(std::string_view stderr_text, const std::vector<fs::path>& files,
                            const fs::path& cwd) {
  if (files.empty() || stderr_text.empty()) {
    return false;
  }
  std::set<std::string> names;
  for (const auto& f : files) {
    names.insert(f.string());
  }
  size_t pos = 0;
  while (pos < stderr_text.size()) {
    size_t end = stderr_text.find('\n', pos);
    const std::string line =
        without_colours(stderr_text.substr(pos, end == std::string_view::npos ? end : end - pos));
    pos = end == std::string_view::npos ? stderr_text.size() : end + 1;
    // "path:line:col: " — the path ends at the first ':' followed by a digit.
    for (size_t colon = line.find(':'); colon != std::string_view::npos;
         colon = line.find(':', colon + 1)) {
      if (colon + 1 < line.size() && line[colon + 1] >= '0' && line[colon + 1] <= '9') {
        const std::string candidate = (cwd / line.substr(0, colon)).lexically_normal();
        if (names.count(candidate) != 0) {
          return true;
        }
        break;
      }
    }
  }
  return false;
}

}  // namespace sccache
