#!/bin/sh
# gguf_interop.sh GGUF_TOOL — run gguf_interop.mjs when node and the npm
# package @huggingface/gguf are there, else report a skip (TAP).
tool="$1"
here="$(dirname "$0")"
npm_root="${LQ_NPM_ROOT:-$HOME/.cache/libquant/npm/node_modules}"
if ! command -v node >/dev/null 2>&1; then
  echo "1..0 # SKIP node is not installed"
  exit 0
fi
if [ ! -f "$npm_root/@huggingface/gguf/dist/index.mjs" ]; then
  echo "1..0 # SKIP the npm package @huggingface/gguf is not in $npm_root (set LQ_NPM_ROOT)"
  exit 0
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/lqt-interop-XXXXXX")" || exit 1
trap 'rm -rf "$work"' EXIT
node "$here/gguf_interop.mjs" "$tool" "$work" "$npm_root"
