"""bench_vocab.py IN.gguf OUT.gguf — a copy of a synthetic Llama GGUF that has
no tokenizer (the random-weight models of the benchmarks) with a
SentencePiece-style ("llama") vocabulary of its n_vocab tokens added, so that
llama.cpp's tools and libquant's runner both load it and tokenize the same
text to the same ids. Only the speed of such a model means anything.

The vocabulary: <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, then
"▁" and the printable ASCII characters (with and without a leading "▁"), then
unused filler pieces up to n_vocab. Text therefore tokenizes to about one
token per character. Run with a Python that has gguf-py (the oracle venv)."""
import sys

import gguf
from gguf.scripts.gguf_new_metadata import MetadataDetails, copy_with_new_metadata


def vocabulary(n_vocab):
    pieces = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    types += [gguf.TokenType.BYTE] * 256
    chars = [chr(c) for c in range(33, 127)]
    words = ["\u2581"] + chars + ["\u2581" + c for c in chars]
    pieces += words
    types += [gguf.TokenType.NORMAL] * len(words)
    if len(pieces) > n_vocab:
        sys.exit(f"bench_vocab: n_vocab {n_vocab} is below the {len(pieces)} pieces needed")
    filler = n_vocab - len(pieces)
    pieces += [f"<unused{i}>" for i in range(filler)]
    types += [gguf.TokenType.UNUSED] * filler
    scores = [0.0] * 3 + [0.0] * 256 + [-float(i) for i in range(len(words))] + [-1e9] * filler
    return pieces, scores, [int(t) for t in types]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: bench_vocab.py IN.gguf OUT.gguf")
    reader = gguf.GGUFReader(sys.argv[1])
    arch = reader.fields["general.architecture"].contents()
    n_vocab = next(t for t in reader.tensors if t.name == "token_embd.weight").shape[1]
    pieces, scores, types = vocabulary(int(n_vocab))
    T = gguf.GGUFValueType
    meta = {
        "tokenizer.ggml.model": MetadataDetails(T.STRING, "llama"),
        "tokenizer.ggml.tokens": MetadataDetails(T.ARRAY, pieces, sub_type=T.STRING),
        "tokenizer.ggml.scores": MetadataDetails(T.ARRAY, scores, sub_type=T.FLOAT32),
        "tokenizer.ggml.token_type": MetadataDetails(T.ARRAY, types, sub_type=T.INT32),
        "tokenizer.ggml.unknown_token_id": MetadataDetails(T.UINT32, 0),
        "tokenizer.ggml.bos_token_id": MetadataDetails(T.UINT32, 1),
        "tokenizer.ggml.eos_token_id": MetadataDetails(T.UINT32, 2),
        "tokenizer.ggml.add_bos_token": MetadataDetails(T.BOOL, True),
    }
    writer = gguf.GGUFWriter(sys.argv[2], arch=arch, endianess=reader.endianess)
    alignment = reader.fields.get("general.alignment")
    if alignment is not None:
        writer.data_alignment = alignment.contents()
    copy_with_new_metadata(reader, writer, meta, [])


if __name__ == "__main__":
    main()
