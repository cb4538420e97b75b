#!/usr/bin/env bash
# bench_imatrix.sh PATH/TO/lq [CTX CHUNKS THREADS] — tokens per second of
# lq imatrix and of llama.cpp's llama-imatrix (built by tests/llama_tool.sh)
# on the fixture, measured in the same run, each as wall time of the whole
# command (loading included) over the same chunks. Not a test: numbers for
# doc/benchmarks.md. Both run with an f32 KV cache, llama-imatrix also once
# with its defaults (f16 cache, flash attention), and without perplexity.
set -euo pipefail
lq="$1"; ctx="${2:-512}"; chunks="${3:-8}"; threads="${4:-2}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
fixture="$root/tests/model/fixture/tiny-llama-f32.gguf"
text="$root/tests/model/fixture/heldout.txt"
imatrix=$("$root/tests/llama_tool.sh" imatrix)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
tokens=$((ctx * chunks))
timed() { # timed LABEL COMMAND...
  local label=$1; shift
  local t0 t1
  t0=$(date +%s.%N); "$@" > "$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }; t1=$(date +%s.%N)
  awk -v l="$label" -v a="$t0" -v b="$t1" -v n="$tokens" \
      'BEGIN { printf "%-40s %7.2f s  %8.1f tokens/s\n", l, b - a, n / (b - a) }'
}
echo "fixture, $chunks chunks of $ctx tokens ($tokens tokens), $threads threads"
timed "lq imatrix (f32 cache)" "$lq" imatrix "$fixture" --text "$text" -o "$tmp/a.gguf" \
    --ctx "$ctx" --chunks "$chunks" --threads "$threads"
timed "lq imatrix --kv f16" "$lq" imatrix "$fixture" --text "$text" -o "$tmp/b.gguf" \
    --ctx "$ctx" --chunks "$chunks" --threads "$threads" --kv f16
timed "llama-imatrix (f32 cache, no flash attn)" "$imatrix" -m "$fixture" -f "$text" \
    -o "$tmp/c.gguf" -c "$ctx" --chunks "$chunks" -t "$threads" --no-ppl -ctk f32 -ctv f32 -fa off
timed "llama-imatrix (its defaults)" "$imatrix" -m "$fixture" -f "$text" -o "$tmp/d.gguf" \
    -c "$ctx" --chunks "$chunks" -t "$threads" --no-ppl
