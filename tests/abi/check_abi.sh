#!/usr/bin/env bash
# Compares the built library's ABI with the committed abidw baseline. Any
# difference fails (abidiff's exit code is a bitmask: 4 = change, 8 =
# incompatible); an intended change regenerates the baseline in the same commit
# with tests/abi/update.sh.
set -uo pipefail
lib="$1"; baseline="$2"; headers="$3"
if ! command -v abidiff >/dev/null; then
  echo "1..0 # SKIP abidiff not installed (Debian package abigail-tools)"; exit 0
fi
abidiff --headers-dir1 "$headers" --headers-dir2 "$headers" \
        "$baseline" "$lib"
rc=$?
if [ $rc -ne 0 ]; then
  echo "abidiff exit $rc: the ABI differs from $baseline (run tests/abi/update.sh if intended)"
  exit 1
fi
echo "ABI matches the baseline"
