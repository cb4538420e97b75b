#!/usr/bin/env python3
"""A Llama-3-shaped Hugging Face checkpoint big enough to time a conversion.

    make_bench_model.py OUT_DIR TOKENIZER_DIR [HIDDEN,LAYERS,FFN,HEADS,KV_HEADS,VOCAB]

OUT_DIR gets config.json, generation_config.json, two BF16 safetensors shards
with their index, and the tokenizer files copied from TOKENIZER_DIR (the
hf-fixtures' llama3 model, whose vocabulary has 1024 tokens). The shape:
hidden 2048, 8 layers, intermediate 5632, 16 query and 4 KV heads, llama3
rope scaling: 0.37 G parameters, 0.74 GB of BF16, its largest tensors
(ffn_gate/up/down) 46 MB as F32. The optional third argument sets another
shape; a vocabulary larger than the tokenizer's is padded by the converters
with [PAD<id>] tokens (calib_mem's real-vocabulary run). Weights are seeded normal values written
straight into the state dict (no transformers initialisation pass, which
would take longer than the conversion being timed). Written to a temporary
folder and renamed; an existing OUT_DIR is kept.
"""
import json
import os
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

HIDDEN, LAYERS, FFN, HEADS, KV_HEADS, HEAD_DIM, VOCAB = 2048, 8, 5632, 16, 4, 128, 1024


def set_shape(spec):
    """HIDDEN,LAYERS,FFN,HEADS,KV_HEADS,VOCAB from the command line (head_dim stays)."""
    global HIDDEN, LAYERS, FFN, HEADS, KV_HEADS, VOCAB
    HIDDEN, LAYERS, FFN, HEADS, KV_HEADS, VOCAB = (int(v) for v in spec.split(","))


def tensors():
    """(name, shape) of every checkpoint tensor, in the order transformers names them."""
    yield "model.embed_tokens.weight", (VOCAB, HIDDEN)
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", (HIDDEN,)
        yield p + "self_attn.q_proj.weight", (HEADS * HEAD_DIM, HIDDEN)
        yield p + "self_attn.k_proj.weight", (KV_HEADS * HEAD_DIM, HIDDEN)
        yield p + "self_attn.v_proj.weight", (KV_HEADS * HEAD_DIM, HIDDEN)
        yield p + "self_attn.o_proj.weight", (HIDDEN, HEADS * HEAD_DIM)
        yield p + "post_attention_layernorm.weight", (HIDDEN,)
        yield p + "mlp.gate_proj.weight", (FFN, HIDDEN)
        yield p + "mlp.up_proj.weight", (FFN, HIDDEN)
        yield p + "mlp.down_proj.weight", (HIDDEN, FFN)
    yield "model.norm.weight", (HIDDEN,)
    yield "lm_head.weight", (VOCAB, HIDDEN)


def main():
    out, tok = Path(sys.argv[1]), Path(sys.argv[2])
    if len(sys.argv) > 3:
        set_shape(sys.argv[3])
    if (out / "config.json").is_file():
        return
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    gen = torch.Generator().manual_seed(1234)
    shards, index = [{}, {}], {}
    names = list(tensors())
    for k, (name, shape) in enumerate(names):
        t = torch.randn(shape, generator=gen) * (0.2 if len(shape) == 1 else 0.02)
        if len(shape) == 1:
            t += 1.0
        s = 0 if k < len(names) // 2 else 1
        shards[s][name] = t.to(torch.bfloat16)
    total = 0
    for s, d in enumerate(shards):
        fname = f"model-{s + 1:05d}-of-00002.safetensors"
        save_file(d, str(tmp / fname), metadata={"format": "pt"})
        for name, t in d.items():
            index[name] = fname
            total += t.numel() * 2
    (tmp / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": total}, "weight_map": dict(sorted(index.items()))}, indent=2))
    config = json.loads((tok / "config.json").read_text())
    config.update(hidden_size=HIDDEN, num_hidden_layers=LAYERS, intermediate_size=FFN,
                  num_attention_heads=HEADS, num_key_value_heads=KV_HEADS, head_dim=HEAD_DIM,
                  vocab_size=VOCAB, tie_word_embeddings=False, dtype="bfloat16")
    (tmp / "config.json").write_text(json.dumps(config, indent=2))
    for f in tok.iterdir():
        if f.name.startswith(("tokenizer", "special_tokens", "chat_template", "generation_config")):
            shutil.copy(f, tmp / f.name)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
