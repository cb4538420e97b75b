"""Calibration sets, importance matrices and the calibrated methods."""
import numpy as np
import pytest

import libquant as lq

RNG = np.random.default_rng(7)
W = RNG.standard_normal((64, 256)).astype(np.float32)
X = RNG.standard_normal((300, 256)).astype(np.float32)
X[:, 5] *= 20  # an outlier channel


@pytest.fixture
def calib():
    with lq.Calibration(256) as c:
        c.add(X[:100])
        c.add(X[100:])
        yield c


def test_statistics(calib):
    assert (calib.features, calib.tokens, calib.samples) == (256, 300, 300)
    # float running means over 300 rows of positive terms: gamma_300 = 1.8e-5
    np.testing.assert_allclose(calib.get("mean_sq"), np.mean(X.astype(np.float64) ** 2, axis=0),
                               rtol=1e-4)
    np.testing.assert_allclose(calib.get("max_abs"), np.max(np.abs(X), axis=0), rtol=1e-6)
    h = calib.get("hessian")
    assert h.shape == (256, 256)
    # a float product over 300 rows, within gamma_300 = 1.8e-5 of sum |2 x_i x_j| / 300,
    # which is of order 1 for these rows, hence also absolute
    np.testing.assert_allclose(h, 2 / 300 * X.T.astype(np.float64) @ X, rtol=1e-3, atol=1e-3)
    assert calib.get("samples").shape == (300, 256)
    calib.set_max_samples(10)
    assert calib.samples == 10
    with pytest.raises(ValueError, match="unknown statistic"):
        calib.get("median")


def test_add_checks_width_and_values(calib):
    with pytest.raises(ValueError, match=r"expected \[tokens, 256\]"):
        calib.add(X[:, :100])
    bad = X[:2].copy()
    bad[1, 3] = np.nan
    with pytest.raises(lq.LqNonFinite):
        calib.add(bad)
    assert calib.tokens == 300  # unchanged


def test_merge_save_load(calib, tmp_path):
    with lq.Calibration(256) as other:
        other.add(X[:50])
        calib.merge(other)
    assert calib.tokens == 350
    calib.save(tmp_path / "layer.lqcalib")
    with lq.Calibration.load(tmp_path / "layer.lqcalib") as back:
        assert back.tokens == 350
        np.testing.assert_array_equal(back.get("hessian"), calib.get("hessian"))
    with pytest.raises(lq.LqShapeError):
        calib.merge(lq.Calibration(128))
    (tmp_path / "junk").write_bytes(b"not a calibration file")
    with pytest.raises(lq.LqFormatError):
        lq.Calibration.load(tmp_path / "junk")
    with pytest.raises(lq.LqIOError):
        lq.Calibration.load(tmp_path / "missing")


def test_gptq_beats_rtn_on_the_output(calib):
    with lq.quantize(W, "gptq:int4:g64", calib=calib) as g, lq.quantize(W, "int4:g64") as r:
        assert lq.output_error(W, g, X) < lq.output_error(W, r, X)
    err_method, err_rtn = lq.method_error(W, "gptq:int4:g64", calib)
    assert 0 < err_method < err_rtn
    with pytest.raises(lq.LqInvalidArgument):
        lq.quantize(W[:, :128], "gptq:int4:g64", calib=calib)  # wrong width


def test_gptq_column_order(calib):
    q, perm = lq.gptq_quantize(W, "gptq:int4:g64:act_order", calib, name="w")
    with q:
        assert perm.dtype == np.int32 and sorted(perm.tolist()) == list(range(256))
        assert perm[0] == 5  # the outlier channel has the largest Hessian diagonal
        assert q.name == "w"
        # The codes hold W[:, perm]: x[:, perm] @ q^T approximates x @ W^T.
        approx = X[:, perm] @ q.dequantize().T
        assert np.linalg.norm(approx - X @ W.T) / np.linalg.norm(X @ W.T) < 0.1
    q, perm = lq.gptq_quantize(W, "gptq:int4:g64", calib)
    assert perm.tolist() == list(range(256))
    q.close()


def test_awq_and_smoothquant_scales(calib):
    s = lq.awq_search("awq:int4:g64", calib, [W, W[:32]])
    assert s.shape == (256,) and np.all(s > 0) and np.argmax(s) == 5
    sq = lq.smoothquant_scales("smoothquant:int8:alpha=0.5", calib, [W])
    assert sq.shape == (256,) and np.argmax(sq) == 5
    with pytest.raises(lq.LqInvalidArgument):
        lq.awq_search("int4:g64", calib, [W])  # not an awq scheme


def test_scales_apply_changes_arrays_in_place():
    norm = np.ones(256, dtype=np.float32)
    w = W.copy()
    s = np.full(256, 2.0, dtype=np.float32)
    lq.scales_apply(s, [w], prev=norm)
    np.testing.assert_array_equal(norm, 0.5)
    np.testing.assert_array_equal(w, W * 2)
    with pytest.raises(TypeError, match="in place"):
        lq.scales_apply(s, [W.astype(np.float64)])
    with pytest.raises(ValueError, match="writable"):
        lq.scales_apply(s, [W[:, ::2]])


def test_w8a8_and_llm_int8_products():
    with lq.quantize(W, "llm_int8:int8") as q:
        exact = X[:8] @ q.dequantize().T
        y = lq.matmul_w8a8(X[:8], q)
        assert y.shape == (8, 64)
        assert np.linalg.norm(y - exact) / np.linalg.norm(exact) < 0.05
        y2, outliers = lq.matmul_llm_int8(X[:8], q, threshold=6.0)
        assert outliers >= 1  # channel 5
        assert np.linalg.norm(y2 - exact) < np.linalg.norm(y - exact)
    with lq.quantize(W, "int4:g64") as q, pytest.raises(lq.LqInvalidArgument):
        lq.matmul_w8a8(X[:8], q)


def test_imatrix_files(calib, tmp_path):
    with lq.Imatrix() as im:
        im.add("blk.0.ffn_up.weight", calib)
        im.add("blk.0.attn_q.weight", calib)
        assert im.names() == ["blk.0.attn_q.weight", "blk.0.ffn_up.weight"] and len(im) == 2
        assert "blk.0.attn_q.weight" in im and "nope" not in im
        # the imatrix keeps the same float means: at most one rounding (6e-8)
        np.testing.assert_allclose(im["blk.0.attn_q.weight"], calib.get("mean_sq"), rtol=1e-6)
        for fmt in ("dat", "gguf"):
            im.save(tmp_path / f"im.{fmt}", format=fmt, dataset="wiki.train")
            with lq.Imatrix.load(tmp_path / f"im.{fmt}") as back:
                assert back.names() == im.names()
                np.testing.assert_allclose(back["blk.0.ffn_up.weight"], im["blk.0.ffn_up.weight"],
                                           rtol=1e-6)
        with pytest.raises(KeyError, match="nope"):
            im["nope"]
        with pytest.raises(ValueError, match="format"):
            im.save(tmp_path / "x", format="json")
        with lq.quantize(W, "q4_k", imatrix=im["blk.0.attn_q.weight"]) as q:
            assert q.type == "q4_k"
