"""lq_hf.h: Hugging Face quantized-checkpoint layouts (GPTQ, AWQ,
bitsandbytes, FP8, LLM.int8): libquant tensors to the tensor sets
transformers, vLLM, AutoGPTQ/GPTQModel, AutoAWQ and bitsandbytes load, and
back (doc/hf-formats.md).

Experimental tier (LQ_EXPERIMENTAL_API, _capi.EXPERIMENTAL): may change in a
minor release."""
import ctypes
import json
from ctypes import byref, c_int32, c_void_p

from ._buffers import new_array
from ._ffi import declare, enum_names
from ._scheme import as_scheme
from ._tensor import take_new

_export = declare("lq_hf_export")
_import = declare("lq_hf_import")
_dequantize = declare("lq_hf_dequantize")
_config = declare("lq_hf_config")
_lq_free = declare("lq_free")

HF_FORMATS = enum_names("lq_hf_format", "LQ_HF_")
# The layouts whose g_idx may order the columns (they return a permutation).
_WITH_G_IDX = ("gptq", "gptq_v2")


def _format_id(fmt):
    try:
        return HF_FORMATS.index(fmt)
    except ValueError:
        raise ValueError(f"libquant: unknown Hugging Face layout {fmt!r}; one of "
                         f"{', '.join(HF_FORMATS)}") from None


def hf_export(q, fmt, prefix, st, perm=None, calib=None):
    """Add the tensors of quantized weight `q` ([out, in]) in layout `fmt`
    ("gptq", "gptq_v2", "awq", "bnb4", "fp8", "int8", "fp8_static") to the
    Safetensors `st`, named "<prefix>.<part>". perm: the column order
    gptq_quantize returned (written as g_idx); calib: the layer's
    Calibration (fp8_static takes its input_scale from it)."""
    fid = _format_id(fmt)
    perm_arr, perm_ptr = None, None
    if perm is not None:
        perm_arr, view = new_array((len(perm),), "i")
        for i, v in enumerate(perm):
            perm_arr[i] = int(v)
        perm_ptr = view.pointer(c_int32)
    _export(q.handle, perm_ptr, None if calib is None else calib.calib_handle, fid,
            prefix.encode(), st.handle)


def hf_import(st, fmt, prefix):
    """Layer `prefix` of layout `fmt` from `st` as (QuantizedTensor named
    "<prefix>.weight", perm): perm is the column order (int32 array: column j
    holds source column perm[j]) for gptq layouts, None for the others."""
    fid = _format_id(fmt)
    perm, perm_ptr = None, None
    g_idx = f"{prefix}.g_idx"
    if fmt in _WITH_G_IDX and g_idx in st:
        perm, view = new_array((st.info(g_idx)["shape"][0],), "i")
        perm_ptr = view.pointer(c_int32)
    q = take_new(lambda out: _import(st.handle, fid, prefix.encode(), out, perm_ptr))
    return q, perm


def hf_dequantize(st, fmt, prefix, shape):
    """Layer `prefix` of layout `fmt` decoded to float32 [out, in] as the
    reference loaders decode it (any g_idx)."""
    out, view = new_array(shape)
    _dequantize(st.handle, _format_id(fmt), prefix.encode(), view.as_float_pointer(), view.size)
    return out


def hf_config(fmt, scheme):
    """The "quantization_config" object of config.json for layout `fmt` made
    with `scheme`, as a dict."""
    s, owned = as_scheme(scheme)
    raw = c_void_p()
    try:
        _config(_format_id(fmt), s.handle, byref(raw))
        return json.loads(ctypes.string_at(raw.value).decode("utf-8"))
    finally:
        _lq_free(raw)
        if owned:
            s.close()
