// Catch2's main, plus the "skip loudly" convention: a test binary that cannot run its component
// calls sccache::test::skip_whole_binary(), which prints why and exits with code 125 (ctest:
// SKIPPED).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
