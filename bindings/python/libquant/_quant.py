"""lq_quant.h: quantize a float array into a QuantizedTensor."""

from ._buffers import float_input
from ._core import context_for
from ._ffi import declare
from ._scheme import as_scheme
from ._tensor import Tensor, take_new

_quantize = declare("lq_quantize")


def _calib_handle(calib):
    if calib is None:
        return None
    handle = getattr(calib, "calib_handle", None)
    if handle is None:
        raise TypeError("libquant: calib must be a libquant.Calibration")
    return handle


def quantize(w, scheme, calib=None, imatrix=None, threads=None, progress=None, name=None):
    """Quantize `w` (float32 or float16, shape [out, in]; 1-D to 4-D) with
    `scheme` (a str such as "int4:g128" or "q4_k", or a Scheme).

    calib: a Calibration, for the methods that need one (gptq, awq, ...).
    imatrix: `in` non-negative floats weighting each column's error (the ggml
    block formats use it, as llama.cpp's --imatrix). threads: worker threads
    (None = all CPUs). progress: callable(stage, fraction) -> true to cancel.
    Returns a QuantizedTensor; raises an LqError subclass on failure
    (LqUnsupported when this build lacks the type or method)."""
    s, owned = as_scheme(scheme)
    try:
        with Tensor.wrap(w, name) as src:
            cols = src.shape[-1]
            weights = None
            if imatrix is not None:
                weights = float_input(imatrix, "imatrix", allow_f16=False)
                if weights.size != cols:
                    raise ValueError(f"libquant: imatrix has {weights.size} values; "
                                     f"the rows of w have {cols}")
            calib_handle = _calib_handle(calib)
            with context_for(threads, progress) as ctx:
                return take_new(lambda out: ctx.call(
                    _quantize, ctx.handle, src.handle, s.handle, calib_handle,
                    weights.as_float_pointer() if weights else None, out))
    finally:
        if owned:
            s.close()
