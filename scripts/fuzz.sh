#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with ASan + UBSan) into ./build-fuzz (or
# $FUZZ_BUILD_DIR) and runs each for the given time from its seeds, growing a working corpus in
# .work/fuzz/<target>. Crashes go to .work/fuzz/crashes/<target>/; the script exits non-zero if
# any target crashed, after printing each target's executions, coverage and corpus size.
#
# Usage: scripts/fuzz.sh [seconds per target (60)] [target...]   (default: every target)
# FUZZ_JOBS: targets run at once (1); BUILD_JOBS: compile jobs (2: the box is shared);
# FUZZ_WORK_DIR: instead of .work/fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
SECONDS_PER_TARGET=${1:-60}
shift || true
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
WORK=${FUZZ_WORK_DIR:-$PWD/.work/fuzz}
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSCCACHE_FUZZ=ON >/dev/null
fi
cmake --build "$BUILD" --target fuzzers -j "${BUILD_JOBS:-2}"
# "<target> <max_len>" a line, written by tests/fuzz/CMakeLists.txt.
declare -A max_len
while read -r name len; do max_len[$name]=$len; done <"$BUILD/tests/fuzz/fuzzers.txt"
targets=("$@")
if ((${#targets[@]} == 0)); then
  while read -r name _; do targets+=("$name"); done <"$BUILD/tests/fuzz/fuzzers.txt"
fi
for t in "${targets[@]}"; do
  [[ -n ${max_len[$t]:-} ]] || { echo "fuzz.sh: no fuzz target $t" >&2; exit 2; }
done
"$BUILD/bin/fuzz_make_seeds" "$WORK"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# One target's run; its status file gets libFuzzer's exit status (non-zero: a crash, leak,
# timeout or OOM).
run() {
  local t=$1 status=0
  mkdir -p "$WORK/$t" "$WORK/crashes/$t"
  "$BUILD/bin/$t" -max_total_time="$SECONDS_PER_TARGET" -max_len="${max_len[$t]}" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$WORK/crashes/$t/" \
    "$WORK/$t" "tests/fuzz/corpus/$t" >"$WORK/$t.log" 2>&1 || status=$?
  echo "$status" >"$WORK/$t.status"
}

running=0
for t in "${targets[@]}"; do
  if ((running >= ${FUZZ_JOBS:-1})); then
    wait -n || true
    running=$((running - 1))
  fi
  run "$t" &
  running=$((running + 1))
done
wait

failed=0
printf '%-24s %12s %8s %8s %8s %s\n' target execs cov ft corpus result
for t in "${targets[@]}"; do
  log="$WORK/$t.log"
  result=ok
  if [[ $(cat "$WORK/$t.status") != 0 ]]; then
    result="CRASH (see $log and $WORK/crashes/$t/)"
    failed=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%-24s %12s %8s %8s %8s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "$(find "$WORK/$t" -type f | wc -l)" "$result"
done
exit $failed
