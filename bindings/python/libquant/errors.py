"""Exceptions: one class per lq_status code, each also deriving from the
Python built-in exception that means the same thing, so callers can catch
either ``libquant.LqShapeError`` or plain ``ValueError``.

This module does not load the library, so its classes can be imported (and
caught) even when loading failed.
"""
from . import _capi


class LibraryNotFoundError(ImportError):
    """The libquant shared library could not be loaded. The message lists
    every place that was tried and why each failed."""


class LibraryVersionError(ImportError):
    """The loaded libquant is not the version this package was written for."""


class LqError(Exception):
    """A libquant call failed.

    ``status`` is the lq_status code (a negative int), ``status_text`` the
    library's short text for it and ``message`` the detailed message the
    library gave for this failure (lq_last_error)."""

    def __init__(self, status, status_text, message):
        super().__init__(f"{message} ({status_text})" if message else status_text)
        self.status = status
        self.status_text = status_text
        self.message = message


class LqInvalidArgument(LqError, ValueError):
    """LQ_ERR_INVALID: an argument is wrong (NULL, out of range, unknown name)."""


class LqUnsupported(LqError, NotImplementedError):
    """LQ_ERR_UNSUPPORTED: the type or method is not available in this build."""


class LqNoMemory(LqError, MemoryError):
    """LQ_ERR_NOMEM: an allocation failed or a size overflowed."""


class LqIOError(LqError, OSError):
    """LQ_ERR_IO: reading or writing a file failed."""


class LqFormatError(LqError, ValueError):
    """LQ_ERR_FORMAT: malformed data (a file or byte layout)."""


class LqShapeError(LqError, ValueError):
    """LQ_ERR_SHAPE: shapes or sizes do not fit together."""


class LqNonFinite(LqError, ValueError):
    """LQ_ERR_NONFINITE: a NaN or infinity in the input."""


class LqCancelled(LqError):
    """LQ_ERR_CANCELLED: the progress callback asked to stop."""


class LqNumericError(LqError, ArithmeticError):
    """LQ_ERR_NUMERIC: a numerical failure (e.g. a Hessian that is not
    positive definite)."""


class LqStateError(LqError, RuntimeError):
    """LQ_ERR_STATE: an object is in the wrong state for the call."""


class LqInternalError(LqError, RuntimeError):
    """LQ_ERR_INTERNAL: a bug in libquant."""


# The status values come from the generated declarations (lq_core.h's table).
_BY_STATUS = {
    _capi.LQ_ERR_INVALID: LqInvalidArgument,
    _capi.LQ_ERR_UNSUPPORTED: LqUnsupported,
    _capi.LQ_ERR_NOMEM: LqNoMemory,
    _capi.LQ_ERR_IO: LqIOError,
    _capi.LQ_ERR_FORMAT: LqFormatError,
    _capi.LQ_ERR_SHAPE: LqShapeError,
    _capi.LQ_ERR_NONFINITE: LqNonFinite,
    _capi.LQ_ERR_CANCELLED: LqCancelled,
    _capi.LQ_ERR_NUMERIC: LqNumericError,
    _capi.LQ_ERR_STATE: LqStateError,
    _capi.LQ_ERR_INTERNAL: LqInternalError,
}


def error_for(status, status_text, message):
    """The exception for a failed call; unknown (newer) codes give LqError."""
    return _BY_STATUS.get(status, LqError)(status, status_text, message)
