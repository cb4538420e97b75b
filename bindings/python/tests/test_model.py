"""The model runner and the GGUF pipeline from Python, checked against the
C library's own tools (lq quantize, lq eval) on the tiny Llama fixture."""
import json
import os
import subprocess

import numpy as np
import pytest

import libquant as lq

from conftest import PACKAGE_ROOT

FIXTURE = PACKAGE_ROOT.parent.parent / "tests" / "model" / "fixture"
MODEL = FIXTURE / "tiny-llama-f32.gguf"
TEXT = FIXTURE / "heldout.txt"
N_TOKENS, N_CTX = 512, 128   # 4 windows of 128: small enough for a 2-core machine


def lq_tool():
    """The `lq` program of the build the library comes from (pkg-config's
    prefix: a meson build directory for the uninstalled entry run-tests.sh
    uses, or the install prefix), or skip."""
    try:
        prefix = subprocess.run(["pkg-config", "--variable=prefix", "libquant"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        prefix = ""
    for path in (os.path.join(prefix, "libquant", "tools", "lq"), os.path.join(prefix, "bin", "lq")):
        if prefix and os.access(path, os.X_OK):
            return path
    pytest.skip("the lq program of this build was not found (pkg-config --variable=prefix)")


@pytest.fixture(scope="module")
def base():
    with lq.Model(MODEL, kv_type="f32") as m:
        yield m


@pytest.fixture(scope="module")
def tokens(base):
    return base.tokenize(TEXT.read_text())[:N_TOKENS]


@pytest.fixture(scope="module")
def q4_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("q4") / "q4_k_m.gguf"
    lq.quantize_gguf(MODEL, out, "Q4_K_M")
    return out


def test_quantize_gguf_writes_what_lq_quantize_writes(q4_file, tmp_path):
    c_out = tmp_path / "c.gguf"
    subprocess.run([lq_tool(), "quantize", str(MODEL), str(c_out), "Q4_K_M"], check=True,
                   capture_output=True, timeout=300)
    assert q4_file.read_bytes() == c_out.read_bytes()


def test_file_sizes_is_the_written_size(q4_file):
    sizes = lq.file_sizes(["Q4_K_M", "q8_0"], MODEL)
    assert sizes["Q4_K_M"] == q4_file.stat().st_size
    with lq.GGUF.open(MODEL) as g:
        assert lq.file_sizes(["Q4_K_M"], g) == {"Q4_K_M": q4_file.stat().st_size}
    # the Llama-3-70B shape; real Q4_K_M files add their ~8 MB tokenizer
    assert lq.file_sizes(["Q4_K_M"], n_params=70e9) == {"Q4_K_M": 42512575136}
    with pytest.raises(lq.LqInvalidArgument, match="Q4_K_X"):
        lq.file_sizes(["Q4_K_X"], MODEL)
    with pytest.raises(ValueError):
        lq.file_sizes(["Q4_K_M"])


def test_three_lines_give_what_lq_eval_gives(q4_file, tokens, base):
    run = subprocess.run([lq_tool(), "eval", str(MODEL), "--text", str(TEXT), "--schemes", "q4_k_m",
                          "--kv", "f16", "--ctx", str(N_CTX), "--max-tokens", str(N_TOKENS),
                          "--calib-tokens", "0", "--json"],
                         check=True, capture_output=True, text=True, timeout=600)
    want = json.loads(run.stdout)
    # lq eval prints 10 significant digits: agreement to 1e-9 relative is all
    # the printout can show (the computations are the same C calls).
    tol = dict(rel=1e-9)
    with lq.Model(q4_file) as m:
        got = m.perplexity(tokens, n_ctx=N_CTX)
        assert got["scored"] == want["scored"] and got["windows"] == want["windows"]
        assert got["ppl"] == pytest.approx(want["results"][0]["ppl"], **tol)
        kl = m.kl_divergence(base, tokens, n_ctx=N_CTX)
        assert kl["kld"] == pytest.approx(want["results"][0]["kld"], **tol)
        assert kl["same_top"] == pytest.approx(want["results"][0]["same_top"], **tol)
        assert kl["ppl"] == got["ppl"]   # the same windows and logits
    assert base.perplexity(tokens, n_ctx=N_CTX)["ppl"] == pytest.approx(want["base"]["ppl"], **tol)


def test_a_mixture_in_memory_equals_the_file(q4_file, tokens, base):
    # lq_model_quantize gives a mixture the tensors lq_gguf_quantize writes.
    with base.quantize("q4_k_m") as mem, lq.Model(q4_file) as disk:
        assert mem.perplexity(tokens, n_ctx=N_CTX)["ppl"] == disk.perplexity(tokens, n_ctx=N_CTX)["ppl"]


def test_info_tokens_and_default_window(base, tokens):
    info = base.info()
    assert info["n_vocab"] == base.n_vocab == 512 and info["n_ctx"] == base.n_ctx
    assert tokens[0] == info["token_bos"] and base.token_text(tokens[0]) == "<s>"
    assert base.token_text(base.n_vocab) is None
    assert list(base.tokenize("In the beginning", add_bos=False)) == list(
        base.tokenize("In the beginning")[1:])
    # tokenize_v2 reads control token names only when asked (the fixture's
    # "<s>" is a control token) and adds no EOS (add_eos_token is false).
    bos = info["token_bos"]
    assert list(base.tokenize_v2("<s>In", parse_special=True))[:2] == [bos, bos]
    plain = list(base.tokenize_v2("<s>In", add_eos=True))
    assert plain == list(base.tokenize("<s>In")) and plain.count(bos) == 1
    # Without n_ctx the window is the cache size (the fixture's 256 < 512).
    assert base.perplexity(tokens)["windows"] == N_TOKENS // base.n_ctx


def test_eval_continues_from_the_cache(base, tokens):
    whole = base.eval(tokens[:8])
    assert whole.shape == (8, base.n_vocab) and whole.dtype == np.float32
    base.eval(tokens[:5], logits_from=5)
    rest = base.eval(tokens[5:8], pos=5)
    # Three tokens and eight take different matrix-product paths (batch size
    # decides the kernel), so the sums differ in rounding only.
    np.testing.assert_allclose(rest, whole[5:], rtol=1e-4, atol=1e-4)
    assert base.eval(tokens[:4], logits_from=4).shape == (0, base.n_vocab)


def test_imatrix_feeds_quantize_gguf(base, tokens, tmp_path):
    im = base.imatrix(tokens[:256])
    assert "blk.0.attn_q.weight" in im.names()
    out = tmp_path / "q2_k_s.gguf"
    with pytest.raises(lq.LqInvalidArgument):
        lq.quantize_gguf(MODEL, out, "Q2_K_S")   # llama.cpp requires an imatrix for it
    assert not out.exists()
    lq.quantize_gguf(MODEL, out, "Q2_K_S", imatrix=im)
    with lq.Model(out) as m:
        assert m.perplexity(tokens, n_ctx=N_CTX)["ppl"] > 1


def test_options_reach_the_file(tmp_path):
    out = tmp_path / "mixed.gguf"
    lq.quantize_gguf(MODEL, out, "Q4_0", tensor_types={r"ffn_down": "q8_0"}, output_type="q6_k")
    with lq.GGUF.open(out) as g:
        for name, want in (("blk.0.ffn_down.weight", "q8_0"), ("blk.0.ffn_up.weight", "q4_0"),
                           ("output.weight", "q6_k")):
            with g.tensor(name) as t:
                assert t.type == want, name


def test_errors_and_closing(tmp_path, tokens):
    with pytest.raises(lq.LqIOError):
        lq.Model(tmp_path / "missing.gguf")
    with pytest.raises(lq.LqInvalidArgument, match="Q9_Z"):
        lq.quantize_gguf(MODEL, tmp_path / "x.gguf", "Q9_Z")
    base = lq.Model(MODEL)
    q = base.quantize("q8_0")
    base.close()   # closes q first: it points into base's weights
    with pytest.raises(ValueError, match="closed"):
        q.perplexity(tokens)
    with pytest.raises(ValueError, match="closed"):
        base.info()
    base.close()
