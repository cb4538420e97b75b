#!/bin/bash
# bench_convert.sh LQ CACHE_DIR — the 'hf_convert' benchmark (meson test
# --benchmark): lq convert against llama.cpp's convert_hf_to_gguf.py on the
# same Hugging Face checkpoint (tests/hf/make_bench_model.py: 0.37 G
# parameters of BF16 in two shards), at the same outtypes, one after the
# other; and lq quantize from the folder. Prints wall time and peak resident
# memory (/usr/bin/time -v: anonymous and mapped pages) of each, their ratios
# measured in this run, and checks that both converters wrote the same bytes.
# The converter's figure includes starting Python and importing torch, as a
# user running it pays them.
set -u
lq=$1 cache=${LQ_HF_FIXTURES:-$2}
venv="${LQ_VENV:-$HOME/.cache/libquant/venv}"
py="$venv/bin/python"
here="$(cd "$(dirname "$0")" && pwd)"
[ -x "$py" ] && [ -d "$cache/converter" ] && [ -d "$cache/models/llama3" ] || {
  echo "bench_convert: needs the venv and the hf-fixtures cache ($cache): run meson test hf-fixtures" >&2
  exit 77; }
[ -x /usr/bin/time ] || { echo "bench_convert: needs /usr/bin/time (Debian package time)" >&2; exit 77; }

model="$cache/bench/llama-370m"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$py" "$here/make_bench_model.py" "$model" "$cache/models/llama3" || exit 1

# run LABEL COMMAND...: prints "LABEL seconds peak_kB"
run() {
  local label=$1; shift
  /usr/bin/time -v "$@" > "$work/$label.out" 2> "$work/$label.time" || {
    echo "bench_convert: $label failed:" >&2; tail -n 20 "$work/$label.time" >&2; exit 1; }
  local wall rss
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/$label.time" |
    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/$label.time")
  echo "$label $wall $rss"
}

input=$(du -cb "$model"/*.safetensors | tail -n 1 | cut -f1)
largest=$((5632 * 2048 * 4))   # ffn_gate/up/down as F32: what a converter holds at once
printf 'input: %s (%d MB of safetensors); largest tensor as F32: %d MB\n' \
  "$model" $((input / 1000000)) $((largest / 1000000))
printf '%-28s %9s %12s\n' "command" "wall s" "peak RSS MB"
for t in f16 q8_0; do
  read -r _ lw lr < <(run "lq-$t" "$lq" convert "$model" "$work/lq-$t.gguf" --outtype "$t")
  job="[{\"model\": \"$model\", \"outtype\": \"$t\", \"outfile\": \"$work/py-$t.gguf\", \"pre\": \"llama-bpe\"}]"
  read -r _ pw pr < <(run "py-$t" "$py" "$here/convert_shim.py" "$cache/converter" "$job")
  printf '%-28s %9.2f %12d\n' "lq convert --outtype $t" "$lw" $((lr / 1000))
  printf '%-28s %9.2f %12d\n' "convert_hf_to_gguf $t" "$pw" $((pr / 1000))
  awk -v a="$pw" -v b="$lw" -v c="$lr" -v d="$pr" -v t="$t" \
    'BEGIN { printf "  %s: lq convert %.1fx as fast, %.2fx the memory\n", t, a / b, c / d }'
  if cmp -s "$work/lq-$t.gguf" "$work/py-$t.gguf"; then echo "  $t: outputs byte-identical"
  else echo "  $t: OUTPUTS DIFFER"; fi
  rm -f "$work"/*.gguf
done
read -r _ qw qr < <(run "lq-q4km" "$lq" quantize "$model" "$work/q4km.gguf" Q4_K_M)
printf '%-28s %9.2f %12d\n' "lq quantize DIR Q4_K_M" "$qw" $((qr / 1000))
awk -v r="$qr" -v l="$largest" 'BEGIN { printf "peak RSS of lq quantize over the largest F32 tensor: %.2fx\n", r * 1000 / l }'
