#!/bin/sh
# hf_fixtures.sh CACHE_DIR — the 'hf-fixtures' test: makes (or reuses) the
# Hugging Face fixtures and oracles in CACHE_DIR ($LQ_HF_FIXTURES wins) with
# the venv's python, then checks them (TAP). Without the venv, the KJV or
# llama.cpp's git bundle it reports a skip, or a failure when
# LQ_REQUIRE_ORACLE=1 says the oracles must be there.
here="$(cd "$(dirname "$0")" && pwd)"
cache="${LQ_HF_FIXTURES:-$1}"
venv="${LQ_VENV:-$HOME/.cache/libquant/venv}"
bundle="${LQ_ORACLE_DIR:-$HOME/.cache/libquant/npm}/node_modules/node-llama-cpp/llama/gitRelease.bundle"

missing() {
  if [ "${LQ_REQUIRE_ORACLE:-0}" = 1 ]; then
    echo "1..1"
    echo "not ok 1 - $1 (LQ_REQUIRE_ORACLE=1 requires it)"
    exit 1
  fi
  echo "1..0 # SKIP $1"
  exit 0
}

[ -n "$cache" ] || { echo "usage: hf_fixtures.sh CACHE_DIR" >&2; exit 2; }
py="$venv/bin/python"
[ -x "$py" ] || missing "no Python venv at $venv (.ci/install-deps makes it)"
"$py" -c "import torch, transformers, tokenizers, sentencepiece, safetensors, numpy" 2>/dev/null ||
  missing "the venv at $venv lacks torch/transformers/tokenizers/sentencepiece/safetensors"
[ -f "$bundle" ] || missing "no llama.cpp git bundle at $bundle"
command -v bible >/dev/null 2>&1 || missing "no KJV text: the 'bible' command (Debian bible-kjv) is not installed"

mkdir -p "$cache" || exit 1
log="$cache/make_fixtures.log"
if ! "$py" "$here/make_fixtures.py" "$cache" --bundle "$bundle" > "$log" 2>&1; then
  echo "1..1"
  echo "not ok 1 - make_fixtures.py failed"
  tail -n 40 "$log" | sed 's/^/# /'
  exit 1
fi
echo "# $(tail -n 1 "$log")"
exec "$py" "$here/check_fixtures.py" "$cache"
