#include "client/cache/depfile.hpp"

#include <set>
#include <string>

namespace sccache::cache {
namespace fs = std::filesystem;

namespace {

// The words of one logical line (continuations already joined), unescaped.
std::vector<std::string> words_of(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  };
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\' && i + 1 < line.size() && (line[i + 1] == ' ' || line[i + 1] == '#')) {
      word += line[++i];
    } else if (c == '$' && i + 1 < line.size() && line[i + 1] == '$') {
      word += '$';
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      flush();
    } else {
      word += c;
    }
  }
  flush();
  return words;
}

// The text with every backslash-newline continuation replaced by a space.
std::string joined_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '\n') {
      out += ' ';
      ++i;
    } else if (text[i] == '\\' && i + 2 < text.size() && text[i + 1] == '\r' &&
               text[i + 2] == '\n') {
      out += ' ';
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::optional<std::vector<fs::path>> depfile_prerequisites(std::string_view text,
                                                           const fs::path& cwd) {
  const std::string joined = joined_lines(text);
  std::vector<fs::path> files;
  std::set<std::string> seen;
  bool any_rule = false;
  size_t pos = 0;
  while (pos < joined.size()) {
    size_t end = joined.find('\n', pos);
    if (end == std::string::npos) {
      end = joined.size();
    }
    const std::vector<std::string> words =
        words_of(std::string_view(joined).substr(pos, end - pos));
    pos = end + 1;
    if (words.empty()) {
      continue;
    }
    // Targets end at the first word that ends with ':' (or is one).
    size_t first = 0;
    while (first < words.size() && words[first].back() != ':') {
      ++first;
    }
    if (first == words.size()) {
      return std::nullopt;  // a line that is no rule
    }
    ++first;
    any_rule = true;
    for (size_t i = first; i < words.size(); ++i) {
      fs::path file(words[i]);
      file = (file.is_relative() ? cwd / file : file).lexically_normal();
      if (seen.insert(file.string()).second) {
        files.push_back(std::move(file));
      }
    }
  }
  if (!any_rule) {
    return std::nullopt;
  }
  return files;
}

}  // namespace sccache::cache
