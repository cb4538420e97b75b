"""The microscaling layouts against the Python loaders' own decoders (TAP).

libquant quantizes random weights to ggml's MXFP4 and NVFP4 blocks, writes
them in the gpt-oss and compressed-tensors layouts (lq_hf_export) to a
safetensors file and decodes them (lq_hf_dequantize); the loaders' code then
decodes the same file: transformers' convert_moe_packed_tensors (gpt-oss
MXFP4 experts) and compressed-tensors' NVFP4PackedCompressor.decompress. Both
sides give bfloat16 values, which must be equal, every one. The NVFP4 case is
repeated with a global scale other than 1, as llm-compressor writes them.

Run with the venv's python, PYTHONPATH holding bindings/python and
LIBQUANT_LIBRARY naming the built library (fp4_layouts_oracle.sh does).
"""
import os
import tempfile

import numpy as np

n = 0
failed = 0


def ok(cond, desc):
    global n, failed
    n += 1
    print(f"{'ok' if cond else 'not ok'} {n} - {desc}", flush=True)
    failed += 0 if cond else 1


def skip(desc, why):
    global n
    n += 1
    print(f"ok {n} - {desc} # SKIP {why}", flush=True)


import libquant as lq  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

rng = np.random.default_rng(7)
tmp = tempfile.mkdtemp()
path = os.path.join(tmp, "model.safetensors")

# gpt-oss experts: [experts, out, in]; one block 10^4 larger, one tiny
experts, rows, cols = 3, 8, 128
w3 = (rng.standard_normal((experts, rows, cols)) * 0.05).astype(np.float32)
w3[0, 0, :32] *= 1e4
w3[1, 2, 32:64] *= 1e-30
w2 = (rng.standard_normal((16, 192)) * 0.05).astype(np.float32)
st = lq.Safetensors()
lq.hf_export(lq.quantize(w3, "mxfp4"), "mxfp4", "model.layers.0.mlp.experts.gate_up_proj", st)
lq.hf_export(lq.quantize(w2, "nvfp4"), "nvfp4", "model.layers.0.self_attn.q_proj", st)
st.save(path)
rd = lq.Safetensors.open(path)
ours_mx = lq.hf_dequantize(rd, "mxfp4", "model.layers.0.mlp.experts.gate_up_proj",
                           (experts, rows, cols))
ours_nv = lq.hf_dequantize(rd, "nvfp4", "model.layers.0.self_attn.q_proj", w2.shape)
tensors = load_file(path)


def same(a, b):
    a, b = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


try:
    from transformers.integrations.mxfp4 import convert_moe_packed_tensors
except Exception as e:  # noqa: BLE001
    skip("gpt-oss MXFP4 decoded by transformers", f"transformers' mxfp4 integration: {e}")
else:
    ref = convert_moe_packed_tensors(tensors["model.layers.0.mlp.experts.gate_up_proj_blocks"],
                                     tensors["model.layers.0.mlp.experts.gate_up_proj_scales"])
    # transformers gives the experts transposed ([experts, in, out]) for its bmm
    ref = ref.transpose(1, 2).float().numpy()
    ok(same(ours_mx, ref), "gpt-oss MXFP4: lq_hf_dequantize = transformers' "
       "convert_moe_packed_tensors, every value")
    ok(same(ours_mx, lq.quantize(w3, "mxfp4").dequantize()),
       "gpt-oss MXFP4 decodes to ggml's MXFP4 values")

try:
    from compressed_tensors.compressors.nvfp4.base import NVFP4PackedCompressor
    from compressed_tensors.quantization import QuantizationArgs, QuantizationScheme
except Exception as e:  # noqa: BLE001
    skip("NVFP4 decoded by compressed-tensors", f"compressed-tensors: {e}")
else:
    scheme = QuantizationScheme(targets=["Linear"], weights=QuantizationArgs(
        num_bits=4, type="float", strategy="tensor_group", group_size=16, symmetric=True,
        dynamic=False))

    def ct_decode(prefix, tensors):
        sd = {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
        return NVFP4PackedCompressor.decompress(sd, scheme)["weight"].float().numpy()

    prefix = "model.layers.0.self_attn.q_proj"
    ok(same(ours_nv, ct_decode(prefix, tensors)),
       "NVFP4 (global scale 1): lq_hf_dequantize = compressed-tensors' decompress, every value")
    # llm-compressor's own global scale: 448 * 6 / amax, the block scales made to match
    g = torch.tensor([448.0 * 6.0 / float(np.abs(w2).max())], dtype=torch.float32)
    scaled = dict(tensors)
    sc = tensors[prefix + ".weight_scale"].float() * g
    scaled[prefix + ".weight_scale"] = sc.clamp(max=448).to(torch.float8_e4m3fn)
    scaled[prefix + ".weight_global_scale"] = g
    path2 = os.path.join(tmp, "scaled.safetensors")
    save_file(scaled, path2)
    ours2 = lq.hf_dequantize(lq.Safetensors.open(path2), "nvfp4", prefix, w2.shape)
    ok(same(ours2, ct_decode(prefix, scaled)),
       f"NVFP4 (global scale {float(g):.4g}): lq_hf_dequantize = compressed-tensors' "
       "decompress, every value")

print(f"1..{n}")
raise SystemExit(1 if failed else 0)
