#include "client/cache/include_list.hpp"

#include <cctype>
#include <cstring>
#include <set>

namespace sccache::cache {
namespace fs = std::filesystem;

namespace {

// The path inside the quotes of a line marker, unescaped (\\ and \"), or "" if there is none.
std::string marker_path(std::string_view line) {
  const size_t open = line.find('"');
  if (open == std::string_view::npos) {
    return {};
  }
  std::string path;
  for (size_t i = open + 1; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\' && i + 1 < line.size()) {
      path += line[++i];
    } else if (c == '"') {
      return path;
    } else {
      path += c;
    }
  }
  return {};  // unterminated
}

}  // namespace

bool is_line_marker(std::string_view line) {
  // "# 12 \"file\"" or "#line 12 \"file\""
  if (line.size() < 4 || line[0] != '#') {
    return false;
  }
  size_t i = 1;
  if (line.substr(1).starts_with("line")) {
    i = 5;
  }
  if (i >= line.size() || line[i] != ' ') {
    return false;
  }
  ++i;
  return i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]));
}

std::vector<fs::path> included_files(std::string_view unit, const fs::path& cwd) {
  std::vector<fs::path> files;
  std::set<std::string> seen;
  size_t pos = 0;
  while (pos < unit.size()) {
    const char* nl =
        static_cast<const char*>(std::memchr(unit.data() + pos, '\n', unit.size() - pos));
    const size_t end = nl ? static_cast<size_t>(nl - unit.data()) : unit.size();
    const std::string_view line = unit.substr(pos, end - pos);
    pos = end + 1;
    if (!is_line_marker(line)) {
      continue;
    }
    std::string path = marker_path(line);
    if (path.empty() || path.front() == '<' || path.ends_with("//")) {
      continue;
    }
    fs::path file = fs::path(path);
    if (file.is_relative()) {
      file = cwd / file;
    }
    file = file.lexically_normal();
    if (seen.insert(file.string()).second) {
      files.push_back(std::move(file));
    }
  }
  return files;
}

}  // namespace sccache::cache
