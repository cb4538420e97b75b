"""Error metrics, output error and the memory estimator."""
import math

import numpy as np
import pytest

import libquant as lq

from conftest import cross_input

W = cross_input()


def test_error_stats_on_arrays():
    test = W + np.float32(1 / 64)
    s = lq.error_stats(W, test)
    assert set(s) == {"mse", "rmse", "max_abs", "sqnr_db", "cosine"}
    # pytest.approx's default, 1e-6 relative: W + 1/64 rounds in float32 (6e-8 of W)
    assert s["rmse"] == pytest.approx(1 / 64) and s["max_abs"] == pytest.approx(1 / 64)
    assert s["sqnr_db"] == pytest.approx(10 * math.log10(np.sum(W.astype(np.float64) ** 2)
                                                         / (W.size / 64 ** 2)))
    assert lq.error_stats(W, W)["sqnr_db"] == math.inf


def test_error_stats_on_tensors_matches_arrays():
    with lq.quantize(W, "bf16") as q:
        a = lq.error_stats(W, q)
        b = lq.error_stats(W, q.dequantize())
    assert a == pytest.approx(b)


def test_error_stats_checks_sizes_and_values():
    with pytest.raises(ValueError, match="values"):
        lq.error_stats(W, W[:2])
    bad = W.copy()
    bad[3, 3] = np.inf
    with pytest.raises(lq.LqNonFinite):
        lq.error_stats(W, bad)
    with lq.quantize(W, "bf16") as q, pytest.raises(lq.LqShapeError):
        lq.error_stats(W[:128], q)


def test_output_error():
    x = cross_input(8, 512)
    with lq.quantize(W, "f16") as q:
        assert lq.output_error(W, q, x) == 0.0
    with lq.quantize(W, "bf16") as q:
        e = lq.output_error(W, q, x)
        assert 0 < e < 1e-2  # bf16 keeps 8 significant bits: 2^-9 = 2e-3 per weight
        assert lq.output_error(W, q, x[0]) > 0
        with pytest.raises(ValueError, match="tokens"):
            lq.output_error(W, q, x[:, :100])


def test_estimate():
    e = lq.estimate("f16", 1 << 30)
    assert e == {"weights_gib": 2.0, "total_gib": 2.0}
    kv = lq.estimate(layers=32, kv_heads=8, head_dim=128, n_ctx=4096, kv_type="f16")
    assert kv["kv_gib"] == pytest.approx(2 * 32 * 8 * 4096 * 128 * 2 / 2 ** 30)
    both = lq.estimate(lq.Scheme("bf16"), 7e9, layers=32, kv_heads=8, head_dim=128, n_ctx=4096)
    assert both["total_gib"] == pytest.approx(both["weights_gib"] + both["kv_gib"])
    with pytest.raises(ValueError, match="head_dim"):
        lq.estimate(layers=32, kv_heads=8, n_ctx=4096)
    with pytest.raises(ValueError):
        lq.estimate()
    with pytest.raises(lq.LqInvalidArgument):
        lq.estimate(layers=1, kv_heads=1, head_dim=1, n_ctx=1, kv_type="q7")
