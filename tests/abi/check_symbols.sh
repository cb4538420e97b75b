#!/usr/bin/env bash
# The library exports exactly the lq_ symbols listed in libquant.symbols, each
# with the version node listed there (LIBQUANT_0 or LIBQUANT_EXPERIMENTAL_0,
# libquant/libquant.map). After an intended API change, regenerate with
# tests/abi/update.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lib="$1"; list="$2"
actual=$("$here/exported.sh" "$lib")
bad=$(printf '%s\n' "$actual" | awk '{print $1}' | grep -v '^lq_' || true)
if [ -n "$bad" ]; then
  echo "exported symbols without the lq_ prefix:"; printf '  %s\n' $bad; exit 1
fi
if ! diff -u "$list" <(printf '%s\n' "$actual"); then
  echo "exported symbols or their versions differ from $list (run tests/abi/update.sh if the change is intended)"
  exit 1
fi
echo "$(printf '%s\n' "$actual" | wc -l) lq_ symbols with their versions, as listed"
