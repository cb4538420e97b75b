#!/usr/bin/env bash
# Compares the built library's ABI with the committed abidw baseline. Any
# difference fails (abidiff's exit code is a bitmask: 4 = change, 8 =
# incompatible); an intended change regenerates the baseline in the same commit
# with tests/abi/update.sh. Symbol versions are part of the comparison: a call
# moved between LIBQUANT_0 and LIBQUANT_EXPERIMENTAL_0 is a removed symbol.
set -uo pipefail
lib="$1"; baseline="$2"; headers="$3"
for node in LIBQUANT_0 LIBQUANT_EXPERIMENTAL_0; do
  grep -q "version='$node'" "$baseline" || {
    echo "$baseline has no symbol of version $node (made from a library linked without libquant.map?)"
    exit 1
  }
done
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
