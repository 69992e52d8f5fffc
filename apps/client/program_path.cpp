#include "client/program_path.hpp"

#include <unistd.h>

namespace sccache {
namespace fs = std::filesystem;

fs::path self_executable() {
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec);
}

fs::path find_in_path(const std::string& name, std::string_view path_env, const fs::path& self) {
  std::string_view rest = path_env;
  while (true) {
    size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) {
      std::error_code ec;
      if (fs::canonical(candidate, ec) != self) {
        return fs::absolute(candidate).lexically_normal();
      }
    }
    if (colon == std::string_view::npos) {
      return {};
    }
    rest = rest.substr(colon + 1);
  }
}

}  // namespace sccache
