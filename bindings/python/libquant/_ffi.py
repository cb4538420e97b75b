"""The loaded library and the one helper every module uses to declare the C
functions it calls. Each public module declares its own functions, one module
per C header, so wrapping a new header is one new module."""
import ctypes

from ._loader import load
from .errors import error_for

lib = load()

lib.lq_status_str.restype = ctypes.c_char_p
lib.lq_status_str.argtypes = [ctypes.c_int]
lib.lq_last_error.restype = ctypes.c_char_p
lib.lq_last_error.argtypes = []


def text(raw):
    """A C string from the library as str ("" for NULL)."""
    return raw.decode("utf-8", "replace") if raw else ""


def _check(status, func, args):
    # errcheck runs on the calling thread right after the call, so the
    # thread-local message still belongs to this failure.
    if status != 0:
        raise error_for(status, text(lib.lq_status_str(status)), text(lib.lq_last_error()))
    return status


class Status(ctypes.c_int):
    """Marks functions that return an lq_status; declare() makes them raise."""


def _absent(name):
    def call(*args):
        raise error_for(-2, "unsupported", f"{name}: not in this libquant library "
                        f"(an older or partial build)")
    return call


def declare(name, restype, *argtypes):
    """The C function `name` with its types; a Status return becomes a check
    that raises the matching LqError. A function the loaded library lacks
    raises LqUnsupported when called, so the rest of the package still works."""
    try:
        f = getattr(lib, name)
    except AttributeError:
        return _absent(name)
    f.argtypes = list(argtypes)
    if restype is Status:
        f.restype = ctypes.c_int
        f.errcheck = _check
    else:
        f.restype = restype
    return f


# Opaque handle types: distinct so ctypes refuses a scheme where a tensor is due.
class CtxP(ctypes.c_void_p):
    pass


class TensorP(ctypes.c_void_p):
    pass


class SchemeP(ctypes.c_void_p):
    pass
