"""C handles shared between threads.

A Lease owns one C object. Calls that run C code on it hold a use
(``with lease.use() as handle:``) for the length of the call; close() marks
it closed at once (new uses raise ValueError) and the C object is freed when
the last use ends, on the thread that ends it. So closing never waits and
never frees memory under a running call: closing a GGUF file while another
thread multiplies one of its tensors lets the product finish on the mapped
bytes, and the file is unmapped afterwards.

What the object borrows (`keep`: an array, a file object) stays referenced
until the C object is freed, and `then` (if given) runs after the free: a
tensor borrowed from a file holds a use of the file's Lease and gives it back
there."""
import threading
from contextlib import contextmanager


class Closeable:
    """An object with close(): a context manager that closes on exit, and
    closes when it is collected. close() must be idempotent."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


class Lease:
    __slots__ = ("_lock", "_handle", "_free", "_what", "_keep", "_uses", "_closed", "_mine", "_then")

    def __init__(self, handle, free, what, keep=None, then=None):
        self._lock = threading.Lock()
        self._handle = handle
        self._free = free
        self._what = what
        self._keep = keep
        self._then = then
        self._uses = 0
        self._closed = False
        self._mine = threading.local()  # .uses: this thread's uses

    def _closed_error(self):
        return ValueError(f"libquant: the {self._what} is closed")

    @property
    def closed(self):
        return self._closed

    @property
    def handle(self):
        """The handle: while open, or while this thread holds a use (then
        another thread's close() cannot free it)."""
        if self._closed and not getattr(self._mine, "uses", 0):
            raise self._closed_error()
        return self._handle

    def acquire(self, mine=True):
        """The handle, counted as in use until release(). mine: the use
        belongs to this thread (released on it); False for a use that another
        thread may end, such as a borrowed tensor's hold on its file."""
        with self._lock:
            if self._closed:
                raise self._closed_error()
            self._uses += 1
        if mine:
            self._mine.uses = getattr(self._mine, "uses", 0) + 1
        return self._handle

    def release(self, mine=True):
        if mine:
            self._mine.uses -= 1
        with self._lock:
            self._uses -= 1
            done = self._take_if_done()
        self._finish(done)

    @contextmanager
    def use(self):
        handle = self.acquire()
        try:
            yield handle
        finally:
            self.release()

    def close(self):
        """Closed from now on; freed now, or when the last use ends. Idempotent."""
        with self._lock:
            self._closed = True
            done = self._take_if_done()
        self._finish(done)

    def _take_if_done(self):
        if not self._closed or self._uses or self._handle is None:
            return None
        handle, then = self._handle, self._then
        self._handle = self._keep = self._then = None
        return handle, then

    def _finish(self, done):
        if done is None:
            return
        handle, then = done
        self._free(handle)
        if then is not None:
            then()
