#!/bin/sh
# gguf_interop.sh GGUF_TOOL — run gguf_interop.mjs when node and the npm
# package @huggingface/gguf are there, else report a skip (TAP). The packages
# are in the oracle folder, $LQ_ORACLE_DIR (default ~/.cache/libquant/npm, as
# .ci/install-deps installs them); with LQ_REQUIRE_ORACLE set (not "" or "0")
# they must be there, and a missing one is a failure instead of a skip.
tool="$1"
here="$(dirname "$0")"
npm_root="${LQ_ORACLE_DIR:-$HOME/.cache/libquant/npm}/node_modules"
skip_all() {
  case "${LQ_REQUIRE_ORACLE:-0}" in
    ""|0) echo "1..0 # SKIP $1"; exit 0 ;;
  esac
  printf '1..1\n# the oracle is required (LQ_REQUIRE_ORACLE): %s\nnot ok 1 - interop\n' "$1"
  exit 1
}
command -v node >/dev/null 2>&1 || skip_all "node is not installed"
[ -f "$npm_root/@huggingface/gguf/dist/index.mjs" ] ||
  skip_all "the npm package @huggingface/gguf is not in $npm_root (set LQ_ORACLE_DIR, run .ci/install-deps)"
work="$(mktemp -d "${TMPDIR:-/tmp}/lqt-interop-XXXXXX")" || exit 1
trap 'rm -rf "$work"' EXIT
node "$here/gguf_interop.mjs" "$tool" "$work" "$npm_root"
