"""lq_core.h: versions, build information and run contexts (threads and a
progress callback)."""
from ctypes import byref

from ._capi import lq_progress_fn
from ._ffi import CtxP, declare, text
from ._lifetime import Closeable
from .errors import LqCancelled

_version_number = declare("lq_version_number")
_version_string = declare("lq_version_string")
_build_info = declare("lq_build_info")

PROGRESS_FN = lq_progress_fn

_ctx_create = declare("lq_ctx_create")
_ctx_free = declare("lq_ctx_free")
_ctx_set_threads = declare("lq_ctx_set_threads")
_ctx_threads = declare("lq_ctx_threads")
_ctx_set_progress = declare("lq_ctx_set_progress")


def version():
    """The running library's version string, e.g. "0.1.0"."""
    return text(_version_string())


def version_info():
    """The running library's version as a (major, minor, patch) tuple."""
    n = _version_number()
    return n // 10000, n // 100 % 100, n % 100


def build_info():
    """One line describing the library build ("key=value" pairs)."""
    return text(_build_info())


class Context(Closeable):
    """Thread count and progress callback for long calls (an lq_ctx).

    ``progress(stage, fraction)`` is called on the calling thread with a stage
    name and the fraction done; a true return value cancels the call, which
    then raises LqCancelled. If the callback raises, the call is cancelled and
    that exception propagates instead. A context serves one call at a time.
    Close it with close() or a with block; closing twice is harmless."""

    def __init__(self, threads=None, progress=None):
        handle = CtxP()
        _ctx_create(byref(handle))
        self._handle = handle
        self._callback = None   # the C function pointer: kept alive while installed
        self._pending = None    # an exception raised inside the progress callback
        try:
            if threads is not None:
                self.threads = threads
            if progress is not None:
                self.set_progress(progress)
        except BaseException:
            self.close()
            raise

    @property
    def handle(self):
        if self._handle is None:
            raise ValueError("libquant: the context is closed")
        return self._handle

    @property
    def threads(self):
        """Threads calls will use (0 set means all online CPUs, resolved here)."""
        return _ctx_threads(self.handle)

    @threads.setter
    def threads(self, n):
        _ctx_set_threads(self.handle, int(n))

    def set_progress(self, fn):
        """Install a progress callable, or remove it with None."""
        if fn is None:
            _ctx_set_progress(self.handle, PROGRESS_FN(), None)
            self._callback = None
            return
        if not callable(fn):
            raise TypeError("libquant: progress must be callable")

        def trampoline(_user, stage, fraction):
            try:
                return 1 if fn(text(stage), fraction) else 0
            except BaseException as e:  # also KeyboardInterrupt: stop the C call first
                if self._pending is None:
                    self._pending = e
                return 1

        callback = PROGRESS_FN(trampoline)
        _ctx_set_progress(self.handle, callback, None)
        self._callback = callback

    def call(self, func, *args):
        """Run a C call that uses this context; re-raise an exception its
        progress callback raised (with the cancellation as its context)."""
        self._pending = None
        try:
            result = func(*args)
        except LqCancelled:
            self._reraise()
            raise
        self._reraise()
        return result

    def _reraise(self):
        pending, self._pending = self._pending, None
        if pending is not None:
            raise pending

    def close(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None:
            _ctx_free(handle)
        self._callback = None


class _NoContext:
    """Stands in for a Context when the caller set neither threads nor
    progress: the C calls get NULL (all CPUs, no callback)."""
    handle = None

    @staticmethod
    def call(func, *args):
        return func(*args)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def context_for(threads=None, progress=None):
    """A Context for these settings (use it in a with block), or a stand-in
    that passes NULL when both are None."""
    if threads is None and progress is None:
        return _NoContext()
    return Context(threads, progress)
