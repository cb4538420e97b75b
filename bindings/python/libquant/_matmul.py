"""lq_matmul.h: run quantized weights (Y = X W^T)."""
from ctypes import c_int8

from . import _capi
from ._buffers import exact_input, float_input, new_array
from ._core import context_for
from ._ffi import declare
from ._tensor import as_tensor

_matmul = declare("lq_matmul_v2")
# lq_matmul_v2's flags (lq_matmul.h): how x is multiplied
_ACT_FLAGS = {"auto": 0, "8bit": _capi.LQ_MATMUL_ACT_8BIT, "f32": _capi.LQ_MATMUL_ACT_F32}
_matmul_w8a8 = declare("lq_matmul_w8a8_raw")


def activations(x, k):
    """A float32 view of activations `x` ([m, k], or one row of k) and m."""
    xs = float_input(x, "x", allow_f16=False)
    if len(xs.shape) > 2 or xs.shape[-1] != k:
        raise ValueError(f"libquant: x has shape {list(xs.shape)}; expected [tokens, {k}]")
    return xs, xs.size // k if k else 0


def matmul(x, w, threads=None, act="auto"):
    """Y = X W^T for activations x [m, k] and a weight w [n, k] of any type
    (a QuantizedTensor, a Tensor or a float array): a float32 array [m, n].
    act: "auto" (the library's choice), "8bit" (x quantized to 8 bits where
    the type has integer dot products, as llama.cpp does) or "f32" (never)."""
    if act not in _ACT_FLAGS:
        raise ValueError(f"libquant: act must be one of {sorted(_ACT_FLAGS)}, not {act!r}")
    with as_tensor(w, "w") as wt, context_for(threads) as ctx:
        shape = wt.shape
        if len(shape) != 2:
            raise ValueError(f"libquant: w must be 2-D [n, k], not {list(shape)}")
        n, k = shape
        xs, m = activations(x, k)
        y, out = new_array((m, n))
        _matmul(ctx.handle, xs.as_float_pointer(), m, wt.handle, _ACT_FLAGS[act],
                out.as_float_pointer())
        return y


def matmul_w8a8_raw(x, w, scales, threads=None):
    """W8A8: Y = X (diag(scales) W)^T with int8 codes w [n, k] and one float32
    scale per output row; each row of x is quantized to int8 on the fly."""
    ws = exact_input(w, "w", "b")
    if len(ws.shape) != 2:
        raise ValueError(f"libquant: w must be 2-D [n, k], not {list(ws.shape)}")
    n, k = ws.shape
    sw = float_input(scales, "scales", allow_f16=False)
    if sw.size != n:
        raise ValueError(f"libquant: {sw.size} scales for {n} output rows")
    xs, m = activations(x, k)
    y, out = new_array((m, n))
    with context_for(threads) as ctx:
        _matmul_w8a8(ctx.handle, xs.as_float_pointer(), m, k, ws.pointer(c_int8),
                     sw.as_float_pointer(), n, out.as_float_pointer())
    return y
