#include "client/compiler/output_names.hpp"

namespace sccache::compiler {

std::string input_stem(Family family, std::string_view input) {
  std::string_view name = file_name(input);
  if (name == "." || name == "..") {
    return std::string(name);
  }
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || (dot == 0 && family == Family::gcc)) {
    return std::string(name);
  }
  return std::string(name.substr(0, dot));
}

std::string default_object_path(Family family, std::string_view input) {
  return input_stem(family, input) + ".o";
}

std::string replace_suffix(std::string_view path, std::string_view suffix) {
  auto slash = path.rfind('/');
  auto dot = path.rfind('.');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    path = path.substr(0, dot);
  }
  return std::string(path) + std::string(suffix);
}

std::string default_depfile_path(Family family, std::string_view input,
                                 const std::optional<std::string>& output) {
  if (output) {
    return replace_suffix(*output, ".d");
  }
  return input_stem(family, input) + ".d";
}

}  // namespace sccache::compiler
