"""lq_quality.h: error metrics, layer output error and the memory estimator."""
from ctypes import byref, c_double, c_int, c_uint64

from ._buffers import float_input
from ._core import context_for
from ._ffi import GgufP, declare, enum_names
from ._io import GGUF
from ._scheme import as_scheme
from ._tensor import Tensor, as_tensor

METRICS = enum_names("lq_metric", "LQ_METRIC_")
GIB = float(1 << 30)

_error_metrics = declare("lq_error_metrics")
_tensor_error_metrics = declare("lq_tensor_error_metrics")
_output_error = declare("lq_output_error")
_estimate_weights = declare("lq_estimate_weights")
_estimate_kv = declare("lq_estimate_kv")
_kv_type_from_name = declare("lq_kv_type_from_name")
_estimate_file_size = declare("lq_estimate_file_size")
_estimate_llama_model = declare("lq_estimate_llama_model")


def error_stats(w, q, threads=None):
    """Error of `q` (a Tensor such as a QuantizedTensor, or an array) against
    the reference `w`: a dict with mse, rmse, max_abs, sqnr_db and cosine."""
    out = (c_double * len(METRICS))()
    if isinstance(w, Tensor) or isinstance(q, Tensor):
        with as_tensor(w, "reference") as a, as_tensor(q, "test") as b, \
                context_for(threads) as ctx:
            _tensor_error_metrics(ctx.handle, a.handle, b.handle, out, len(METRICS))
    else:
        a = float_input(w, "w", allow_f16=False)
        b = float_input(q, "q", allow_f16=False)
        if a.size != b.size:
            raise ValueError(f"libquant: w has {a.size} values and q {b.size}")
        _error_metrics(a.as_float_pointer(), b.as_float_pointer(), a.size, out, len(METRICS))
    return dict(zip(METRICS, out))


def output_error(w, q, x, threads=None):
    """Relative output error of a linear layer, ||X W^T - X Wq^T|| / ||X W^T||,
    for w and q of shape [out, in] (Tensors or arrays) and activations x of
    shape [tokens, in] (or one token of `in` floats)."""
    with as_tensor(w, "w") as wt, as_tensor(q, "q") as qt, context_for(threads) as ctx:
        cols = wt.shape[-1]
        xs = float_input(x, "x", allow_f16=False)
        if len(xs.shape) > 2 or xs.shape[-1] != cols:
            raise ValueError(f"libquant: x has shape {list(xs.shape)}; expected [tokens, {cols}]")
        out = c_double()
        _output_error(ctx.handle, wt.handle, qt.handle, xs.as_float_pointer(),
                      xs.size // cols, byref(out))
        return out.value


def kv_type_id(name):
    """The enum lq_kv_type value of "f32", "f16", "int8" or "fp8"."""
    kv_id = c_int()
    _kv_type_from_name(str(name).encode(), byref(kv_id))
    return kv_id.value


def estimate(scheme=None, n_params=None, *, layers=None, kv_heads=None, head_dim=None,
             n_ctx=None, batch=1, kv_type="f16"):
    """Memory needed, in GiB: weights (`n_params` parameters at `scheme`)
    and/or the KV cache (layers, kv_heads, head_dim, n_ctx, batch, kv_type
    one of "f32", "f16", "int8", "fp8"). Returns a dict with weights_gib and
    kv_gib for the parts asked for, and total_gib."""
    result = {}
    if scheme is not None or n_params is not None:
        if scheme is None or n_params is None:
            raise ValueError("libquant: estimating weights needs both scheme and n_params")
        s, owned = as_scheme(scheme)
        try:
            out = c_double()
            _estimate_weights(s.handle, float(n_params), byref(out))
            result["weights_gib"] = out.value / GIB
        finally:
            if owned:
                s.close()
    kv = {"layers": layers, "kv_heads": kv_heads, "head_dim": head_dim, "n_ctx": n_ctx}
    if any(v is not None for v in kv.values()):
        missing = [k for k, v in kv.items() if v is None]
        if missing:
            raise ValueError(f"libquant: estimating the KV cache also needs {', '.join(missing)}")
        out = c_double()
        _estimate_kv(int(layers), int(kv_heads), int(head_dim), int(n_ctx), int(batch),
                     kv_type_id(kv_type), byref(out))
        result["kv_gib"] = out.value / GIB
    if not result:
        raise ValueError("libquant: estimate needs scheme and n_params, or the KV cache sizes")
    result["total_gib"] = sum(result.values())
    return result


def file_sizes(file_types, model=None, *, n_params=None):
    """Exact sizes in bytes of the files lq quantize (and llama-quantize) write
    from `model` (a GGUF, or a GGUF file's path) in each of `file_types`
    (llama.cpp file type names, "Q4_K_M", ...), default options: a dict
    {name: bytes}. With n_params instead of a model, the sizes for a
    Llama-3-style model of about that many parameters (the shape rule of
    lq_estimate_llama_model in lq_quality.h). Experimental tier."""
    if (model is None) == (n_params is None):
        raise ValueError("libquant: file_sizes needs a model or n_params (one of the two)")
    if isinstance(model, GGUF):
        g, owned = model, False
    elif model is not None:
        g, owned = GGUF.open(model), True
    else:
        handle = GgufP()
        _estimate_llama_model(float(n_params), byref(handle))
        g, owned = GGUF(_handle=handle), True
    try:
        out = {}
        for name in file_types:
            n = c_uint64()
            _estimate_file_size(g.handle, str(name).encode(), byref(n))
            out[name] = n.value
        return out
    finally:
        if owned:
            g.close()
