#!/usr/bin/env bash
# lq imatrix against llama.cpp's llama-imatrix on the fixture: its arguments,
# then (with the oracle: tests/llama_tool.sh builds llama-imatrix and
# llama-quantize from the bundled source) both file forms entry by entry, and
# lq quantize --imatrix against llama-quantize fed the same files. TAP output.
# Usage: test_imatrix_llama.sh PATH/TO/lq [HF_FIXTURES] (LQ_HF_FIXTURES overrides
# the second: the Hugging Face fixtures, for a model with a tied head)
#
# Tolerances. Both tools run the same float32 model on the same tokens, so the
# entries, shapes, token counts and call counts must be equal and only the
# values (sums of x^2 per input column over N tokens) may differ:
#  - exact settings (llama-imatrix with an f32 KV cache and without flash
#    attention, lq with an f32 cache): the only differences are the order of
#    float32 additions. llama.cpp adds the N = 512 squares of a column in a
#    float, which Higham's bound for sums of positive terms puts within
#    gamma(N-1) = (N-1) 2^-24 = 3.05e-5 of the exact sum (lq adds in
#    double). Each activation is a dot product whose float32 error is at most
#    gamma(K) = K 2^-24 relative (K <= 768, the widest input: 4.58e-5) when
#    its terms do not cancel, and a square doubles a relative error:
#    TOL_EXACT = 3.05e-5 + 2 * 4.58e-5 = 1.22e-4. (Measured: 3.4e-6.)
#  - llama.cpp's defaults (f16 KV cache, flash attention on the CPU, which
#    also rounds Q to f16) against lq with an f16 cache: K and V are rounded
#    alike, but Q is not, and a value rounded by one tool may round to the
#    neighbouring f16 in the other; either moves an activation downstream by
#    at most one f16 unit roundoff 2^-11 relative, doubled by the square:
#    2 * 2^-11 = 9.77e-4, plus the float32 bound above for the N = 1280 tokens
#    run here (1279 * 2^-24 + 2 * 4.58e-5 = 1.68e-4): TOL_F16 = 1.15e-3.
#    (Measured: 3.3e-5 here, 8.2e-5 over 4 chunks of 128.)
lq="$1"
hf="${LQ_HF_FIXTURES:-${2:-}}"
root="${LQ_SOURCE_ROOT:-$(dirname "$0")/../..}"
fixture="$root/tests/model/fixture/tiny-llama-f32.gguf"
text="$root/tests/model/fixture/heldout.txt"
venv="${LQ_VENV:-$HOME/.cache/libquant/venv}"
TOL_EXACT=1.22e-4
TOL_F16=1.15e-3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0; failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
run() { # run WANT_STATUS DESCRIPTION ARGS... (output in $out)
  local want=$1 desc=$2; shift 2
  out=$("$lq" imatrix "$@" 2>&1); rc=$?
  [ "$rc" = "$want" ]; ok $? "$desc (exit $rc, want $want)"
  [ "$rc" = "$want" ] || printf '%s\n' "$out" | head -8 | sed 's/^/# /'
}
check() { # check DESCRIPTION COMMAND...: the command's output becomes diagnostics
  local desc=$1; shift
  out=$("$@" 2>&1); rc=$?
  ok $rc "$desc"
  printf '%s\n' "$out" | sed 's/^/# /'
}
finish() { echo "1..$n"; [ "$failed" = 0 ]; exit $?; }

# arguments (no oracle needed)
printf 'too short\n' > "$tmp/short.txt"
run 2 "no arguments"
run 2 "no --text" "$fixture" -o "$tmp/x.gguf"
run 2 "unknown format" "$fixture" --text "$text" -o "$tmp/x.dat" --format bin
run 2 "unknown KV type" "$fixture" --text "$text" -o "$tmp/x.dat" --kv q8
run 2 "output is the model" "$fixture" --text "$text" -o "$fixture"
run 2 "fewer tokens than one chunk" "$fixture" --text "$tmp/short.txt" -o "$tmp/x.gguf" --ctx 128
[ ! -e "$tmp/x.gguf" ]; ok $? "no output after a usage error"
run 1 "missing model" "$tmp/none.gguf" --text "$text" -o "$tmp/x.gguf"
run 0 "help" --help
run 0 "the form follows the extension" "$fixture" --text "$text" -o "$tmp/own.dat" --ctx 128 --chunks 2
head -c 4 "$tmp/own.dat" | od -An -tx1 | grep -qv "47 47 55 46"; ok $? ".dat is the legacy form"

# against llama.cpp
skip() { # skip REASON: a skip, or a failure when the oracle is required
  if [ -n "${LQ_REQUIRE_ORACLE:-}" ] && [ "$LQ_REQUIRE_ORACLE" != 0 ]; then
    ok 1 "the llama.cpp oracle is required (LQ_REQUIRE_ORACLE): $1"
  else
    n=$((n+1)); echo "ok $n # SKIP $1"
  fi
}
missing() { skip "llama.cpp comparison: $1"; finish; }
imatrix=$("$root/tests/llama_tool.sh" imatrix 2>"$tmp/why") || missing "$(tail -1 "$tmp/why")"
quantize=$("$root/tests/llama_tool.sh" quantize 2>"$tmp/why") || missing "$(tail -1 "$tmp/why")"
py="$venv/bin/python"
"$py" -c "import gguf, numpy" 2>/dev/null || missing "no Python with gguf-py and numpy at $venv"
compare() { "$py" "$root/tests/model/imatrix_compare.py" "$@"; }
same_tensors() { "$py" "$root/tests/model/gguf_same_tensors.py" "$@"; }
llama() { # llama MODEL OUT ARGS...: llama-imatrix, its log kept for a failure
  local m=$1 o=$2; shift 2
  "$imatrix" -m "$m" -o "$o" -t 2 --no-ppl "$@" > "$tmp/llama.log" 2>&1 ||
    { tail -5 "$tmp/llama.log" | sed 's/^/# /'; return 1; }
}

# exact settings, the output head too, both forms: 4 chunks of 128 tokens
exact=(-c 128 --chunks 4 -ctk f32 -ctv f32 -fa off --process-output -f "$text")
for form in gguf dat; do
  llama "$fixture" "$tmp/llama.$form" "${exact[@]}" --output-format "$form"; ok $? "llama-imatrix writes the $form form"
  run 0 "lq imatrix writes the $form form" "$fixture" --text "$text" -o "$tmp/lq.$form" \
      --ctx 128 --chunks 4 --threads 2 --process-output
  check "$form: same keys, entries, shapes and counts; values within $TOL_EXACT" \
      compare "$tmp/lq.$form" "$tmp/llama.$form" "$TOL_EXACT"
done

# llama.cpp's defaults (f16 cache, flash attention) against lq's f16 cache, over
# every whole chunk of 256 tokens of a text that ends inside a chunk
head -c 6000 "$text" > "$tmp/part.txt"
llama "$fixture" "$tmp/llama-f16.gguf" -c 256 -f "$tmp/part.txt"; ok $? "llama-imatrix with its defaults"
run 0 "lq imatrix with an f16 cache" "$fixture" --text "$tmp/part.txt" -o "$tmp/lq-f16.gguf" \
    --ctx 256 --threads 2 --kv f16
check "defaults: same keys, entries, shapes and counts; values within $TOL_F16" \
    compare "$tmp/lq-f16.gguf" "$tmp/llama-f16.gguf" "$TOL_F16"

# a head tied to the token embedding (convert_hf_to_gguf.py's llama2-tied
# fixture): --process-output adds nothing, for either tool
tied="$hf/gguf/llama2-tied-f32.gguf"
if [ -n "$hf" ] && [ -f "$tied" ]; then
  llama "$tied" "$tmp/llama-tied.gguf" "${exact[@]}"; ok $? "llama-imatrix on a tied head"
  run 0 "lq imatrix on a tied head" "$tied" --text "$text" -o "$tmp/lq-tied.gguf" --ctx 128 \
      --chunks 4 --threads 2 --process-output
  check "tied head: same keys, entries, shapes and counts; values within $TOL_EXACT" \
      compare "$tmp/lq-tied.gguf" "$tmp/llama-tied.gguf" "$TOL_EXACT"
else
  skip "no Hugging Face fixture at '$tied' (LQ_HF_FIXTURES; the hf-fixtures test makes them)"
fi

# each file read alike: lq quantize --imatrix and llama-quantize --imatrix
# make the same tensors from it (the values of the two tools' files are not
# bit-equal, so their quantized models are not)
for f in lq.gguf lq.dat llama.gguf llama.dat; do
  "$lq" quantize "$fixture" "$tmp/q-lq.gguf" Q4_K_M --imatrix "$tmp/$f" --threads 2 >/dev/null 2>&1 &&
    "$quantize" --imatrix "$tmp/$f" "$fixture" "$tmp/q-llama.gguf" Q4_K_M 2 >"$tmp/q.log" 2>&1
  ok $? "Q4_K_M with $f by both quantizers"
  check "Q4_K_M with $f: the same tensors" same_tensors "$tmp/q-lq.gguf" "$tmp/q-llama.gguf"
done
finish
