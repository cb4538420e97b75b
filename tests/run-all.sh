#!/usr/bin/env bash
# Builds libquant and runs every test suite: the meson tests (C unit, golden,
# oracle, ABI, install, layering), the same tests again at the forced kernel
# levels LQ_ARCH=avx2 and LQ_ARCH=ref, the suite under AddressSanitizer and
# UndefinedBehaviorSanitizer, the concurrency tests under ThreadSanitizer, the bindings, the NEON kernels under qemu, and
# the fuzzers for a bounded time. Ends with one line
# "N passed, N failed, N skipped"; a skip is never counted as a pass.
#
# Usage: bash tests/run-all.sh            (from the source root)
# Environment:
#   LQ_RUN_ONLY="tests levels ..."  run only these parts (deps build tests
#                                   levels asan tsan bindings neon fuzz); default all
#   LQ_REQUIRE_ORACLE=1             the llama.cpp oracle must be there: every
#                                   comparison that would skip without it fails
#                                   (.ci/run sets it; see tests/oracle.h)
#   LQ_ORACLE_DIR                   where .ci/install-deps put the oracle
#                                   (default ~/.cache/libquant/npm)
#   LQ_FUZZ_SECONDS                 seconds per fuzzer (default 30: five
#                                   fuzzers, two at a time, after a clang
#                                   build of their own; longer runs by hand)
#   LQ_HF_FIXTURES                  the Hugging Face fixtures' folder (default
#                                   build/tests/hf/fixtures, made by hf-fixtures)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# The Hugging Face fixtures are made once, by the native build's hf-fixtures
# test; the other builds' tests (sanitizers, forced levels) read them there.
export LQ_HF_FIXTURES="${LQ_HF_FIXTURES:-$root/build/tests/hf/fixtures}"
passed=0; failed=0; skipped=0
declare -a failures=() skips=()

# each part's heading says when it started: the run must stay within CI's time
note() { printf '\n=== %s (at %dm%02ds)\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }
wanted() { [ -z "${LQ_RUN_ONLY:-}" ] || [[ " $LQ_RUN_ONLY " == *" $1 "* ]]; }
count() { # count NAME PASSED FAILED SKIPPED [DETAIL]
  passed=$((passed + $2)); failed=$((failed + $3)); skipped=$((skipped + $4))
  [ "$3" -eq 0 ] || failures+=("$1: $3 failed")
  [ "$4" -eq 0 ] || skips+=("$1: $4 skipped${5:+ ($5)}")
  printf '%s: %d passed, %d failed, %d skipped%s\n' "$1" "$2" "$3" "$4" "${5:+ ($5)}"
}
step() { # step NAME COMMAND...: a step that is one pass or one fail
  if "${@:2}"; then count "$1" 1 0 0; else count "$1" 0 1 0; fi
}
# Programs and TAP cases: a program that skipped as a whole counts one skip;
# skipped cases inside programs that ran count too (the program itself counts
# once, as passed or failed).
meson_suite() { # meson_suite NAME BUILDDIR [meson test args...]
  local name=$1 dir=$2; shift 2
  # a log of its own per run (another meson test in the same folder cannot mix in)
  local base; base="run-all-$(tr -c 'A-Za-z0-9\n' - <<< "$name")"
  rm -f "$dir/meson-logs/$base.json"
  meson test -C "$dir" --print-errorlogs --num-processes 2 --logbase "$base" "$@" \
    > "$dir/$base.txt" 2>&1
  tail -n 12 "$dir/$base.txt"
  local p f s c
  read -r p f s c < <(/usr/bin/python3 tests/meson_counts.py "$dir/meson-logs/$base.json")
  local detail=""
  [ "$((s + c))" -eq 0 ] || detail="$s programs, $c cases"
  count "$name" "$p" "$f" "$((s + c))" "$detail"
}
# The instruction-set level LQ_ARCH=$1 selects here (as lq version reports
# it), or nothing when the lq tool was not built.
selected_level() {
  [ -x build/libquant/tools/lq ] || return 0
  LQ_ARCH=$1 build/libquant/tools/lq version 2>/dev/null | sed -n 's/.* selected=\([a-z0-9]*\).*/\1/p'
}

if wanted deps; then
  note "dependencies"
  step "install-deps" bash .ci/install-deps
fi

note "build"
if [ ! -d build ]; then meson setup build >/dev/null; fi
step "build" meson compile -C build

if wanted tests; then
  note "tests"
  meson_suite "meson tests" build
fi

# The meson suite again at each forced level but the native one, for what a
# kernel level changes: the formats, quantizers, methods and the runner.
# Left out: abi and install (symbols and headers), interop (file formats and
# whole-file quantization against llama.cpp: the quantizers' level-dependent
# searches are also checked by test_ggml_oracle_ref and test_ggml_golden_ref,
# and the suite takes minutes), layering and doc (read sources), alloc and
# concurrency (allocation failures and threads, whose paths no kernel level
# changes), io, the tokenizers and bindings (no kernel runs), pipeline and
# tools (whole files and the command line, over the quantizers and methods
# the other suites run at this level: they add minutes at the reference
# level and no kernel path), and the per-level kernel programs
# (test_*_ref/avx2/avx512/neon set LQ_ARCH themselves and already ran). A
# level this CPU or build lacks is one counted skip, not a pass: libquant
# falls back to the best level it has, which would test nothing new.
# Timeouts are 4x: the scalar reference runs the quantized models' products
# several times slower than the SIMD kernels.
if wanted levels; then
  native=$(selected_level "")
  for level in avx2 ref; do
    note "tests at LQ_ARCH=$level"
    got=$(selected_level "$level")
    if [ -z "$got" ]; then
      count "LQ_ARCH=$level" 0 0 1 "lq was not built: cannot tell which level runs"
    elif [ "$got" != "$level" ]; then
      count "LQ_ARCH=$level" 0 0 1 "$(LQ_ARCH=$level build/libquant/tools/lq version |
        sed -n 's/.*note="\([^"]*\)".*/\1/p')"
    elif [ "$level" = "$native" ]; then
      echo "LQ_ARCH=$level is this machine's native level: the native run above covered it"
    else
      mapfile -t names < <(meson test -C build --list --no-suite abi --no-suite interop \
        --no-suite layering --no-suite doc --no-suite alloc --no-suite concurrency --no-suite io \
        --no-suite bindings --no-suite pipeline --no-suite tools 2>/dev/null | sed -n 's/^[^ ]* \/ //p' |
        grep -Ev '_(ref|avx2|avx512|neon)$|tokenizer|^unicode_tables$')
      LQ_ARCH=$level meson_suite "meson tests, LQ_ARCH=$level" build --timeout-multiplier 4 \
        "${names[@]}"
    fi
  done
fi

if wanted asan; then
  note "sanitizers (address, undefined)"
  if [ ! -d build-asan ]; then
    meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
  fi
  if meson compile -C build-asan >/dev/null; then
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
      meson_suite "sanitized tests" build-asan --no-suite abi --no-suite interop --no-suite layering --no-suite doc
  else
    count "sanitized build" 0 1 0
  fi
fi

if wanted tsan; then
  note "thread sanitizer (suite concurrency)"
  # Only the concurrency tests: they are the ones with threads sharing data.
  # OpenBLAS runs single-threaded under libquant, but the test also hands it
  # threads of its own, whose uninstrumented synchronization TSan cannot see
  # (seen with OpenBLAS's SkylakeX kernels): tsan.supp says why.
  if [ ! -d build-tsan ]; then
    meson setup build-tsan -Db_sanitize=thread -Db_lundef=false >/dev/null
  fi
  if meson compile -C build-tsan tests/concurrency/test_concurrency >/dev/null; then
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/concurrency/tsan.supp \
      meson_suite "thread-sanitized tests" build-tsan --suite concurrency --no-rebuild --timeout-multiplier 4
  else
    count "thread-sanitized build" 0 1 0
  fi
fi

# Suites with runners of their own. Each prints a closing line
# "NAME: N passed, N failed, N skipped" whose counts join the total; one that
# prints none counts as one pass or one failure by its exit status.
extra_suite() { # extra_suite NAME COMMAND...
  note "$1"
  local log; log=$(mktemp)
  "${@:2}" 2>&1 | tee "$log" | tail -n 40
  local rc=${PIPESTATUS[0]}
  local line
  line=$(grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?' "$log" | tail -n 1)
  rm -f "$log"
  if [ -n "$line" ]; then
    local p f s=0
    p=$(sed -E 's/^[^ ]+: ([0-9]+) passed.*/\1/' <<< "$line")
    f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<< "$line")
    [[ "$line" =~ ([0-9]+)\ skipped ]] && s=${BASH_REMATCH[1]}
    [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
    count "$1" "$p" "$f" "$s"
  elif [ "$rc" -eq 0 ]; then count "$1" 1 0 0; else count "$1" 0 1 0; fi
}
wanted bindings && [ -x bindings/run-tests.sh ] && extra_suite "bindings" bindings/run-tests.sh "$root/build"
wanted neon && [ -x tests/kernels/run-neon.sh ] && extra_suite "neon (qemu)" tests/kernels/run-neon.sh
wanted fuzz && [ -x tests/fuzz/run.sh ] && extra_suite "fuzz" tests/fuzz/run.sh "${LQ_FUZZ_SECONDS:-30}"

note "summary"
for f in "${failures[@]+"${failures[@]}"}"; do echo "  FAILED: $f"; done
for s in "${skips[@]+"${skips[@]}"}"; do echo "  SKIPPED: $s"; done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
