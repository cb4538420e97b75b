#!/usr/bin/env python3
"""bench_budget.py LQ — KL divergence against file size, measured by
llama.cpp's own llama-perplexity: llama.cpp's file types (made by its
llama-quantize, with and without an importance matrix from its
llama-imatrix) against `lq quantize --target-size` at each of their sizes.

Not a test: it measures. For each model: the text is split into a
calibration part and a disjoint evaluation part (bytes stated below); the
F32 model's logits on the evaluation part are the base
(--kl-divergence-base); every quantized file's mean KLD and same-top-token
share come from `llama-perplexity --kl-divergence` against that base.
Prints a table per model and the headline ratio (ours / llama.cpp's Q4_K_M
KLD, ours no larger), and writes OUT/size-budget-table.md and
OUT/kld-vs-bpw.svg.

Environment: BENCH_OUT (default the current folder), BENCH_WORK (a folder
kept between runs: per model, the base logits, the importance matrix and
every file's size and KLD (NAME.gguf.result) are reused when present, so a
change to ours re-measures only ours after removing its results; default a
temporary folder), BENCH_THREADS (2),
BENCH_CTX (llama-perplexity's context, 128: the fixtures' texts are short),
BENCH_MODELS (names from model_list() below, space-separated; default
all whose files exist), BENCH_FTYPES (llama.cpp's file types to run),
LQ_HF_FIXTURES (the Hugging Face fixtures; default the build's
tests/hf/fixtures, as the meson benchmark's environment names it).
"""
import math
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", "..", ".."))

# llama.cpp's file types of the curve, in order of size
# (IQ4_NL, Q4_1 and Q5_1 are left out to keep a run under an hour on two
# shared cores: each sits between neighbours of the curve; BENCH_FTYPES
# names another list)
FTYPES = os.environ.get("BENCH_FTYPES", "Q2_K Q3_K_S Q3_K_M Q3_K_L IQ4_XS Q4_0 Q4_K_S Q4_K_M Q5_0 "
                        "Q5_K_S Q5_K_M Q6_K Q8_0").split()

# Our variants: name -> (at each size by --target-size, extra `lq quantize`
# arguments), with the importance matrix in every one; CALIB stands for the
# calibration part of the text. Those without a budget write llama.cpp's
# file type itself (its Q4_K_M's size). BENCH_VARIANTS names a subset.
CALIB = "{calib}"
CALIBRATED = ["--calib", CALIB, "--calib-samples", "64", "--calib-seqlen", "128"]
ALL_VARIANTS = {
    "ours": (True, []),
    "ours + gptq": (True, ["--method", "gptq"] + CALIBRATED),
    "ours + awq": (True, ["--method", "awq"] + CALIBRATED),
    "gptq": (False, ["--method", "gptq"] + CALIBRATED),
    "awq": (False, ["--method", "awq"] + CALIBRATED),
}
VARIANTS = {k: v for k, v in ALL_VARIANTS.items()
            if k in (os.environ.get("BENCH_VARIANTS", "").split(",") if os.environ.get("BENCH_VARIANTS")
                     else ALL_VARIANTS)}


def model_list():
    hf = os.environ.get("LQ_HF_FIXTURES") or os.environ.get("LQ_HF_FIXTURES_DEFAULT") or \
        os.path.join(SRC, "build", "tests", "hf", "fixtures")
    tiny_text = os.path.join(SRC, "tests", "model", "fixture", "heldout.txt")
    kjv = os.path.join(hf, "text", "kjv.txt")
    # (name, model, text, calibration bytes [a, b), evaluation bytes [c, d))
    return [
        # heldout.txt is text the model never trained on (tests/model/fixture/README.md)
        ("tiny-llama", os.path.join(SRC, "tests", "model", "fixture", "tiny-llama-f32.gguf"),
         tiny_text, (0, 16000), (16000, 24000)),
        # the Hugging Face fixtures have random weights (doc/hf-input.md): their
        # KLD says how the types round, not how a trained model degrades
        ("llama3-random", os.path.join(hf, "gguf", "llama3-f32.gguf"), kjv, (0, 16000), (16000, 24000)),
    ]


def tool(name):
    return subprocess.run([os.path.join(SRC, "tests", "llama_tool.sh"), name], check=True,
                          capture_output=True, text=True).stdout.strip()


def run(args, log):
    with open(log, "w") as f:
        r = subprocess.run(args, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        sys.exit("failed (%d): %s; see %s" % (r.returncode, " ".join(args), log))


def n_params(path):
    """Elements of all tensors, from the GGUF header (v2/v3, little-endian)."""
    with open(path, "rb") as f:
        data = f.read(1 << 22)
    pos = 8
    n_t, n_kv = struct.unpack_from("<QQ", data, pos)
    pos += 16
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def skip_value(t, pos):
        if t == 8:
            (n,) = struct.unpack_from("<Q", data, pos)
            return pos + 8 + n
        if t == 9:
            et, n = struct.unpack_from("<IQ", data, pos)
            pos += 12
            for _ in range(n):
                pos = skip_value(et, pos)
            return pos
        return pos + sizes[t]

    for _ in range(n_kv):
        (kl,) = struct.unpack_from("<Q", data, pos)
        pos += 8 + kl
        (t,) = struct.unpack_from("<I", data, pos)
        pos = skip_value(t, pos + 4)
    total = 0
    for _ in range(n_t):
        (nl,) = struct.unpack_from("<Q", data, pos)
        pos += 8 + nl
        (nd,) = struct.unpack_from("<I", data, pos)
        dims = struct.unpack_from("<%dQ" % nd, data, pos + 4)
        pos += 4 + 8 * nd + 4 + 8
        total += math.prod(dims)
    return total


def kld(perplexity, path, base, work, threads):
    log = os.path.join(work, os.path.basename(path) + ".kld.log")
    run([perplexity, "-m", path, "--kl-divergence-base", base, "--kl-divergence",
         "-t", threads], log)
    text = open(log).read()
    mean = re.search(r"Mean\s+KLD:\s+([0-9.eE+-]+)", text)
    top = re.search(r"Same top p:\s+([0-9.]+)", text)
    if not mean or not top:
        # seen twice on the loaded build machine: the last chunk's line and
        # the summary missing with a zero exit status; one more run
        run([perplexity, "-m", path, "--kl-divergence-base", base, "--kl-divergence",
             "-t", threads], log)
        text = open(log).read()
        mean = re.search(r"Mean\s+KLD:\s+([0-9.eE+-]+)", text)
        top = re.search(r"Same top p:\s+([0-9.]+)", text)
    if not mean or not top:
        sys.exit("no KLD in " + log)
    print("  %s: KLD %s, same top %s%%" % (os.path.basename(path), mean.group(1), top.group(1)), flush=True)
    return float(mean.group(1)), float(top.group(1))


def measured(out, make, perplexity, base, work, threads):
    """(bytes, KLD, same top %) of the file `out` that make() writes, from
    out + ".result" when an earlier run left it."""
    cache = out + ".result"
    if os.path.exists(cache):
        size, k, t = open(cache).read().split()
        return int(size), float(k), float(t)
    make()
    size = os.path.getsize(out)
    k, t = kld(perplexity, out, base, work, threads)
    os.remove(out)
    open(cache, "w").write("%d %r %r\n" % (size, k, t))
    return size, k, t


def bench_model(lq, name, model, text, cal, ev, work, threads, ctx):
    tools = {t: tool(t) for t in ("perplexity", "imatrix", "quantize")}
    raw = open(text, "rb").read()
    calib, evalf = os.path.join(work, "calib.txt"), os.path.join(work, "eval.txt")
    open(calib, "wb").write(raw[cal[0]:cal[1]])
    open(evalf, "wb").write(raw[ev[0]:ev[1]])
    base = os.path.join(work, "base.kld")
    if not os.path.exists(base):
        run([tools["perplexity"], "-m", model, "-f", evalf, "-c", ctx, "-t", threads,
             "--kl-divergence-base", base + ".tmp"], os.path.join(work, "base.log"))
        os.rename(base + ".tmp", base)
    imatrix = os.path.join(work, "imatrix.gguf")
    if not os.path.exists(imatrix):
        run([tools["imatrix"], "-m", model, "-f", calib, "-c", ctx, "-t", threads, "-o",
             imatrix + ".tmp.gguf"], os.path.join(work, "imatrix.log"))
        os.rename(imatrix + ".tmp.gguf", imatrix)
    params = n_params(model)
    rows = []  # (series, label, bytes, bpw, kld, top)
    for im in (False, True):
        for ft in FTYPES:
            out = os.path.join(work, "%s%s.gguf" % (ft, "-im" if im else ""))
            args = [tools["quantize"]] + (["--imatrix", imatrix] if im else []) + [model, out, ft, threads]
            size, k, t = measured(out, lambda: run(args, out + ".log"), tools["perplexity"], base,
                                  work, threads)
            rows.append(("llama.cpp" + (" + imatrix" if im else ""), ft, size, 8 * size / params, k, t))
    for variant, (budget, extra) in VARIANTS.items():
        extra = [calib if a == CALIB else a for a in extra]
        for ft in FTYPES:
            size = next(r[2] for r in rows if r[0] == "llama.cpp + imatrix" and r[1] == ft)
            out = os.path.join(work, "%s-%s.gguf" % (variant.replace(" ", ""), ft))
            args = [lq, "quantize", model, out] + (["--target-size", str(size)] if budget else [ft]) + \
                ["--imatrix", imatrix, "--threads", threads] + extra
            osize, k, t = measured(out, lambda: run(args, out + ".log"), tools["perplexity"], base,
                                   work, threads)
            assert osize <= size, (out, osize, size)
            rows.append((variant, "@" + ft if budget else ft, osize, 8 * osize / params, k, t))
    return params, rows


def table(name, model, text, cal, ev, params, rows):
    lines = ["### %s" % name, "",
             "`%s`, %d parameters; calibration: bytes %d..%d of `%s`, evaluation: bytes %d..%d "
             "(disjoint)." % (os.path.basename(model), params, cal[0], cal[1],
                              os.path.basename(text), ev[0], ev[1]), "",
             "| series | type | bytes | bits/weight | mean KLD | same top % |",
             "|---|---|---:|---:|---:|---:|"]
    for s, label, size, bpw, k, t in rows:
        lines.append("| %s | %s | %d | %.3f | %.6f | %.2f |" % (s, label, size, bpw, k, t))
    ref = {s: next((r for r in rows if r[0] == s and r[1] == "Q4_K_M"), None)
           for s in ("llama.cpp", "llama.cpp + imatrix")}
    for variant in VARIANTS:
        ours = next((r for r in rows if r[0] == variant and r[1] in ("@Q4_K_M", "Q4_K_M")), None)
        if not ours:
            continue
        for s, r in ref.items():
            lines.append("")
            lines.append("Headline (%s): %s at %d bytes, KLD %.6f = **%.3f ×** %s Q4_K_M's %.6f (%d "
                         "bytes)." % (name, variant, ours[2], ours[4], ours[4] / r[4], s, r[4], r[2]))
    return "\n".join(lines) + "\n"


def svg(path, curves):
    """KLD (log scale) against bits per weight, one panel per model."""
    colours = {"llama.cpp": "#d62728", "llama.cpp + imatrix": "#ff7f0e", "ours": "#1f77b4",
               "ours + gptq": "#2ca02c", "ours + awq": "#9467bd", "gptq": "#17becf",
               "awq": "#8c564b"}
    W, H, L, R, T, B = 640, 420, 70, 20, 40, 50
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
             'font-size="11">' % (W, H * len(curves))]
    for p, (name, rows) in enumerate(curves):
        y0 = p * H
        xs = [r[3] for r in rows]
        ys = [math.log10(r[4]) for r in rows if r[4] > 0]
        x_lo, x_hi = min(xs) - 0.1, max(xs) + 0.1
        y_lo, y_hi = math.floor(min(ys)), math.ceil(max(ys))
        X = lambda v: L + (v - x_lo) / (x_hi - x_lo) * (W - L - R)
        Y = lambda v: y0 + T + (y_hi - v) / (y_hi - y_lo) * (H - T - B)
        parts.append('<text x="%d" y="%d" font-size="13">%s: mean KLD vs the F32 model, by llama-perplexity'
                     '</text>' % (L, y0 + 20, name))
        parts.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>'
                     % (L, y0 + T, W - L - R, H - T - B))
        for e in range(y_lo, y_hi + 1):
            parts.append('<text x="%d" y="%.1f" text-anchor="end">1e%d</text>' % (L - 5, Y(e) + 4, e))
            parts.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>' % (L, W - R, Y(e), Y(e)))
        for b in range(math.ceil(x_lo), math.floor(x_hi) + 1):
            parts.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (X(b), y0 + H - B + 15, b))
        parts.append('<text x="%d" y="%d" text-anchor="middle">bits per weight (file bytes × 8 / '
                     'parameters)</text>' % ((L + W - R) // 2, y0 + H - 12))
        for i, (s, c) in enumerate(colours.items()):
            pts = sorted((r[3], math.log10(r[4]), r[1]) for r in rows if r[0] == s and r[4] > 0)
            if not pts:
                continue
            parts.append('<polyline fill="none" stroke="%s" points="%s"/>' % (
                c, " ".join("%.1f,%.1f" % (X(x), Y(y)) for x, y, _ in pts)))
            for x, y, label in pts:
                parts.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s</title></circle>'
                             % (X(x), Y(y), c, s, label))
            parts.append('<text x="%d" y="%d" fill="%s">%s</text>' % (W - R - 150, y0 + T + 15 + 14 * i, c, s))
    parts.append("</svg>")
    open(path, "w").write("\n".join(parts) + "\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    lq = os.path.abspath(sys.argv[1])
    out = os.environ.get("BENCH_OUT", os.getcwd())
    threads = os.environ.get("BENCH_THREADS", "2")
    ctx = os.environ.get("BENCH_CTX", "128")
    wanted = os.environ.get("BENCH_MODELS", "").split()
    md, curves = [], []
    for name, model, text, cal, ev in model_list():
        if (wanted and name not in wanted) or not (os.path.exists(model) and os.path.exists(text)):
            print("skipping %s (not selected or not built)" % name)
            continue
        keep = os.environ.get("BENCH_WORK")
        if keep:
            work = os.path.join(keep, name)
            os.makedirs(work, exist_ok=True)
            params, rows = bench_model(lq, name, model, text, cal, ev, work, threads, ctx)
        else:
            with tempfile.TemporaryDirectory() as work:
                params, rows = bench_model(lq, name, model, text, cal, ev, work, threads, ctx)
        t = table(name, model, text, cal, ev, params, rows)
        print(t)
        md.append(t)
        curves.append((name, rows))
    if curves:
        open(os.path.join(out, "size-budget-table.md"), "w").write("\n".join(md))
        svg(os.path.join(out, "kld-vs-bpw.svg"), curves)
        print("wrote %s and %s" % (os.path.join(out, "size-budget-table.md"), os.path.join(out, "kld-vs-bpw.svg")))


if __name__ == "__main__":
    main()
