"""lq_model.h: the reference Llama runner — load a GGUF model, tokenize, run
the forward pass, measure perplexity and KL divergence, quantize in memory,
and compute an importance matrix.

Experimental tier (LQ_EXPERIMENTAL_API, _capi.EXPERIMENTAL): may change in a
minor release."""
import ctypes
import math
import os
import weakref
from ctypes import POINTER, byref, c_double, c_int32, c_int64

from . import _capi
from ._buffers import new_array, np
from ._calib import Imatrix
from ._core import context_for
from ._ffi import ImatrixP, ModelP, declare, enum_names, text
from ._lifetime import Closeable
from ._quality import kv_type_id
from ._scheme import as_scheme

_load = declare("lq_model_load")
_from_gguf = declare("lq_model_from_gguf")
_free = declare("lq_model_free")
_set_cache = declare("lq_model_set_cache")
_info = declare("lq_model_info")
_tokenize = declare("lq_model_tokenize")
_tokenize_v2 = declare("lq_model_tokenize_v2")
_token_text = declare("lq_model_token_text")
_eval = declare("lq_model_eval")
_perplexity = declare("lq_model_perplexity")
_kl_divergence = declare("lq_model_kl_divergence")
_quantize = declare("lq_model_quantize")
_imatrix = declare("lq_model_imatrix")
_lq_free = declare("lq_free")

FIELDS = enum_names("lq_model_field", "LQ_MODEL_")
RESULTS = enum_names("lq_eval_result", "LQ_EVAL_")
_N_RESULTS = _capi.LQ_EVAL_COUNT_V2
_COUNTS = ("scored", "windows")   # results that count things: given as int

# The default evaluation window, as `lq eval` and llama.cpp's perplexity use:
# the model's cache size, at most this many tokens.
DEFAULT_EVAL_CTX = 512


def _token_array(tokens):
    """(pointer to int32, count, owner) for a sequence of token ids."""
    if np is not None:
        arr = np.ascontiguousarray(np.asarray(tokens, dtype=np.int64))
        if arr.ndim != 1:
            raise ValueError("libquant: tokens must be a 1-D sequence of ids")
        if arr.size and (arr.min() < -2**31 or arr.max() >= 2**31):
            raise ValueError("libquant: a token id does not fit int32")
        arr = arr.astype(np.int32)
        return arr.ctypes.data_as(POINTER(c_int32)), arr.size, arr
    arr = (c_int32 * len(tokens))(*[int(t) for t in tokens])
    return arr, len(arr), arr


def _results(out, drop_nan):
    res = {}
    for name, value in zip(RESULTS, out):
        if drop_nan and math.isnan(value):
            continue   # the KL entries, documented as NaN for perplexity
        res[name] = int(value) if name in _COUNTS else value
    return res


class Model(Closeable):
    """A llama-architecture GGUF model loaded by libquant's reference runner
    (an lq_model): ``Model("model.gguf")``, then tokenize(), eval(),
    perplexity(), kl_divergence(), quantize(), imatrix().

    n_ctx is the KV cache size in tokens (0: the model's training context);
    kv_type the cache element type ("f32", "f16", "int8", "fp8"). A model
    holds its cache, so it serves one sequence from one thread at a time.
    Close with close() or a with block; closing a model also closes the
    models quantize() made from it (they point into its weights)."""

    def __init__(self, path, n_ctx=0, kv_type="f16", *, threads=None, progress=None):
        handle = ModelP()
        with context_for(threads, progress) as ctx:
            ctx.call(_load, ctx.handle, os.fsencode(path), int(n_ctx), kv_type_id(kv_type),
                     byref(handle))
        self._init(handle, None)

    def _init(self, handle, keep):
        self._handle = handle
        self._keep = keep                       # what the C model borrows from
        self._children = weakref.WeakSet()      # models that borrow from this one

    @classmethod
    def _wrap(cls, handle, keep):
        m = cls.__new__(cls)
        m._init(handle, keep)
        return m

    @classmethod
    def from_gguf(cls, gguf, n_ctx=0, kv_type="f16", *, threads=None, progress=None):
        """A model over an open GGUF (one built in memory works too). The
        model borrows it: closing the GGUF closes the model first."""
        handle = ModelP()
        with context_for(threads, progress) as ctx:
            ctx.call(_from_gguf, ctx.handle, gguf.handle, int(n_ctx), kv_type_id(kv_type),
                     byref(handle))
        m = cls._wrap(handle, gguf)
        gguf._children.add(m)
        return m

    @property
    def handle(self):
        if self._handle is None:
            raise ValueError("libquant: the model is closed")
        return self._handle

    def info(self):
        """Every number lq_model_info reports, by name: n_vocab, n_embd,
        n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx_train, n_ctx,
        kv_type, kv_bytes, weight_bytes, n_params, token_bos, token_eos,
        token_unk, add_bos, n_past."""
        h = self.handle
        return {name: _info(h, i) for i, name in enumerate(FIELDS)}

    @property
    def n_vocab(self):
        return _info(self.handle, FIELDS.index("n_vocab"))

    @property
    def n_ctx(self):
        """The KV cache capacity in tokens."""
        return _info(self.handle, FIELDS.index("n_ctx"))

    def set_cache(self, n_ctx=0, kv_type="f16"):
        """Replace the KV cache by an empty one of n_ctx tokens (0: the
        training context) in kv_type elements."""
        _set_cache(self.handle, int(n_ctx), kv_type_id(kv_type))

    def tokenize(self, text, add_bos=True):
        """The token ids of `text` (str or bytes) as llama.cpp's tokenizer
        gives them, BOS first when add_bos and the vocabulary asks for it:
        an int32 array (a memoryview without numpy). The text is plain text:
        no token names in it are read (tokenize_v2 reads them)."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        ptr, n = POINTER(c_int32)(), c_int64()
        _tokenize(self.handle, data, len(data), 1 if add_bos else 0, byref(ptr), byref(n))
        return self._ids(ptr, n)

    def tokenize_v2(self, text, add_bos=True, add_eos=False, parse_special=False):
        """tokenize as lq_model_tokenize_v2 does it: BOS / EOS when asked and
        the vocabulary asks for them, user-defined token names in the text
        read as those tokens, and control ones ("<|im_start|>", "<s>") too
        with parse_special, as llama.cpp's llama_tokenize."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        flags = ((_capi.LQ_TOKENIZE_ADD_BOS if add_bos else 0) |
                 (_capi.LQ_TOKENIZE_ADD_EOS if add_eos else 0) |
                 (_capi.LQ_TOKENIZE_PARSE_SPECIAL if parse_special else 0))
        ptr, n = POINTER(c_int32)(), c_int64()
        _tokenize_v2(self.handle, data, len(data), flags, byref(ptr), byref(n))
        return self._ids(ptr, n)

    @staticmethod
    def _ids(ptr, n):
        """The n ids at ptr as an int32 array; ptr freed."""
        try:
            out, view = new_array((n.value,), "i")
            if n.value:
                ctypes.memmove(view.address, ptr, ctypes.sizeof(c_int32) * n.value)
            return out
        finally:
            _lq_free(ptr)

    def token_text(self, token):
        """The vocabulary text of `token` ("<s>", "\u2581the", "<0x0A>"), or
        None outside the vocabulary."""
        raw = _token_text(self.handle, int(token))
        return None if raw is None else text(raw)

    def eval(self, tokens, pos=0, logits_from=0, threads=None):
        """Run tokens at positions pos, pos+1, ... (the cache keeps what came
        before pos) and return the logits of tokens[logits_from:] as float32
        [n - logits_from, n_vocab] (the scores of the token after each)."""
        ptr, n, keep = _token_array(tokens)
        logits_from = int(logits_from)
        if not 0 <= logits_from <= n:
            raise ValueError(f"libquant: logits_from {logits_from} outside [0, {n}]")
        out, view = new_array((n - logits_from, self.n_vocab))
        with context_for(threads) as ctx:
            ctx.call(_eval, ctx.handle, self.handle, ptr, n, int(pos), logits_from,
                     view.as_float_pointer() if view.size else None)
        del keep
        return out

    def _tokens(self, tokens):
        return self.tokenize(tokens) if isinstance(tokens, (str, bytes)) else tokens

    def _window(self, n_ctx):
        return min(self.n_ctx, DEFAULT_EVAL_CTX) if n_ctx is None else int(n_ctx)

    def perplexity(self, tokens, n_ctx=None, stride=0, *, threads=None, progress=None):
        """Perplexity over `tokens` (ids, or text to tokenize with BOS) as
        llama.cpp's perplexity tool computes it: windows of n_ctx tokens
        (default: the cache size, at most 512) every `stride` tokens (0:
        adjacent), scoring the second half of each. Returns a dict: ppl, nll,
        nll_stderr, scored, windows, seconds, tokens_per_second,
        model_tokens_per_second."""
        ptr, n, keep = _token_array(self._tokens(tokens))
        out = (c_double * _N_RESULTS)()
        with context_for(threads, progress) as ctx:
            ctx.call(_perplexity, ctx.handle, self.handle, ptr, n, self._window(n_ctx),
                     int(stride), out, _N_RESULTS)
        del keep
        return _results(out, drop_nan=True)

    def kl_divergence(self, base, tokens, n_ctx=None, stride=0, *, threads=None, progress=None):
        """KL divergence of this model's next-token distribution from
        `base`'s over the perplexity windows. The perplexity results plus kld,
        kld_stderr, same_top (share of positions with the same most likely
        token) and base_ppl."""
        ptr, n, keep = _token_array(self._tokens(tokens))
        out = (c_double * _N_RESULTS)()
        window = min(self._window(n_ctx), base.n_ctx) if n_ctx is None else int(n_ctx)
        with context_for(threads, progress) as ctx:
            ctx.call(_kl_divergence, ctx.handle, base.handle, self.handle, ptr, n, window,
                     int(stride), out, _N_RESULTS)
        del keep
        return _results(out, drop_nan=False)

    def quantize(self, scheme, *, imatrix=None, calib=None, n_ctx=0, kv_type="f16",
                 threads=None, progress=None):
        """A new Model: this one with its weights quantized in memory to
        `scheme` (any scheme: "q4_k_m", "int4:g128", "nf4", "gptq:int4:g128",
        ...). imatrix: an Imatrix (see imatrix()); calib: calibration tokens
        or text for gptq, awq and smoothquant. The new model points into this
        one's weights: this model stays open while it lives."""
        s, owned = as_scheme(scheme)
        try:
            if calib is not None:
                ptr, n, keep = _token_array(self._tokens(calib))
            else:
                ptr, n, keep = None, 0, None
            handle = ModelP()
            with context_for(threads, progress) as ctx:
                ctx.call(_quantize, ctx.handle, self.handle, s.handle,
                         None if imatrix is None else imatrix.handle, ptr, n, int(n_ctx),
                         kv_type_id(kv_type), byref(handle))
            del keep
        finally:
            if owned:
                s.close()
        m = Model._wrap(handle, self)
        self._children.add(m)
        return m

    def imatrix(self, tokens, n_ctx=0, *, threads=None, progress=None):
        """The importance matrix of this model on `tokens` (ids or text), as
        llama-imatrix computes it: an Imatrix for quantize() or
        quantize_gguf(imatrix=...)."""
        ptr, n, keep = _token_array(self._tokens(tokens))
        handle = ImatrixP()
        with context_for(threads, progress) as ctx:
            ctx.call(_imatrix, ctx.handle, self.handle, ptr, n, int(n_ctx), byref(handle))
        del keep
        return Imatrix(_handle=handle)

    def close(self):
        """Close the models made from this one, then this one. Idempotent."""
        for child in list(getattr(self, "_children", ())):
            child.close()
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None:
            _free(handle)
        self._keep = None

    def __repr__(self):
        if self._handle is None:
            return "<libquant.Model (closed)>"
        i = self.info()
        return (f"<libquant.Model {i['n_layer']} layers, {i['n_params']} parameters, "
                f"n_ctx {i['n_ctx']}>")
