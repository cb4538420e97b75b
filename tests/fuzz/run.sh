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

mkdir -p "$build/fuzz-artifacts"
status=0
pass=0
fail=0
for t in $targets; do
  work="$build/fuzz-corpus/$t"  # grows across runs; the committed seeds stay as they are
  mkdir -p "$work"
  dict=""
  words=$t; [ "$t" = model ] && words=gguf # the model target reads GGUF files
  [ -f "$root/tests/fuzz/$words.dict" ] && dict="-dict=$root/tests/fuzz/$words.dict"
  echo "== fuzz_$t for ${secs}s"
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=4096 -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$build/fuzz-artifacts/$t-" $dict \
      "$work" "$root/tests/fuzz/corpus/$t"; then
    echo "fuzz_$t FAILED: see $build/fuzz-artifacts/"
    status=1
    fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
done
echo "fuzz: $pass passed, $fail failed, 0 skipped"
exit $status
