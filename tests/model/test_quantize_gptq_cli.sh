#!/usr/bin/env bash
# lq quantize --method: the calibrated path on the fixture. --method rtn
# writes the plain command's bytes; --method gptq writes a file of the same
# layout and size with other codes, the same for the same seed (also with
# the calibration states in a temporary file, --max-memory 1, which leaves
# nothing in TMPDIR); bad arguments exit 2. TAP output. Usage: test_quantize_gptq_cli.sh PATH/TO/lq
lq="$1"
root="${LQ_SOURCE_ROOT:-$(dirname "$0")/../..}"
fixture="$root/tests/model/fixture/tiny-llama-f32.gguf"
text="$root/tests/model/fixture/heldout.txt"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0; failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
run() { # run WANT_STATUS DESCRIPTION ARGS... (output in $out)
  local want=$1 desc=$2; shift 2
  out=$("$lq" quantize "$@" 2>&1); rc=$?
  [ "$rc" = "$want" ]; ok $? "$desc (exit $rc, want $want)"
  [ "$rc" = "$want" ] || printf '%s\n' "$out" | head -8 | sed 's/^/# /'
}
has() { printf '%s\n' "$out" | grep -Eq -- "$2"; ok $? "$1"; }

# calibration from the second half of the held-out text (the tests evaluate on its start)
tail -c 16000 "$text" > "$tmp/calib.txt"
calib=(--calib "$tmp/calib.txt" --calib-samples 8 --calib-seqlen 128)

run 0 "plain Q4_K_M" "$fixture" "$tmp/plain.gguf" Q4_K_M
run 0 "--method rtn" "$fixture" "$tmp/rtn.gguf" Q4_K_M --method rtn
cmp -s "$tmp/plain.gguf" "$tmp/rtn.gguf"; ok $? "--method rtn writes the plain command's bytes"

run 0 "--method gptq" "$fixture" "$tmp/g1.gguf" Q4_K_M --method gptq "${calib[@]}" --seed 7
has "summary line" "^39 tensors \(30 converted\)"
mkdir "$tmp/spill"
out=$(TMPDIR="$tmp/spill" "$lq" quantize "$fixture" "$tmp/g2.gguf" Q4_K_M --method gptq "${calib[@]}" \
  --seed 7 --max-memory 1 2>&1); ok $? "--method gptq again, states in a temporary file"
cmp -s "$tmp/g1.gguf" "$tmp/g2.gguf"; ok $? "the same seed gives the same bytes, states spilled or not"
[ -z "$(ls -A "$tmp/spill")" ]; ok $? "no temporary file left behind"
[ "$(stat -c %s "$tmp/g1.gguf")" = "$(stat -c %s "$tmp/plain.gguf")" ]
ok $? "gptq's file has the plain file's size (the same types)"
! cmp -s "$tmp/g1.gguf" "$tmp/plain.gguf"; ok $? "gptq's codes differ from rounding to nearest"
run 0 "--method gptq with another seed" "$fixture" "$tmp/g3.gguf" Q4_K_M --method gptq \
    "${calib[@]}" --seed 8
! cmp -s "$tmp/g1.gguf" "$tmp/g3.gguf"; ok $? "another seed draws other windows"

run 2 "gptq without --calib" "$fixture" "$tmp/x.gguf" Q4_K_M --method gptq
has "says what is missing" "--calib FILE"
run 2 "a file type that is not a k-quant mixture" "$fixture" "$tmp/x.gguf" Q4_0 --method gptq "${calib[@]}"
has "lists the mixtures" "Q4_K_M"
run 2 "an option of the plain path" "$fixture" "$tmp/x.gguf" Q4_K_M --method gptq "${calib[@]}" --pure
run 2 "calibration options without --method" "$fixture" "$tmp/x.gguf" Q4_K_M "${calib[@]}"
run 2 "unknown method" "$fixture" "$tmp/x.gguf" Q4_K_M --method awq2 "${calib[@]}"
run 2 "--max-memory 0" "$fixture" "$tmp/x.gguf" Q4_K_M --method gptq "${calib[@]}" --max-memory 0
run 2 "--max-memory without --method" "$fixture" "$tmp/x.gguf" Q4_K_M --max-memory 1000
echo "A few words." > "$tmp/short.txt"
run 2 "text shorter than a window" "$fixture" "$tmp/x.gguf" Q4_K_M --method gptq \
    --calib "$tmp/short.txt" --calib-seqlen 128
[ ! -e "$tmp/x.gguf" ]; ok $? "no output after a refusal"
cp "$tmp/plain.gguf" "$tmp/in.gguf"
run 1 "output equal to input is refused" "$tmp/in.gguf" "$tmp/in.gguf" Q4_K_M --method rtn
cmp -s "$tmp/plain.gguf" "$tmp/in.gguf"; ok $? "the input is left as it was"
run 0 "help" --help; has "help names --method" "--method gptq"
has "help names --max-memory" "--max-memory BYTES"

echo "1..$n"
[ "$failed" = 0 ]
