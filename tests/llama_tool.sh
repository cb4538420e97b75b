#!/usr/bin/env bash
# tests/llama_tool.sh TOOL — prints the path of llama.cpp's llama-TOOL (e.g.
# imatrix, gguf-split), building it first when the cache does not have it:
# the tool's own source files (tools/TOOL/*.cpp), from the llama.cpp source
# bundled with the oracle ($LQ_ORACLE_DIR, default ~/.cache/libquant/npm),
# compiled against the oracle's prebuilt libllama / libggml-base / libggml /
# libllama-common of the same release. Those libraries export everything of
# common/ the tools call (argument parsing, logging, tokenizing, the imatrix
# loader), so only the headers are taken from the source, and they match the
# libraries because both come from the same bundle. The binary is cached
# beside the oracle in a folder keyed by the bundle's checksum, so it is built
# once (a few seconds to a minute). ggml loads its CPU backend at run time
# from the executable's folder (the best of libggml-cpu-*.so for this CPU), so
# that folder also links to the prebuilt backends. Exits 1 with the reason on stderr when it cannot
# be built (no oracle, no bundle, no such tool, no git or g++, a compile error).
set -euo pipefail
tool="${1:-}"
case "$tool" in
  ''|*[!a-z0-9-]*) echo "usage: $0 TOOL (a folder of tools/ in llama.cpp, e.g. imatrix)" >&2; exit 1 ;;
esac
oracle="${LQ_ORACLE_DIR:-$HOME/.cache/libquant/npm}"
bundle="$oracle/node_modules/node-llama-cpp/llama/gitRelease.bundle"
bins="$oracle/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
[ -f "$bundle" ] || { echo "no llama.cpp source bundle at $bundle" >&2; exit 1; }
[ -f "$bins/libllama-common.so" ] || { echo "no prebuilt llama.cpp libraries in $bins" >&2; exit 1; }
for prog in git g++ tar cksum; do
  command -v "$prog" >/dev/null || { echo "$prog is not installed" >&2; exit 1; }
done
key=$(cksum < "$bundle" | cut -d' ' -f1)
cache="$oracle/../tools/llama-$key"
exe="$cache/llama-$tool"
if [ ! -x "$exe" ]; then
  mkdir -p "$cache"
  for lib in "$bins"/libggml-cpu-*.so; do ln -sf "$lib" "$cache/"; done
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  git clone -q --bare "$bundle" "$work/src.git" >&2
  sources=$(git -C "$work/src.git" ls-tree --name-only HEAD "tools/$tool/" | grep '\.cpp$' || true)
  [ -n "$sources" ] || { echo "llama.cpp has no tools/$tool/*.cpp" >&2; exit 1; }
  headers=$(git -C "$work/src.git" ls-tree -r --name-only HEAD common | grep '\.h$')
  mkdir "$work/tree"
  # shellcheck disable=SC2086 # word splitting of the file lists is intended
  git -C "$work/src.git" archive HEAD include ggml/include $headers $sources | tar -x -C "$work/tree"
  llama=$(cd "$bins" && ls libllama.v*.so | head -1)
  ggml=$(cd "$bins" && ls libggml.v*.so | head -1)
  # built beside its final name and renamed: a half-built binary never has it
  # shellcheck disable=SC2086
  (cd "$work/tree" && g++ -O1 -std=c++17 -Iinclude -Iggml/include -Icommon $sources \
      -o "$exe.$$" -L"$bins" -l:"$llama" -l:"$ggml" -l:libggml-base.so -l:libllama-common.so \
      -pthread -Wl,-rpath,"$bins") >&2 || { rm -f "$exe.$$"; echo "llama-$tool did not build" >&2; exit 1; }
  mv "$exe.$$" "$exe"
fi
echo "$exe"
