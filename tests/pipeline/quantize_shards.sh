#!/usr/bin/env bash
# lq quantize --shard I/N: N separate processes, run at the same time, each
# writing its own file of a split plan, give exactly the files one
# `lq quantize --split-max-*` run writes (tests/io/gguf_split.sh checks
# those against llama-gguf-split). TAP output.
# Usage: quantize_shards.sh PATH/TO/lq BUILD_DIR
lq="$1"; build="$2"
here=$(cd "$(dirname "$0")" && pwd)
tiny="${LQ_SOURCE_ROOT:-$here/../..}/tests/model/fixture/tiny-llama-f32.gguf"
hf_dir="${LQ_HF_FIXTURES:-$build/tests/hf/fixtures}/models/llama3"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
required() { [ -n "${LQ_REQUIRE_ORACLE:-}" ] && [ "$LQ_REQUIRE_ORACLE" != 0 ]; }
n=0; failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
skip() {
  if required; then ok 1 "$1 (required, but $2)"; else n=$((n+1)); echo "ok $n - $1 # SKIP $2"; fi
}

# sharded NAME INPUT TYPE SPLIT_OPTIONS...: the whole run, then every shard
# as its own background process; the same file names and bytes
sharded() {
  local name=$1 in=$2 type=$3; shift 3
  local desc="$name: $type $* in shards = one run"
  mkdir -p "$tmp/one/$name" "$tmp/shards/$name"
  "$lq" quantize "$in" "$tmp/one/$name/m.gguf" "$type" "$@" > "$tmp/out" 2>&1 || {
    ok 1 "$desc (the single run failed)"; sed 's/^/# /' "$tmp/out" | tail -3; return; }
  local count
  count=$("$lq" quantize "$in" "$tmp/shards/$name/m.gguf" "$type" "$@" --print-split-count 2>&1)
  local files; files=$(ls "$tmp/one/$name" | wc -l)
  if [ "$count" != "$files" ]; then
    ok 1 "$desc (--print-split-count says '$count', the run wrote $files files)"; return
  fi
  local pids="" i r=0
  for i in $(seq 1 "$count"); do
    "$lq" quantize "$in" "$tmp/shards/$name/m.gguf" "$type" "$@" --shard "$i/$count" \
      > "$tmp/shard-$i.out" 2>&1 & pids="$pids $!"
  done
  for p in $pids; do wait "$p" || r=1; done
  [ "$r" = 0 ] || sed 's/^/# /' "$tmp"/shard-*.out | grep -iv "written file" | head -3
  diff <(ls "$tmp/one/$name") <(ls "$tmp/shards/$name") > /dev/null || r=1
  for f in "$tmp/one/$name"/*; do cmp -s "$f" "$tmp/shards/$name/${f##*/}" || r=1; done
  [ "$count" -gt 1 ] || r=1
  ok $r "$desc ($count files)"
}

sharded t10 "$tiny" Q8_0 --split-max-tensors 10
sharded s1 "$tiny" Q4_K_M --split-max-size 1M
sharded nt "$tiny" Q6_K --split-max-tensors 13 --no-tensor-first-split
sharded t7 "$tiny" Q2_K --split-max-tensors 7
if [ -d "$hf_dir" ]; then
  sharded hf "$hf_dir" Q4_K_M --split-max-size 1M
else
  skip "shards of a Hugging Face folder" "no fixture at $hf_dir"
fi

# the shards merged are the unsplit quantization, byte for byte
"$lq" quantize "$tiny" "$tmp/q.gguf" Q4_K_M > /dev/null 2>&1 &&
  "$lq" merge "$tmp/shards/s1/m-00001-of-"*.gguf "$tmp/merged.gguf" > /dev/null 2>&1 &&
  cmp -s "$tmp/q.gguf" "$tmp/merged.gguf"
ok $? "the shards merged are the unsplit quantized file"

# bad uses: a count the plan does not give, a shard out of range, bad syntax;
# exit 2, and no file written
"$lq" quantize "$tiny" "$tmp/bad.gguf" Q8_0 --split-max-tensors 10 --shard 1/3 > "$tmp/out" 2>&1
[ $? = 2 ] && grep -q "make 4 files, not 3" "$tmp/out"; ok $? "--shard 1/3 for a plan of 4 files is refused, naming 4"
for v in 0/4 5/4 1 a/4 1/0 "1/4/4"; do
  "$lq" quantize "$tiny" "$tmp/bad.gguf" Q8_0 --split-max-tensors 10 --shard "$v" > "$tmp/out" 2>&1
  [ $? = 2 ] && grep -q -- "--shard" "$tmp/out"; ok $? "--shard $v is refused"
done
ls "$tmp" | grep -q "^bad" && r=1 || r=0; ok $r "refused shards leave no file"

echo "1..$n"
[ "$failed" = 0 ]
