#!/usr/bin/env bash
# bench_runner.sh LQ BENCH_RUNNER [THREADS] — tokens per second of libquant's
# runner beside llama.cpp's on the same GGUF files, text, context and threads,
# measured back to back in one run. Not a test: numbers for
# doc/benchmarks.md (`meson test -C build --benchmark runner_vs_llama`).
#
# Prefill: llama-perplexity (one window per batch, -b CTX) against
# bench_runner's lq_model_perplexity over the same windows, each timed from
# the first window to the final estimate (forward passes and scoring, not
# loading or tokenizing). Decode: llama-bench's tg test (DECODE tokens from
# an empty cache) against bench_runner's one-token lq_model_eval calls (both
# compute each token's logits: the output weight is part of a step). Peak
# RSS of each whole process from /usr/bin/time. Both sides use an f32 KV cache
# except llama-bench (its default f16; llama-perplexity gets -ctk/-ctv f32).
#
# Models: the tiny fixture in F32 and quantized by LQ to F16, Q8_0, Q4_K_M and
# Q4_0 (in a temporary folder), at CTX 256; then every llama-1g-*.gguf in
# $LQ_BENCH_DIR (default ~/.cache/libquant/bench: the 0.5 B-parameter synthetic
# Llama, tokenizer added by bench_vocab.py; $LQ_BENCH_BIG narrows the glob,
# e.g. "q4_0") at CTX $LQ_BENCH_BIG_CTX (256); its F32 file is made from the
# F16 one with `lq quantize` when missing (2.8 GB, kept for the next run).
# With LQ_BENCH_EVAL=1, the peak RSS of `lq eval` on each 0.5 B file too (the
# file's own type as the one scheme, f32 KV cache, the same windows: it holds
# the file and the quantized copy at once). $LQ_BENCH_CHUNKS windows each
# (default 8 for the fixture, 2 for the big one); $LQ_BENCH_DECODE tokens
# decoded (default 64); LQ_BENCH_FIXTURE=0 leaves the fixture out.
set -Eeuo pipefail # -E: the ERR trap below reports failures inside functions too
lq="$1"; runner="$2"; threads="${3:-2}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
text="$root/tests/model/fixture/heldout.txt"
perplexity=$("$root/tests/llama_tool.sh" perplexity)
llama_bench=$("$root/tests/llama_tool.sh" llama-bench)
bench_dir="${LQ_BENCH_DIR:-$HOME/.cache/libquant/bench}"
decode="${LQ_BENCH_DECODE:-64}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
trap 'echo "bench_runner.sh: line $LINENO failed: $BASH_COMMAND" >&2' ERR

# stamp LOG PATTERN: the seconds of llama.cpp's log timestamp (m.ss.mmm) on
# the first line matching PATTERN
stamp() {
  grep -m1 -- "$2" "$1" | awk '{ split($1, t, "."); print t[1] * 60 + t[2] + t[3] / 1000 }'
}

# row NAME FILE CTX CHUNKS
row() {
  local name=$1 file=$2 ctx=$3 chunks=$4 tokens t0 t1
  tokens=$((ctx * chunks))
  # llama.cpp logs from a thread of its own, which on a loaded machine can
  # lose the last lines at exit (the run succeeds, the final estimate is
  # missing; under load 3 runs in 4 did): up to eight tries
  local try
  for try in 1 2 3 4 5 6 7 8; do
    /usr/bin/time -f "%M" -o "$tmp/llama.rss" "$perplexity" -m "$file" -f "$text" -c "$ctx" \
        -b "$ctx" --chunks "$chunks" -t "$threads" -ctk f32 -ctv f32 > "$tmp/llama.log" 2>&1 ||
        { tail -5 "$tmp/llama.log" >&2; return 1; }
    grep -q "calculating perplexity" "$tmp/llama.log" && grep -q "Final estimate" "$tmp/llama.log" &&
      break
    [ "$try" -lt 8 ] || { echo "$name: llama-perplexity's log lacks its timings" >&2; return 1; }
  done
  t0=$(stamp "$tmp/llama.log" "calculating perplexity"); t1=$(stamp "$tmp/llama.log" "Final estimate")
  local l_pp l_ppl l_tg lq_pp lq_ppl lq_tg
  l_pp=$(awk -v n="$tokens" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
  l_ppl=$(grep -m1 "Final estimate" "$tmp/llama.log" | sed 's/.*PPL = \([0-9.]*\).*/\1/')
  /usr/bin/time -f "%M" -o "$tmp/lq.rss" "$runner" "$file" "$text" "$ctx" "$threads" \
      "$tokens" "$decode" > "$tmp/lq.out"
  lq_pp=$(awk '/^prefill/ { print $2 }' "$tmp/lq.out")
  lq_ppl=$(awk '/^prefill/ { print $3 }' "$tmp/lq.out")
  lq_tg=$(awk '/^decode/ { print $2 }' "$tmp/lq.out")
  l_tg=$("$llama_bench" -m "$file" -p 0 -n "$decode" -t "$threads" -r 1 -o csv 2>/dev/null |
         tail -1 | awk -F'","' '{ gsub(/"/, "", $(NF-1)); print $(NF-1) }')
  awk -v n="$name" -v lp="$l_pp" -v qp="$lq_pp" -v lt="$l_tg" -v qt="$lq_tg" \
      -v lppl="$l_ppl" -v qppl="$lq_ppl" -v lr="$(cat "$tmp/llama.rss")" -v qr="$(cat "$tmp/lq.rss")" \
      'BEGIN { printf "%-18s %9.1f %9.1f %6.2fx  %8.1f %8.1f %6.2fx  %8.0f %8.0f  %10.4f %10.4f\n",
               n, lp, qp, qp / lp, lt, qt, qt / lt, lr / 1024, qr / 1024, lppl, qppl }'
}

echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $threads threads," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-18s %9s %9s %7s  %8s %8s %7s  %8s %8s  %10s %10s\n" model "llama pp" "lq pp" ratio \
       "llama tg" "lq tg" ratio "llamaMiB" "lq MiB" "llama PPL" "lq PPL"
fixture="$root/tests/model/fixture/tiny-llama-f32.gguf"
[ "${LQ_BENCH_FIXTURE:-1}" = 0 ] || row "fixture F32" "$fixture" 256 "${LQ_BENCH_CHUNKS:-8}"
for type in F16 Q8_0 Q4_K_M Q4_0; do
  [ "${LQ_BENCH_FIXTURE:-1}" = 0 ] && break
  "$lq" quantize "$fixture" "$tmp/fixture-$type.gguf" "$type" > /dev/null
  row "fixture $type" "$tmp/fixture-$type.gguf" 256 "${LQ_BENCH_CHUNKS:-8}"
  rm -f "$tmp/fixture-$type.gguf"
done
if [ -f "$bench_dir/llama-1g-f16.gguf" ] && [ ! -f "$bench_dir/llama-1g-f32.gguf" ]; then
  "$lq" quantize "$bench_dir/llama-1g-f16.gguf" "$bench_dir/llama-1g-f32.gguf" F32 > /dev/null
fi
big_ctx="${LQ_BENCH_BIG_CTX:-256}"; big_chunks="${LQ_BENCH_CHUNKS:-2}"
for file in "$bench_dir"/llama-1g-${LQ_BENCH_BIG:-*}.gguf; do
  [ -f "$file" ] || continue
  name=$(basename "$file" .gguf)
  row "${name#llama-}" "$file" "$big_ctx" "$big_chunks"
done
if [ "${LQ_BENCH_EVAL:-0}" = 1 ]; then
  for file in "$bench_dir"/llama-1g-${LQ_BENCH_BIG:-*}.gguf; do
    [ -f "$file" ] || continue
    name=$(basename "$file" .gguf)
    /usr/bin/time -f "%M" -o "$tmp/eval.rss" "$lq" eval "$file" --text "$text" \
        --schemes "${name#llama-1g-}" --kv f32 --ctx "$big_ctx" \
        --max-tokens $((big_ctx * big_chunks)) --calib-tokens 0 --threads "$threads" > /dev/null
    echo "lq eval ${name#llama-}: peak $(($(cat "$tmp/eval.rss") / 1024)) MiB"
  done
fi
