#!/bin/bash
# bench_formats.sh LQ FIXTURES CACHE_DIR [FORMAT...] — the 'formats'
# benchmark (meson test --benchmark formats): whole-model `lq quantize MODEL
# OUT_DIR --format F` on the 0.5 B-class synthetic Llama as a Hugging Face
# folder (make_formats_model.py, made once into CACHE_DIR), wall time, CPU
# time (user + system: on a shared machine the wall time mostly measures the
# others' load) and peak resident memory (/usr/bin/time -v) per format, the
# median of LQ_BENCH_RUNS runs (default 3). The calibrated formats learn from
# LQ_BENCH_CALIB_SAMPLES windows (default 16) of LQ_BENCH_CALIB_SEQLEN tokens
# (default 512) of the fixtures' KJV text: the defaults of the tool (128 x
# 2048) would spend most of the run forwarding calibration tokens, which is
# the runner's speed, not the methods'. FIXTURES: the hf-fixtures cache
# ($LQ_HF_FIXTURES wins), for the tokenizer and the text.
set -u
lq=$1 fixtures=${LQ_HF_FIXTURES:-$2} cache=$3; shift 3
formats=("$@")
[ ${#formats[@]} -gt 0 ] || formats=(fp8 bnb_nf4 bnb_fp4 llm_int8 fp8_static awq gptq gptq_v2)
runs=${LQ_BENCH_RUNS:-3} samples=${LQ_BENCH_CALIB_SAMPLES:-16} seqlen=${LQ_BENCH_CALIB_SEQLEN:-512}
py="${LQ_VENV:-$HOME/.cache/libquant/venv}/bin/python"
here="$(cd "$(dirname "$0")" && pwd)"
[ -x "$py" ] && [ -d "$fixtures/models/llama3" ] || {
  echo "bench_formats: needs the venv and the hf-fixtures cache ($fixtures): run meson test hf-fixtures" >&2
  exit 77; }
[ -x /usr/bin/time ] || { echo "bench_formats: needs /usr/bin/time (Debian package time)" >&2; exit 77; }
model="$cache/llama-0.5b"
"$py" "$here/make_formats_model.py" "$model" "$fixtures/models/llama3" || exit 1
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "model: $model ($(du -cb "$model"/*.safetensors | tail -n 1 | cut -f1) bytes of BF16 safetensors)"
echo "calibrated formats: $samples windows of $seqlen tokens of $fixtures/text/kjv.txt; $runs runs each"
printf '%-12s %10s %10s %12s %s\n' format "wall s" "CPU s" "peak RSS MB" "(each run: s / CPU s / MB)"
for f in "${formats[@]}"; do
  calib=()
  case $f in gptq|gptq_v2|awq|fp8_static)
    calib=(--calib "$fixtures/text/kjv.txt" --calib-samples "$samples" --calib-seqlen "$seqlen") ;;
  esac
  walls="" cpus="" rsss="" each=""
  for ((r = 0; r < runs; r++)); do
    /usr/bin/time -v "$lq" quantize "$model" "$work/out" --format "$f" --force "${calib[@]}" \
      > "$work/out.log" 2> "$work/time.log" || {
      echo "bench_formats: lq quantize --format $f failed:" >&2; tail -n 20 "$work/time.log" >&2; exit 1; }
    w=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.log" |
      awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    c=$(sed -n 's/.*\(User\|System\) time (seconds): //p' "$work/time.log" | awk '{ s += $1 } END { print s }')
    m=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.log")
    walls+="$w"$'\n' cpus+="$c"$'\n' rsss+="$((m / 1000))"$'\n' each+=" $w/$c/$((m / 1000))"
    rm -rf "$work/out"
  done
  printf '%-12s %10.1f %10.1f %12d %s\n' "$f" "$(printf '%s' "$walls" | median)" \
    "$(printf '%s' "$cpus" | median)" "$(printf '%s' "$rsss" | median)" "$each"
done
