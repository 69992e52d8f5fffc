#!/usr/bin/env bash
# The whole tree built with AddressSanitizer and UndefinedBehaviorSanitizer (gcc) into
# ./build-asan (or $ASAN_BUILD_DIR), then every test run against it. Not part of CI: it roughly
# doubles the suite's time. Extra arguments go to ctest (e.g. -R test_wire); BUILD_JOBS sets the
# compile jobs (default: every CPU).
#
# Every ASan and UBSan report fails its test (UBSan does not recover, ASan aborts). Leak
# detection is off: the daemons and the local server are stopped by signals in the tests and exit
# without freeing what lives until exit, forked children _exit or exec without freeing the
# parent's heap, and LeakSanitizer cannot stop the world inside the tests' namespaces.
# The static sandbox helpers are built without sanitizers (plugins' CMakeLists.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD=${ASAN_BUILD_DIR:-build-asan}
FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  CC=gcc CXX=g++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS="$FLAGS" -DCMAKE_CXX_FLAGS="$FLAGS" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined"
fi
cmake --build "$BUILD" -j "${BUILD_JOBS:-$(nproc)}"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
cd "$BUILD"
ctest --output-on-failure --timeout 1800 "$@"
