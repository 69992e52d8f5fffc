#include "sccache/sandbox.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

namespace sccache {

SandboxError::~SandboxError() = default;
Sandbox::~Sandbox() = default;
SandboxFactory::~SandboxFactory() = default;

namespace {

bool has_nul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

}  // namespace

bool is_toolchain_id(std::string_view id) noexcept {
  return id.size() == 64 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

void require_toolchain_id(std::string_view id) {
  if (is_toolchain_id(id)) {
    return;
  }
  std::string shown(id.substr(0, 80));
  std::replace_if(
      shown.begin(), shown.end(), [](char c) { return c < 0x20 || c > 0x7e; }, '?');
  throw SandboxError(fmt::format(
      "invalid toolchain id \"{}\": expected a lowercase hex SHA-256 (64 characters 0-9a-f)",
      shown));
}

void validate_sandbox_job(const SandboxJob& job) {
  if (job.executable.empty() || job.executable.front() != '/') {
    throw SandboxError(
        fmt::format("the executable must be an absolute path, not \"{}\"", job.executable));
  }
  if (job.cwd.empty() || job.cwd.front() != '/') {
    throw SandboxError(fmt::format("the job's cwd must be an absolute path, not \"{}\"", job.cwd));
  }
  bool nul = has_nul(job.executable) || has_nul(job.cwd);
  for (const auto& arg : job.arguments) {
    nul = nul || has_nul(arg);
  }
  for (const auto& [key, value] : job.environment) {
    nul = nul || has_nul(key) || has_nul(value);
  }
  for (const auto& output : job.outputs) {
    nul = nul || has_nul(output);
  }
  if (nul) {
    throw SandboxError("a job path, argument or environment entry contains a NUL byte");
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(job.inputs_root, ec)) {
    throw SandboxError(
        fmt::format("the job's inputs_root {} is not a directory", job.inputs_root.string()));
  }
  if (job.outputs_root.empty()) {
    throw SandboxError("the job has no outputs_root");
  }
}

std::string job_path(std::string_view cwd, std::string_view path) {
  const std::filesystem::path given(path);
  const std::filesystem::path joined =
      given.is_absolute() ? given : std::filesystem::path(cwd) / given;
  std::vector<std::string> parts;
  for (const auto& part : joined) {
    const std::string p = part.string();
    if (p == "/" || p.empty() || p == ".") {
      continue;
    }
    if (p == "..") {
      if (!parts.empty()) {
        parts.pop_back();
      }
      continue;
    }
    parts.push_back(p);
  }
  std::string result;
  for (const auto& p : parts) {
    result += "/" + p;
  }
  return result.empty() ? "/" : result;
}

}  // namespace sccache
