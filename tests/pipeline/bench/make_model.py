#!/usr/bin/env python3
"""make_model.py OUT.gguf — a synthetic Llama-shaped F16 GGUF of about 1.4 GB
(24 layers, width 1536, FFN 4096, GQA 3, vocabulary 32000, untied output) for
the whole-model quantize benchmark. The weights are Gaussian noise: the
benchmark measures time and memory, for which only the shapes matter.
Written tensor by tensor, so the generator itself stays small in memory.
Needs gguf-py and numpy (the oracle venv has both)."""
import sys

import numpy as np
import gguf

LAYERS, DIM, FFN, HEADS, KV_HEADS, VOCAB = 24, 1536, 4096, 12, 4, 32000


def tensors():
    kv = DIM * KV_HEADS // HEADS
    yield "token_embd.weight", (VOCAB, DIM)
    for l in range(LAYERS):
        for part, shape in (("attn_norm", (DIM,)), ("attn_q", (DIM, DIM)), ("attn_k", (kv, DIM)),
                            ("attn_v", (kv, DIM)), ("attn_output", (DIM, DIM)),
                            ("ffn_norm", (DIM,)), ("ffn_gate", (FFN, DIM)),
                            ("ffn_up", (FFN, DIM)), ("ffn_down", (DIM, FFN))):
            yield f"blk.{l}.{part}.weight", shape
    yield "output_norm.weight", (DIM,)
    yield "output.weight", (VOCAB, DIM)


def main():
    w = gguf.GGUFWriter(sys.argv[1], "llama")
    w.add_name("bench-llama")
    w.add_block_count(LAYERS)
    w.add_context_length(2048)
    w.add_embedding_length(DIM)
    w.add_feed_forward_length(FFN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_rope_dimension_count(DIM // HEADS)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(1)  # MOSTLY_F16
    w.add_vocab_size(VOCAB)
    for name, shape in tensors():
        # norms stay F32, as the converter writes them
        dt = np.float32 if len(shape) == 1 else np.float16
        w.add_tensor_info(name, shape, np.dtype(dt), int(np.prod(shape)) * np.dtype(dt).itemsize)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    rng = np.random.default_rng(16)
    for name, shape in tensors():
        if len(shape) == 1:
            a = (1.0 + 0.1 * rng.standard_normal(shape, dtype=np.float32)).astype(np.float32)
        else:
            a = (0.02 * rng.standard_normal(shape, dtype=np.float32)).astype(np.float16)
        w.write_tensor_data(a)
    w.close()


if __name__ == "__main__":
    main()
