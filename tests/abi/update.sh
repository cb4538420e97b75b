#!/usr/bin/env bash
# Regenerates the exported-symbol list and the abidw baseline from a build
# (default: build/). Run after an intended public API change, and commit both.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
lib=$(ls "$build"/libquant.so.*.*.* | head -1)
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' | grep -v '^LIBQUANT_' | sort -u > "$here/libquant.symbols"
abidw --headers-dir "$here/../../include" --no-corpus-path --out-file "$here/libquant.abi" "$lib"
echo "updated $here/libquant.symbols ($(wc -l < "$here/libquant.symbols") symbols) and libquant.abi"
