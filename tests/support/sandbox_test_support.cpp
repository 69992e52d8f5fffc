#include "support/sandbox_test_support.hpp"

#include <set>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace sccache::test {
namespace fs = std::filesystem;

namespace {

std::string first_word(const std::string& text) {
  std::istringstream in(text);
  std::string word;
  in >> word;
  return word;
}

RunResult must_run(std::vector<std::string> argv) {
  std::string shown = argv.at(0);
  RunResult result = run(std::move(argv));
  if (result.exit_code != 0) {
    throw std::runtime_error(shown + " failed: " + result.err);
  }
  return result;
}

// Collects `path` for the archive as stored on the host: every symlink met on the way (as a
// symlink) and finally the real file, so the path resolves the same way inside the tree.
void add_path(const fs::path& path, std::set<std::string>& entries, int depth = 0) {
  if (depth > 40) {
    throw std::runtime_error("symlink loop at " + path.string());
  }
  fs::path current = "/";
  for (auto part = path.begin(); part != path.end(); ++part) {
    if (*part == "/") {
      continue;
    }
    fs::path next = current / *part;
    if (fs::is_symlink(next)) {
      entries.insert(next.relative_path().string());
      fs::path target = fs::read_symlink(next);
      fs::path resolved = target.is_absolute() ? target : current / target;
      for (auto rest = std::next(part); rest != path.end(); ++rest) {
        resolved /= *rest;
      }
      add_path(resolved.lexically_normal(), entries, depth + 1);
      return;
    }
    current = next;
  }
  entries.insert(path.relative_path().string());
}

// The libraries `file` loads, as ldd prints them (plus the dynamic loader).
std::vector<std::string> shared_libraries(const std::string& file) {
  std::vector<std::string> libraries;
  std::istringstream lines(must_run({"ldd", file}).out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    for (std::string word; words >> word;) {
      if (word.front() == '/') {
        libraries.push_back(word);
      }
    }
  }
  return libraries;
}

TempDir& archive_dir() {
  static TempDir dir("sccache-sandbox-toolchains");
  return dir;
}

}  // namespace

std::string build_toolchain(const std::vector<std::string>& files, const fs::path& archive,
                            const std::string& tar_compress_flag) {
  std::set<std::string> entries;
  for (const auto& file : files) {
    add_path(file, entries);
    if (::access(file.c_str(), X_OK) == 0) {  // a program: take its libraries too
      for (const auto& library : shared_libraries(file)) {
        add_path(library, entries);
      }
    }
  }
  std::vector<std::string> argv = {"tar", "-C", "/", "--no-recursion", "-cf", archive.string()};
  if (!tar_compress_flag.empty()) {
    argv.push_back(tar_compress_flag);
  }
  argv.insert(argv.end(), entries.begin(), entries.end());
  must_run(argv);
  return archive_id(archive);
}

std::string archive_id(const fs::path& archive) {
  return first_word(must_run({"sha256sum", archive.string()}).out);
}

const ToolchainArchive& full_toolchain() {
  static const ToolchainArchive archive = [] {
    std::string cc1 = first_word(must_run({"gcc-12", "-print-prog-name=cc1"}).out);
    std::string as = first_word(must_run({"gcc-12", "-print-prog-name=as"}).out);
    if (as.find('/') == std::string::npos) {  // gcc finds `as` on PATH
      as = "/usr/bin/" + as;
    }
    ToolchainArchive result;
    const bool zstd = ::access("/usr/bin/zstd", X_OK) == 0;
    result.archive = archive_dir() / (zstd ? "full.tar.zst" : "full.tar");
    result.id = build_toolchain(
        {"/bin/bash", "/bin/cat", "/bin/ls", "/bin/ln", "/bin/sleep", "/bin/rm", "/usr/bin/tail",
         "/usr/bin/truncate", "/usr/bin/gcc-12", cc1, as, "/usr/include/stdc-predef.h"},
        result.archive, zstd ? "--zstd" : "");
    return result;
  }();
  return archive;
}

const ToolchainArchive& small_toolchain() {
  static const ToolchainArchive archive = [] {
    ToolchainArchive result;
    result.archive = archive_dir() / "small.tar.gz";
    result.id = build_toolchain({"/bin/bash", "/bin/cat", "/bin/sleep"}, result.archive, "-z");
    return result;
  }();
  return archive;
}

TestJob::TestJob(const std::string& toolchain_id, const std::string& cwd,
                 std::vector<std::string> argv) {
  fs::create_directories(dir.path() / "inputs");
  fs::create_directories(dir.path() / "outputs");
  job.toolchain_id = toolchain_id;
  job.executable = argv.at(0);
  job.arguments.assign(argv.begin() + 1, argv.end());
  job.cwd = cwd;
  job.inputs_root = dir.path() / "inputs";
  job.outputs_root = dir.path() / "outputs";
  job.timeout = std::chrono::seconds(60);
}

void TestJob::add_input(const std::string& path, const std::string& contents) const {
  write_file(job.inputs_root / fs::path(path).relative_path(), contents);
}

fs::path TestJob::output(const std::string& path) const {
  return job.outputs_root / fs::path(path).relative_path();
}

SandboxResult run_bash_in(Sandbox& sandbox, const std::string& script,
                          std::vector<std::string> outputs) {
  TestJob t(full_toolchain().id, "/work/dir", {"/bin/bash", "-c", script});
  t.job.outputs = std::move(outputs);
  return sandbox.run(t.job);
}

std::string sandbox_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const SandboxError& e) {
    return e.what();
  }
  return "(no SandboxError)";
}

}  // namespace sccache::test
