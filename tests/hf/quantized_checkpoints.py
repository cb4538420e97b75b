"""quantized_checkpoints.py FIXTURES OUT — quantized Hugging Face checkpoints
made by the real tools on CPU from the fixture llama3, transformers' logits
for each, and libquant's runner on the same folders (TAP on stdout;
doc/python-oracles.md).

For each variant, OUT/models/llama3-VARIANT/ is what transformers'
save_pretrained writes after loading the fixture with the variant's
quantization_config (plus the fixture's tokenizer files), and
OUT/oracle/llama3-VARIANT/ holds two logits oracles over the fixtures'
logit ids (oracle/llama3/logits.json):
  loader.npy   transformers with the format's own CPU kernels (the real client)
  dequant.npy  transformers in f32 with every quantized weight replaced by
               the package's own dequantization of it (what a runner that
               decodes the weights computes)
They are made once and reused while OUT/manifest.json names the same
package versions and this script's text.

GPTQ and AWQ folders (PACKED) have no loader that runs here, so they are
written from AutoGPTQ's and AutoAWQ's own quantizers and packers and have
only the dequant oracle.

Cases per variant: transformers reloads the saved folder and gives the
loader logits again (bitsandbytes), or lq_hf_dequantize on every layer
equals the package's own decoding (GPTQ, AWQ); libquant's runner (lq.Model
on the folder) gives the dequant logits within TOL_RUNNER, or the case skips
naming why the runner refuses the folder. A control case runs the runner on
the unquantized fixture. Missing packages skip (fail under
LQ_REQUIRE_ORACLE=1).
"""
import hashlib
import json
import os
import shutil
import sys
import traceback

import numpy as np

import libquant as lq

REQUIRE = os.environ.get("LQ_REQUIRE_ORACLE") == "1"

# The runner against transformers on the same f32 weights: the control case
# (the unquantized fixture, f32 KV cache) measured 7.2e-6 (|logit| < 4), the
# sums running in another order. 1e-3 leaves room for kernels that work on
# quantized weights in yet another order; a decoding error moves the logits
# by the quantization's own effect (nf4 against f32: 1.3), far above it.
TOL_RUNNER = 1e-3
TOL_CONTROL = 1e-4  # 14x the measured 7.2e-6

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                   "chat_template.jinja")


class Skip(Exception):
    """A missing package: fails under LQ_REQUIRE_ORACLE=1."""


class NotHere(Skip):
    """What today's code or the references cannot do here (the runner refuses
    the folder, lq has no writer, no reference decodes the layout): a skip
    whatever LQ_REQUIRE_ORACLE says."""


def need(module):
    try:
        return __import__(module, fromlist=["_"])
    except Exception as e:
        raise Skip(f"{module} does not import ({type(e).__name__}: {e})") from None


def bitsandbytes():
    """bitsandbytes, with its AVX512-BF16 path off. On CPUs with AVX512-BF16,
    0.50's Linear4bit repacks its weight on the first forward pass and keeps
    the absmax in BF16 from then on, so the loader's logits are BF16 results
    and save_pretrained writes that absmax (BF16, transposed when not double
    quantized), which the same package then reloads wrongly. Off, every CPU
    runs the f32 dequantize-and-matmul path the oracle compares with."""
    bnb = need("bitsandbytes")
    import bitsandbytes.nn.modules as modules
    modules.has_avx512bf16 = lambda: False
    return bnb


def variants():
    torch = need("torch")
    transformers = need("transformers")
    bitsandbytes()
    bnb4 = dict(load_in_4bit=True, bnb_4bit_compute_dtype=torch.float32)
    # bitsandbytes' CPU backend runs all four; compute in f32 so the loader's
    # logits differ from the dequant oracle only by its kernels
    return {
        "bnb-nf4": transformers.BitsAndBytesConfig(bnb_4bit_quant_type="nf4", **bnb4),
        "bnb-nf4-dq": transformers.BitsAndBytesConfig(bnb_4bit_quant_type="nf4",
                                                      bnb_4bit_use_double_quant=True, **bnb4),
        "bnb-fp4": transformers.BitsAndBytesConfig(bnb_4bit_quant_type="fp4", **bnb4),
        "bnb-int8": transformers.BitsAndBytesConfig(load_in_8bit=True),
    }


def versions():
    from importlib import metadata
    out = {}
    for m in ("torch", "transformers", "bitsandbytes", "safetensors", "auto-gptq", "autoawq"):
        try:
            out[m] = metadata.version(m)
        except metadata.PackageNotFoundError:
            raise Skip(f"{m} is not installed") from None
    with open(__file__, "rb") as f:
        out["script"] = hashlib.sha256(f.read()).hexdigest()
    return out


def dequantized_weight(module):
    """The package's own dequantization of a bitsandbytes linear, or None."""
    bnb = bitsandbytes()
    w = getattr(module, "weight", None)
    if isinstance(w, bnb.nn.Params4bit):
        return bnb.functional.dequantize_4bit(w.data, w.quant_state).float()
    if isinstance(w, bnb.nn.Int8Params):
        # transformers' loader keeps the row scales in the module's state
        scb = w.SCB if w.SCB is not None else module.state.SCB
        return bnb.functional.int8_vectorwise_dequant(w.data, scb).float()
    return None


def load(path, **kw):
    torch = need("torch")
    transformers = need("transformers")
    return transformers.AutoModelForCausalLM.from_pretrained(
        path, device_map="cpu", dtype=torch.float32, attn_implementation="eager", **kw).eval()


def logits(model, ids):
    torch = need("torch")
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].float().numpy()


def make(fixtures, out, ids):
    """The checkpoints and their oracles, unless OUT holds them for these
    versions already."""
    torch = need("torch")
    torch.manual_seed(0)
    torch.set_num_threads(1)
    want = versions()
    manifest = os.path.join(out, "manifest.json")
    try:
        with open(manifest, encoding="utf-8") as f:
            if json.load(f) == want:
                return
    except (OSError, ValueError):
        pass
    src = os.path.join(fixtures, "models", "llama3")
    for name, cfg in variants().items():
        folder = os.path.join(out, "models", f"llama3-{name}")
        oracle = os.path.join(out, "oracle", f"llama3-{name}")
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(oracle, exist_ok=True)
        quantized = load(src, quantization_config=cfg)
        np.save(os.path.join(oracle, "loader.npy"), logits(quantized, ids))
        plain = load(src)
        plain_modules = dict(plain.named_modules())
        for mname, module in quantized.named_modules():
            w = dequantized_weight(module)
            if w is not None:
                plain_modules[mname].weight.data = w.reshape(plain_modules[mname].weight.shape)
        np.save(os.path.join(oracle, "dequant.npy"), logits(plain, ids))
        quantized.save_pretrained(folder, safe_serialization=True)
        for t in TOKENIZER_FILES:
            if os.path.exists(os.path.join(src, t)):
                shutil.copy(os.path.join(src, t), folder)
    rows = calibration_rows(fixtures)
    for name, spec in PACKED.items():
        folder = os.path.join(out, "models", f"llama3-{name}")
        oracle = os.path.join(out, "oracle", f"llama3-{name}")
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(oracle, exist_ok=True)
        make_packed(src, folder, oracle, spec, ids, rows)
    with open(manifest, "w", encoding="utf-8") as f:
        json.dump(want, f, indent=1)


# GPTQ and AWQ folders: transformers cannot load them here (neither
# auto-gptq nor autoawq imports with transformers 4.57 / current peft;
# doc/python-oracles.md), so the folders are written from the packages' own
# quantizers and packers, and the logits oracle is transformers in f32 on
# the packages' own dequantization. GPTQ: AutoGPTQ's GPTQ on each linear
# with its inputs from the f32 model (not sequential: this fixture tests the
# format and the loader, not the method), packed by QuantLinear in f16 as a
# half-precision model is. AWQ: AutoAWQ's quantizer and WQLinear_GEMM packer
# (without the scale search, for the same reason).
PACKED = {
    "gptq-g128": dict(kind="gptq", bits=4, group=128, act_order=False),
    "gptq-g128-desc": dict(kind="gptq", bits=4, group=128, act_order=True),
    "awq-g128": dict(kind="awq", bits=4, group=128),
}


def linear_inputs(model, ids_rows):
    """Every decoder linear's inputs [tokens, in] over the calibration rows."""
    torch = need("torch")
    linears = {n: m for n, m in model.named_modules()
               if isinstance(m, torch.nn.Linear) and ".layers." in n}
    seen = {n: [] for n in linears}
    hooks = [m.register_forward_hook(
        lambda mod, args, out, n=n: seen[n].append(args[0].reshape(-1, args[0].shape[-1])))
        for n, m in linears.items()]
    with torch.no_grad():
        for row in ids_rows:
            model(row[None])
    for h in hooks:
        h.remove()
    return linears, {n: torch.cat(v) for n, v in seen.items()}


def packed_layer(spec, lin, x):
    """(state dict of the packed layer, the package's dequantized weight)."""
    torch = need("torch")
    qo = quantizer_oracles()
    if spec["kind"] == "gptq":
        gptq_mod = qo.load_without_init("auto_gptq", "quantization.gptq")
        quantizer_mod = qo.load_without_init("auto_gptq", "quantization.quantizer")
        qlinear = qo.load_without_init("auto_gptq", "nn_modules.qlinear.qlinear_cuda")
        if not torch.cuda.is_available():  # as in quantizer_oracles.py
            torch.cuda.synchronize = lambda *a, **k: None
        work = torch.nn.Linear(lin.in_features, lin.out_features, bias=False)
        work.weight.data = lin.weight.data.clone()
        g = gptq_mod.GPTQ(work)
        g.quantizer = quantizer_mod.Quantizer()
        g.quantizer.configure(spec["bits"], perchannel=True, sym=True, mse=False)
        g.add_batch(x, work(x))
        scale, zero, g_idx = g.fasterquant(blocksize=128, percdamp=0.01, group_size=spec["group"],
                                           actorder=spec["act_order"])
        ql = qlinear.QuantLinear(spec["bits"], spec["group"], lin.in_features, lin.out_features,
                                 bias=False)
        ql.pack(work.half(), scale, zero, g_idx)
        state = {k: v for k, v in ql.state_dict().items() if k != "bias"}
        scales16 = ql.scales
        ql.scales = ql.scales.float()
        with torch.no_grad():
            w = ql(torch.eye(lin.in_features)).T.contiguous()
        state["scales"] = scales16
        return state, w
    qo.load_awq_quantizer()
    gemm = qo.load_without_init("awq", "modules.linear.gemm")
    packing = qo.load_without_init("awq", "utils.packing_utils")
    quantizer = qo.load_without_init("awq", "quantize.quantizer")
    q = object.__new__(quantizer.AwqQuantizer)
    q.w_bit, q.group_size, q.zero_point = spec["bits"], spec["group"], True
    work = torch.nn.Linear(lin.in_features, lin.out_features, bias=False)
    work.weight.data, scales, zeros = q.pseudo_quantize_tensor(lin.weight.data.clone())
    ql = gemm.WQLinear_GEMM.from_linear(work, spec["bits"], spec["group"],
                                        scales=scales.t().contiguous(), zeros=zeros.t().contiguous())
    state = {k: v for k, v in ql.state_dict().items() if k != "bias"}
    w = packing.dequantize_gemm(ql.qweight, ql.qzeros, ql.scales.float(), spec["bits"],
                                spec["group"]).T.contiguous()
    return state, w


def quantization_config(spec):
    """What AutoGPTQ's BaseQuantizeConfig / AutoAWQ's AwqConfig write."""
    if spec["kind"] == "gptq":
        return {"quant_method": "gptq", "bits": spec["bits"], "group_size": spec["group"],
                "damp_percent": 0.01, "desc_act": spec["act_order"], "static_groups": False,
                "sym": True, "true_sequential": True, "checkpoint_format": "gptq"}
    return {"quant_method": "awq", "bits": spec["bits"], "group_size": spec["group"],
            "zero_point": True, "version": "gemm", "modules_to_not_convert": None}


def make_packed(src, folder, oracle, spec, ids, calib_rows):
    safetensors_torch = need("safetensors.torch")
    model = load(src)
    linears, inputs = linear_inputs(model, calib_rows)
    tensors = {}
    for name, lin in linears.items():
        state, w = packed_layer(spec, lin, inputs[name])
        tensors.update({f"{name}.{k}": v.contiguous() for k, v in state.items()})
        lin.weight.data = w
    for name, t in model.state_dict().items():
        if name.rsplit(".", 1)[0] not in linears:
            tensors[name] = t.contiguous()
    np.save(os.path.join(oracle, "dequant.npy"), logits(model, ids))
    os.makedirs(folder)
    safetensors_torch.save_file(tensors, os.path.join(folder, "model.safetensors"),
                                metadata={"format": "pt"})
    with open(os.path.join(src, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    config["quantization_config"] = quantization_config(spec)
    with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    if spec["kind"] == "gptq":  # AutoGPTQ writes both (hf-formats.md)
        with open(os.path.join(folder, "quantize_config.json"), "w", encoding="utf-8") as f:
            json.dump(config["quantization_config"], f, indent=2)
    for t in TOKENIZER_FILES + ("generation_config.json",):
        if os.path.exists(os.path.join(src, t)):
            shutil.copy(os.path.join(src, t), folder)


def check_layers(folder, spec):
    """Every packed layer of the folder: lq_hf_dequantize against the
    package's own decoding of the stored tensors (exact: one f32 rounding of
    scale · (q - zero) on both sides)."""
    refs = packed_references(folder, spec)
    bad = 0
    with lq.Safetensors.open(single_file(folder)) as st:
        for p, w in refs.items():
            bad += int(np.sum(lq.hf_dequantize(st, spec["kind"], p, tuple(w.shape)) != w.numpy()))
    return bad == 0, f"{len(refs)} layers, {bad} values differ"


# The fixtures' FP8 checkpoints in compressed-tensors' float-quantized format
# (per channel, and per tensor with a static input scale; hf-input.md):
# transformers loads them on CPU through compressed-tensors, which
# decompresses the weights to f32 and fake-quantizes each linear's input to
# fp8 in the forward pass (per token, or with the static scale), as the
# serving kernels do. The block-scaled ones (quant_method fp8) need a GPU in
# transformers ("No GPU or XPU found") and are not loaded.
FP8_FOLDERS = ("llama3-fp8-channel", "llama3-fp8-tensor")


# libquant's own writer: `lq quantize MODEL OUT_DIR --format F` (a checkpoint
# folder per format). Each folder is checked with the loader of its format
# where one runs here, else with the package's own decoding, and the runner
# is compared on the same folder. The calibrated formats get the KJV sample.
LQ_FORMATS = ("bnb_nf4", "bnb_fp4", "llm_int8", "fp8", "fp8_static", "gptq", "gptq_v2", "awq")
LQ_CALIBRATED = ("gptq", "gptq_v2", "awq", "fp8_static")


def lq_quantize_cases(lq_tool, fixtures, out, ids):
    import subprocess
    helps = subprocess.run([lq_tool, "quantize", "--help"], capture_output=True, text=True,
                           timeout=60)
    if "--format" not in helps.stdout + helps.stderr:
        reason = "lq quantize has no --format option (no Hugging Face checkpoint writer yet)"
        return [(f"lq quantize --format {f}: the folder against its loader", skipper(reason))
                for f in LQ_FORMATS]
    cases = []
    for fmt in LQ_FORMATS:
        folder = os.path.join(out, "lq", f"llama3-{fmt}")

        def run(fmt=fmt, folder=folder):
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(os.path.dirname(folder), exist_ok=True)  # lq makes OUT_DIR, not its parents
            cmd = [lq_tool, "quantize", os.path.join(fixtures, "models", "llama3"), folder,
                   "--format", fmt]
            if fmt in LQ_CALIBRATED:
                # a small set keeps the case quick; the layout does not depend on its size
                cmd += ["--calib", os.path.join(fixtures, "text", "kjv-sample.txt"),
                        "--calib-samples", "8", "--calib-seqlen", "128"]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                return False, f"{' '.join(cmd)} failed: {r.stderr.strip()[-300:]}"
            return check_folder(folder, fixtures, ids)
        cases.append((f"lq quantize --format {fmt}: the folder against its loader", run))
    return cases


def skipper(reason):
    def run():
        raise NotHere(reason)
    return run


def check_folder(folder, fixtures, ids, with_runner=True):
    """Any quantized folder: its loader (transformers with bitsandbytes or
    compressed-tensors) or the package's own decoding (GPTQ v1, AWQ) gives
    the reference weights; lq_hf_dequantize must equal them exactly on every
    layer and the runner must give transformers' f32 logits on them within
    TOL_RUNNER (a refusing runner fails the case)."""
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        qc = json.load(f)["quantization_config"]
    method = qc["quant_method"]
    plain = load(os.path.join(fixtures, "models", "llama3"))
    notes = []
    if method in ("bitsandbytes", "compressed-tensors"):
        if method == "bitsandbytes":
            bitsandbytes()
        else:
            need("compressed_tensors")
        model = load(folder)
        loader = logits(model, ids)
        # compressed-tensors decompresses the weights to f32 on the first
        # forward pass (before it the state holds the fp8 codes)
        state = model.state_dict()
        refs = {}
        for mname, module in model.named_modules():
            w = dequantized_weight(module) if method == "bitsandbytes" else None
            if w is None and method == "compressed-tensors" and \
                    hasattr(module, "quantization_scheme"):
                w = state[f"{mname}.weight"].float()
            if w is not None and mname in dict(plain.named_modules()):
                refs[mname] = w
        notes.append("its loader runs")
        fmt_of = lambda st, p: ("bnb4" if qc.get("load_in_4bit") else "int8") \
            if method == "bitsandbytes" else ("fp8_static" if f"{p}.input_scale" in st else "fp8")
    elif method in ("gptq", "awq"):
        if method == "gptq" and qc.get("checkpoint_format", "gptq") != "gptq":
            raise NotHere("AutoGPTQ decodes only the v1 layout (checkpoint_format gptq)")
        spec = {"kind": method, "bits": qc["bits"], "group": qc["group_size"]}
        refs = packed_references(folder, spec)
        # the folder's float tensors too: AWQ moves its scales into the norms
        # (and the weights before), so the source's would not do
        torch = need("torch")
        stored = need("safetensors.torch").load_file(single_file(folder))
        with torch.no_grad():
            for pname, param in plain.named_parameters():
                if pname in stored and stored[pname].shape == param.shape:
                    param.copy_(stored[pname].float())
        fmt_of = lambda st, p: method
        notes.append("transformers cannot load it here (no GPTQ/AWQ backend imports)")
    else:
        raise NotHere(f"no loader for quant_method {method!r} runs on CPU here")
    bad = 0
    modules = dict(plain.named_modules())
    with lq.Safetensors.open(single_file(folder)) as st:
        for mname, w in refs.items():
            w = w.reshape(modules[mname].weight.shape)
            bad += int(np.sum(lq.hf_dequantize(st, fmt_of(st, mname), mname, tuple(w.shape))
                              != w.numpy()))
            modules[mname].weight.data = w
    dequant = logits(plain, ids)
    if method in ("bitsandbytes", "compressed-tensors"):
        # the loader's own kernels (bf16 compute, fp8 or int8 activations)
        # differ from f32 on the same weights; reported, not bounded
        notes.append(f"the loader's logits differ from f32 on its weights by "
                     f"{float(np.abs(loader - dequant).max()):.2e}")
    runner_ok = True
    try:
        if with_runner:
            d = float(np.abs(runner_logits(folder, ids) - dequant).max())
            runner_ok = d <= TOL_RUNNER
            notes.append(f"runner max |dlogit| {d:.2e} (tolerance {TOL_RUNNER:g})")
    except NotHere as e:
        runner_ok = False
        notes.append(str(e))
    return bad == 0 and runner_ok, f"{len(refs)} layers, {bad} values differ; " + "; ".join(notes)


def single_file(folder):
    path = os.path.join(folder, "model.safetensors")
    if not os.path.exists(path):
        raise NotHere("a sharded folder: the layer check reads model.safetensors only")
    return path


def packed_references(folder, spec):
    """{module name: the package's own decoding} for a GPTQ v1 or AWQ folder."""
    torch = need("torch")
    safetensors_torch = need("safetensors.torch")
    qo = quantizer_oracles()
    tensors = safetensors_torch.load_file(single_file(folder))
    refs = {}
    for k in sorted(tensors):
        if not k.endswith(".qweight"):
            continue
        p = k[: -len(".qweight")]
        if spec["kind"] == "gptq":
            qlinear = qo.load_without_init("auto_gptq", "nn_modules.qlinear.qlinear_cuda")
            n_in = tensors[f"{p}.g_idx"].shape[0]
            n_out = tensors[k].shape[1]
            group = spec["group"] if spec["group"] > 0 else n_in
            ql = qlinear.QuantLinear(spec["bits"], group, n_in, n_out, bias=False)
            ql.load_state_dict({n.rsplit(".", 1)[1]: v for n, v in tensors.items()
                                if n.rsplit(".", 1)[0] == p}, strict=False)
            # its torch forward decodes scale · (q - zero) in the scales'
            # dtype; widened to f32 that is one f32 rounding, as libquant
            ql.scales = ql.scales.float()
            with torch.no_grad():
                refs[p] = ql(torch.eye(n_in)).T.contiguous()
        else:
            packing = qo.load_without_init("awq", "utils.packing_utils")
            group = spec["group"] if spec["group"] > 0 else tensors[k].shape[0]
            refs[p] = packing.dequantize_gemm(tensors[k], tensors[f"{p}.qzeros"],
                                              tensors[f"{p}.scales"].float(), spec["bits"],
                                              group).T.contiguous()
    return refs


def quantizer_oracles():
    import quantizer_oracles as qo  # beside this script
    return qo


def calibration_rows(fixtures):
    """4 rows of 256 KJV tokens, as quantizer_oracles.py takes them."""
    transformers = need("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(os.path.join(fixtures, "models", "llama3"))
    with open(os.path.join(fixtures, "text", "kjv.txt"), encoding="utf-8") as f:
        text = f.read(200_000)
    return tok(text, return_tensors="pt").input_ids[0][:1024].reshape(4, 256)


def oracle_logits(oracle, which):
    return np.load(os.path.join(oracle, f"{which}.npy"))


def runner_logits(folder, ids):
    try:
        model = lq.Model(folder, kv_type="f32")
    except lq.LqError as e:
        raise NotHere(f"the runner refuses the folder: {e}") from None
    with model:
        return model.eval(ids)


def main():
    fixtures, out = sys.argv[1], sys.argv[2]
    lq_tool = sys.argv[3] if len(sys.argv) > 3 else None
    with open(os.path.join(fixtures, "oracle", "llama3", "logits.json"), encoding="utf-8") as f:
        ids = json.load(f)["input_ids"]
    cases = []

    def control():
        ref = np.load(os.path.join(fixtures, "oracle", "llama3", "logits.npy"))
        got = runner_logits(os.path.join(fixtures, "models", "llama3"), ids)
        d = float(np.abs(got - ref).max())
        return d <= TOL_CONTROL, f"max |dlogit| {d:.2e} (tolerance {TOL_CONTROL:g})"
    cases.append(("control: the runner on the unquantized llama3 equals transformers", control))

    try:
        names = list(variants())
        make(fixtures, out, ids)
        made = None
    except Skip as e:
        names, made = ["bnb-nf4", "bnb-nf4-dq", "bnb-fp4", "bnb-int8"], e
    except Exception:
        names, made = [], traceback.format_exc()
        cases.append(("the quantized checkpoints are made", lambda: (False, "failed")))

    for name in names:
        folder = os.path.join(out, "models", f"llama3-{name}")
        oracle = os.path.join(out, "oracle", f"llama3-{name}")

        def reload(folder=folder, oracle=oracle):
            if made:
                raise made
            loader = oracle_logits(oracle, "loader")
            d = float(np.abs(logits(load(folder), ids) - loader).max())
            gap = float(np.abs(loader - oracle_logits(oracle, "dequant")).max())
            # the same kernels on the same stored tensors: identical
            return d == 0, f"max |dlogit| {d:.2e}; against the dequant oracle {gap:.2e}"

        def runner(folder=folder, oracle=oracle):
            if made:
                raise made
            d = float(np.abs(runner_logits(folder, ids) - oracle_logits(oracle, "dequant")).max())
            return d <= TOL_RUNNER, f"max |dlogit| {d:.2e} (tolerance {TOL_RUNNER:g})"

        def layers(folder=folder):
            if made:
                raise made
            return check_folder(folder, fixtures, ids, with_runner=False)

        cases.append((f"llama3-{name}: transformers reloads the saved folder", reload))
        cases.append((f"llama3-{name}: lq_hf_dequantize on every layer equals bitsandbytes' "
                      "dequantization", layers))
        cases.append((f"llama3-{name}: libquant's runner equals transformers on the same weights",
                      runner))

    for name in FP8_FOLDERS:
        cases.append((f"{name}: compressed-tensors' decompressed weights equal lq_hf_dequantize, "
                      "the runner equals transformers on them",
                      lambda name=name: check_folder(os.path.join(fixtures, "models", name),
                                                     fixtures, ids)))

    for name, spec in PACKED.items() if names else ():
        folder = os.path.join(out, "models", f"llama3-{name}")
        oracle = os.path.join(out, "oracle", f"llama3-{name}")

        def layers(folder=folder, spec=spec):
            if made:
                raise made
            return check_layers(folder, spec)

        def runner(folder=folder, oracle=oracle):
            if made:
                raise made
            d = float(np.abs(runner_logits(folder, ids) - oracle_logits(oracle, "dequant")).max())
            return d <= TOL_RUNNER, f"max |dlogit| {d:.2e} (tolerance {TOL_RUNNER:g})"

        cases.append((f"llama3-{name}: lq_hf_dequantize on every layer equals the package's "
                      "dequantization", layers))
        cases.append((f"llama3-{name}: libquant's runner equals transformers on the package's "
                      "dequantized weights", runner))

    if lq_tool:
        cases += lq_quantize_cases(lq_tool, fixtures, out, ids)

    print(f"1..{len(cases)}")
    if isinstance(made, str):
        print("".join("# " + line + "\n" for line in made.splitlines()), end="")
    failed = 0
    for i, (name, run, *todo) in enumerate(cases, 1):
        try:
            ok, detail = run()
        except Skip as e:
            if REQUIRE and not isinstance(e, NotHere):
                print(f"not ok {i} - {name} # {e} (LQ_REQUIRE_ORACLE=1 requires it)")
                failed += 1
            else:
                print(f"ok {i} - {name} # SKIP {e}")
            continue
        except Exception as e:
            ok, detail = False, f"{type(e).__name__}: {e}"
            if not todo:
                print("".join("# " + line + "\n" for line in traceback.format_exc().splitlines()),
                      end="")
        if todo:
            # TAP: "not ok ... # TODO" is an expected failure, "ok" an unexpected pass
            print(f"{'ok' if ok else 'not ok'} {i} - {name} ({detail}) # TODO {todo[0]}")
        else:
            print(f"{'ok' if ok else 'not ok'} {i} - {name} # {detail}")
            failed += not ok
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
