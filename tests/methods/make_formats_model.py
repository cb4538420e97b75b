#!/usr/bin/env python3
"""make_formats_model.py OUT_DIR TOKENIZER_DIR — the 0.5 B-class synthetic
Llama of doc/benchmarks.md (tests/pipeline/bench/make_model.py: 24 layers,
hidden 1536, FFN 4096, 12 query / 4 KV heads, vocabulary 32 000) as a Hugging
Face folder, for the whole-model `lq quantize --format` benchmark
(bench_formats.sh). The shape is read from make_model.py and the folder is
written by tests/hf/make_bench_model.py (seeded normal BF16 weights, two
shards, the tokenizer files of TOKENIZER_DIR, temporary folder renamed; an
existing OUT_DIR is kept), so neither the shape nor the writer is repeated
here. The tokenizer has fewer tokens than the vocabulary: calibration text
only ever uses the low ids, and only speed and memory are measured."""
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
sys.path[:0] = [str(here.parent / "hf"), str(here.parent / "pipeline" / "bench")]
import make_bench_model as writer  # noqa: E402
import make_model as shape  # noqa: E402

# the writer reads its module constants when called
writer.HIDDEN, writer.LAYERS, writer.FFN = shape.DIM, shape.LAYERS, shape.FFN
writer.HEADS, writer.KV_HEADS, writer.VOCAB = shape.HEADS, shape.KV_HEADS, shape.VOCAB
writer.HEAD_DIM = shape.DIM // shape.HEADS

if __name__ == "__main__":
    writer.main()
