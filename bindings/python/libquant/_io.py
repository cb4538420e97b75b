"""lq_io.h: model files, GGUF (llama.cpp) and safetensors (Hugging Face).

Tensors read from a file borrow its mapped bytes: each keeps its file object
alive, and closing the file closes its tensors first. Closing never frees
under a running call: a product another thread is computing with one of the
file's tensors finishes on the mapped bytes, and the file is unmapped when
the last such call ends (see _lifetime)."""
import ctypes
import functools
import os
import weakref
from ctypes import (byref, c_char_p, c_double, c_float, c_int, c_int8, c_int16, c_int32, c_int64,
                    c_size_t, c_uint8, c_uint16, c_uint32, c_uint64, c_void_p)

from ._buffers import np
from ._core import context_for
from ._ffi import GgufP, SafetensorsP, declare, enum_names, text
from ._lifetime import Closeable, Lease
from ._tensor import LQ_COPY, Tensor, _c_shape, take_new


GGUF_TYPES = enum_names("lq_gguf_type", "LQ_GGUF_TYPE_")
_SCALARS = {"u8": c_uint8, "i8": c_int8, "u16": c_uint16, "i16": c_int16, "u32": c_uint32,
            "i32": c_int32, "f32": c_float, "u64": c_uint64, "i64": c_int64, "f64": c_double}
_NUMPY = {"u8": "uint8", "i8": "int8", "u16": "uint16", "i16": "int16", "u32": "uint32",
          "i32": "int32", "f32": "float32", "u64": "uint64", "i64": "int64", "f64": "float64",
          "bool": "uint8"}

_g_open = declare("lq_gguf_open")
_g_create = declare("lq_gguf_create")
_g_free = declare("lq_gguf_free")
_g_kv_count = declare("lq_gguf_kv_count")
_g_kv_key = declare("lq_gguf_kv_key")
_g_kv_type = declare("lq_gguf_kv_type")
_g_find_key = declare("lq_gguf_find_key")
_g_get = {t: declare(f"lq_gguf_get_{t}")
          for t, c in _SCALARS.items()}
_g_set = {t: declare(f"lq_gguf_set_{t}") for t, c in _SCALARS.items()}
_g_get_bool = declare("lq_gguf_get_bool")
_g_set_bool = declare("lq_gguf_set_bool")
_g_get_string = declare("lq_gguf_get_string")
_g_set_string = declare("lq_gguf_set_string")
_g_get_array = declare("lq_gguf_get_array")
_g_get_array_data = declare("lq_gguf_get_array_data")
_g_get_array_string = declare("lq_gguf_get_array_string")
_g_set_array = declare("lq_gguf_set_array")
_g_set_array_strings = declare("lq_gguf_set_array_strings")
_g_remove_key = declare("lq_gguf_remove_key")
_g_tensor_count = declare("lq_gguf_tensor_count")
_g_tensor_name = declare("lq_gguf_tensor_name")
_g_find_tensor = declare("lq_gguf_find_tensor")
_g_tensor_ggml_type = declare("lq_gguf_tensor_ggml_type")
_g_tensor_ndim = declare("lq_gguf_tensor_ndim")
_g_tensor_dim = declare("lq_gguf_tensor_dim")
_g_tensor_nbytes = declare("lq_gguf_tensor_nbytes")
_g_tensor_offset = declare("lq_gguf_tensor_offset")
_g_get_tensor = declare("lq_gguf_get_tensor")
_g_tensor_raw = declare("lq_gguf_tensor_raw")
_g_add_tensor = declare("lq_gguf_add_tensor")
_g_add_tensor_raw = declare("lq_gguf_add_tensor_raw")
_g_save = declare("lq_gguf_save")

_s_open = declare("lq_safetensors_open")
_s_create = declare("lq_safetensors_create")
_s_free = declare("lq_safetensors_free")
_s_count = declare("lq_safetensors_tensor_count")
_s_name = declare("lq_safetensors_tensor_name")
_s_find = declare("lq_safetensors_find_tensor")
_s_dtype = declare("lq_safetensors_tensor_dtype")
_s_ndim = declare("lq_safetensors_tensor_ndim")
_s_dim = declare("lq_safetensors_tensor_dim")
_s_nbytes = declare("lq_safetensors_tensor_nbytes")
_s_get_tensor = declare("lq_safetensors_get_tensor")
_s_raw = declare("lq_safetensors_tensor_raw")
_s_meta_count = declare("lq_safetensors_meta_count")
_s_meta_key = declare("lq_safetensors_meta_key")
_s_meta_get = declare("lq_safetensors_meta_get")
_s_meta_set = declare("lq_safetensors_meta_set")
_s_add_tensor = declare("lq_safetensors_add_tensor")
_s_add_raw = declare("lq_safetensors_add_tensor_raw")
_s_save = declare("lq_safetensors_save")


def _bytes_arg(data):
    """A ctypes buffer holding a copy of `data` (bytes-like), and its length."""
    view = memoryview(data).cast("B")
    return ctypes.create_string_buffer(bytes(view), max(view.nbytes, 1)), view.nbytes


class _File(Closeable):
    """What GGUF and Safetensors share: the handle, the tensors that borrow
    its bytes, tensor lookup by name, adding tensors, closing."""

    _free = None        # the C destructor
    _find = None        # name -> index, -1 when absent
    _get_tensor = None  # index -> lq_tensor borrowing the file
    _raw = None         # index -> borrowed bytes
    _add_tensor = None  # (handle, tensor, mode)

    def __init__(self, handle):
        # each tensor borrowed from the file holds a use of the lease until
        # its own C object is freed
        self._lease = Lease(handle, type(self)._free, f"{type(self).__name__} file")
        self._children = weakref.WeakSet()

    @property
    def handle(self):
        return self._lease.handle

    def _index(self, name):
        i = type(self)._find(self.handle, name.encode())
        if i < 0:
            raise KeyError(name)
        return i

    def __contains__(self, name):
        return type(self)._find(self.handle, name.encode()) >= 0

    def tensor(self, name):
        """Tensor `name` as a Tensor (or QuantizedTensor) borrowing the file's
        bytes without a copy; valid until it or the file is closed."""
        index = self._index(name)
        handle = self._lease.acquire(mine=False)  # until the tensor is freed, on any thread
        try:
            t = take_new(lambda out: type(self)._get_tensor(handle, index, out), keep=self,
                         then=functools.partial(self._lease.release, mine=False))
        except BaseException:
            self._lease.release(mine=False)
            raise
        self._children.add(t)
        return t

    def raw(self, name):
        """A copy of tensor `name`'s bytes, whatever its type."""
        data, n = c_void_p(), c_uint64()
        type(self)._raw(self.handle, self._index(name), byref(data), byref(n))
        return ctypes.string_at(data, n.value) if n.value else b""

    def add_tensor(self, t, name=None):
        """Add a copy of `t`: a Tensor (under its own name) or an array
        (float32/float16) under `name`."""
        if isinstance(t, Tensor):
            if name is not None and name != t.name:
                raise ValueError(f"libquant: the tensor is called {t.name!r}, not {name!r}")
            with t.use() as th:
                type(self)._add_tensor(self.handle, th, LQ_COPY)
            return
        if not name:
            raise ValueError("libquant: an array needs a name")
        with Tensor.wrap(t, name) as wrapped:
            type(self)._add_tensor(self.handle, wrapped.handle, LQ_COPY)

    def close(self):
        """Close the tensors borrowing the file, then the file. Idempotent.
        Never waits: a tensor still in use by another thread's call is freed
        when that call ends, and the file (its mapping) after its last tensor."""
        for t in list(getattr(self, "_children", ())):
            t.close()
        lease = getattr(self, "_lease", None)
        if lease is not None:
            lease.close()


class GGUF(_File):
    """A GGUF file (lq_gguf): ``GGUF.open(path)`` maps and validates one,
    ``GGUF()`` starts an empty one to fill and save(). Metadata reads with
    get(key) / [key] and writes with set(key, value, type=None); tensors with
    tensor(name), raw(name), tensor_info(name), add_tensor, add_raw."""

    _free = staticmethod(_g_free)
    _find = staticmethod(_g_find_tensor)
    _get_tensor = staticmethod(_g_get_tensor)
    _raw = staticmethod(_g_tensor_raw)
    _add_tensor = staticmethod(_g_add_tensor)

    def __init__(self, *, _handle=None):
        if _handle is None:
            _handle = GgufP()
            _g_create(byref(_handle))
        super().__init__(_handle)

    @classmethod
    def open(cls, path):
        handle = GgufP()
        _g_open(os.fsencode(path), byref(handle))
        return cls(_handle=handle)

    # ---- metadata ----

    def keys(self):
        h = self.handle
        return [text(_g_kv_key(h, i)) for i in range(_g_kv_count(h))]

    def type_of(self, key):
        """The value type name of `key` ("u32", "string", "array", ...)."""
        i = _g_find_key(self.handle, key.encode())
        if i < 0:
            raise KeyError(key)
        return GGUF_TYPES[_g_kv_type(self.handle, i)]

    def has_key(self, key):
        return _g_find_key(self.handle, key.encode()) >= 0

    def get(self, key, default=None):
        return self[key] if self.has_key(key) else default

    def __getitem__(self, key):
        """The value of `key`: int, float, bool, str, or for arrays a list of
        str or a numpy array (a list without numpy)."""
        kind, k = self.type_of(key), key.encode()
        if kind in _SCALARS:
            out = _SCALARS[kind]()
            _g_get[kind](self.handle, k, byref(out))
            return out.value
        if kind == "bool":
            out = c_int()
            _g_get_bool(self.handle, k, byref(out))
            return bool(out.value)
        if kind == "string":
            ptr, n = c_void_p(), c_size_t()
            _g_get_string(self.handle, k, byref(ptr), byref(n))
            return ctypes.string_at(ptr, n.value).decode("utf-8", "replace")
        return self._array(k)

    def _array(self, k):
        elem, count = c_int(), c_uint64()
        _g_get_array(self.handle, k, byref(elem), byref(count))
        kind = GGUF_TYPES[elem.value]
        if kind == "string":
            out = []
            for i in range(count.value):
                ptr, n = c_void_p(), c_size_t()
                _g_get_array_string(self.handle, k, i, byref(ptr), byref(n))
                out.append(ctypes.string_at(ptr, n.value).decode("utf-8", "replace"))
            return out
        if kind == "array":
            raise ValueError(f"libquant: {k.decode()!r} is an array of arrays, which is kept "
                             f"but cannot be read")
        ptr, n = c_void_p(), c_uint64()
        _g_get_array_data(self.handle, k, elem.value, byref(ptr), byref(n))
        size = ctypes.sizeof(_SCALARS.get(kind, c_uint8))
        raw = ctypes.string_at(ptr, n.value * size) if n.value else b""
        if np is not None:
            arr = np.frombuffer(raw, dtype=_NUMPY[kind]).copy()
            return arr.astype(bool) if kind == "bool" else arr
        values = list(memoryview(raw).cast(_SCALARS.get(kind, c_uint8)._type_))
        return [bool(v) for v in values] if kind == "bool" else values

    def set(self, key, value, type=None):
        """Set `key`. `type` names the GGUF type ("u32", "f32", "string", ...;
        for arrays, the element type). Without it: bool -> bool, int -> u32
        when it fits (as llama.cpp's counts), else i64 or u64, float -> f32,
        str -> string, a list of str -> array of strings, a list of numbers ->
        array of i32 or f32, a numpy array -> array of its dtype."""
        k = key.encode()
        if isinstance(value, (list, tuple)) or (np is not None and isinstance(value, np.ndarray)):
            return self._set_array(k, value, type)
        kind = type or _infer(value)
        if kind == "bool":
            _g_set_bool(self.handle, k, int(bool(value)))
        elif kind == "string":
            _g_set_string(self.handle, k, str(value).encode())
        elif kind in _SCALARS:
            _g_set[kind](self.handle, k, value)
        else:
            raise ValueError(f"libquant: unknown GGUF type {kind!r}")

    __setitem__ = set

    def _set_array(self, k, values, kind):
        if np is not None and isinstance(values, np.ndarray):
            kind = kind or {v: t for t, v in _NUMPY.items() if t != "bool"}.get(values.dtype.name)
            if values.dtype == np.bool_:
                kind = kind or "bool"
        elif values and all(isinstance(v, str) for v in values):
            kind = kind or "string"
        elif kind is None:
            kind = "f32" if any(isinstance(v, float) for v in values) else "i32"
        if kind == "string":
            strings = (c_char_p * len(values))(*[str(v).encode() for v in values])
            _g_set_array_strings(self.handle, k, strings, len(values))
            return
        if kind not in _NUMPY:
            raise ValueError(f"libquant: cannot store an array of {kind!r} in GGUF")
        ctype = _SCALARS.get(kind, c_uint8)
        data = (ctype * len(values))(*[int(v) if kind == "bool" else v for v in values])
        _g_set_array(self.handle, k, GGUF_TYPES.index(kind), data, len(values))

    def __delitem__(self, key):
        _g_remove_key(self.handle, key.encode())

    # ---- tensors ----

    def tensor_names(self):
        h = self.handle
        return [text(_g_tensor_name(h, i)) for i in range(_g_tensor_count(h))]

    def tensor_info(self, name):
        """dict: ggml_type (the id the file stores), shape (outermost first),
        nbytes, offset (in the data section)."""
        h, i = self.handle, self._index(name)
        return {"ggml_type": _g_tensor_ggml_type(h, i),
                "shape": tuple(_g_tensor_dim(h, i, d) for d in range(_g_tensor_ndim(h, i))),
                "nbytes": _g_tensor_nbytes(h, i), "offset": _g_tensor_offset(h, i)}

    def add_raw(self, name, ggml_type, shape, data):
        """Add a copy of raw bytes of any ggml type id GGUF defines."""
        buf, n = _bytes_arg(data)
        c_shape = _c_shape(tuple(shape))
        _g_add_tensor_raw(self.handle, name.encode(), int(ggml_type), len(c_shape), c_shape, buf,
                          n, LQ_COPY)

    def save(self, path, threads=None, progress=None):
        """Write the file atomically (a complete file or nothing)."""
        with context_for(threads, progress) as ctx:
            ctx.call(_g_save, ctx.handle, self.handle, os.fsencode(path))


def _infer(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        if 0 <= value < 1 << 32:
            return "u32"
        return "i64" if -(1 << 63) <= value < 1 << 63 else "u64"
    if isinstance(value, float):
        return "f32"
    if isinstance(value, str):
        return "string"
    raise TypeError(f"libquant: cannot store a {type(value).__name__} in GGUF metadata")


class Safetensors(_File):
    """A safetensors file, a sharded model's index, or a folder holding one
    (lq_safetensors): ``Safetensors.open(path)``, or ``Safetensors()`` to fill
    and save(). names(), info(name), tensor(name), raw(name), metadata()."""

    _free = staticmethod(_s_free)
    _find = staticmethod(_s_find)
    _get_tensor = staticmethod(_s_get_tensor)
    _raw = staticmethod(_s_raw)
    _add_tensor = staticmethod(_s_add_tensor)

    def __init__(self, *, _handle=None):
        if _handle is None:
            _handle = SafetensorsP()
            _s_create(byref(_handle))
        super().__init__(_handle)

    @classmethod
    def open(cls, path):
        handle = SafetensorsP()
        _s_open(os.fsencode(path), byref(handle))
        return cls(_handle=handle)

    def names(self):
        h = self.handle
        return [text(_s_name(h, i)) for i in range(_s_count(h))]

    def __len__(self):
        return _s_count(self.handle)

    def info(self, name):
        """dict: dtype (as the file names it: "F32", "BF16", ...), shape, nbytes."""
        h, i = self.handle, self._index(name)
        return {"dtype": text(_s_dtype(h, i)),
                "shape": tuple(_s_dim(h, i, d) for d in range(_s_ndim(h, i))),
                "nbytes": _s_nbytes(h, i)}

    def metadata(self):
        """__metadata__ as a dict of str."""
        h = self.handle
        keys = [_s_meta_key(h, i) for i in range(_s_meta_count(h))]
        return {text(k): text(_s_meta_get(h, k)) for k in keys}

    def set_metadata(self, key, value):
        """Set a metadata entry, or remove it with value None."""
        _s_meta_set(self.handle, key.encode(), None if value is None else str(value).encode())

    def add_raw(self, name, dtype, shape, data):
        """Add a copy of raw bytes under any safetensors dtype ("F8_E4M3", ...)."""
        buf, n = _bytes_arg(data)
        shape = tuple(int(d) for d in shape)
        c_shape = (c_int64 * max(len(shape), 1))(*shape)
        _s_add_raw(self.handle, name.encode(), dtype.encode(), len(shape), c_shape, buf, n,
                   LQ_COPY)

    def save(self, path, max_shard_bytes=0, threads=None, progress=None):
        """Write atomically; with max_shard_bytes > 0, as shards plus an index."""
        with context_for(threads, progress) as ctx:
            ctx.call(_s_save, ctx.handle, self.handle, os.fsencode(path), int(max_shard_bytes))
