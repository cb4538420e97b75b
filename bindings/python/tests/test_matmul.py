"""Matrix products with quantized weights."""
import numpy as np
import pytest

import libquant as lq

RNG = np.random.default_rng(3)
W = RNG.standard_normal((48, 256)).astype(np.float32)
X = RNG.standard_normal((20, 256)).astype(np.float32)


def order_bound(x, w):
    """How far two float32 sums of the same K products may be apart, whatever
    their order (BLAS kernels differ by CPU): each is within gamma_K * sum |x w|
    of the exact sum, gamma_K = K u / (1 - K u), u = 2^-24; so twice that, plus
    one rounding per product (FMA or not)."""
    k = x.shape[-1] + 1
    gamma = k * 2.0 ** -24 / (1 - k * 2.0 ** -24)
    return 2 * gamma * (np.abs(x.astype(np.float64)) @ np.abs(w.astype(np.float64)).T)


def test_float_weights_match_numpy():
    y = lq.matmul(X, W)
    assert y.shape == (20, 48) and y.dtype == np.float32
    assert np.all(np.abs(y - X @ W.T) <= order_bound(X, W))
    assert np.all(np.abs(lq.matmul(X[0], W) - X[:1] @ W.T) <= order_bound(X[:1], W))


@pytest.mark.parametrize("scheme", ["q4_k", "int4:g128", "q8_0", "nf4"])
def test_quantized_weights_match_their_decoding(scheme):
    with lq.quantize(W, scheme) as q:
        ref = X @ q.dequantize().T
        for rows in (X, X[:3]):  # the prompt and the decoding paths
            y = lq.matmul(rows, q, threads=2)
            exact = rows @ q.dequantize().T
            assert np.linalg.norm(y - exact) / np.linalg.norm(exact) < 0.01
        assert lq.matmul(X, q, threads=1).tolist() == lq.matmul(X, q, threads=2).tolist()
        assert ref.shape == (20, 48)


def test_activation_choice():
    with lq.quantize(W, "q4_0") as q:
        exact = X @ q.dequantize().T
        y8, y32 = lq.matmul(X, q, act="8bit"), lq.matmul(X, q, act="f32")
        assert lq.matmul(X, q).tolist() == y8.tolist()  # auto quantizes q4_0
        assert y8.tolist() != y32.tolist()
        # the same decoded weights in f32: float order only
        assert np.all(np.abs(y32 - exact) <= order_bound(X, q.dequantize()))
        assert np.linalg.norm(y8 - exact) / np.linalg.norm(exact) < 0.01
    with pytest.raises(ValueError, match="act"):
        lq.matmul(X, W, act="int4")


def test_matmul_checks_shapes():
    with pytest.raises(ValueError, match=r"expected \[tokens, 256\]"):
        lq.matmul(X[:, :100], W)
    with pytest.raises(ValueError, match="2-D"):
        lq.matmul(X, W.reshape(-1))
    bad = X.copy()
    bad[2, 9] = np.inf
    with pytest.raises(lq.LqNonFinite, match=r"x\[2, 9\]"):
        lq.matmul(bad, W)


def test_w8a8_codes_and_scales():
    scales = np.abs(W).max(axis=1) / 127
    codes = np.round(W / scales[:, None]).astype(np.int8)
    y = lq.matmul_w8a8_raw(X, codes, scales.astype(np.float32))
    exact = X @ (codes * scales[:, None]).T
    assert np.linalg.norm(y - exact) / np.linalg.norm(exact) < 0.02
    with pytest.raises(TypeError, match="int8"):
        lq.matmul_w8a8_raw(X, codes.astype(np.int16), scales)
    with pytest.raises(ValueError, match="scales"):
        lq.matmul_w8a8_raw(X, codes, scales[:3])
