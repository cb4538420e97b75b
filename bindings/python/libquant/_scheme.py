"""lq_scheme.h: schemes, parsed from strings such as "int4:g128" or "q4_k"."""
from ctypes import byref, c_double, c_int64, c_uint64

from . import _capi
from ._ffi import SchemeP, declare, enum_names, text
from ._lifetime import Closeable
from ._types import type_id, type_name

_parse = declare("lq_scheme_parse")
_clone = declare("lq_scheme_clone")
_free = declare("lq_scheme_free")
_string = declare("lq_scheme_string")
_get_int = declare("lq_scheme_get_int")
_get_float = declare("lq_scheme_get_float")
_set_int = declare("lq_scheme_set_int")
_set_float = declare("lq_scheme_set_float")
_tensor_bytes = declare("lq_scheme_tensor_bytes")

METHODS = enum_names("lq_method", "LQ_METHOD_")

# Granularity values of group_size besides a positive group size.
GROUP_CHANNEL = _capi.LQ_GROUP_CHANNEL
GROUP_TENSOR = _capi.LQ_GROUP_TENSOR


def _method_name(value):
    return METHODS[value] if 0 <= value < len(METHODS) else f"method-{value}"


def _method_id(name):
    try:
        return METHODS.index(name.lower())
    except ValueError:
        raise ValueError(f"libquant: unknown method {name!r}; one of {', '.join(METHODS)}") from None


def _int_param(param, doc, to_py=int, to_c=int, writable=True):
    def get(self):
        out = c_int64()
        _get_int(self.handle, param, byref(out))
        return to_py(out.value)

    def put(self, value):
        _set_int(self.handle, param, to_c(value))

    return property(get, put if writable else None, doc=doc)


def _float_param(param, doc):
    def get(self):
        out = c_double()
        _get_float(self.handle, param, byref(out))
        return out.value

    def put(self, value):
        _set_float(self.handle, param, float(value))

    return property(get, put, doc=doc)


class Scheme(Closeable):
    """What to quantize to, and how: ``Scheme("int4:g128")``.

    str() gives the canonical string, which parses back to an equal scheme.
    Properties read and change the parameters (lq_scheme_get/set_*); a change
    the scheme cannot take raises LqInvalidArgument and leaves it unchanged.
    Several threads may read one scheme; changing it needs exclusive use.
    Close with close() or a with block (closing twice is harmless)."""

    def __init__(self, text_or_scheme):
        handle = SchemeP()
        if isinstance(text_or_scheme, Scheme):
            _clone(text_or_scheme.handle, byref(handle))
        elif isinstance(text_or_scheme, str):
            _parse(text_or_scheme.encode(), byref(handle))
        else:
            raise TypeError("libquant: a scheme is made from a str or a Scheme")
        self._handle = handle

    @property
    def handle(self):
        if self._handle is None:
            raise ValueError("libquant: the scheme is closed")
        return self._handle

    def copy(self):
        return Scheme(self)

    def tensor_bytes(self, rows, cols):
        """Bytes a [rows, cols] weight takes under this scheme, scales included."""
        out = c_uint64()
        _tensor_bytes(self.handle, int(rows), int(cols), byref(out))
        return out.value

    type = _int_param(_capi.LQ_PARAM_TYPE, "Element type name, e.g. 'int4'.", type_name,
                      type_id)
    method = _int_param(_capi.LQ_PARAM_METHOD, "Method name: 'rtn', 'gptq', ...", _method_name,
                        _method_id)
    bits = _int_param(_capi.LQ_PARAM_BITS, "Code bits (read-only).", writable=False)
    group_size = _int_param(_capi.LQ_PARAM_GROUP_SIZE,
                            "Group size N > 0, GROUP_CHANNEL (0) or GROUP_TENSOR (-1).")
    symmetric = _int_param(_capi.LQ_PARAM_SYMMETRIC, "True without zero points.", bool)
    block_size = _int_param(_capi.LQ_PARAM_BLOCK_SIZE, "nf4/fp4 absmax block size.")
    double_quant = _int_param(_capi.LQ_PARAM_DOUBLE_QUANT, "nf4/fp4 8-bit absmax.", bool)
    scale_type = _int_param(_capi.LQ_PARAM_SCALE_TYPE,
                            "Type name of stored scales: 'f16' or 'f32'.", type_name, type_id)
    act_order = _int_param(_capi.LQ_PARAM_ACT_ORDER,
                           "gptq: columns by descending Hessian diagonal.", bool)
    static_groups = _int_param(_capi.LQ_PARAM_STATIC_GROUPS,
                               "gptq: group parameters fixed before the solve.", bool)
    mixture = _int_param(_capi.LQ_PARAM_MIXTURE,
                         "llama.cpp file type of a mixture, 0 if none (read-only).",
                         writable=False)
    damp = _float_param(_capi.LQ_PARAM_DAMP, "gptq damping.")
    alpha = _float_param(_capi.LQ_PARAM_ALPHA, "smoothquant migration strength.")
    threshold = _float_param(_capi.LQ_PARAM_THRESHOLD, "llm_int8 outlier threshold.")
    iters = _int_param(_capi.LQ_PARAM_ITERS, "hqq iterations.")

    def __str__(self):
        return text(_string(self.handle))

    def __repr__(self):
        return f"Scheme({str(self)!r})" if self._handle is not None else "Scheme(<closed>)"

    def __eq__(self, other):
        if isinstance(other, Scheme):
            return str(self) == str(other)
        return NotImplemented

    __hash__ = None  # mutable

    def close(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None:
            _free(handle)


def as_scheme(scheme):
    """(Scheme, owned) for a str or Scheme argument; owned ones are closed by the caller."""
    if isinstance(scheme, Scheme):
        return scheme, False
    if isinstance(scheme, str):
        return Scheme(scheme), True
    raise TypeError("libquant: scheme must be a str such as 'int4:g128' or a Scheme")
