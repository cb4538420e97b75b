"""lq_calib.h: calibration sets, importance-matrix files, and the extras of
the calibrated methods (gptq's column order, AWQ and SmoothQuant scales,
W8A8 products, method error)."""
import contextlib
import os
from ctypes import byref, c_double, c_int32, c_int64

from ._buffers import float_input, new_array, writable_input
from ._core import context_for
from ._ffi import CalibP, ImatrixP, TensorP, declare, enum_names, text
from ._lifetime import Closeable
from ._matmul import activations
from ._scheme import as_scheme
from ._tensor import Tensor, as_tensor, take_new


_create = declare("lq_calib_create")
_free = declare("lq_calib_free")
_add = declare("lq_calib_add")
_merge = declare("lq_calib_merge")
_set_max_samples = declare("lq_calib_set_max_samples")
_features = declare("lq_calib_features")
_tokens = declare("lq_calib_tokens")
_samples = declare("lq_calib_samples")
_get = declare("lq_calib_get")
_scale_channels = declare("lq_calib_scale_channels")
_save = declare("lq_calib_save")
_load = declare("lq_calib_load")

_im_create = declare("lq_imatrix_create")
_im_free = declare("lq_imatrix_free")
_im_add = declare("lq_imatrix_add")
_im_count = declare("lq_imatrix_count")
_im_name = declare("lq_imatrix_name")
_im_length = declare("lq_imatrix_length")
_im_get = declare("lq_imatrix_get")
_im_save = declare("lq_imatrix_save")
_im_load = declare("lq_imatrix_load")

_gptq_quantize = declare("lq_gptq_quantize")
_awq_search = declare("lq_awq_search")
_smoothquant_scales = declare("lq_smoothquant_scales")
_scales_apply = declare("lq_scales_apply")
_w8a8_matmul = declare("lq_matmul_w8a8")
_llm_int8_matmul = declare("lq_matmul_llm_int8")
_method_error = declare("lq_method_error")

# enum lq_calib_stat, in order.
STATS = enum_names("lq_calib_stat", "LQ_CALIB_")
IMATRIX_FORMATS = enum_names("lq_imatrix_format", "LQ_IMATRIX_")


def _path(path):
    return os.fsencode(path)


class Calibration(Closeable):
    """Activation statistics of one linear layer's input (an lq_calib): what
    gptq, awq, smoothquant and llm_int8 need. ``Calibration(in_features)``,
    then ``add(x)`` with activation rows [tokens, in_features]; pass it to
    quantize(..., calib=...). Many threads may read a set nobody modifies.
    Close with close() or a with block (closing twice is harmless)."""

    def __init__(self, in_features=None, *, _handle=None):
        if _handle is None:
            _handle = CalibP()
            _create(int(in_features), byref(_handle))
        self._handle = _handle

    @classmethod
    def load(cls, path):
        """A set saved by save() (libquant's calibration file format)."""
        handle = CalibP()
        _load(_path(path), byref(handle))
        return cls(_handle=handle)

    @property
    def calib_handle(self):
        if self._handle is None:
            raise ValueError("libquant: the calibration set is closed")
        return self._handle

    def add(self, x):
        """Add activation rows x [tokens, in_features] (float32)."""
        xs, tokens = activations(x, self.features)
        _add(self.calib_handle, xs.as_float_pointer(), tokens)

    def merge(self, other):
        """Add everything `other` has seen."""
        _merge(self.calib_handle, other.calib_handle)

    @property
    def features(self):
        return _features(self.calib_handle)

    @property
    def tokens(self):
        return _tokens(self.calib_handle)

    @property
    def samples(self):
        """Activation rows kept as a sample."""
        return _samples(self.calib_handle)

    def set_max_samples(self, n):
        """Keep at most n activation rows as a sample (default 512)."""
        _set_max_samples(self.calib_handle, int(n))

    def get(self, stat):
        """A statistic as a float32 array: "mean_abs", "max_abs", "sum_sq",
        "mean_sq" (the importance matrix) [in]; "hessian" [in, in];
        "samples" [samples, in]."""
        try:
            index = STATS.index(stat)
        except ValueError:
            raise ValueError(f"libquant: unknown statistic {stat!r}; one of {', '.join(STATS)}") \
                from None
        n = self.features
        shape = {"hessian": (n, n), "samples": (self.samples, n)}.get(stat, (n,))
        out, view = new_array(shape)
        _get(self.calib_handle, index, view.as_float_pointer(), view.size)
        return out

    def scale_channels(self, mult):
        """Transform the set as if input channel j had been multiplied by mult[j]."""
        m = float_input(mult, "mult", allow_f16=False)
        if m.size != self.features:
            raise ValueError(f"libquant: {m.size} factors for {self.features} channels")
        _scale_channels(self.calib_handle, m.as_float_pointer())

    def save(self, path):
        _save(self.calib_handle, _path(path))

    def close(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None:
            _free(handle)


class Imatrix(Closeable):
    """Importance matrices per weight name, as llama.cpp's llama-imatrix
    writes them (an lq_imatrix). ``Imatrix.load(path)`` reads .dat or GGUF
    files; ``im[name]`` is the float32 array quantize() takes as imatrix."""

    def __init__(self, *, _handle=None):
        if _handle is None:
            _handle = ImatrixP()
            _im_create(byref(_handle))
        self._handle = _handle

    @classmethod
    def load(cls, path):
        handle = ImatrixP()
        _im_load(_path(path), byref(handle))
        return cls(_handle=handle)

    @property
    def handle(self):
        if self._handle is None:
            raise ValueError("libquant: the importance matrix is closed")
        return self._handle

    def add(self, name, calib):
        """Record weight `name`'s input statistics from a Calibration."""
        _im_add(self.handle, name.encode(), calib.calib_handle)

    def names(self):
        h = self.handle
        return [text(_im_name(h, i)) for i in range(_im_count(h))]

    def __len__(self):
        return _im_count(self.handle)

    def __contains__(self, name):
        return _im_length(self.handle, name.encode()) > 0

    def __getitem__(self, name):
        n = _im_length(self.handle, name.encode())
        if n == 0:
            raise KeyError(name)
        out, view = new_array((n,))
        _im_get(self.handle, name.encode(), view.as_float_pointer(), n)
        return out

    def save(self, path, format="dat", dataset=None):
        """Write all entries as "dat" (the legacy binary layout) or "gguf"."""
        if format not in IMATRIX_FORMATS:
            raise ValueError(f"libquant: unknown imatrix format {format!r}; 'dat' or 'gguf'")
        _im_save(self.handle, _path(path), IMATRIX_FORMATS.index(format),
                 None if dataset is None else dataset.encode())

    def close(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None:
            _im_free(handle)


def gptq_quantize(w, scheme, calib, threads=None, progress=None, name=None):
    """GPTQ with its column order: (QuantizedTensor, perm), where perm[j]
    (int32 array) is the source column stored at column j (the identity
    unless act_order with groups and without static_groups)."""
    s, owned = as_scheme(scheme)
    try:
        with as_tensor(w, name) as src, context_for(threads, progress) as ctx:
            perm, view = new_array((src.shape[-1],), "i")
            q = take_new(lambda out: ctx.call(_gptq_quantize, ctx.handle, src.handle, s.handle,
                                              calib.calib_handle, out, view.pointer(c_int32)))
            return q, perm
    finally:
        if owned:
            s.close()


def _tensor_array(weights, stack):
    tensors = [stack.enter_context(as_tensor(w, "w")) for w in weights]
    if not tensors:
        raise ValueError("libquant: at least one weight is needed")
    return tensors, (TensorP * len(tensors))(*[t.handle for t in tensors])


def _scales_for(func, scheme, calib, weights, with_ctx, threads):
    s, owned = as_scheme(scheme)
    try:
        with contextlib.ExitStack() as stack:
            tensors, array = _tensor_array(weights, stack)
            scales, view = new_array((tensors[0].shape[-1],))
            args = (s.handle, calib.calib_handle, array, len(tensors), view.as_float_pointer())
            if with_ctx:
                ctx = stack.enter_context(context_for(threads))
                func(ctx.handle, *args)
            else:
                func(*args)
            return scales
    finally:
        if owned:
            s.close()


def awq_search(scheme, calib, weights, threads=None):
    """AWQ's per-input-channel scales for the weights [out_i, in] that share
    the input `calib` describes (an awq scheme): a float32 array [in]."""
    return _scales_for(_awq_search, scheme, calib, weights, True, threads)


def smoothquant_scales(scheme, calib, weights):
    """SmoothQuant's scales for the weights fed by one norm (a smoothquant
    scheme): a float32 array [in]."""
    return _scales_for(_smoothquant_scales, scheme, calib, weights, False, None)


def scales_apply(scales, next_weights, prev=None, prev_bias=None):
    """Move `scales` into a layer, in place: prev's outputs (a norm weight
    [in] or the last `in` rows of a linear weight) and prev_bias are divided
    by them, the columns of every array in next_weights multiplied. Every
    array must be a writable, C-contiguous float32 or float16 array (the
    library changes it where it is)."""
    sc = float_input(scales, "scales", allow_f16=False)
    with contextlib.ExitStack() as stack:
        def in_place(arr, what):
            view = writable_input(arr, what)
            return stack.enter_context(Tensor.wrap_view(view, what))

        nexts = [in_place(a, "next weight") for a in next_weights]
        if not nexts:
            raise ValueError("libquant: at least one next weight is needed")
        p = in_place(prev, "prev") if prev is not None else None
        b = in_place(prev_bias, "prev_bias") if prev_bias is not None else None
        array = (TensorP * len(nexts))(*[t.handle for t in nexts])
        _scales_apply(sc.as_float_pointer(), sc.size, p.handle if p else None,
                      b.handle if b else None, array, len(nexts))


def _int8_product(func, x, w, extra, threads):
    with as_tensor(w, "w") as wt, context_for(threads) as ctx:
        n, k = wt.shape
        xs, m = activations(x, k)
        y, out = new_array((m, n))
        func(ctx.handle, xs.as_float_pointer(), m, wt.handle, *extra(out))
        return y


def matmul_w8a8(x, w, threads=None):
    """Y = X W^T with w an int8:channel:sym QuantizedTensor (smoothquant or
    llm_int8) and every row of x quantized to int8 on the fly."""
    return _int8_product(_w8a8_matmul, x, w, lambda out: (out.as_float_pointer(),), threads)


def matmul_llm_int8(x, w, threshold=0.0, threads=None):
    """LLM.int8(): outlier columns of x (|x| >= threshold; <= 0 means the
    scheme's) in float, the rest in int8. Returns (y, n_outlier_columns)."""
    n_out = c_int64()
    y = _int8_product(_llm_int8_matmul, x, w,
                      lambda out: (float(threshold), out.as_float_pointer(), byref(n_out)), threads)
    return y, n_out.value


def method_error(w, scheme, calib, threads=None):
    """What a calibrated method buys on this layer: (error of the method,
    error of plain round-to-nearest), each ||X W^T - X What^T||^2 / ||X W^T||^2
    on the calibration tokens."""
    s, owned = as_scheme(scheme)
    try:
        with as_tensor(w, "w") as src, context_for(threads) as ctx:
            err_method, err_rtn = c_double(), c_double()
            _method_error(ctx.handle, src.handle, s.handle, calib.calib_handle, byref(err_method),
                          byref(err_rtn))
            return err_method.value, err_rtn.value
    finally:
        if owned:
            s.close()
