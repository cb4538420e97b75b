#!/bin/sh
# run-neon.sh — build the kernel tests for aarch64 with Debian's cross compiler
# and run them under qemu (LQ_ARCH=ref and neon; the neon run also checks the
# level without dotprod). Needs gcc-aarch64-linux-gnu, qemu-user and
# libc6-dev-arm64-cross (apt-get install them). Usage: run-neon.sh [BUILD_DIR]
# Ends with "neon: N passed, N failed, N skipped" (tests/run-all.sh adds it
# up); a missing tool is one skip, not a pass.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-"$here/../../build-neon"}
for tool in aarch64-linux-gnu-gcc qemu-aarch64 meson ninja; do
    if ! command -v "$tool" >/dev/null; then
        echo "run-neon.sh: $tool not found"
        echo "neon: 0 passed, 0 failed, 1 skipped"
        exit 0
    fi
done
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$here/cross" --cross-file "$here/aarch64-cross.ini"
fi
ninja -C "$build"
rm -f "$build/meson-logs/run-neon.json"
status=0
meson test -C "$build" --print-errorlogs --logbase run-neon || status=1
set -- $(python3 "$here/../meson_counts.py" "$build/meson-logs/run-neon.json")
echo "neon: $1 passed, $2 failed, $(($3 + $4)) skipped"
exit $status
