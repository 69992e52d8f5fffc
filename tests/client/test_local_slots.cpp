// LocalSlot: N slots give N holders at once, the N+1th gets nullopt without blocking, a released
// slot (or one whose holding process died) is free again.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "client/local_slots.hpp"
#include "support/test_support.hpp"

using namespace sccache;
using namespace sccache::test;

TEST_CASE("N slots give N holders, the next one gets nullopt, a released slot is free again") {
  TempDir dir;
  const auto slots = dir / "slots";  // made on first use
  std::vector<std::optional<LocalSlot>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(LocalSlot::try_acquire(slots, 3));
    CHECK(held.back().has_value());
  }
  CHECK_FALSE(LocalSlot::try_acquire(slots, 3).has_value());
  held[1].reset();
  auto again = LocalSlot::try_acquire(slots, 3);
  CHECK(again.has_value());
  CHECK_FALSE(LocalSlot::try_acquire(slots, 3).has_value());
  held.clear();
  again.reset();
  for (int i = 0; i < 3; ++i) {
    held.push_back(LocalSlot::try_acquire(slots, 3));
    CHECK(held.back().has_value());
  }
}

TEST_CASE("a slot held by another process is taken until that process ends") {
  TempDir dir;
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    auto slot = LocalSlot::try_acquire(dir.path(), 1);
    char byte = slot ? 'y' : 'n';
    if (::write(ready[1], &byte, 1) != 1) {
      ::_exit(1);
    }
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  ::close(ready[0]);
  REQUIRE(byte == 'y');
  CHECK_FALSE(LocalSlot::try_acquire(dir.path(), 1).has_value());
  ::kill(child, SIGKILL);
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  CHECK(LocalSlot::try_acquire(dir.path(), 1).has_value());
}

TEST_CASE("zero slots count as one; an unusable directory gives no slot") {
  TempDir dir;
  auto one = LocalSlot::try_acquire(dir / "zero", 0);
  CHECK(one.has_value());
  CHECK_FALSE(LocalSlot::try_acquire(dir / "zero", 0).has_value());
  write_file(dir / "a-file", "not a directory");
  CHECK_FALSE(LocalSlot::try_acquire(dir / "a-file", 4).has_value());
}
