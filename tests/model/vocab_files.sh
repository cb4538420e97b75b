#!/bin/sh
# vocab_files.sh DEST TEST [ARGS...] — extract llama.cpp's tokenizer test
# vocabularies (models/ggml-vocab-{llama-bpe,qwen2,gpt-2,llama-spm}.gguf and
# their .inp/.out cases) from its git bundle into DEST (once per bundle
# commit; never into the source tree), then run TEST with LQ_VOCAB_DIR=DEST.
# Without the bundle or git, TEST runs without LQ_VOCAB_DIR and its cases
# skip (or fail under LQ_REQUIRE_ORACLE=1).
dest="$1"
shift
bundle="${LQ_ORACLE_DIR:-$HOME/.cache/libquant/npm}/node_modules/node-llama-cpp/llama/gitRelease.bundle"
names="llama-bpe qwen2 gpt-2 llama-spm"
if [ -f "$bundle" ] && command -v git >/dev/null 2>&1; then
  commit="$(git bundle list-heads "$bundle" 2>/dev/null | awk 'NR == 1 { print $1 }')"
  if [ -n "$commit" ] && [ "$(cat "$dest/COMMIT" 2>/dev/null)" != "$commit" ]; then
    tmp="$dest.tmp.$$"
    rm -rf "$tmp" && mkdir -p "$tmp" &&
      git clone -q --bare "$bundle" "$tmp/repo.git" &&
      paths="" &&
      for n in $names; do
        paths="$paths models/ggml-vocab-$n.gguf models/ggml-vocab-$n.gguf.inp models/ggml-vocab-$n.gguf.out"
      done &&
      git --git-dir "$tmp/repo.git" archive "$commit" $paths | tar -x -C "$tmp" &&
      rm -rf "$dest" && mkdir -p "$(dirname "$dest")" && mv "$tmp/models" "$dest" && echo "$commit" > "$dest/COMMIT"
    rm -rf "$tmp"
  fi
  [ -f "$dest/COMMIT" ] && export LQ_VOCAB_DIR="$dest"
fi
exec "$@"
