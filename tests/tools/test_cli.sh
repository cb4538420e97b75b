#!/usr/bin/env bash
# The lq command line: exit statuses, usage messages, and figures that can be
# checked by hand. TAP output. Usage: test_cli.sh PATH/TO/lq [HF_FIXTURES]
# (the Hugging Face fixtures folder, tests/hf/make_fixtures.py; $LQ_HF_FIXTURES wins)
lq="$1"
hf="${LQ_HF_FIXTURES:-$2}"
fixture="${LQ_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/model/fixture/tiny-llama-f32.gguf"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0; failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
expect_status() { # expect_status WANT DESCRIPTION ARGS...
  local want=$1 desc=$2; shift 2
  out=$("$lq" "$@" 2>&1); rc=$?
  [ "$rc" = "$want" ]; ok $? "$desc (exit $rc, want $want)"
  [ "$rc" = "$want" ] || printf '# %s\n' "$out" | head -5
}
contains() { # contains DESCRIPTION NEEDLE (in $out)
  case "$out" in *"$2"*) ok 0 "$1" ;; *) ok 1 "$1"; printf '# output lacks "%s":\n' "$2"; printf '%s\n' "$out" | head -8 | sed 's/^/# /' ;; esac
}

expect_status 2 "no command" ; contains "usage lists commands" "commands:"
expect_status 2 "unknown command" frobnicate ; contains "names the command" "frobnicate"
expect_status 0 "help" --help
expect_status 0 "version" version ; contains "version line" "version="
expect_status 2 "version with junk" version extra

# estimate: Llama-3-8B has 8030261248 parameters (its shape is chosen within 10% of
# that); int8 per channel at its nominal 8 bits is 8030261248 B = 7.479 GiB;
# KV 2*32*8*128*4096*2 B = 0.5 GiB
expect_status 0 "estimate" estimate --params 8.03e9 --scheme int8 --layers 32 --kv-heads 8 --head-dim 128 --ctx 4096
contains "int8 bytes" " 8030261248 "
contains "int8 GiB" "7.48"
contains "KV GiB" "0.50"
contains "total GiB" "7.98"
contains "nominal rows say so" "(nominal)"
# a Meta-Llama-3-70B Q4_K_M file is 42.52e9 bytes = 39.60 GiB, ~8 MB of it the tokenizer
expect_status 0 "estimate 70B q4_k_m with the README's arguments" estimate --params 70e9 --scheme q4_k_m,int4:g128 --layers 80 --kv-heads 8 --head-dim 128 --ctx 8192
contains "70B Q4_K_M is 39.59 GiB without a tokenizer" "39.59"
contains "KV of 70B at 8k is 2.5 GiB" "2.50"
# a model's file types: the size lq quantize writes, to the byte
expect_status 0 "estimate a model" estimate "$fixture"
contains "every file type listed" "IQ4_XS"
q4km=$(printf '%s\n' "$out" | awk '$1 == "Q4_K_M" {print $2}')
"$lq" quantize "$fixture" "$tmp/q4km.gguf" q4_k_m >/dev/null 2>&1
[ -n "$q4km" ] && [ "$(stat -c %s "$tmp/q4km.gguf" 2>/dev/null)" = "$q4km" ]
ok $? "estimated Q4_K_M size ($q4km) is the size lq quantize writes"
expect_status 0 "estimate --json" estimate "$fixture" --scheme q8_0,nf4 --json
printf '%s' "$out" | python3 -c 'import json, sys; r = json.load(sys.stdin); assert [x["exact"] for x in r] == [True, False]'
ok $? "estimate --json is a JSON array of the rows"
expect_status 2 "estimate with a model and --params" estimate "$fixture" --params 7e9
expect_status 1 "estimate a missing model" estimate "$tmp/missing.gguf"
expect_status 2 "estimate without a model or params" estimate --scheme q4_0
expect_status 2 "estimate with a bad number" estimate --params 7x9 --scheme q4_0
contains "names the bad value" "7x9"
expect_status 2 "estimate with a bad scheme" estimate --params 7e9 --scheme q4_9
contains "names the bad scheme" "q4_9"
expect_status 2 "estimate with half a KV shape" estimate --params 7e9 --scheme q4_0 --layers 32
expect_status 2 "estimate with a missing value" estimate --params
expect_status 2 "estimate with a bad KV type" estimate --params 1e9 --scheme q8_0 --layers 1 --kv-heads 1 --head-dim 1 --ctx 1 --kv q3

expect_status 0 "demo on a small matrix" demo --rows 16 --cols 256 --schemes f16,bf16
contains "demo table header" "SQNR dB"
contains "demo f16 row" "f16"
expect_status 2 "demo with a bad option" demo --rows 0
expect_status 1 "demo with an invalid scheme fails" demo --rows 4 --cols 256 --schemes int4:g100x

# model files: quantize, inspect, compare
expect_status 0 "quantize the fixture to Q4_K_M" quantize "$fixture" "$tmp/q4km.gguf" Q4_K_M --threads 2
contains "quantize summary" "bits per weight"
expect_status 0 "inspect the result" inspect "$tmp/q4km.gguf"
contains "inspect lists q6_k tensors (attn_v, ffn_down, output)" "q6_k"
contains "inspect shows the file type key" "general.file_type"
contains "inspect totals" "total"
expect_status 0 "compare f32 with Q4_K_M" compare "$fixture" "$tmp/q4km.gguf"
contains "compare reports every tensor" "39 tensors compared, 0 only in A, 0 only in B"
expect_status 0 "pure Q8_0 with a tensor-type override" quantize "$fixture" "$tmp/q8.gguf" q8_0 --pure --tensor-type 'ffn_down=q6_k'
"$lq" inspect "$tmp/q8.gguf" --no-metadata > "$tmp/q8.txt" 2>&1
out=$(grep "blk.0.ffn_down" "$tmp/q8.txt"); contains "override applied" "q6_k"
out=$(grep "blk.0.attn_v" "$tmp/q8.txt"); contains "pure: attn_v keeps the default type" "q8_0"
expect_status 2 "quantize to an unknown file type" quantize "$fixture" "$tmp/x.gguf" Q4_K_X
contains "lists the file types" "Q4_K_M"
[ ! -e "$tmp/x.gguf" ]; ok $? "no output file after a refused type"
expect_status 2 "quantize with a bad pattern" quantize "$fixture" "$tmp/x.gguf" Q4_0 --tensor-type '(=q8_0'
printf 'GGUF\003\000\000\000garbage' > "$tmp/bad.gguf"
expect_status 1 "quantize a malformed file" quantize "$tmp/bad.gguf" "$tmp/x.gguf" Q4_0
contains "names the file" "bad.gguf"
[ ! -e "$tmp/x.gguf" ]; ok $? "no output file after a failure"
expect_status 1 "requantizing is refused by default" quantize "$tmp/q4km.gguf" "$tmp/x.gguf" Q8_0
contains "says how to allow it" "allow-requantize"
expect_status 0 "requantizing when allowed" quantize "$tmp/q4km.gguf" "$tmp/x.gguf" Q8_0 --allow-requantize

# options anywhere, as llama-quantize users type them
expect_status 0 "quantize with options before the positionals" quantize --threads 2 "$fixture" "$tmp/opt.gguf" Q8_0
expect_status 0 "quantize with options between the positionals" quantize "$fixture" --pure "$tmp/opt2.gguf" --threads=2 Q8_0
cmp -s "$tmp/opt.gguf" "$tmp/opt2.gguf"; ok $? "both orders give the same file"
expect_status 2 "quantize with a fourth positional" quantize "$fixture" "$tmp/x.gguf" Q8_0 extra
contains "names the extra argument" "extra"
long=$(printf 'blk\\.0\\.ffn_down%.0s|' $(seq 1 20))ffn_down # 348 characters: longer than the 255 the tool once allowed
expect_status 0 "a ${#long}-character --tensor-type pattern is a pattern" quantize "$fixture" "$tmp/long.gguf" Q8_0 --tensor-type "$long=q6_k"
out=$("$lq" inspect "$tmp/long.gguf" --no-metadata 2>&1 | grep "blk.1.ffn_down"); contains "long pattern applied" "q6_k"

# the output must be a regular file or nothing, and not the input
cp "$fixture" "$tmp/in.gguf"; sum_in=$(cksum < "$tmp/in.gguf")
expect_status 1 "output equal to input is refused" quantize "$tmp/in.gguf" "$tmp/in.gguf" Q8_0
contains "says it is the input" "is the input file"
ln "$tmp/in.gguf" "$tmp/hard.gguf"
expect_status 1 "output a hard link to the input is refused" quantize "$tmp/in.gguf" "$tmp/hard.gguf" Q8_0
ln -s in.gguf "$tmp/soft.gguf"
expect_status 1 "output a symlink to the input is refused" quantize "$tmp/in.gguf" "$tmp/soft.gguf" Q8_0
[ "$(cksum < "$tmp/in.gguf")" = "$sum_in" ]; ok $? "the input is unchanged"
ln -s opt.gguf "$tmp/link.gguf"
expect_status 1 "output a symlink to another file is refused" quantize "$tmp/in.gguf" "$tmp/link.gguf" Q8_0
contains "says what is there" "symbolic link"
[ -L "$tmp/link.gguf" ]; ok $? "the symlink is left alone"
mkfifo "$tmp/fifo"
expect_status 1 "output a FIFO is refused" quantize "$tmp/in.gguf" "$tmp/fifo" Q8_0
contains "says it is a FIFO" "FIFO"
[ -p "$tmp/fifo" ]; ok $? "the FIFO is left alone"
left=$(ls -A "$tmp" | grep -c lqtmp); [ "$left" = 0 ]; ok $? "no temporary files left ($left)"

# a zero-element tensor (legal): a 96-byte GGUF v3 with one f32 tensor "empty" of 0 x 256
{ printf 'GGUF\003\000\000\000\001\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000'
  printf '\005\000\000\000\000\000\000\000empty\002\000\000\000'
  printf '\000\001\000\000\000\000\000\000\000\000\000\000\000\000\000\000'
  printf '\000\000\000\000\000\000\000\000\000\000\000\000'
  head -c 27 /dev/zero; } > "$tmp/empty.gguf" # padded to the 32-byte alignment
expect_status 0 "inspect a zero-element tensor" inspect "$tmp/empty.gguf"
expect_status 0 "quantize copies a zero-element tensor through" quantize "$tmp/empty.gguf" "$tmp/empty_q.gguf" Q4_0
expect_status 0 "compare zero-element tensors" compare "$tmp/empty.gguf" "$tmp/empty_q.gguf"
contains "compare counts the empty tensor" "1 tensors compared"

# inputs that are not what they seem: a FIFO (used to hang in open), a 0-3 byte .gguf
out=$(timeout 20 "$lq" inspect "$tmp/fifo" 2>&1); rc=$?
[ "$rc" = 1 ]; ok $? "inspect a FIFO fails at once (exit $rc, want 1; 124 is a hang)"
contains "says it is not a regular file" "not a regular file"
for k in 0 3; do
  head -c "$k" "$tmp/in.gguf" > "$tmp/short$k.gguf"
  expect_status 1 "inspect a $k-byte .gguf" inspect "$tmp/short$k.gguf"
  contains "$k-byte .gguf: a GGUF error, not a safetensors one" "lq_gguf_open"
done

expect_status 1 "inspect a missing file" inspect "$tmp/none.gguf"
expect_status 2 "compare with one file" compare "$fixture"

# Hugging Face model folders: lq convert, and the other commands taking a
# folder where they take a GGUF file (byte equality: tests/hf/test_hf_model.c)
if [ -n "$hf" ] && [ -f "$hf/manifest.json" ]; then
  expect_status 0 "convert an HF folder to q8_0" convert "$hf/models/llama3" "$tmp/l3.gguf" --outtype q8_0
  "$lq" inspect "$tmp/l3.gguf" --no-metadata > "$tmp/l3.txt" 2>&1
  "$lq" inspect "$hf/gguf/llama3-q8_0.gguf" --no-metadata > "$tmp/l3-want.txt" 2>&1
  cmp -s "$tmp/l3.txt" "$tmp/l3-want.txt"; ok $? "converted tensors list as the converter's (names, types, shapes, sizes)"
  expect_status 0 "convert with --outtype auto (an f16 checkpoint)" convert "$hf/models/qwen2" "$tmp/q2.gguf"
  out=$("$lq" inspect "$tmp/q2.gguf" --no-metadata 2>&1 | grep "blk.0.ffn_up.weight"); contains "auto gives f16 weights" " f16 "
  expect_status 2 "convert with a bad --outtype" convert "$hf/models/qwen2" "$tmp/bad.gguf" --outtype q4_0
  contains "names the bad outtype" "q4_0"
  expect_status 1 "convert a folder without config.json" convert "$tmp" "$tmp/none.gguf"
  contains "says config.json is missing" "config.json"
  [ ! -e "$tmp/none.gguf" ]; ok $? "a failed convert writes nothing"
  mkdir "$tmp/carded"; ln -s "$hf"/models/qwen2/* "$tmp/carded/"
  printf -- '---\nlicense: apache-2.0\n---\n# A model\n' > "$tmp/carded/README.md"
  expect_status 0 "convert a folder with a model card" convert "$tmp/carded" "$tmp/carded.gguf"
  contains "says the model card is not converted" "model card in README.md"
  expect_status 0 "inspect an HF folder" inspect "$hf/models/qwen3"
  contains "the folder's metadata as converted" "qwen3.attention.key_length"
  expect_status 0 "quantize an HF folder" quantize "$hf/models/llama3" "$tmp/hf-q4.gguf" Q4_K_M
  expect_status 0 "quantize its f32 conversion" quantize "$hf/gguf/llama3-f32.gguf" "$tmp/f32-q4.gguf" Q4_K_M
  "$lq" compare "$tmp/hf-q4.gguf" "$tmp/f32-q4.gguf" > "$tmp/cmp.txt" 2>&1; rc=$?
  [ "$rc" = 0 ] && grep -q " 0 only in A, 0 only in B" "$tmp/cmp.txt" &&
    [ "$(awk 'NR > 1 && NF == 7 && ($2 != $3 || $4 + 0 != 0)' "$tmp/cmp.txt" | wc -l)" = 0 ]
  ok $? "the two quantized files hold the same tensors (compare: same types, RMSE 0 throughout)"
  # a Hugging Face checkpoint folder out (--format); test_hf_checkpoint checks the contents
  expect_status 0 "quantize to a bitsandbytes nf4 checkpoint" quantize "$hf/models/llama3" "$tmp/ck" --format bnb_nf4
  grep -q '"quant_method": "bitsandbytes"' "$tmp/ck/config.json" && [ -f "$tmp/ck/tokenizer.json" ]
  ok $? "the folder has config.json's quantization_config and the tokenizer"
  expect_status 2 "an existing OUT_DIR without --force" quantize "$hf/models/llama3" "$tmp/ck" --format fp8
  contains "says it exists" "exists"
  expect_status 0 "an existing OUT_DIR with --force" quantize "$hf/models/llama3" "$tmp/ck" --format fp8 --force
  grep -q '"compressed-tensors"' "$tmp/ck/config.json"; ok $? "--force replaced the folder"
  expect_status 2 "a format without its calibration text" quantize "$hf/models/llama3" "$tmp/ck2" --format gptq
  contains "asks for --calib" "--calib"
  printf 'In the beginning\n' > "$tmp/short.txt"
  expect_status 2 "a calibration text shorter than one window" quantize "$hf/models/llama3" "$tmp/ck2" --format gptq --calib "$tmp/short.txt" --calib-seqlen 64
  contains "says the text is shorter than a window" "fewer than one window"
  expect_status 2 "a scheme the format cannot hold (awq int3)" quantize "$hf/models/llama3" "$tmp/ck2" --format awq --scheme awq:int3:g128 --calib "$hf/text/kjv-sample.txt"
  contains "says awq stores int4" "int4"
  expect_status 1 "a GGUF model to a checkpoint" quantize "$hf/gguf/llama3-f32.gguf" "$tmp/ck2" --format fp8
  contains "says a GGUF source is not supported" "GGUF"
  [ ! -e "$tmp/ck2" ] && [ "$(ls "$tmp" | grep -c 'ck.*\.\(tmp\|old\)-')" = 0 ]
  ok $? "the refused and failed runs left nothing"
  expect_status 0 "a calibrated gptq checkpoint" quantize "$hf/models/llama3" "$tmp/ck3" --format gptq --calib "$hf/text/kjv-sample.txt" --calib-samples 2 --calib-seqlen 64
  [ -f "$tmp/ck3/quantize_config.json" ]; ok $? "gptq writes quantize_config.json"
  expect_status 2 "an unknown format" quantize "$hf/models/llama3" "$tmp/ck4" --format exl2
elif [ -n "${LQ_REQUIRE_ORACLE:-}" ] && [ "$LQ_REQUIRE_ORACLE" != 0 ]; then
  ok 1 "Hugging Face fixtures required (LQ_REQUIRE_ORACLE) but absent at '$hf'"
else
  n=$((n+1)); echo "ok $n - Hugging Face folders # SKIP no fixtures at '$hf'"
fi

echo "1..$n"
[ "$failed" = 0 ]
