#!/usr/bin/env bash
# Builds libquant and runs every test suite: the meson tests (C unit, golden,
# oracle, ABI, install), the same suite under AddressSanitizer and
# UndefinedBehaviorSanitizer, the bindings, the NEON kernels under qemu, and
# the fuzzers for a bounded time. Ends with one line "N passed, N failed".
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
    meson_suite "sanitized tests" build-asan --no-suite abi
else
  count "sanitized build" 0 1
fi

for extra in bindings/run-tests.sh tests/kernels/run-neon.sh tests/fuzz/run.sh; do
  if [ -x "$extra" ]; then
    note "$extra"
    step "$extra" "./$extra" "$root/build"
  fi
done

note "summary"
for f in "${failures[@]+"${failures[@]}"}"; do echo "  FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
