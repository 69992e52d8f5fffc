#include "client/program_path.hpp"

#include <algorithm>
#include <unistd.h>

namespace sccache {
namespace fs = std::filesystem;

fs::path self_executable() {
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec);
}

std::vector<fs::path> sccache_programs() {
  const fs::path self = self_executable();
  std::vector<fs::path> programs = {self};
  std::error_code ec;
  const fs::path wrapper = fs::canonical(self.parent_path() / "../../bin/sccache", ec);
  if (!ec) {
    programs.push_back(wrapper);
  }
  return programs;
}

fs::path find_in_path(const std::string& name, std::string_view path_env,
                      const std::vector<fs::path>& skip) {
  std::string_view rest = path_env;
  while (true) {
    size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) {
      std::error_code ec;
      const fs::path real = fs::canonical(candidate, ec);
      if (std::find(skip.begin(), skip.end(), real) == skip.end()) {
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
