#include "sandbox-bwrap/bwrap_command.hpp"

#include <charconv>
#include <tuple>

namespace sccache::sandbox_bwrap {

bool BwrapVersion::at_least(int major_, int minor_, int patch_) const {
  return std::tie(major, minor, patch) >= std::tie(major_, minor_, patch_);
}

std::optional<BwrapVersion> parse_bwrap_version(std::string_view output) {
  constexpr std::string_view prefix = "bubblewrap ";
  if (output.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  std::string_view rest = output.substr(prefix.size());
  rest = rest.substr(0, rest.find_first_of(" \n"));
  BwrapVersion version;
  version.text = std::string(rest);
  int* parts[] = {&version.major, &version.minor, &version.patch};
  size_t parsed = 0;
  const char* p = rest.data();
  const char* end = rest.data() + rest.size();
  while (parsed < 3 && p < end) {
    auto [next, ec] = std::from_chars(p, end, *parts[parsed]);
    if (ec != std::errc()) {
      break;
    }
    ++parsed;
    p = next;
    if (p == end || *p != '.') {
      break;
    }
    ++p;
  }
  if (parsed < 2) {  // "0.8" is fine, "0" or "x.y" is not
    return std::nullopt;
  }
  return version;
}

std::vector<std::string> bwrap_argv(const BwrapInvocation& inv) {
  std::vector<std::string> argv = {
      inv.bwrap.string(),
      "--die-with-parent",  // SIGKILL the sandbox if the spawning thread goes away
      "--new-session",      // no TIOCSTI into a controlling terminal
      "--cap-drop", "ALL",  // bwrap keeps root's capabilities otherwise
      // One by one: --unshare-all silently skips namespaces it cannot create.
      "--unshare-user", "--unshare-cgroup", "--unshare-ipc", "--unshare-pid", "--unshare-net",
      "--unshare-uts",
      // Cosmetic: bwrap maps the sandbox uid to the caller's (root), so this only makes the job
      // see itself (and its root-owned tree) as "nobody"; writes still work. The isolation comes
      // from the namespaces, --cap-drop ALL and no_new_privs, not from this uid.
      "--uid", "65534", "--gid", "65534",
      // The root bind must come before --proc/--dev, which mount on top of it.
      inv.read_only_root ? "--ro-bind" : "--bind", inv.root.string(), "/", "--proc", "/proc",
      "--dev", "/dev", "--chdir", inv.cwd};
  for (const auto& [host, inside] : inv.ro_binds) {
    argv.insert(argv.end(), {"--ro-bind", host, inside});
  }
  if (inv.clearenv) {
    argv.push_back("--clearenv");
  }
  if (inv.info_fd3) {
    argv.insert(argv.end(), {"--info-fd", "3"});
  }
  for (const auto& [key, value] : inv.environment) {
    if (key.empty() || key.find('=') != std::string::npos) {
      continue;
    }
    argv.insert(argv.end(), {"--setenv", key, value});
  }
  argv.push_back("--");
  argv.push_back(inv.executable);
  argv.insert(argv.end(), inv.arguments.begin(), inv.arguments.end());
  return argv;
}

std::optional<int> parse_bwrap_child_pid(std::string_view info_json) {
  constexpr std::string_view key = "\"child-pid\"";
  auto at = info_json.find(key);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  auto digits = info_json.find_first_of("0123456789", at + key.size());
  if (digits == std::string_view::npos) {
    return std::nullopt;
  }
  int pid = 0;
  auto [end, ec] =
      std::from_chars(info_json.data() + digits, info_json.data() + info_json.size(), pid);
  (void)end;
  if (ec != std::errc() || pid <= 1) {
    return std::nullopt;
  }
  return pid;
}

std::optional<std::string> bwrap_failure(int exit_code, std::string_view stderr_text) {
  constexpr std::string_view prefix = "bwrap: ";
  if (exit_code != 1 || stderr_text.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  auto line = stderr_text.substr(0, stderr_text.find('\n'));
  return std::string(line);
}

}  // namespace sccache::sandbox_bwrap
