#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <signal.h>
#include <vector>

#include "plugins/sandbox_conformance/conformance.hpp"

namespace sccache::test::conformance {
namespace {

// The pids of the processes whose argv[0] is `token`.
std::vector<pid_t> processes_named(const std::string& token) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        })) {
      continue;
    }
    std::ifstream cmdline(entry.path() / "cmdline", std::ios::binary);
    std::string argv0;
    std::getline(cmdline, argv0, '\0');
    if (argv0 == token) {
      pids.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return pids;
}

}  // namespace

SandboxResult run_bash(const std::string& script, std::vector<std::string> outputs) {
  return run_bash_in(*shared(), script, std::move(outputs));
}

JobMarker::JobMarker() {
  std::random_device random;
  m_token = "sccache-job-marker-" + std::to_string(random()) + std::to_string(random());
}

JobMarker::~JobMarker() {
  release();
}

std::string JobMarker::command() const {
  return "(exec -a " + m_token + " /bin/sleep 300)";
}

bool JobMarker::running() const {
  return !processes_named(m_token).empty();
}

bool JobMarker::wait_running(std::chrono::milliseconds timeout) const {
  return wait_until([&] { return running(); }, timeout);
}

void JobMarker::release() const {
  for (pid_t pid : processes_named(m_token)) {
    ::kill(pid, SIGKILL);
  }
}

}  // namespace sccache::test::conformance
