#!/usr/bin/env bash
# The whole tree built with AddressSanitizer and UndefinedBehaviorSanitizer (gcc) into
# ./build-asan (or $ASAN_BUILD_DIR), then every test run against it. Not part of CI: it roughly
# doubles the suite's time. Extra arguments go to ctest (e.g. -R test_wire).
#
# Leak detection is off: the daemons and the local server are stopped by signals in the tests
# and exit without freeing what lives until exit; every other ASan and UBSan report fails.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ASAN_BUILD_DIR:-build-asan}
FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS="$FLAGS" -DCMAKE_CXX_FLAGS="$FLAGS" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined"
fi
cmake --build "$BUILD" -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
cd "$BUILD"
ctest --output-on-failure --timeout 1800 "$@"
