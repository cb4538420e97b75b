#!/usr/bin/env bash
# Regenerates the exported-symbol list (names with their version nodes) and
# the abidw baseline from a build (default: build/). Run after an intended
# public API change, and commit both. A new experimental call also needs its
# name in LIBQUANT_EXPERIMENTAL_0 of libquant/libquant.map (check_tiers.sh
# fails until it is there).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
lib=$(ls "$build"/libquant.so.*.*.* | head -1)
"$here/exported.sh" "$lib" > "$here/libquant.symbols"
abidw --headers-dir "$here/../../include" --no-corpus-path --out-file "$here/libquant.abi" "$lib"
echo "updated $here/libquant.symbols ($(wc -l < "$here/libquant.symbols") symbols) and libquant.abi"
