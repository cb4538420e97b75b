#!/bin/bash
# bench_calib_mem.sh LQ CACHE_DIR — the 'calib_mem' benchmark (meson test
# --benchmark): peak resident memory (/usr/bin/time -v: anonymous and mapped
# pages) of each whole-model path on the hf_convert benchmark's checkpoint
# (tests/hf/make_bench_model.py: 0.37 G parameters, largest tensor 46 MB as
# F32), read as the Hugging Face folder itself and as its F16 GGUF, printed
# against issue 16's bound: twice the largest F32 tensor plus 64 MB. The
# calibrated runs are short (4 windows of 256 tokens); they and some others
# are made twice, without and with --max-memory 1 (the calibration states
# and the quantized weights in temporary files): the outputs must be
# byte-identical. Last, GPTQ under --max-memory 1 on a small shape with a
# real vocabulary (128256 tokens, untied head), whose bound is set by the
# embedding as a real checkpoint's is.
set -u
lq=$1 cache=${LQ_HF_FIXTURES:-$2}
venv="${LQ_VENV:-$HOME/.cache/libquant/venv}"
py="$venv/bin/python"
here="$(cd "$(dirname "$0")" && pwd)"
text="$cache/text/kjv.txt"
[ -x "$py" ] && [ -d "$cache/models/llama3" ] && [ -f "$text" ] || {
  echo "bench_calib_mem: needs the venv and the hf-fixtures cache ($cache): run meson test hf-fixtures" >&2
  exit 77; }
[ -x /usr/bin/time ] || { echo "bench_calib_mem: needs /usr/bin/time (Debian package time)" >&2; exit 77; }

model="$cache/bench/llama-370m"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$py" "$here/../hf/make_bench_model.py" "$model" "$cache/models/llama3" || exit 1

largest=$((5632 * 2048 * 4))   # ffn_gate/up/down as F32
bound=$((2 * largest + 64000000))
calib=(--calib "$text" --calib-samples 4 --calib-seqlen 256)
printf 'input: %s; largest tensor as F32: %d MB; bound: %d MB\n' "$model" \
  $((largest / 1000000)) $((bound / 1000000))
printf '%-52s %8s %9s %7s\n' "command" "wall s" "peak MB" "/bound"

# run LABEL COMMAND...: runs it under /usr/bin/time and prints its line
run() {
  local label=$1; shift
  /usr/bin/time -v "$@" > "$work/run.out" 2> "$work/run.time" || {
    echo "bench_calib_mem: $label failed:" >&2; tail -n 20 "$work/run.time" >&2; exit 1; }
  local wall rss
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/run.time" |
    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/run.time")
  awk -v l="$label" -v w="$wall" -v r="$rss" -v b="$bound" \
    'BEGIN { printf "%-52s %8.2f %9d %7.2f\n", l, w, r / 1000, r * 1000 / b }'
}

# same A B LABEL: the two outputs must be byte-identical
same() {
  if cmp -s "$1" "$2"; then echo "  $3: byte-identical"
  else echo "bench_calib_mem: $3 DIFFER" >&2; exit 1; fi
}

run "lq convert DIR --outtype f16" "$lq" convert "$model" "$work/f16.gguf" --outtype f16
run "lq quantize DIR OUT.gguf Q4_K_M --method rtn" "$lq" quantize "$model" "$work/dir-rtn.gguf" \
  Q4_K_M --method rtn
run "  ... --max-memory 1" "$lq" quantize "$model" "$work/dir-rtn1.gguf" Q4_K_M --method rtn \
  --max-memory 1
same "$work/dir-rtn.gguf" "$work/dir-rtn1.gguf" "rtn with the output in a file"
run "lq quantize DIR OUT --format fp8" "$lq" quantize "$model" "$work/fp8" --format fp8
run "  ... --max-memory 1" "$lq" quantize "$model" "$work/fp81" --format fp8 --max-memory 1
for f in "$work"/fp8/*.safetensors; do same "$f" "$work/fp81/${f##*/}" "fp8 ${f##*/}"; done
run "lq quantize DIR OUT --format bnb_nf4" "$lq" quantize "$model" "$work/nf4" --format bnb_nf4
rm -rf "$work"/dir-rtn*.gguf "$work"/fp8* "$work/nf4"
run "lq quantize F16.gguf Q4_K_M --method rtn" "$lq" quantize "$work/f16.gguf" "$work/rtn.gguf" \
  Q4_K_M --method rtn
run "lq quantize F16.gguf Q4_K_M --method gptq" "$lq" quantize "$work/f16.gguf" "$work/g.gguf" \
  Q4_K_M --method gptq "${calib[@]}"
run "  ... --max-memory 1" "$lq" quantize "$work/f16.gguf" "$work/g1.gguf" Q4_K_M --method gptq \
  "${calib[@]}" --max-memory 1
same "$work/g.gguf" "$work/g1.gguf" "gptq with the states in a file"
rm -f "$work"/g*.gguf
run "lq quantize F16.gguf Q4_K_M --method awq" "$lq" quantize "$work/f16.gguf" "$work/a.gguf" \
  Q4_K_M --method awq "${calib[@]}"
run "  ... --max-memory 1" "$lq" quantize "$work/f16.gguf" "$work/a1.gguf" Q4_K_M --method awq \
  "${calib[@]}" --max-memory 1
same "$work/a.gguf" "$work/a1.gguf" "awq with the states in a file"
rm -f "$work"/*.gguf
run "lq quantize DIR OUT --format gptq" "$lq" quantize "$model" "$work/gptq" --format gptq "${calib[@]}"
run "  ... --max-memory 1" "$lq" quantize "$model" "$work/gptq1" --format gptq "${calib[@]}" \
  --max-memory 1
for f in "$work"/gptq/*.safetensors; do same "$f" "$work/gptq1/${f##*/}" "${f##*/}"; done

# a real vocabulary: hidden 1024, 4 layers, FFN 2816, 8 / 2 heads, 128256
# tokens (the fixture's tokenizer padded), so the embedding and the head are
# the largest tensors (525 MB each as F32)
vmodel="$cache/bench/llama-47m-v128k"
"$py" "$here/../hf/make_bench_model.py" "$vmodel" "$cache/models/llama3" 1024,4,2816,8,2,128256 ||
  exit 1
largest=$((128256 * 1024 * 4))
bound=$((2 * largest + 64000000))
printf 'input: %s; largest tensor as F32: %d MB; bound: %d MB\n' "$vmodel" \
  $((largest / 1000000)) $((bound / 1000000))
run "real vocabulary: lq convert DIR --outtype f16" "$lq" convert "$vmodel" "$work/v16.gguf" \
  --outtype f16
run "  ... quantize Q4_K_M --method gptq --max-memory 1" "$lq" quantize "$work/v16.gguf" \
  "$work/vg1.gguf" Q4_K_M --method gptq "${calib[@]}" --max-memory 1
