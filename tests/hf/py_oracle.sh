#!/bin/sh
# py_oracle.sh LIBQUANT_SO CACHE_DIR SCRIPT [ARGS...] — runs tests/hf/SCRIPT
# (a TAP test) as SCRIPT CACHE_DIR ARGS... with the venv's python and the
# Python binding loading LIBQUANT_SO, on the fixtures in CACHE_DIR
# ($LQ_HF_FIXTURES wins). Without the venv or the fixtures it reports a
# skip, or a failure when LQ_REQUIRE_ORACLE=1; a missing quantizer package
# skips (or fails) only the cases that use it.
here="$(cd "$(dirname "$0")" && pwd)"
lib="$1"
cache="${LQ_HF_FIXTURES:-$2}"
script="$3"
venv="${LQ_VENV:-$HOME/.cache/libquant/venv}"

missing() {
  if [ "${LQ_REQUIRE_ORACLE:-0}" = 1 ]; then
    echo "1..1"
    echo "not ok 1 - $1 (LQ_REQUIRE_ORACLE=1 requires it)"
    exit 1
  fi
  echo "1..0 # SKIP $1"
  exit 0
}

[ -n "$lib" ] && [ -n "$cache" ] && [ -n "$script" ] ||
  { echo "usage: py_oracle.sh LIBQUANT_SO CACHE_DIR SCRIPT [ARGS...]" >&2; exit 2; }
shift 3
py="$venv/bin/python"
[ -x "$py" ] || missing "no Python venv at $venv (.ci/install-deps makes it)"
"$py" -c "import torch, transformers, safetensors, numpy" 2>/dev/null ||
  missing "the venv at $venv lacks torch/transformers/safetensors/numpy"
[ -d "$cache/models/llama3" ] || missing "no fixtures in $cache (the hf-fixtures test makes them)"
LIBQUANT_LIBRARY="$lib" PYTHONPATH="$here/../../bindings/python${PYTHONPATH:+:$PYTHONPATH}" \
  exec "$py" "$here/$script" "$cache" "$@"
