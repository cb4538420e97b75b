#!/bin/sh
# tests/fuzz/run.sh [SECONDS] — build the libFuzzer targets with clang,
# AddressSanitizer and UBSan in their own build folder, and run each one for
# SECONDS (default 60) from the committed seed corpus. Fails on any crash,
# sanitizer report or broken invariant; the input that did it is kept in
# BUILD/fuzz-artifacts/. Environment: LQ_FUZZ_BUILD (build folder, default
# build-fuzz at the top of the tree), LQ_FUZZ_TARGETS (default
# "gguf safetensors scheme model spm"). Ends with "fuzz: N passed, N failed, 0 skipped",
# one count per target.
set -eu
secs="${1:-60}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${LQ_FUZZ_BUILD:-$root/build-fuzz}"
targets="${LQ_FUZZ_TARGETS:-gguf safetensors scheme model spm}"

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$root" -Dfuzz=true -Dtools=false \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fsanitize=fuzzer-no-link -Dc_link_args=-fsanitize=fuzzer-no-link
fi
for t in $targets; do
  ninja -C "$build" "tests/fuzz/fuzz_$t"
done

mkdir -p "$build/fuzz-artifacts" "$build/fuzz-logs"
# One fuzzer a core (LQ_FUZZ_JOBS, default the CPU count): each is a single
# process, so running them side by side halves the stage's wall time on two
# cores without shortening any fuzzer's run.
jobs="${LQ_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}"
fuzz_one() { # fuzz_one TARGET: runs it, leaves its log and exit status
  t=$1
  work="$build/fuzz-corpus/$t"  # grows across runs; the committed seeds stay as they are
  mkdir -p "$work"
  dict=""
  words=$t; [ "$t" = model ] && words=gguf # the model target reads GGUF files
  [ -f "$root/tests/fuzz/$words.dict" ] && dict="-dict=$root/tests/fuzz/$words.dict"
  rc=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$build/fuzz-artifacts/$t-" $dict \
    "$work" "$root/tests/fuzz/corpus/$t" > "$build/fuzz-logs/$t.log" 2>&1 || rc=$?
  echo "$rc" > "$build/fuzz-logs/$t.rc"
}
running=""
for t in $targets; do
  echo "== fuzz_$t for ${secs}s"
  rm -f "$build/fuzz-logs/$t.rc"
  fuzz_one "$t" &
  running="$running $!"
  set -- $running
  if [ "$#" -ge "$jobs" ]; then # wait for the oldest before starting another
    wait "$1"
    shift
    running="$*"
  fi
done
wait
pass=0
fail=0
for t in $targets; do
  echo "== fuzz_$t"
  tail -n 5 "$build/fuzz-logs/$t.log"
  if [ "$(cat "$build/fuzz-logs/$t.rc" 2>/dev/null)" = 0 ]; then
    pass=$((pass + 1))
  else
    echo "fuzz_$t FAILED: see $build/fuzz-logs/$t.log and $build/fuzz-artifacts/"
    fail=$((fail + 1))
  fi
done
echo "fuzz: $pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
