"""The loaded library and the one helper every module uses to get a C
function. The types of every function come from _capi.py, which
bindings/gen/gen_bindings.py generates from the C headers, so no signature is
written twice; each public module asks for the functions of its header."""
import ctypes

from . import _capi
from ._capi import (CalibP, CtxP, GgufP, GgufWriterP, ImatrixP, ModelP,  # noqa: F401 (re-exported)
                    QoptsP, SafetensorsP, SchemeP, Status, TensorP)
from ._loader import load
from .errors import error_for

lib = load()


def text(raw):
    """A C string from the library as str ("" for NULL)."""
    return raw.decode("utf-8", "replace") if raw else ""


_STATUS_TEXT = {value: message for value, _, message in _capi.STATUS}


def _absent(name):
    def call(*args):
        status = _capi.LQ_ERR_UNSUPPORTED
        raise error_for(status, _STATUS_TEXT[status], f"{name}: not in this libquant library "
                        f"(an older or partial build)")
    return call


def _check(status, func, args):
    # errcheck runs on the calling thread right after the call, so the
    # thread-local message still belongs to this failure.
    if status != 0:
        raise error_for(status, text(_status_str(status)), text(_last_error()))
    return status


def declare(name):
    """The C function `name`, typed as its header declares it; one that returns
    an lq_status raises the matching LqError instead. A function the loaded
    library lacks raises LqUnsupported when called, so the rest of the package
    still works with an older or partial build."""
    restype, argtypes = _capi.FUNCTIONS[name]   # KeyError: not in the headers
    try:
        f = getattr(lib, name)
    except AttributeError:
        return _absent(name)
    f.argtypes = list(argtypes)
    if restype is Status:
        f.restype = ctypes.c_int   # a c_int subclass would not convert to int
        f.errcheck = _check
    else:
        f.restype = restype
    return f


def enum_names(tag, prefix):
    """The lower-case names of C enum `tag` without `prefix`, indexed by value
    ("lq_method", "LQ_METHOD_" -> ("rtn", "gptq", ...)). Counts (*_COUNT_*)
    are left out; the values must run 0, 1, 2, ... so a name's index is its
    value."""
    items = [(v, n) for n, v in _capi.ENUMS[tag] if "_COUNT" not in n]
    if sorted(v for v, _ in items) != list(range(len(items))):
        raise AssertionError(f"libquant: enum {tag} does not run 0..n-1")
    return tuple(n[len(prefix):].lower() for _, n in sorted(items))


_status_str = declare("lq_status_str")
_last_error = declare("lq_last_error")
