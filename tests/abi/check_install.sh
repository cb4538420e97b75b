#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds and runs a small C
# program with `pkg-config --cflags --libs libquant`, and runs the installed lq.
set -euo pipefail
build="$1"; src="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
meson install -C "$build" --destdir "$tmp" --quiet >/dev/null
pc=$(find "$tmp" -name libquant.pc | head -1)
[ -n "$pc" ] || { echo "no libquant.pc installed"; exit 1; }
prefix=$(sed -n 's/^prefix=//p' "$pc")
mkdir -p "$tmp/pc"
sed "s|^prefix=.*|prefix=$tmp$prefix|" "$pc" > "$tmp/pc/libquant.pc"
grep -q '^Requires.private:.*openblas' "$tmp/pc/libquant.pc" || { echo "libquant.pc lacks openblas in Requires.private"; exit 1; }
grep -q '^Requires.private:.*lapacke' "$tmp/pc/libquant.pc" || { echo "libquant.pc lacks lapacke in Requires.private"; exit 1; }
for h in lq.h lq_core.h lq_version.h; do
  [ -f "$tmp$prefix/include/lq/$h" ] || { echo "header lq/$h not installed"; exit 1; }
done
# the example from the README, extracted so the README cannot rot
awk '/^```c$/{on=1; next} /^```$/{if(on){exit}} on' "$src/README.md" > "$tmp/example.c"
[ -s "$tmp/example.c" ] || { echo "no C example found in README.md"; exit 1; }
flags=$(PKG_CONFIG_PATH="$tmp/pc" pkg-config --cflags --libs libquant)
libdir=$(PKG_CONFIG_PATH="$tmp/pc" pkg-config --variable=libdir libquant)
cc -std=c11 -Wall -Werror -o "$tmp/example" "$tmp/example.c" $flags -Wl,-rpath,"$libdir"
"$tmp/example"
LD_LIBRARY_PATH="$libdir" "$tmp$prefix/bin/lq" version
echo "installed library, headers, pkg-config file and lq all work"
