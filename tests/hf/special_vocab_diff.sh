#!/bin/sh
# special_vocab_diff.sh TOOL FIXTURES — runs special_vocab_diff.py in the
# oracle venv with the HF fixtures' converter; a skip without them, or a
# failure when LQ_REQUIRE_ORACLE=1 says they must be there. TAP.
fixtures="${LQ_HF_FIXTURES:-$2}"
venv="${LQ_VENV:-$HOME/.cache/libquant/venv}"
if [ ! -x "$venv/bin/python" ] || [ ! -d "$fixtures/converter/gguf-py" ]; then
  if [ "${LQ_REQUIRE_ORACLE:-0}" = 1 ]; then
    echo "1..1"; echo "not ok 1 - the venv ($venv) and the HF fixtures ($fixtures) are required"; exit 1
  fi
  echo "1..0 # SKIP needs the oracle venv ($venv) and the HF fixtures' converter ($fixtures)"
  exit 0
fi
exec "$venv/bin/python" "$(dirname "$0")/special_vocab_diff.py" "$fixtures/converter" "$1"
