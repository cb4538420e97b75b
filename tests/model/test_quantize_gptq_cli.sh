#!/usr/bin/env bash
# lq quantize --method: the calibrated path on the fixture. --method rtn
# writes the plain command's bytes; --method gptq writes a file of the same
# layout and size with other codes, the same for the same seed (--method
# awq too, its scales folded into the norms; and with the calibration states
# in a temporary file, --max-memory 1, which leaves nothing in TMPDIR; and
# with --max-memory 0, no limit); bad arguments exit 2. TAP output. Usage: test_quantize_gptq_cli.sh PATH/TO/lq
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

run 0 "--method awq" "$fixture" "$tmp/a1.gguf" Q4_K_M --method awq "${calib[@]}"
[ "$(stat -c %s "$tmp/a1.gguf")" = "$(stat -c %s "$tmp/plain.gguf")" ]
ok $? "awq's file has the plain file's size (the same types; the scales live in the norms)"
! cmp -s "$tmp/a1.gguf" "$tmp/plain.gguf"; ok $? "awq's tensors differ from rounding to nearest"
run 2 "awq without --calib" "$fixture" "$tmp/x.gguf" Q4_K_M --method awq
# the plain command's options choose the types: under a size budget --method
# rtn writes the plain command's bytes, gptq and awq a file of the same types
# and size (so within the budget), with other codes
bpw=4.2
run 0 "plain --target-bpw" "$fixture" "$tmp/b.gguf" --target-bpw $bpw
run 0 "--method rtn --target-bpw" "$fixture" "$tmp/br.gguf" --target-bpw $bpw --method rtn
cmp -s "$tmp/b.gguf" "$tmp/br.gguf"; ok $? "--method rtn under a budget writes the plain command's bytes"
for m in gptq awq; do
  run 0 "--method $m --target-bpw" "$fixture" "$tmp/b$m.gguf" --target-bpw $bpw --method $m "${calib[@]}"
  bits=$(printf '%s\n' "$out" | sed -n 's/.* \([0-9.]*\) bits per weight.*/\1/p')
  awk -v b="$bits" -v t=$bpw 'BEGIN { exit !(b != "" && b <= t) }'; ok $? "$m: $bits bits per weight, within $bpw"
  [ "$(stat -c %s "$tmp/b$m.gguf")" = "$(stat -c %s "$tmp/b.gguf")" ]
  ok $? "$m: the budgeted file's size"
  ! cmp -s "$tmp/b$m.gguf" "$tmp/b.gguf"; ok $? "$m: other codes than rounding to nearest"
done
run 0 "--method gptq with --tensor-type" "$fixture" "$tmp/tt.gguf" Q4_K_M --method gptq \
    "${calib[@]}" --tensor-type 'ffn_down=q8_0'
run 0 "plain with --tensor-type" "$fixture" "$tmp/ttp.gguf" Q4_K_M --tensor-type 'ffn_down=q8_0'
[ "$(stat -c %s "$tmp/tt.gguf")" = "$(stat -c %s "$tmp/ttp.gguf")" ]
ok $? "--tensor-type gives gptq's file the plain file's types"

run 2 "gptq without --calib" "$fixture" "$tmp/x.gguf" Q4_K_M --method gptq
has "says what is missing" "--calib FILE"
run 2 "a file type that is not a k-quant mixture" "$fixture" "$tmp/x.gguf" Q4_0 --method gptq "${calib[@]}"
has "lists the mixtures" "Q4_K_M"
run 2 "split options" "$fixture" "$tmp/x.gguf" Q4_K_M --method gptq "${calib[@]}" \
    --split-max-tensors 8
run 2 "calibration options without --method" "$fixture" "$tmp/x.gguf" Q4_K_M "${calib[@]}"
run 2 "unknown method" "$fixture" "$tmp/x.gguf" Q4_K_M --method awq2 "${calib[@]}"
run 2 "--max-memory -1" "$fixture" "$tmp/x.gguf" Q4_K_M --method gptq "${calib[@]}" --max-memory -1
run 0 "--max-memory 0 (no limit)" "$fixture" "$tmp/g0.gguf" Q4_K_M --method gptq "${calib[@]}" \
    --seed 7 --max-memory 0
cmp -s "$tmp/g1.gguf" "$tmp/g0.gguf"; ok $? "--max-memory 0 gives the bytes of no option (a small model)"
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
