"""lq_types.h: element type names."""
from ctypes import byref, c_int

from ._ffi import declare, text

_type_name = declare("lq_type_name")
_type_from_name = declare("lq_type_from_name")
_type_is_quantized = declare("lq_type_is_quantized")


def type_name(type_id):
    """The lower-case name of an lq_type value ("f32", "q4_k", ...); ValueError
    for a value that is not a type."""
    name = _type_name(int(type_id))
    if name is None:
        raise ValueError(f"libquant: {type_id} is not an element type")
    return text(name)


def type_id(name):
    """The lq_type value of a type name (case-insensitive)."""
    out = c_int()
    _type_from_name(name.encode(), byref(out))
    return out.value


def is_quantized(name):
    """True for quantized formats ("int4", "q4_k"), False for plain numbers."""
    return bool(_type_is_quantized(type_id(name)))
