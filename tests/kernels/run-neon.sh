#!/bin/sh
# run-neon.sh — build the kernel tests for aarch64 with Debian's cross compiler
# and run them under qemu (LQ_ARCH=ref and neon; the neon run also checks the
# level without dotprod). Needs gcc-aarch64-linux-gnu, qemu-user and
# libc6-dev-arm64-cross (apt-get install them). Usage: run-neon.sh [BUILD_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-"$here/../../build-neon"}
for tool in aarch64-linux-gnu-gcc qemu-aarch64 meson ninja; do
    command -v "$tool" >/dev/null || { echo "run-neon.sh: $tool not found" >&2; exit 77; }
done
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$here/cross" --cross-file "$here/aarch64-cross.ini"
fi
ninja -C "$build"
meson test -C "$build" --print-errorlogs
