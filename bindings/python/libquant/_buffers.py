"""Arrays in and out: numpy arrays without copies where possible, and plain
Python buffers (array.array, memoryview) when numpy is not installed."""
import ctypes
import math

from . import _capi

try:
    import numpy as np
except ImportError:  # the package works without numpy, on buffers
    np = None

F32, F16 = _capi.LQ_TYPE_F32, _capi.LQ_TYPE_F16

# struct format code -> (numpy dtype name, lq_type or None)
_FORMATS = {"f": ("float32", F32), "e": ("float16", F16), "b": ("int8", None),
            "i": ("int32", None)}


class ArrayView:
    """A C-contiguous view for the library. `keep` holds whatever owns the
    memory; keep this object alive while C uses `address` (the LQ_BORROW
    contract)."""

    __slots__ = ("address", "nbytes", "shape", "fmt", "keep")

    def __init__(self, address, nbytes, shape, fmt, keep):
        self.address = address
        self.nbytes = nbytes
        self.shape = tuple(int(d) for d in shape)
        self.fmt = fmt
        self.keep = keep

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def lq_type(self):
        return _FORMATS[self.fmt][1]

    def pointer(self, ctype=ctypes.c_float):
        return ctypes.cast(self.address, ctypes.POINTER(ctype))

    def as_float_pointer(self):
        return self.pointer(ctypes.c_float)


def _numpy_view(arr, fmt):
    return ArrayView(arr.ctypes.data if arr.size else None, arr.nbytes, arr.shape, fmt, arr)


def _buffer_view(obj, what, formats, writable):
    try:
        view = memoryview(obj)
    except TypeError:
        raise TypeError(f"libquant: {what} must be a numpy array or a buffer "
                        f"(array.array, memoryview), not {type(obj).__name__}") from None
    fmt = view.format.lstrip("@=<")
    if fmt not in formats:
        raise TypeError(f"libquant: {what} has element format {view.format!r}; "
                        f"expected {' or '.join(repr(f) for f in formats)}")
    if not view.c_contiguous:
        raise ValueError(f"libquant: {what} must be C-contiguous")
    if writable and view.readonly:
        raise ValueError(f"libquant: {what} must be writable")
    flat = view.cast("B")
    if view.readonly or not flat.nbytes:
        holder = ctypes.create_string_buffer(bytes(flat), max(flat.nbytes, 1))
    else:
        holder = (ctypes.c_char * flat.nbytes).from_buffer(flat)
    address = ctypes.addressof(holder) if flat.nbytes else None
    return ArrayView(address, flat.nbytes, view.shape, fmt, (view, holder))


def float_input(obj, what, allow_f16=True):
    """A read-only float32 view of `obj` (float16 stays float16 when
    allow_f16); other float inputs are converted with one copy, and
    non-contiguous ones copied."""
    if np is None:
        return _buffer_view(obj, what, ("f", "e") if allow_f16 else ("f",), False)
    arr = np.asarray(obj)
    if arr.dtype == np.float16 and allow_f16:
        fmt = "e"
    elif arr.dtype.kind == "f":
        arr, fmt = arr.astype(np.float32, copy=False), "f"
    else:
        raise TypeError(f"libquant: {what} must hold floats, not {arr.dtype}")
    return _numpy_view(np.ascontiguousarray(arr), fmt)


def exact_input(obj, what, fmt):
    """A read-only view of `obj`, which must already hold elements of `fmt`
    ('b' int8, 'f' float32): codes are never converted silently."""
    if np is None:
        return _buffer_view(obj, what, (fmt,), False)
    arr = np.asarray(obj)
    if arr.dtype != np.dtype(_FORMATS[fmt][0]):
        raise TypeError(f"libquant: {what} must be {_FORMATS[fmt][0]}, not {arr.dtype}")
    return _numpy_view(np.ascontiguousarray(arr), fmt)


def writable_input(obj, what):
    """A writable float32/float16 view of `obj` itself, for calls that change
    the caller's array in place (no copy is possible)."""
    if np is None or not isinstance(obj, np.ndarray):
        return _buffer_view(obj, what, ("f", "e"), True)
    if obj.dtype not in (np.float32, np.float16):
        raise TypeError(f"libquant: {what} must be float32 or float16 to change in place")
    if not obj.flags.c_contiguous or not obj.flags.writeable:
        raise ValueError(f"libquant: {what} must be a C-contiguous, writable array")
    return _numpy_view(obj, "f" if obj.dtype == np.float32 else "e")


def new_array(shape, fmt="f"):
    """A new array of `shape` and element format `fmt` ('f' float32, 'i'
    int32) for the library to fill, and its ArrayView: an ndarray, or a shaped
    memoryview over a bytearray without numpy."""
    shape = tuple(int(d) for d in shape)
    if np is not None:
        arr = np.empty(shape, dtype=_FORMATS[fmt][0])
        return arr, _numpy_view(arr, fmt)
    raw = bytearray(4 * math.prod(shape))  # both formats have 4-byte elements
    address = ctypes.addressof((ctypes.c_char * len(raw)).from_buffer(raw)) if raw else None
    return memoryview(raw).cast(fmt, shape), ArrayView(address, len(raw), shape, fmt, raw)
