#!/usr/bin/env python3
"""bench_gptq_torch.py — GPTQ in libquant against the torch reference
(AutoGPTQ's GPTQ class, as GPTQModel runs it) on the same layer, the same
activations and the same threads, one after the other in one process; and
AWQ's scale search on that layer against GPTQ's total. Prints each step's
wall time, the ratios measured in this run, and both GPTQ results' output
error on the calibration set.

    bench_gptq_torch.py [--dim N] [--tokens T] [--threads K] [--seq S] [--scale-to T2]
                        [--hessian-only] [--no-awq]

Defaults: a 4096 x 4096 layer, 128 x 2048 = 262,144 calibration tokens (the
GPTQ paper's setting), 2 threads. With --tokens below --scale-to (default
262,144) it also prints the totals at --scale-to tokens: both sides' Hessian
work is one product per sequence, linear in the tokens, so its measured time
per sequence is scaled; the solve does not depend on the tokens. That keeps
the run short on a loaded machine (8 sequences measure the per-sequence cost
as well as 128). Needs the venv's torch and auto_gptq, and
the Python binding (LIBQUANT_LIBRARY, PYTHONPATH): bench_gptq_torch.sh sets
them.

The reference: per 2048-token sequence, GPTQ.add_batch (H *= n/(n+1);
H += (2/n) X^T X as one float32 matmul); then GPTQ.fasterquant (damping
1 %, Cholesky, cholesky_inverse, Cholesky again, 128-column blocks with the
lazy batch update), 4 bits, group 128, symmetric, as AutoGPTQ's defaults.
libquant: lq_calib_add per sequence (ssyrk), then lq_quantize with
gptq:int4:g128:sym. Both quantize the same weight with the same grids; the
output errors are tr(D H D^T) / tr(W H W^T), D = W - W_hat, with the
reference's own H for both.

Activations: as bench_methods.c (16 latent factors mixed into the channels,
uniform noise, 1 in 64 channels 10-100x), made by torch from a fixed seed and
not timed. Time spent making them is excluded from both sides.
"""
import argparse
import importlib.util
import math
import os
import sys
import time
import types

import numpy as np
import torch

import libquant as lq


def load_without_init(package, module):
    """auto_gptq's __init__ imports a symbol current peft removed: register
    the package's folder as an empty package and load only `module`."""
    if package not in sys.modules:
        spec = importlib.util.find_spec(package)
        if spec is None:
            sys.exit(f"bench_gptq_torch: {package} is not installed in this Python")
        pkg = types.ModuleType(package)
        pkg.__path__ = list(spec.submodule_search_locations)
        pkg.__spec__ = spec  # transformers asks importlib for it
        sys.modules[package] = pkg
    return __import__(f"{package}.{module}", fromlist=["_"])


def timed(fn):
    t = time.perf_counter()
    r = fn()
    return time.perf_counter() - t, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dim", type=int, default=4096)
    ap.add_argument("--tokens", type=int, default=262144)
    ap.add_argument("--seq", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--scale-to", type=int, default=262144)
    ap.add_argument("--hessian-only", action="store_true",
                    help="stop after the Hessian comparison (the step that grows with the tokens)")
    ap.add_argument("--no-awq", action="store_true",
                    help="skip AWQ's scale search (GPTQ against torch only)")
    a = ap.parse_args()
    n, seq, threads = a.dim, a.seq, a.threads
    torch.set_num_threads(threads)
    gptq_mod = load_without_init("auto_gptq", "quantization.gptq")
    quantizer_mod = load_without_init("auto_gptq", "quantization.quantizer")
    # fasterquant calls torch.cuda.synchronize() for its timing log; without a
    # GPU that raises, and on the CPU there is nothing to synchronize
    if not torch.cuda.is_available():
        torch.cuda.synchronize = lambda *args, **kw: None

    print(f"GPTQ, libquant against torch {torch.__version__} (AutoGPTQ's GPTQ class): "
          f"[{n}, {n}] weight, {a.tokens} calibration tokens in sequences of {seq}, "
          f"{threads} threads")
    print(lq.build_info())
    print(f"torch: {torch.get_num_threads()} threads, "
          f"{'MKL' if torch.backends.mkl.is_available() else 'no MKL'}, "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}")

    gen = torch.Generator().manual_seed(42)
    mix = torch.randn(16, n, generator=gen) / 4
    gain = torch.ones(n)
    outliers = torch.arange(5, n, 64)
    gain[outliers] = 10.0 ** (1.0 + torch.rand(len(outliers), generator=gen))
    w = torch.randn(n, n, generator=gen) * 0.02

    lin = torch.nn.Linear(n, n, bias=False)
    lin.weight.data = w.clone()
    ref = gptq_mod.GPTQ(lin)
    ref.quantizer = quantizer_mod.Quantizer()
    ref.quantizer.configure(4, perchannel=True, sym=True, mse=False)
    calib = lq.Calibration(n)

    t_ref_h = t_lq_h = 0.0
    for t0 in range(0, a.tokens, seq):
        m = min(seq, a.tokens - t0)
        x = (torch.randn(m, 16, generator=gen) @ mix + torch.rand(m, n, generator=gen) - 0.5) * gain
        x = x.contiguous()
        dt, _ = timed(lambda: ref.add_batch(x.unsqueeze(0), None))
        t_ref_h += dt
        xn = x.numpy()
        dt, _ = timed(lambda: calib.add(xn))
        t_lq_h += dt
        done = (t0 + m) // seq
        if a.hessian_only and done % 16 == 0:  # running figures, in case a long run is cut short
            print(f"  {t0 + m} tokens: torch {t_ref_h:.2f} s, libquant {t_lq_h:.2f} s, "
                  f"{t_ref_h / t_lq_h:.2f}x", flush=True)
    if a.hessian_only:
        print(f"Hessian: torch {t_ref_h:.2f} s, libquant {t_lq_h:.2f} s, {t_ref_h / t_lq_h:.2f}x")
        return
    h = ref.H.clone()  # fasterquant consumes it

    t_ref_s, _ = timed(lambda: ref.fasterquant(blocksize=128, percdamp=0.01, group_size=128))
    w_ref = lin.weight.data  # fasterquant writes the dequantized weight back
    wn = w.numpy().copy()
    t_lq_s, q = timed(lambda: lq.quantize(wn, "gptq:int4:g128:sym", calib=calib, threads=threads))
    w_lq = torch.from_numpy(q.dequantize())

    # AWQ's scale search on the same layer and set (its own timing, no torch side)
    t_awq = None
    if not a.no_awq:
        t_awq, _ = timed(lambda: lq.awq_search("awq:int4:g128", calib, [wn], threads=threads))

    def out_err(what):
        d = (w - what).double()
        hd = h.double()
        return float(torch.trace(d @ hd @ d.T) / torch.trace(w.double() @ hd @ w.double().T))

    e_ref, e_lq = out_err(w_ref), out_err(w_lq)
    rows = [("Hessian (per-sequence accumulation)", t_ref_h, t_lq_h),
            ("solve (damping, factorization, sweep)", t_ref_s, t_lq_s),
            ("GPTQ total", t_ref_h + t_ref_s, t_lq_h + t_lq_s)]
    print(f"{'step':<40} {'torch s':>9} {'libquant s':>11} {'speedup':>8}")
    for label, r, l in rows:
        print(f"{label:<40} {r:9.2f} {l:11.2f} {r / l:7.2f}x")
    print(f"output error: torch {e_ref:.4e}, libquant {e_lq:.4e} (libquant/torch {e_lq / e_ref:.3f})")
    if a.tokens < a.scale_to:
        k = a.scale_to / a.tokens
        r_tot, l_tot = k * t_ref_h + t_ref_s, k * t_lq_h + t_lq_s
        awq = f"; AWQ's search {t_awq / l_tot:.2f}x GPTQ's total" if t_awq is not None else ""
        print(f"at {a.scale_to} tokens (Hessian times x{k:g}): torch {r_tot:.1f} s, libquant "
              f"{l_tot:.1f} s, {r_tot / l_tot:.2f}x{awq}")
    gptq_total = t_lq_h + t_lq_s
    if t_awq is not None:
        print(f"AWQ scale search (awq:int4:g128) {t_awq:.2f} s: {t_awq / gptq_total:.2f}x libquant's "
              f"GPTQ total (Hessian + solve), {t_awq / t_lq_s:.2f}x its solve")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
