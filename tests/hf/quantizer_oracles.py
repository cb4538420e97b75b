"""quantizer_oracles.py FIXTURES — libquant's methods and Hugging Face layouts
against the quantizers' own Python packages, on a real layer of the fixture
llama3 model (TAP on stdout; doc/python-oracles.md).

Run by py_oracle.sh with the venv's python, LIBQUANT_LIBRARY and the
binding on PYTHONPATH. A case whose package is absent is a TAP skip, and a
failure when LQ_REQUIRE_ORACLE=1 (install-deps installs every package used
here). Every tolerance has its reason beside it.
"""
import importlib.util
import os
import sys
import tempfile
import traceback
import types

import numpy as np

import libquant as lq

FIXTURES = sys.argv[1] if len(sys.argv) > 1 else None
REQUIRE = os.environ.get("LQ_REQUIRE_ORACLE") == "1"


class Skip(Exception):
    pass


def need(module):
    """Import `module` or skip the case naming it."""
    try:
        return __import__(module, fromlist=["_"])
    except Exception as e:  # a package that is present but broken is as absent
        raise Skip(f"{module} does not import ({type(e).__name__}: {e})") from None


def load_without_init(package, module):
    """`package.module` from an installed package whose __init__ cannot run
    here (auto-gptq's imports a symbol current peft removed; autoawq's pulls
    every model family and `datasets`): the package's folder is registered as
    an empty package, so only `module` and what it imports are loaded."""
    if package not in sys.modules:
        spec = importlib.util.find_spec(package)
        if spec is None:
            raise Skip(f"{package} is not installed")
        pkg = types.ModuleType(package)
        pkg.__path__ = list(spec.submodule_search_locations)
        sys.modules[package] = pkg
    return __import__(f"{package}.{module}", fromlist=["_"])


# ---------------------------------------------------------------------------
# The real layer: the fixture llama3 model's block 0, its inputs captured from
# transformers' forward pass over KJV text tokenized by the fixture tokenizer.

_LAYERS = {}


def fixture_layers():
    if _LAYERS:
        return _LAYERS
    torch = need("torch")
    transformers = need("transformers")
    if not FIXTURES or not os.path.isdir(os.path.join(FIXTURES, "models", "llama3")):
        raise Skip(f"no fixture llama3 model under {FIXTURES} (the hf-fixtures test makes it)")
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model_dir = os.path.join(FIXTURES, "models", "llama3")
    model = transformers.AutoModelForCausalLM.from_pretrained(
        model_dir, torch_dtype=torch.float32, attn_implementation="eager").eval()
    tok = transformers.AutoTokenizer.from_pretrained(model_dir)
    with open(os.path.join(FIXTURES, "text", "kjv.txt"), encoding="utf-8") as f:
        text = f.read(200_000)
    ids = tok(text, return_tensors="pt").input_ids[0]
    seq, n_seq = 256, 4  # 1024 calibration tokens: more than any layer's width (512)
    batch = ids[: seq * n_seq].reshape(n_seq, seq)
    block = model.model.layers[0]
    names = {"q_proj": block.self_attn.q_proj, "k_proj": block.self_attn.k_proj,
             "v_proj": block.self_attn.v_proj, "o_proj": block.self_attn.o_proj,
             "gate_proj": block.mlp.gate_proj, "up_proj": block.mlp.up_proj,
             "down_proj": block.mlp.down_proj}
    inputs = {n: [] for n in names}
    hooks = [m.register_forward_hook(
        lambda mod, args, out, n=n: inputs[n].append(args[0].reshape(-1, args[0].shape[-1])))
        for n, m in names.items()]
    with torch.no_grad():
        for row in batch:  # one sequence at a time, as the fixtures' logits are made
            model(row[None])
    for h in hooks:
        h.remove()
    for n, m in names.items():
        _LAYERS[n] = (m.weight.detach().float().numpy().copy(),
                      torch.cat(inputs[n]).float().numpy().copy())
    return _LAYERS


def rel_output_error(x, w, w_hat):
    """||X (Ŵ - W)ᵀ|| / ||X Wᵀ|| in double."""
    x, w, w_hat = (a.astype(np.float64) for a in (x, w, w_hat))
    return float(np.linalg.norm(x @ (w_hat - w).T) / np.linalg.norm(x @ w.T))


def calibration(x):
    c = lq.Calibration(x.shape[1])
    c.add(np.ascontiguousarray(x, dtype=np.float32))
    return c


# ---------------------------------------------------------------------------
# Layout decode: libquant's lq_hf_dequantize on tensors the reference package
# wrote equals the package's own dequantization.

def save_state(tensors, prefix):
    """The module's state dict written as a checkpoint file would hold it,
    opened with libquant."""
    safetensors_torch = need("safetensors.torch")
    fd, path = tempfile.mkstemp(suffix=".safetensors")
    os.close(fd)
    safetensors_torch.save_file({f"{prefix}.{k}": v.contiguous() for k, v in tensors.items()}, path)
    st = lq.Safetensors.open(path)
    os.unlink(path)  # the handle keeps its own map of the file
    return st


def case_bnb4(quant_type, double_quant):
    def run():
        torch = need("torch")
        bnb = need("bitsandbytes")
        w, _ = fixture_layers()["up_proj"]
        lin = bnb.nn.Linear4bit(w.shape[1], w.shape[0], bias=False, quant_type=quant_type,
                                compress_statistics=double_quant, compute_dtype=torch.float32)
        lin.weight = bnb.nn.Params4bit(torch.from_numpy(w), requires_grad=False,
                                       quant_type=quant_type, compress_statistics=double_quant)
        lin = lin.to("cpu")  # bitsandbytes quantizes when the parameter moves to a device
        ref = bnb.functional.dequantize_4bit(lin.weight.data, lin.weight.quant_state).float().numpy()
        prefix = "model.layers.0.mlp.up_proj"
        with save_state(lin.state_dict(), prefix) as st:
            got = lq.hf_dequantize(st, "bnb4", prefix, w.shape)
        # Exact: both decode code-table value times the block's absmax in f32
        # (with double quant, absmax itself decoded through the same 8-bit map).
        bad = int(np.sum(got != ref))
        return bad == 0, f"{bad} of {got.size} values differ from dequantize_4bit"
    return run


def case_int8():
    torch = need("torch")
    bnb = need("bitsandbytes")
    w, _ = fixture_layers()["down_proj"]
    lin = bnb.nn.Linear8bitLt(w.shape[1], w.shape[0], bias=False, has_fp16_weights=False)
    lin.weight = bnb.nn.Int8Params(torch.from_numpy(w), requires_grad=False, has_fp16_weights=False)
    lin = lin.to("cpu")
    cb, scb = lin.weight.data, lin.weight.SCB
    ref = bnb.functional.int8_vectorwise_dequant(cb, scb).float().numpy()
    prefix = "model.layers.0.mlp.down_proj"
    with save_state(lin.state_dict(), prefix) as st:
        got = lq.hf_dequantize(st, "int8", prefix, w.shape)
    # Exact: doc/hf-formats.md says lq_hf_dequantize computes bitsandbytes'
    # (weight · SCB) · (1/127) in f32 for this layout.
    bad = int(np.sum(got != ref))
    return bad == 0, f"{bad} of {got.size} values differ from int8_vectorwise_dequant"


def autogptq_layer(name, bits, group, sym, act_order, static_groups):
    """AutoGPTQ's GPTQ on fixture layer `name`: (w, x, its fake-quantized
    weight, scale, zero, g_idx) as fasterquant returns them."""
    torch = need("torch")
    gptq_mod = load_without_init("auto_gptq", "quantization.gptq")
    quantizer_mod = load_without_init("auto_gptq", "quantization.quantizer")
    w, x = fixture_layers()[name]
    # fasterquant calls torch.cuda.synchronize() for its timing log;
    # without a GPU that raises, and it synchronizes nothing on the CPU.
    if not torch.cuda.is_available():
        torch.cuda.synchronize = lambda *a, **k: None
    lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=False)
    lin.weight.data = torch.from_numpy(w.copy())
    g = gptq_mod.GPTQ(lin)
    g.quantizer = quantizer_mod.Quantizer()
    g.quantizer.configure(bits, perchannel=True, sym=sym, mse=False)
    xt = torch.from_numpy(x)
    g.add_batch(xt, lin(xt))
    scale, zero, g_idx = g.fasterquant(blocksize=128, percdamp=0.01, group_size=group or -1,
                                       actorder=act_order, static_groups=static_groups)
    return w, x, lin, scale, zero, g_idx


def case_gptq_layout(bits, act_order):
    def run():
        torch = need("torch")
        qlinear = load_without_init("auto_gptq", "nn_modules.qlinear.qlinear_cuda")
        w, _, lin, scale, zero, g_idx = autogptq_layer("up_proj", bits, 128, False, act_order, False)
        # AutoGPTQ's pack_model: the QuantLinear of the cuda backend (its
        # torch path honours g_idx), packed from the fake-quantized layer.
        ql = qlinear.QuantLinear(bits, 128, w.shape[1], w.shape[0], bias=False)
        # pack stores the scales in the layer's dtype: f16, as in a model
        # AutoGPTQ quantizes in half precision
        ql.pack(lin.half(), scale, zero, g_idx)
        prefix = "model.layers.0.mlp.up_proj"
        state = {k: v for k, v in ql.state_dict().items() if k != "bias"}
        with save_state(state, prefix) as st:
            got = lq.hf_dequantize(st, "gptq", prefix, w.shape)
        # The reference's own decoding: the QuantLinear's torch forward on the
        # identity gives Wᵀ. With its f16 scales widened to f32 it computes
        # scale · (q - zero) in f32, one rounding, as libquant does: exact.
        ql.scales = ql.scales.float()
        with torch.no_grad():
            ref = ql(torch.eye(w.shape[1], dtype=torch.float32)).T.numpy()
        bad = int(np.sum(got != ref))
        desc = "desc_act g_idx, " if act_order else ""
        return bad == 0, f"{desc}{bad} of {got.size} values differ from AutoGPTQ's QuantLinear"
    return run


def case_awq_layout():
    torch = need("torch")
    load_awq_quantizer()
    gemm = load_without_init("awq", "modules.linear.gemm")
    packing = load_without_init("awq", "utils.packing_utils")
    quantizer = load_without_init("awq", "quantize.quantizer")
    w, _ = fixture_layers()["down_proj"]
    q = object.__new__(quantizer.AwqQuantizer)
    q.w_bit, q.group_size, q.zero_point = 4, 128, True
    lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=False)
    # AutoAWQ's _apply_quant: pseudo-quantize, then pack with the
    # transposed scales and zeros
    lin.weight.data, scales, zeros = q.pseudo_quantize_tensor(torch.from_numpy(w.copy()))
    ql = gemm.WQLinear_GEMM.from_linear(lin, 4, 128, scales=scales.t().contiguous(),
                                        zeros=zeros.t().contiguous())
    prefix = "model.layers.0.mlp.down_proj"
    state = {k: v for k, v in ql.state_dict().items() if k != "bias"}
    with save_state(state, prefix) as st:
        got = lq.hf_dequantize(st, "awq", prefix, w.shape)
    # AutoAWQ's dequantize_gemm with the f16 scales widened to f32: (q - zero)
    # · scale in f32, one rounding, as libquant: exact.
    ref = packing.dequantize_gemm(ql.qweight, ql.qzeros, ql.scales.float(), 4, 128).T.numpy()
    bad = int(np.sum(got != ref))
    return bad == 0, f"{bad} of {got.size} values differ from AutoAWQ's dequantize_gemm"


# ---------------------------------------------------------------------------
# Methods against the reference quantizers on the same inputs.

def case_hqq(bits):
    def run():
        torch = need("torch")
        hqq_quant = need("hqq.core.quantize")
        w, x = fixture_layers()["up_proj"]
        group = 64
        # BaseQuantizeConfig's settings: groups of 64 along a row (axis 1),
        # the zero rounded at init for 4 bits only, the proximal solver.
        wq, meta = hqq_quant.Quantizer.quantize(
            torch.from_numpy(w), nbits=bits, channel_wise=True, group_size=group, optimize=True,
            round_zero=bits == 4, axis=1, bitpack=False, device="cpu")
        ref_zero = meta["zero"].reshape(w.shape[0], -1).numpy()
        ref_hat = ((wq.float() - meta["zero"]) * meta["scale"]).reshape(w.shape).numpy()
        with lq.quantize(w, f"hqq:int{bits}:g{group}:scale=f32") as q:
            got_hat = q.dequantize()
            zeros = gptq_v2_zeros(q, bits, w.shape)
        # libquant runs the same solver on float zeros, then stores them as
        # integers: they must be the package's zeros rounded. A zero within
        # float noise of .5 may round the other way (the two sum the group in
        # different orders): at most 0.5% of the groups.
        want = np.clip(np.rint(ref_zero), 0, 2 ** bits - 1)
        off = float(np.mean(zeros != want))
        e_ref = rel_output_error(x, w, ref_hat)
        e_lq = rel_output_error(x, w, got_hat)
        # doc/methods.md: the integer zero plus libquant's scale step costs
        # 1.5% of output error at 4 bits and gains at 2-3 bits, against HQQ's
        # float zeros; 5% is the bound that still catches a broken solver
        # (plain rounding is 11% worse at 4 bits).
        ok = off <= 0.005 and e_lq <= 1.05 * e_ref
        return ok, (f"{off:.4%} of zeros differ from round(hqq's); output error "
                    f"libquant {e_lq:.4e}, hqq {e_ref:.4e}")
    return run


def gptq_v2_zeros(q, bits, shape):
    """A tensor's zero points [out, groups], through the gptq_v2 layout
    (zero points stored as they are, one LSB-first bit stream per group)."""
    with lq.Safetensors() as st:
        lq.hf_export(q, "gptq_v2", "l", st)
        words = np.frombuffer(st.raw("l.qzeros"), dtype="<u4").reshape(-1, shape[0] * bits // 32)
    stream = np.unpackbits(words.view(np.uint8), axis=1, bitorder="little")
    vals = stream.reshape(words.shape[0], shape[0], bits) @ (1 << np.arange(bits))
    return vals.T


def case_gptq(name, bits, group, sym, act_order, static_groups):
    def run():
        w, x, lin, _, _, _ = autogptq_layer(name, bits, group, sym, act_order, static_groups)
        ref_hat = lin.weight.data.numpy()
        # scale=f32: the reference keeps its grids in f32 (libquant's default
        # f16 scales would move codes on purpose).
        grid = f"g{group}" if group else "channel"
        scheme = (f"gptq:int{bits}:{grid}:{'sym' if sym else 'asym'}:damp=0.01:scale=f32"
                  + (":act_order" if act_order else "") + (":static_groups" if static_groups else ""))
        with calibration(x) as calib:
            q, perm = lq.gptq_quantize(w, scheme, calib)
        with q:
            deq = q.dequantize()
        got_hat = np.empty_like(deq)
        got_hat[:, np.asarray(perm)] = deq
        step = np.abs(ref_hat - w).max()  # at least half a step of the coarsest grid
        same = float(np.mean(np.abs(got_hat - ref_hat) <= 1e-6 * step))
        e_ref = rel_output_error(x, w, ref_hat)
        e_lq = rel_output_error(x, w, got_hat)
        # The reference factors H in f32 and libquant in double, and their
        # sums run in other orders: a value at a rounding tie may take the
        # other code, after which that row's error feedback differs, so a
        # few percent of the values may differ (99.95% agree with a double
        # rewrite in test_gptq.c). The output errors must agree within 2%
        # (GPTQ's gain over round-to-nearest here is several times that).
        ok = same >= 0.97 and abs(e_lq / e_ref - 1) <= 0.02
        return ok, (f"{same:.4%} of values equal; output error libquant {e_lq:.4e}, "
                    f"AutoGPTQ {e_ref:.4e}")
    return run


def case_awq(names, group):
    def run():
        torch = need("torch")
        awq_quantizer = load_awq_quantizer()
        layers = fixture_layers()
        x = layers[names[0]][1]
        ws = [layers[n][0] for n in names]

        class Parent(torch.nn.Module):
            """What AutoAWQ's search needs around the layers: the previous
            op (here an identity) and the layers, as submodules."""

            def __init__(self):
                super().__init__()
                self.prev = torch.nn.Identity()
                self.fcs = torch.nn.ModuleList()
                for w in ws:
                    lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=False)
                    lin.weight.data = torch.from_numpy(w.copy())
                    self.fcs.append(lin)

            def forward(self, inp):
                # the loss runs over every layer's output, as libquant's sum
                return torch.cat([fc(inp) for fc in self.fcs], dim=-1)

            def state_dict(self, *args, **kwargs):
                # The search snapshots the weights as {k: v.cpu()} and scales
                # them in place with mul_. On a GPU .cpu() copies; on the CPU
                # it returns the same tensor, so the snapshot would be scaled
                # too and every later grid point would start from the first
                # one's weights (ratio 0 always wins). A copy is what the
                # search gets on the device it was written for.
                return {k: v.clone() for k, v in super().state_dict(*args, **kwargs).items()}

        parent = Parent()
        search = object.__new__(awq_quantizer.AwqQuantizer)
        # AutoAWQ's quantize_config defaults (w_bit 4, zero_point, GEMM) and
        # the search settings its constructor sets.
        search.w_bit, search.group_size, search.zero_point = 4, group, True
        search.duo_scaling = True
        search.n_parallel_calib_samples = None
        search.max_chunk_memory = 1024 * 1024 * 1024
        _, _, ref = search._search_best_scale(parent, parent.prev, list(parent.fcs),
                                              torch.from_numpy(x), module2inspect=parent)
        ref = ref.float().numpy()
        with calibration(x) as calib:
            got = lq.awq_search(f"awq:int4:g{group}:asym:scale=f32", calib, ws)
        # The same grid point must win: the candidates' scales are the same
        # formula of the same means, so they agree to float rounding (pow in
        # C and in torch); 1e-5 relative is a hundred ulps and far below the
        # next grid point's change of scale (several percent).
        err = float(np.max(np.abs(got / ref - 1)))
        return err <= 1e-5, f"scales agree within {err:.2e} relative"
    return run


def load_awq_quantizer():
    transformers_act = need("transformers.activations")
    # autoawq 0.2.9 imports PytorchGELUTanh, which transformers 4.57 renamed
    # GELUTanh (the same module); its calibration-data module imports
    # `datasets`, which the search never calls.
    if not hasattr(transformers_act, "PytorchGELUTanh") and hasattr(transformers_act, "GELUTanh"):
        transformers_act.PytorchGELUTanh = transformers_act.GELUTanh
    if "datasets" not in sys.modules and importlib.util.find_spec("datasets") is None:
        sys.modules.setdefault("datasets", types.ModuleType("datasets"))
        sys.modules["datasets"].load_dataset = None
    return load_without_init("awq", "quantize.quantizer")


CASES = [
    ("bnb4 nf4: lq_hf_dequantize equals bitsandbytes' dequantize_4bit", case_bnb4("nf4", False)),
    # (the double-quant map a checkpoint stores is torch's vectorised
    # linspace on x86, 1-2 ulp off the portable one in some entries: decoded
    # with the stored map, as bitsandbytes does)
    ("bnb4 nf4 double quant: lq_hf_dequantize equals dequantize_4bit", case_bnb4("nf4", True)),
    ("bnb4 fp4: lq_hf_dequantize equals dequantize_4bit", case_bnb4("fp4", False)),
    ("bnb4 fp4 double quant: lq_hf_dequantize equals dequantize_4bit", case_bnb4("fp4", True)),
    ("int8: lq_hf_dequantize equals bitsandbytes' int8_vectorwise_dequant", case_int8),
    ("gptq layout: lq_hf_dequantize equals AutoGPTQ's QuantLinear", case_gptq_layout(4, False)),
    ("gptq layout with desc_act g_idx: lq_hf_dequantize equals AutoGPTQ's QuantLinear",
     case_gptq_layout(4, True)),
    ("gptq layout 3-bit: lq_hf_dequantize equals AutoGPTQ's QuantLinear",
     case_gptq_layout(3, False)),
    ("awq layout: lq_hf_dequantize equals AutoAWQ's dequantize_gemm", case_awq_layout),
    ("hqq int4 g64 against the hqq package", case_hqq(4)),
    ("hqq int3 g64 against the hqq package", case_hqq(3)),
    ("hqq int2 g64 against the hqq package", case_hqq(2)),
    ("gptq int4 g128 sym down_proj against AutoGPTQ's GPTQ",
     case_gptq("down_proj", 4, 128, True, False, False)),
    ("gptq int4 g128 asym act_order+static_groups up_proj against AutoGPTQ's GPTQ",
     case_gptq("up_proj", 4, 128, False, True, True)),
    ("gptq int4 g64 sym act_order q_proj against AutoGPTQ's GPTQ",
     case_gptq("q_proj", 4, 64, True, True, False)),
    ("gptq int8 per channel sym o_proj against AutoGPTQ's GPTQ",
     case_gptq("o_proj", 8, 0, True, False, False)),
    ("awq scales q/k/v against AutoAWQ's search", case_awq(("q_proj", "k_proj", "v_proj"), 128)),
    ("awq scales gate/up against AutoAWQ's search", case_awq(("gate_proj", "up_proj"), 64)),
    ("awq scales down_proj against AutoAWQ's search", case_awq(("down_proj",), 128)),
]


def main():
    print(f"1..{len(CASES)}")
    failed = 0
    for i, (name, run, *todo) in enumerate(CASES, 1):
        try:
            ok, detail = run()
        except Skip as e:
            if REQUIRE:
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
