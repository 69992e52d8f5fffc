// util::FileLock: an flock held until destruction. try_acquire fails while another holder has the
// lock — another FileLock of this process or another process — and succeeds once it is released
// or its holder dies; shared locks coexist, and exclude an exclusive one.
#include <atomic>
#include <fstream>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "util/file_lock.hpp"

#include "support/test_support.hpp"

using namespace sccache::test;
using util::FileLock;
using util::LockMode;

TEST_CASE("try_acquire fails while another FileLock holds the lock, and succeeds after") {
  TempDir dir;
  const auto file = dir / "lock";
  {
    FileLock held(file);
    CHECK_FALSE(FileLock::try_acquire(file).has_value());
    CHECK_FALSE(FileLock::try_acquire(file, LockMode::shared).has_value());
  }
  auto again = FileLock::try_acquire(file);
  REQUIRE(again.has_value());
  CHECK(again->fd() >= 0);
  // Moving the lock keeps it held.
  FileLock moved = std::move(*again);
  CHECK_FALSE(FileLock::try_acquire(file).has_value());
}

TEST_CASE("shared locks coexist and exclude an exclusive one") {
  TempDir dir;
  const auto file = dir / "lock";
  FileLock first(file, LockMode::shared);
  auto second = FileLock::try_acquire(file, LockMode::shared);
  CHECK(second.has_value());
  CHECK_FALSE(FileLock::try_acquire(file, LockMode::exclusive).has_value());
}

TEST_CASE("a lock held by another process excludes this one until that process dies") {
  TempDir dir;
  const auto file = dir / "lock";
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    FileLock held(file);
    char byte = 'L';
    if (::write(ready[1], &byte, 1) != 1) {
      ::_exit(1);
    }
    ::pause();  // until killed: a holder that never releases
    ::_exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);  // the child holds the lock now
  ::close(ready[0]);
  CHECK_FALSE(FileLock::try_acquire(file).has_value());
  ::kill(child, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(FileLock::try_acquire(file).has_value());  // the lock died with its holder
}

// The syscall a thread of this process is blocked in ("73 0x..." for flock on x86-64), from
// /proc/self/task/<tid>/syscall; "" if it cannot be read.
std::string blocked_syscall(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  std::string number;
  in >> number;
  return number;
}

TEST_CASE("the blocking constructor waits until the holder releases") {
  TempDir dir;
  const auto file = dir / "lock";
  std::atomic<pid_t> waiter_tid{0};
  std::atomic<bool> released{false};
  std::atomic<bool> saw_release{false};
  auto held = std::make_unique<FileLock>(file);
  std::thread waiter([&] {
    waiter_tid = static_cast<pid_t>(::syscall(SYS_gettid));
    FileLock mine(file);
    saw_release = released.load();
  });
  // The handshake: the waiter is blocked in flock() on the held lock.
  const bool blocked = wait_until(
      [&] { return waiter_tid != 0 && blocked_syscall(waiter_tid) == std::to_string(SYS_flock); },
      std::chrono::seconds(10));
  released = true;
  held.reset();
  waiter.join();
  CHECK(blocked);
  CHECK(saw_release);
}

TEST_CASE("a lock file that cannot be opened throws") {
  CHECK_THROWS_AS(FileLock("/nonexistent-dir/lock"), std::runtime_error);
  CHECK_THROWS_AS(FileLock::try_acquire("/nonexistent-dir/lock"), std::runtime_error);
}
