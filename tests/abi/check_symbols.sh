#!/usr/bin/env bash
# The library exports exactly the lq_ symbols listed in libquant.symbols.
# After an intended API change, regenerate with tests/abi/update.sh.
set -euo pipefail
lib="$1"; list="$2"
actual=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' | grep -v '^LIBQUANT_' | sort -u)
bad=$(printf '%s\n' "$actual" | grep -v '^lq_' || true)
if [ -n "$bad" ]; then
  echo "exported symbols without the lq_ prefix:"; printf '  %s\n' $bad; exit 1
fi
if ! diff -u "$list" <(printf '%s\n' "$actual"); then
  echo "exported symbols differ from $list (run tests/abi/update.sh if the change is intended)"
  exit 1
fi
echo "$(printf '%s\n' "$actual" | wc -l) lq_ symbols, as listed"
