#!/usr/bin/env bash
# Split GGUF models: `lq split` writes the same files as llama.cpp's
# llama-gguf-split (built from the oracle's source by tests/llama_tool.sh)
# with the same options, byte for byte; `lq merge` gives the unsplit file
# back byte for byte; a split model is one model for `lq inspect` and
# `lq quantize`. TAP output. Usage: gguf_split.sh PATH/TO/lq BUILD_DIR
# Without the oracle the comparisons skip (fail under LQ_REQUIRE_ORACLE); the
# Hugging Face fixture (a 1 MiB tensor, larger than --split-max-size 1M) is
# read from $LQ_HF_FIXTURES (default BUILD_DIR/tests/hf/fixtures) and its
# cases skip without it in the same way.
lq="$1"; build="$2"
here=$(cd "$(dirname "$0")" && pwd)
tiny="${LQ_SOURCE_ROOT:-$here/../..}/tests/model/fixture/tiny-llama-f32.gguf"
hf="${LQ_HF_FIXTURES:-$build/tests/hf/fixtures}/gguf/llama3-f32.gguf"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
required() { [ -n "${LQ_REQUIRE_ORACLE:-}" ] && [ "$LQ_REQUIRE_ORACLE" != 0 ]; }
n=0; failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
skip() { # skip DESCRIPTION REASON: a skip, or a failure when the oracle is required
  if required; then ok 1 "$1 (required, but $2)"; else n=$((n+1)); echo "ok $n - $1 # SKIP $2"; fi
}

oracle=$("$here/../llama_tool.sh" gguf-split 2>"$tmp/oracle.err") || oracle=""
why_no_oracle="llama-gguf-split cannot be built: $(head -1 "$tmp/oracle.err")"

# same_split NAME INPUT OPTIONS...: both tools split INPUT with OPTIONS into
# files named NAME-*; the same file names, each file the same bytes
same_split() {
  local name=$1 in=$2; shift 2
  local desc="$name: lq split $* = llama-gguf-split --split $*"
  mkdir -p "$tmp/lq" "$tmp/ref"
  "$lq" split "$in" "$tmp/lq/$name" "$@" > "$tmp/out" 2>&1
  local rc=$?
  if [ -z "$oracle" ]; then skip "$desc" "$why_no_oracle"; return; fi
  "$oracle" --split "$@" "$in" "$tmp/ref/$name" > "$tmp/ref.out" 2>&1
  local rc_ref=$?
  local diffs=""
  (cd "$tmp/lq" && ls "$name"-*) > "$tmp/l1" 2>/dev/null
  (cd "$tmp/ref" && ls "$name"-*) > "$tmp/l2" 2>/dev/null
  cmp -s "$tmp/l1" "$tmp/l2" || diffs="file lists differ: $(tr '\n' ' ' < "$tmp/l1") vs $(tr '\n' ' ' < "$tmp/l2")"
  while read -r f; do
    cmp -s "$tmp/lq/$f" "$tmp/ref/$f" || diffs="$diffs $f differs;"
  done < "$tmp/l2"
  [ "$rc" = 0 ] && [ "$rc_ref" = 0 ] && [ -s "$tmp/l2" ] && [ -z "$diffs" ]
  ok $? "$desc ($(wc -l < "$tmp/l2") files)"
  [ -z "$diffs" ] || echo "# $diffs"
  [ "$rc" = 0 ] || sed 's/^/# lq: /' "$tmp/out" | head -3
  [ "$rc_ref" = 0 ] || tail -3 "$tmp/ref.out" | sed 's/^/# llama-gguf-split: /'
}

# the tiny model: 39 tensors of at most 786432 bytes, 13 MB
same_split t1 "$tiny" --split-max-tensors 1
same_split t7 "$tiny" --split-max-tensors 7
same_split t39 "$tiny" --split-max-tensors 39
same_split tdefault "$tiny"
same_split s1 "$tiny" --split-max-size 1M
same_split s5 "$tiny" --split-max-size 5M
same_split nt10 "$tiny" --split-max-tensors 10 --no-tensor-first-split
same_split ns3 "$tiny" --split-max-size 3M --no-tensor-first-split
if [ -f "$hf" ]; then
  # token_embd.weight is 1048576 bytes: larger than 1M, so it gets a file of its own
  same_split h1 "$hf" --split-max-size 1M
  same_split h2 "$hf" --split-max-size 2M
  same_split ht5 "$hf" --split-max-tensors 5
else
  skip "split of the Hugging Face fixture" "no fixture at $hf"
fi

# merging what lq split wrote gives the input back, byte for byte
for set in t7 s1 nt10; do
  "$lq" merge "$tmp/lq/$set"-00001-of-*.gguf "$tmp/merged-$set.gguf" > "$tmp/out" 2>&1 &&
    cmp -s "$tmp/merged-$set.gguf" "$tiny"
  ok $? "lq merge of the $set files gives the input back"
done

# one model: inspect lists the split model as the unsplit one, and quantize
# writes the same file from either
"$lq" inspect "$tiny" > "$tmp/i1" 2>&1
"$lq" inspect "$tmp/lq/t7"-00001-of-*.gguf > "$tmp/i2" 2>&1
cmp -s "$tmp/i1" "$tmp/i2"; ok $? "lq inspect: the split model lists as the unsplit file"
"$lq" quantize "$tiny" "$tmp/q1.gguf" Q8_0 > /dev/null 2>&1 &&
  "$lq" quantize "$tmp/lq/s5"-00001-of-*.gguf "$tmp/q2.gguf" Q8_0 > /dev/null 2>&1 &&
  cmp -s "$tmp/q1.gguf" "$tmp/q2.gguf"
ok $? "lq quantize Q8_0: the split model gives the same file as the unsplit one"

# quantize straight to split files: the files llama-gguf-split makes of the
# unsplit output
"$lq" quantize "$tiny" "$tmp/lq/qs.gguf" Q8_0 --split-max-tensors 10 > "$tmp/out" 2>&1
rc=$?
if [ -z "$oracle" ]; then skip "lq quantize --split-max-tensors 10" "$why_no_oracle"; else
  "$oracle" --split --split-max-tensors 10 "$tmp/q1.gguf" "$tmp/ref/qs" > /dev/null 2>&1
  r=$rc; m=0
  for f in "$tmp/ref"/qs-*; do m=$((m+1)); cmp -s "$f" "$tmp/lq/${f##*/}" || r=1; done
  [ "$(ls "$tmp/lq" | grep -c '^qs-')" = "$m" ] && [ "$m" -gt 1 ] || r=1
  ok $r "lq quantize --split-max-tensors 10 = llama-gguf-split of the quantized file"
fi

# bad uses: exit 2 for bad options, 1 with the reason for a broken set
"$lq" split "$tiny" "$tmp/bad" --split-max-size 10K > "$tmp/out" 2>&1
[ $? = 2 ] && grep -q "10K" "$tmp/out"; ok $? "--split-max-size 10K is refused (M or G only)"
"$lq" split "$tiny" "$tmp/bad" --split-max-size 1M --split-max-tensors 3 > "$tmp/out" 2>&1
[ $? = 2 ]; ok $? "both limits at once are refused"
"$lq" inspect "$tmp/lq/t7-00002-of-00006.gguf" > "$tmp/out" 2>&1
[ $? = 1 ] && grep -q "open the first" "$tmp/out"; ok $? "opening a later file names the first"
rm "$tmp/lq/t7-00004-of-00006.gguf"
"$lq" inspect "$tmp/lq/t7-00001-of-00006.gguf" > "$tmp/out" 2>&1
[ $? = 1 ] && grep -q "t7-00004-of-00006.gguf" "$tmp/out"; ok $? "a missing file is named"
ls "$tmp/lq" "$tmp" | grep -q "bad" && r=1 || r=0; ok $r "refused splits leave no file"

echo "1..$n"
[ "$failed" = 0 ]
