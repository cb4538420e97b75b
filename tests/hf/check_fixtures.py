#!/usr/bin/env python3
"""Checks the fixture cache make_fixtures.py wrote, as TAP on stdout.

    check_fixtures.py CACHE_DIR

Every file the manifest lists exists with its recorded size and hash; each
model folder is a loadable checkpoint layout (config, weights or shard index
whose shards exist); each oracle has the shape its manifest says; and each
converted GGUF is read back with llama.cpp's gguf-py (from the cache's
converter/ copy) and holds the architecture, tokenizer keys and tensors the
checkpoint implies; for the FP8 checkpoints, that the converter's weights are
the float32 products of the E4M3 weights and their scales.
"""
import hashlib
import json
import sys
from pathlib import Path

results = []


def check(ok, what):
    results.append((bool(ok), what))
    return ok


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# GGUF general.architecture per HF architecture, as llama.cpp's converter maps them
GGUF_ARCH = {"LlamaForCausalLM": "llama", "MistralForCausalLM": "llama",
             "Qwen2ForCausalLM": "qwen2", "Qwen3ForCausalLM": "qwen3"}
# GGUF tensor type names per --outtype for the 2-D weights (1-D norms stay F32)
MATRIX_TYPE = {"f32": "F32", "f16": "F16", "bf16": "BF16", "q8_0": "Q8_0"}


def check_checkpoint(root, name):
    d = root / "models" / name
    cfg = json.loads((d / "config.json").read_text())
    index = d / "model.safetensors.index.json"
    if index.exists():
        shards = set(json.loads(index.read_text())["weight_map"].values())
        check(len(shards) > 1 and all((d / s).exists() for s in shards),
              f"{name}: sharded checkpoint, {len(shards)} shards present")
    else:
        check((d / "model.safetensors").exists(), f"{name}: single-file checkpoint")
    check((d / "tokenizer_config.json").exists(), f"{name}: tokenizer_config.json beside the weights")
    return cfg


def read_safetensors(folder, name):
    """One tensor of a checkpoint as float32, found through the shard index."""
    import numpy as np
    index = folder / "model.safetensors.index.json"
    file = folder / (json.loads(index.read_text())["weight_map"][name] if index.exists() else "model.safetensors")
    raw = file.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    meta = json.loads(raw[8:8 + n])[name]
    begin, end = (8 + n + o for o in meta["data_offsets"])
    data = np.frombuffer(raw[begin:end], dtype={"F32": "<f4", "F16": "<f2", "BF16": "<u2",
                                                "F8_E4M3": "u1"}[meta["dtype"]])
    if meta["dtype"] == "BF16":
        data = (data.astype(np.uint32) << 16).view(np.float32)
    if meta["dtype"] == "F8_E4M3":
        data = e4m3_table()[data]
    return data.astype(np.float32).reshape(meta["shape"])


def e4m3_table():
    """The 256 E4M3FN values as float32: bias 7, 3 mantissa bits, subnormals
    m * 2^-9, codes 0x7f/0xff NaN, no infinities."""
    import numpy as np
    c = np.arange(256)
    e, m = (c >> 3) & 15, (c & 7).astype(np.float64)
    v = np.where(e == 0, m * 2.0 ** -9, (1 + m / 8) * 2.0 ** (e - 7.0))
    v = np.where((c & 0x7f) == 0x7f, np.nan, v)
    return np.where(c & 0x80, -v, v).astype(np.float32)


def rope_pairs_adjacent(w, n_heads):
    """HF's rotate-half row order within each head -> adjacent pairs: row 2i
    takes row i, row 2i+1 takes row i + head_dim/2 (doc/hf-input.md)."""
    rows, cols = w.shape
    d = rows // n_heads
    return w.reshape(n_heads, 2, d // 2, cols).swapaxes(1, 2).reshape(rows, cols)


def check_permutation(root, name, reader_mod, cfg):
    """In the f32 conversion, Q and K are the checkpoint's rows permuted for
    architecture llama and untouched for qwen2/qwen3; V never changes."""
    import numpy as np
    r = reader_mod.GGUFReader(str(root / "gguf" / f"{name}-f32.gguf"))
    tensors = {t.name: np.asarray(t.data) for t in r.tensors}
    permuted = GGUF_ARCH[cfg["architectures"][0]] == "llama"
    for hf_name, gguf_name, heads in (("q_proj", "attn_q", cfg["num_attention_heads"]),
                                      ("k_proj", "attn_k", cfg["num_key_value_heads"]),
                                      ("v_proj", None, None)):
        w = read_safetensors(root / "models" / name, f"model.layers.0.self_attn.{hf_name}.weight")
        got = tensors[f"blk.0.{gguf_name or 'attn_v'}.weight"]
        want = rope_pairs_adjacent(w, heads) if permuted and gguf_name else w
        check(np.array_equal(got, want), f"{name}-f32: blk.0 {hf_name} {'permuted' if permuted and gguf_name else 'as stored'}")


def check_fp8(root, name, reader_mod, cfg):
    """What the converter makes of an FP8 checkpoint (doc/hf-input.md, "FP8
    checkpoints"): each F8_E4M3 weight times its scale (repeated over its
    128x128 block, row or tensor), both widened to float32, one float32
    product; the f32 GGUF holds exactly that (Q/K permuted for llama), the
    bf16 GGUF its round-to-nearest-even bf16; no scale tensor is written."""
    import numpy as np
    folder = root / "models" / name
    qcfg = cfg.get("quantization_config") or {}
    if qcfg.get("quant_method") == "fp8":
        part, block = "weight_scale_inv", qcfg["weight_block_size"]
    else:
        part, block = "weight_scale", None
    raw = (folder / "model.safetensors").read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    fp8 = [n for n, m in header.items() if n != "__metadata__" and m["dtype"] == "F8_E4M3"]
    f32 = {t.name: np.asarray(t.data) for t in reader_mod.GGUFReader(str(root / "gguf" / f"{name}-f32.gguf")).tensors}
    bf16 = {t.name: np.asarray(t.data) for t in reader_mod.GGUFReader(str(root / "gguf" / f"{name}-bf16.gguf")).tensors}
    gguf_part = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
                 "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
                 "mlp.down_proj": "ffn_down"}
    exact = rounded = 0
    for hf in fp8:
        layer, rest = hf.split(".")[2], ".".join(hf.split(".")[3:5])
        gname = f"blk.{layer}.{gguf_part[rest]}.weight"
        w = read_safetensors(folder, hf)
        s = read_safetensors(folder, hf.removesuffix("weight") + part)
        if block:
            s = np.repeat(np.repeat(s, block[0], 0), block[1], 1)[:w.shape[0], :w.shape[1]]
        want = (w * s.reshape(s.shape[0], -1) if s.ndim else w * s).astype(np.float32)
        if rest in ("self_attn.q_proj", "self_attn.k_proj"):
            heads = cfg["num_attention_heads" if rest.endswith("q_proj") else "num_key_value_heads"]
            want = rope_pairs_adjacent(want, heads)
        exact += np.array_equal(f32[gname].view(np.uint32), want.view(np.uint32))
        u = want.view(np.uint32).astype(np.uint64)
        want_bf16 = ((u + 0x7fff + ((u >> 16) & 1)) >> 16).astype(np.uint16)
        rounded += np.array_equal(bf16[gname].view(np.uint16).reshape(want_bf16.shape), want_bf16)
    check(fp8 and exact == len(fp8), f"{name}: {exact}/{len(fp8)} FP8 weights in the f32 GGUF are the float32 "
          "products weight * scale")
    check(fp8 and rounded == len(fp8), f"{name}: {rounded}/{len(fp8)} FP8 weights in the bf16 GGUF are those "
          "products rounded to bf16")
    check(not any("scale" in n for n in f32), f"{name}: no scale tensor in the GGUF")


def check_gguf(reader_mod, path, cfg, outtype, tokenizer_kind):
    r = reader_mod.GGUFReader(str(path))
    fields = r.fields

    def value(key):
        f = fields.get(key)
        return None if f is None else f.contents()

    arch = GGUF_ARCH[cfg["architectures"][0]]
    base = path.name
    check(value("general.architecture") == arch, f"{base}: general.architecture = {arch}")
    check(value(f"{arch}.block_count") == cfg["num_hidden_layers"], f"{base}: block_count")
    check(value(f"{arch}.embedding_length") == cfg["hidden_size"], f"{base}: embedding_length")
    check(value(f"{arch}.attention.head_count_kv") == cfg["num_key_value_heads"], f"{base}: head_count_kv")
    tokens = value("tokenizer.ggml.tokens")
    check(tokens is not None and len(tokens) == cfg["vocab_size"], f"{base}: {cfg['vocab_size']} tokens")
    model = value("tokenizer.ggml.model")
    check(model == ("llama" if tokenizer_kind == "spm" else "gpt2"), f"{base}: tokenizer.ggml.model = {model}")
    if tokenizer_kind != "spm":
        check(value("tokenizer.ggml.merges") is not None, f"{base}: merges present")
    check(value("tokenizer.chat_template") is not None, f"{base}: chat template present")

    names = [t.name for t in r.tensors]
    tied = cfg.get("tie_word_embeddings", False)
    check(("output.weight" in names) != tied, f"{base}: output.weight {'absent (tied)' if tied else 'present'}")
    # (NVFP4 layers add their per-tensor factors, "<name>.scale")
    per_layer = {n.split(".", 2)[2] for n in names if n.startswith("blk.0.") and not n.endswith("scale")}
    want = {"attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
            "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"}
    if arch == "qwen2":
        want |= {"attn_q.bias", "attn_k.bias", "attn_v.bias"}
    if arch == "qwen3":
        want |= {"attn_q_norm.weight", "attn_k_norm.weight"}
    check(per_layer == want, f"{base}: layer tensors {sorted(per_layer ^ want) or 'as expected'}")
    q = next(t for t in r.tensors if t.name == "blk.0.attn_q.weight")
    nvfp4 = cfg.get("quantization_config", {}).get("format") == "nvfp4-pack-quantized"
    want_type = "NVFP4" if nvfp4 else MATRIX_TYPE[outtype]
    check(q.tensor_type.name == want_type, f"{base}: attn_q is {q.tensor_type.name}")
    if nvfp4:  # 1 / global scale beside every weight (the fixtures' are never 1)
        check("blk.0.attn_q.scale" in names and "blk.0.ffn_down.scale" in names,
              f"{base}: NVFP4 weights with their .scale tensors")
    # GGUF dims run fastest first: a Linear [out, in] is ne = [in, out]
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    check(list(q.shape) == [cfg["hidden_size"], cfg["num_attention_heads"] * head_dim],
          f"{base}: attn_q shape {list(q.shape)}")


def node_llama_cpp():
    """node-llama-cpp's node_modules folder, or None when node or it is missing."""
    import os
    import shutil
    npm_root = Path(os.environ.get("LQ_ORACLE_DIR", Path.home() / ".cache/libquant/npm")) / "node_modules"
    if not shutil.which("node") or not (npm_root / "node-llama-cpp/dist/index.js").exists():
        return None
    return npm_root


# llama.cpp keeps K and V in f16 (relative rounding 2^-11 per element) and sums
# in another order than torch; over 2 layers and 256 positions that moved the
# fixtures' logits (|logit| < 4) by at most 3.3e-3. The bound is 3 times that,
# and still 12 times smaller than the smallest defect tried: dropping llama3's
# rope scaling moves the llama3 logits by 0.127 (ignoring the norm weights: 1.4).
LLAMACPP_LOGIT_TOL = 1e-2
# NVFP4 checkpoints: llama.cpp multiplies the blocks with 8-bit activations
# and compressed-tensors rounds the decoded weights to bf16, the two roundings
# test_model_archs.c bounds by NVFP4_TOL (2 x 0.13); the same bound here.
NVFP4_LOGIT_TOL = 0.26


def check_llamacpp_logits(root, manifest):
    """llama.cpp runs every f32 conversion and agrees with transformers; on
    the NVFP4 checkpoints (blocks times their .scale tensors) within the
    bound of the runner's own check (test_model_archs.c, NVFP4_TOL: 8-bit
    activations and compressed-tensors' bf16 rounding of the weights)."""
    import subprocess
    import numpy as np
    npm_root = node_llama_cpp()
    if npm_root is None:
        results.append((True, "llama.cpp logits cross-check # SKIP node or node-llama-cpp missing"))
        return
    nvfp4 = [n for n, m in manifest.get("fp8_models", {}).items() if m["scheme"].startswith("nvfp4")]
    names = list(manifest["models"]) + nvfp4
    run = subprocess.run(["node", str(Path(__file__).with_name("logits_llamacpp.mjs")), str(npm_root), str(root),
                          *names], capture_output=True, text=True, timeout=600)
    if not check(run.returncode == 0, "llama.cpp ran the f32 conversions" + ("" if run.returncode == 0 else
                                                                           f": {run.stderr.strip()[-300:]!r}")):
        return
    got = json.loads(run.stdout.strip().splitlines()[-1])
    for name in names:
        want = np.load(root / "oracle" / name / "logits.npy")
        diff = float(np.abs(np.asarray(got[name], dtype=np.float32) - want).max())
        tol = NVFP4_LOGIT_TOL if name in nvfp4 else LLAMACPP_LOGIT_TOL
        check(diff <= tol, f"{name}: llama.cpp logits within {tol} of transformers'"
              f" (max difference {diff:.2e})")


def check_llamacpp_tokens(root, manifest):
    """llama.cpp's tokenizer on the converted f32 files gives the oracle's ids.
    For a tokenizer with transformers' NFC normaliser (qwen2-bpe) llama.cpp
    does not normalise, so it is given the NFC form of the text: equality then
    shows that NFC is the only difference (doc/hf-input.md)."""
    import subprocess
    npm_root = node_llama_cpp()
    if npm_root is None:
        results.append((True, "llama.cpp tokenizer cross-check # SKIP node or node-llama-cpp missing"))
        return
    jobs = []
    for name, info in manifest["models"].items():
        tok = info["tokenizer"]
        if any(j["tokenizer"] == tok for j in jobs):
            continue
        nfc = json.loads((root / "tokenizers" / tok / "tokenizer.json").read_text()).get("normalizer") is not None
        for text in ("kjv-sample", "stress"):
            jobs.append({"gguf": f"gguf/{name}-f32.gguf", "text": f"text/{text}.txt", "tokenizer": tok,
                         "which": text, "nfc": nfc})
    run = subprocess.run(["node", str(Path(__file__).with_name("tokens_llamacpp.mjs")), str(npm_root), str(root),
                          json.dumps(jobs)], capture_output=True, text=True, timeout=600)
    if not check(run.returncode == 0, "llama.cpp tokenizer ran" + ("" if run.returncode == 0 else
                                                                  f": {run.stderr.strip()[-300:]!r}")):
        return
    for job in json.loads(run.stdout.strip().splitlines()[-1]):
        want = json.loads((root / "oracle" / f"tokens-{job['tokenizer']}.json").read_text())[job["which"]]["ids"]
        got = job["ids"]
        first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        check(got == want, f"llama.cpp ids = oracle ids: {job['tokenizer']} {job['which']}"
              f"{' (NFC text)' if job['nfc'] else ''}{'' if got == want else f', first difference at {first}'}")


def main():
    root = Path(sys.argv[1])
    manifest_path = root / "manifest.json"
    if not check(manifest_path.exists(), "manifest.json exists"):
        return finish()
    manifest = json.loads(manifest_path.read_text())
    bad = [rel for rel, info in manifest["files"].items()
           if not (root / rel).exists() or (root / rel).stat().st_size != info["bytes"]
           or sha256_file(root / rel) != info["sha256"]]
    check(not bad, f"{len(manifest['files'])} listed files present with their hashes {bad[:3]}")

    sys.path.insert(0, str(root / "converter" / "gguf-py"))
    import gguf  # llama.cpp's own reader, from the cache
    import numpy as np

    for name, info in manifest["models"].items():
        cfg = check_checkpoint(root, name)
        check(cfg["architectures"] == [info["architecture"]], f"{name}: architectures = {info['architecture']}")
        meta = json.loads((root / "oracle" / name / "logits.json").read_text())
        logits = np.load(root / "oracle" / name / "logits.npy")
        check(list(logits.shape) == [len(meta["input_ids"]), cfg["vocab_size"]] and np.isfinite(logits).all()
              and float(logits.std()) > 0, f"{name}: logits oracle {list(logits.shape)}, finite, not constant")
        check_permutation(root, name, gguf, cfg)
        kind = manifest["tokenizers"][info["tokenizer"]]["kind"]
        for outtype in manifest["outtypes"]:
            path = root / "gguf" / f"{name}-{outtype}.gguf"
            if check(path.exists(), f"{path.name} exists"):
                try:
                    check_gguf(gguf, path, cfg, outtype, kind)
                except Exception as e:  # a reader failure is this test's failure, with its message
                    check(False, f"{path.name}: gguf-py cannot read it: {e!r}")

    for name, info in manifest.get("fp8_models", {}).items():
        cfg = check_checkpoint(root, name)
        check(cfg.get("quantization_config") is not None, f"{name}: quantization_config present")
        kind = manifest["tokenizers"][manifest["models"][info["base"]]["tokenizer"]]["kind"]
        paths = [root / "gguf" / f"{name}-{outtype}.gguf" for outtype in info["outtypes"]]
        for outtype, path in zip(info["outtypes"], paths):
            if check(path.exists(), f"{path.name} exists"):
                try:
                    check_gguf(gguf, path, cfg, outtype, kind)
                except Exception as e:  # a reader failure is this test's failure, with its message
                    check(False, f"{path.name}: gguf-py cannot read it: {e!r}")
        if all(p.exists() for p in paths) and not info["scheme"].startswith("nvfp4"):
            check_fp8(root, name, gguf, cfg)

    check_llamacpp_tokens(root, manifest)
    check_llamacpp_logits(root, manifest)
    for name, info in manifest["tokenizers"].items():
        toks = json.loads((root / "oracle" / f"tokens-{name}.json").read_text())
        check(len(toks["kjv-sample"]["ids"]) > 1000 and len(toks["stress"]["ids"]) > 100,
              f"tokens-{name}: KJV and stress ids present")
    return finish()


def finish():
    print(f"1..{len(results)}")
    for i, (ok, what) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {what}")
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
