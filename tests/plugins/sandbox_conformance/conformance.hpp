// The sandbox conformance suite: what every sandbox plugin promises the build server
// (core/sandbox.hpp), as Catch2 test cases tagged [conformance]. A sandbox's test binary gets
// them by linking the sccache_sandbox_conformance object library and defining the three
// functions below for its sandbox; its own test files then cover only what is particular to it
// (configuration, readiness, its backing store, its limits).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "sccache/sandbox.hpp"

#include "support/sandbox_test_support.hpp"

namespace sccache::test::conformance {

// One sandbox under test, with what the suite needs to see of its backing store.
class SandboxUnderTest {
 public:
  virtual ~SandboxUnderTest() = default;
  virtual Sandbox& sandbox() = 0;
  // Toolchains held in the backing store (unpacked trees, images), including evicted ones that
  // a running job still uses.
  virtual size_t stored_toolchains() const = 0;
  // True once nothing kept for finished jobs is left (job directories, used containers). May wait
  // a bounded time for cleanup that the sandbox does in the background.
  virtual bool finished_jobs_cleaned_up() const = 0;
  // Whether an exit code above 128 is told apart from death by signal code - 128. A sandbox that
  // cannot (bubblewrap reports both alike) must report the signal: the client then compiles
  // locally, which is slower but never wrong.
  virtual bool tells_high_exit_codes_from_signals() const = 0;

  Sandbox& operator*() { return sandbox(); }
  Sandbox* operator->() { return &sandbox(); }
};

// A SandboxUnderTest over a test binary's own sandbox fixture (which has operator-> and
// operator* yielding the Sandbox): owned, or borrowed from a longer-lived shared one.
template <typename Fixture>
class FixtureUnderTest : public SandboxUnderTest {
 public:
  explicit FixtureUnderTest(std::unique_ptr<Fixture> owned)
      : m_owned(std::move(owned)), m_fixture(*m_owned) {}
  explicit FixtureUnderTest(Fixture& borrowed) : m_fixture(borrowed) {}
  Sandbox& sandbox() override { return *m_fixture; }

 protected:
  Fixture& fixture() const { return m_fixture; }

 private:
  std::unique_ptr<Fixture> m_owned;
  Fixture& m_fixture;
};

// Defined by each test binary for its sandbox. ------------------------------------------------

// Skips the whole binary, loudly, when this machine cannot run the sandbox at all.
void require_backend();
// A ready sandbox with full_toolchain() prepared, shared by the binary's tests.
SandboxUnderTest& shared();
// A ready sandbox of its own (check_ready done, nothing prepared), in its default configuration.
std::unique_ptr<SandboxUnderTest> fresh();

// For the suite. --------------------------------------------------------------------------------

// Runs `bash -c script` in shared() with cwd /work/dir.
SandboxResult run_bash(const std::string& script, std::vector<std::string> outputs = {});

// A handshake with a running job, instead of sleeping and hoping it got somewhere. The job's
// script runs command() at the point the test waits for: a /bin/sleep whose argv[0] is a token
// unique to this marker, which waits there until the test calls release(). The host sees every
// sandbox's processes in its /proc, so wait_running() finds it there whichever sandbox runs the
// job. The destructor releases too, so a failed test never leaves a job waiting.
class JobMarker {
 public:
  JobMarker();
  ~JobMarker();
  JobMarker(const JobMarker&) = delete;
  JobMarker& operator=(const JobMarker&) = delete;

  // For the job's bash script: "(exec -a <token> /bin/sleep 300)"; the script goes on when it
  // is released (the sleep is killed).
  std::string command() const;
  const std::string& token() const { return m_token; }
  // Polls /proc until the marker runs; false after `timeout`.
  bool wait_running(std::chrono::milliseconds timeout) const;
  bool running() const;
  // Kills the marker's processes, so the job's script goes on.
  void release() const;

 private:
  std::string m_token;
};

}  // namespace sccache::test::conformance
