#!/usr/bin/env bash
# Builds libquant and runs every test suite: the meson tests (C unit, golden,
# oracle, ABI, install), the same suite under AddressSanitizer and
# UndefinedBehaviorSanitizer, the concurrency tests under ThreadSanitizer, the
# bindings, the NEON kernels under qemu, and the fuzzers for a bounded time. Ends with one line "N passed, N failed".
# Usage: bash tests/run-all.sh            (from the source root)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
passed=0; failed=0
declare -a failures=()

note() { printf '\n=== %s\n' "$*"; }
count() { # count NAME PASSED FAILED
  passed=$((passed + $2)); failed=$((failed + $3))
  [ "$3" -eq 0 ] || failures+=("$1: $3 failed")
  printf '%s: %d passed, %d failed\n' "$1" "$2" "$3"
}
step() { # step NAME COMMAND...: a step that is one pass or one fail
  if "${@:2}"; then count "$1" 1 0; else count "$1" 0 1; fi
}
meson_suite() { # meson_suite NAME BUILDDIR [meson test args...]
  local name=$1 dir=$2; shift 2
  meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" > "$dir/test-output.txt" 2>&1
  tail -n 12 "$dir/test-output.txt"
  local ok fail
  ok=$(/usr/bin/python3 -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)['result'] in ('OK','SKIP','EXPECTEDFAIL')))" "$dir/meson-logs/testlog.json" 2>/dev/null || echo 0)
  fail=$(/usr/bin/python3 -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)['result'] not in ('OK','SKIP','EXPECTEDFAIL')))" "$dir/meson-logs/testlog.json" 2>/dev/null || echo 1)
  count "$name" "$ok" "$fail"
}

note "dependencies"
step "install-deps" bash .ci/install-deps

note "build"
if [ ! -d build ]; then meson setup build >/dev/null; fi
step "build" meson compile -C build

note "tests"
meson_suite "meson tests" build

note "sanitizers (address, undefined)"
if [ ! -d build-asan ]; then
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
if meson compile -C build-asan >/dev/null; then
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    meson_suite "sanitized tests" build-asan --no-suite abi --no-suite interop
else
  count "sanitized build" 0 1
fi

note "thread sanitizer (suite concurrency)"
# Only the concurrency tests: they are the ones with threads sharing data.
# GCC's TSan with Debian's OpenBLAS reports nothing (OpenBLAS runs
# single-threaded under libquant), so no suppressions are needed.
if [ ! -d build-tsan ]; then
  meson setup build-tsan -Db_sanitize=thread -Db_lundef=false >/dev/null
fi
if meson compile -C build-tsan tests/concurrency/test_concurrency >/dev/null; then
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    meson_suite "thread-sanitized tests" build-tsan --suite concurrency --no-rebuild --timeout-multiplier 4
else
  count "thread-sanitized build" 0 1
fi

# Suites with runners of their own. Each prints a closing "NAME: N passed, N
# failed" line whose counts join the total; one that does not counts as one.
extra_suite() { # extra_suite NAME COMMAND...
  note "$1"
  local log; log=$(mktemp)
  "${@:2}" 2>&1 | tee "$log" | tail -n 40
  local rc=${PIPESTATUS[0]}
  local line; line=$(grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
  rm -f "$log"
  if [ -n "$line" ]; then
    local p f; p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<< "$line"); f=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<< "$line")
    [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
    count "$1" "$p" "$f"
  elif [ "$rc" -eq 0 ]; then count "$1" 1 0; else count "$1" 0 1; fi
}
[ -x bindings/run-tests.sh ] && extra_suite "bindings" bindings/run-tests.sh "$root/build"
[ -x tests/kernels/run-neon.sh ] && extra_suite "neon (qemu)" tests/kernels/run-neon.sh
[ -x tests/fuzz/run.sh ] && extra_suite "fuzz" tests/fuzz/run.sh "${LQ_FUZZ_SECONDS:-45}"

note "summary"
for f in "${failures[@]+"${failures[@]}"}"; do echo "  FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
