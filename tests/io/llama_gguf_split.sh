#!/usr/bin/env bash
# Prints the path of llama.cpp's llama-gguf-split, building it first when the
# cache does not have it: its one source file, from the llama.cpp source
# bundled with the oracle ($LQ_ORACLE_DIR, default ~/.cache/libquant/npm),
# compiled against the oracle's prebuilt libllama / libggml-base /
# libllama-common of the same release (the tool needs nothing else). The
# binary is cached beside the oracle, keyed by the bundle's checksum, so it is
# built once (a few seconds). Exits 1 with the reason on stderr when it
# cannot be built (no oracle, no bundle, no git or g++).
set -euo pipefail
oracle="${LQ_ORACLE_DIR:-$HOME/.cache/libquant/npm}"
bundle="$oracle/node_modules/node-llama-cpp/llama/gitRelease.bundle"
bins="$oracle/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
[ -f "$bundle" ] || { echo "no llama.cpp source bundle at $bundle" >&2; exit 1; }
[ -f "$bins/libllama-common.so" ] || { echo "no prebuilt llama.cpp libraries in $bins" >&2; exit 1; }
for tool in git g++; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
key=$(cksum < "$bundle" | cut -d' ' -f1)
cache="$oracle/../tools"
exe="$cache/llama-gguf-split-$key"
if [ ! -x "$exe" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  git clone -q --bare "$bundle" "$work/src.git" >&2
  mkdir "$work/tree"
  git -C "$work/src.git" archive HEAD include ggml/include common/common.h common/build-info.h \
      tools/gguf-split/gguf-split.cpp | tar -x -C "$work/tree"
  llama=$(cd "$bins" && ls libllama.v*.so | head -1)
  # built beside its final name and renamed: a half-built binary never has it
  g++ -O1 -std=c++17 -I"$work/tree/include" -I"$work/tree/ggml/include" -I"$work/tree/common" \
      "$work/tree/tools/gguf-split/gguf-split.cpp" -o "$exe.$$" \
      -L"$bins" -l:"$llama" -l:libggml-base.so -l:libllama-common.so -Wl,-rpath,"$bins" >&2 ||
    { rm -f "$exe.$$"; exit 1; }
  mv "$exe.$$" "$exe"
fi
echo "$exe"
