#!/usr/bin/env bash
# The two API tiers (include/lq/lq.h) agree with the symbol versions: every
# function that <lq/lq.h> declares without LQ_EXPERIMENTAL_API is exported as
# LIBQUANT_0, every one it declares only with LQ_EXPERIMENTAL_API as
# LIBQUANT_EXPERIMENTAL_0, and nothing else is exported. The declarations are
# read from the preprocessed header (the LQ_API attribute marks them), so the
# check follows the #if blocks exactly as a compiler does.
#   check_tiers.sh LIB SRC_INCLUDE_DIR BUILD_INCLUDE_DIR CC [CC ARGS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lib="$1"; src_inc="$2"; build_inc="$3"; shift 3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# declared [-D...]: names of the functions lq.h declares with LQ_API
declared() {
  printf '#include <lq/lq.h>\n' |
    "$@" -E -P -x c -I"$src_inc" -I"$build_inc" - |
    tr '\n' ' ' |
    grep -oE 'visibility *\( *"default" *\) *\) *\)[^;{]*\(' |
    grep -oE 'lq_[A-Za-z0-9_]+ *\($' | sed 's/ *($//' | sort -u
}
declared "$@" > "$tmp/stable"
declared "$@" -DLQ_EXPERIMENTAL_API > "$tmp/all"
comm -13 "$tmp/stable" "$tmp/all" > "$tmp/experimental"
[ -s "$tmp/stable" ] || { echo "no stable declarations found in lq/lq.h"; exit 1; }
[ -s "$tmp/experimental" ] || { echo "no declarations under LQ_EXPERIMENTAL_API found"; exit 1; }
if [ -n "$(comm -23 "$tmp/stable" "$tmp/all")" ]; then
  echo "declared without LQ_EXPERIMENTAL_API but not with it:"; comm -23 "$tmp/stable" "$tmp/all"; exit 1
fi

"$here/exported.sh" "$lib" > "$tmp/exported"
{ sed 's/$/ LIBQUANT_0/' "$tmp/stable"; sed 's/$/ LIBQUANT_EXPERIMENTAL_0/' "$tmp/experimental"; } |
  sort -u > "$tmp/wanted"
if ! diff -u "$tmp/wanted" "$tmp/exported" > "$tmp/diff"; then
  echo "exported symbol versions differ from the header tiers (- declared, + exported);"
  echo "an experimental call belongs in LIBQUANT_EXPERIMENTAL_0 of libquant/libquant.map:"
  tail -n +3 "$tmp/diff" | grep '^[-+]'
  exit 1
fi
echo "$(wc -l < "$tmp/stable") stable calls in LIBQUANT_0, $(wc -l < "$tmp/experimental") experimental in LIBQUANT_EXPERIMENTAL_0"
