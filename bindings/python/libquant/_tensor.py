"""lq_tensor.h (plus lq_tensor_scheme and lq_tensor_wrap_quantized from
lq_quant.h): the tensor handle."""
import ctypes
from ctypes import byref, c_int64

from . import _capi
from ._buffers import float_input, new_array
from ._core import context_for
from ._ffi import TensorP, declare, text
from ._lifetime import Closeable, Lease
from ._scheme import _string as _scheme_string
from ._scheme import as_scheme
from ._types import type_id, type_name

MAX_DIMS = _capi.LQ_MAX_DIMS
LQ_BORROW, LQ_COPY = _capi.LQ_BORROW, _capi.LQ_COPY

_wrap = declare("lq_tensor_wrap")
_wrap_quantized = declare("lq_tensor_wrap_quantized")
_free = declare("lq_tensor_free")
_type = declare("lq_tensor_type")
_ndim = declare("lq_tensor_ndim")
_dim = declare("lq_tensor_dim")
_numel = declare("lq_tensor_numel")
_nbytes = declare("lq_tensor_nbytes")
_bits_per_weight = declare("lq_tensor_bits_per_weight")
_name = declare("lq_tensor_name")
_data = declare("lq_tensor_data")
_scheme = declare("lq_tensor_scheme")
_dequantize = declare("lq_dequantize")
_dequantize_f32 = declare("lq_dequantize_f32")


def _c_shape(shape):
    if not 1 <= len(shape) <= MAX_DIMS:
        raise ValueError(f"libquant: a tensor has 1 to {MAX_DIMS} dimensions, not {len(shape)}")
    return (c_int64 * len(shape))(*shape)


def _c_name(name):
    return None if name is None else name.encode()


def take_new(make, keep=None, then=None):
    """Run `make(out)`, which fills a TensorP out-parameter, and wrap the
    result (holding `keep`, what it borrows, until it is freed, then running
    `then`); frees a made tensor if anything raises after C made it."""
    out = TensorP()
    try:
        make(byref(out))
    except BaseException:
        _free(out)  # NULL on a C failure; set when a progress callback raised late
        raise
    return (QuantizedTensor if _scheme(out) else Tensor)(out, keep, then)


class Tensor(Closeable):
    """A libquant tensor handle (lq_tensor): shape, element type, name and
    bytes. Release it with close() or a with block; closing twice is harmless.
    Several threads may read one tensor at once; close() while another thread
    still computes with it (matmul, dequantize, ...) lets that call finish
    and frees the tensor afterwards (see _lifetime)."""

    def __init__(self, handle, keep=None, then=None):
        # keep: what the tensor borrows (LQ_BORROW), held until it is freed;
        # then: run after the free
        self._lease = Lease(handle, _free, "tensor", keep, then)

    @classmethod
    def wrap(cls, array, name=None):
        """A tensor borrowing a float32/float16 array (no copy); the tensor
        keeps the array referenced until it is closed."""
        return cls.wrap_view(float_input(array, "the tensor data"), name)

    @classmethod
    def wrap_view(cls, view, name=None):
        """A tensor borrowing the memory of an ArrayView (see _buffers)."""
        shape = _c_shape(view.shape)
        return take_new(lambda out: _wrap(view.lq_type, len(view.shape), shape, view.address,
                                          view.nbytes, LQ_BORROW, _c_name(name), out), keep=view)

    @property
    def handle(self):
        return self._lease.handle

    def use(self):
        """A with block holding the handle in use: close() from another thread
        then waits for the block's end to free the tensor."""
        return self._lease.use()

    @property
    def shape(self):
        h = self.handle
        return tuple(_dim(h, i) for i in range(_ndim(h)))

    @property
    def size(self):
        """Number of elements."""
        return _numel(self.handle)

    @property
    def type(self):
        """Element type name, e.g. 'f32' or 'q4_k'."""
        return type_name(_type(self.handle))

    @property
    def name(self):
        return text(_name(self.handle))

    @property
    def nbytes(self):
        """Storage size in bytes, scales and zero points included."""
        return _nbytes(self.handle)

    @property
    def bits_per_weight(self):
        return _bits_per_weight(self.handle)

    def raw(self):
        """A copy of the tensor's bytes (for quantized tensors, the packed
        layout of doc/formats.md)."""
        n = self.nbytes
        return ctypes.string_at(_data(self.handle), n) if n else b""

    def dequantize(self, threads=None, progress=None):
        """The values decoded to a new float32 array of the tensor's shape
        (a numpy array, or a shaped memoryview without numpy)."""
        out, view = new_array(self.shape)
        with self.use() as h, context_for(threads, progress) as ctx:
            ctx.call(_dequantize_f32, ctx.handle, h, view.as_float_pointer(), _numel(h))
        return out

    def convert(self, type="f32", threads=None, progress=None):
        """The values decoded to a new Tensor of a float type ("f32", "f16"
        or "bf16"), e.g. to store a quantized weight as bf16."""
        with self.use() as h, context_for(threads, progress) as ctx:
            return take_new(lambda out: ctx.call(_dequantize, ctx.handle, h, type_id(type), out))

    def close(self):
        lease = getattr(self, "_lease", None)
        if lease is not None:
            lease.close()

    def __repr__(self):
        if self._lease.closed:
            return f"<{type(self).__name__} closed>"
        return f"<{type(self).__name__} {self.name!r} {self.type} {list(self.shape)}>"


class QuantizedTensor(Tensor):
    """A tensor in a quantized (or reduced float) format, with the scheme
    that made it. Made by quantize() or from packed bytes with from_raw()."""

    @classmethod
    def from_raw(cls, data, scheme, shape, name=None):
        """A quantized tensor over a copy of bytes already in `scheme`'s
        layout (e.g. another tensor's raw()); the size must match exactly."""
        s, owned = as_scheme(scheme)
        try:
            view = memoryview(data).cast("B")
            buf = ctypes.create_string_buffer(bytes(view), max(view.nbytes, 1))
            c_shape = _c_shape(tuple(shape))
            return take_new(lambda out: _wrap_quantized(s.handle, len(c_shape), c_shape, buf,
                                                        view.nbytes, LQ_COPY, _c_name(name), out))
        finally:
            if owned:
                s.close()

    @property
    def scheme(self):
        """The canonical scheme string, e.g. 'int4:g128:sym'."""
        # The tensor owns its scheme: read it, never free it.
        return text(_scheme_string(_scheme(self.handle)))


class as_tensor:
    """A context manager giving a Tensor argument as is (held in use for the
    block, so that another thread's close() cannot free it under the call),
    or an array wrapped (borrowed) for the duration of the block."""

    def __init__(self, obj, what):
        self.owned = not isinstance(obj, Tensor)
        self.tensor = Tensor.wrap(obj, what) if self.owned else obj

    def __enter__(self):
        if not self.owned:
            self.tensor._lease.acquire()
        return self.tensor

    def __exit__(self, *exc):
        if self.owned:
            self.tensor.close()
        else:
            self.tensor._lease.release()
