"""lq_pipeline.h: quantize a GGUF model file as llama.cpp's llama-quantize
does, tensor for tensor and byte for byte.

Experimental tier (LQ_EXPERIMENTAL_API, _capi.EXPERIMENTAL): may change in a
minor release."""
import os
import tempfile
from ctypes import byref

from ._calib import Imatrix
from ._core import context_for
from ._ffi import QoptsP, declare, enum_names

_create = declare("lq_qopts_create")
_free = declare("lq_qopts_free")
_set_imatrix = declare("lq_qopts_set_imatrix")
_add_tensor_type = declare("lq_qopts_add_tensor_type")
_set_output_type = declare("lq_qopts_set_output_type")
_set_token_embedding_type = declare("lq_qopts_set_token_embedding_type")
_set_flag = declare("lq_qopts_set_flag")
_gguf_quantize = declare("lq_gguf_quantize")

FLAGS = enum_names("lq_qopt_flag", "LQ_QOPT_")


def _imatrix_path(imatrix, tmpdir):
    """A path for lq_qopts_set_imatrix: the path given, or an Imatrix saved
    into tmpdir (the C options read importance matrices from files only)."""
    if isinstance(imatrix, Imatrix):
        path = os.path.join(tmpdir, "imatrix.dat")
        imatrix.save(path)
        return path
    return imatrix


def quantize_gguf(in_path, out_path, file_type, *, imatrix=None, tensor_types=None,
                  output_type=None, token_embedding_type=None, pure=False, leave_output=False,
                  allow_requantize=False, threads=None, progress=None):
    """Quantize the GGUF model `in_path` into `out_path` with a llama.cpp file
    type ("Q4_K_M", "Q8_0", ... case-insensitive), as llama-quantize does.

    imatrix: a path (llama.cpp .dat or GGUF, or libquant's own) or an
    Imatrix (Model.imatrix gives one). tensor_types: {regex: type}, the first
    matching pattern wins (--tensor-type). output_type,
    token_embedding_type: ggml type names. pure, leave_output,
    allow_requantize: the llama-quantize flags. progress(tensor_name,
    fraction) may cancel. The output appears under out_path only when
    complete."""
    opts = QoptsP()
    _create(str(file_type).encode(), byref(opts))
    try:
        with tempfile.TemporaryDirectory(prefix="libquant-") as tmp:
            if imatrix is not None:
                _set_imatrix(opts, os.fsencode(_imatrix_path(imatrix, tmp)))
        for pattern, type_name in (tensor_types or {}).items():
            _add_tensor_type(opts, str(pattern).encode(), str(type_name).encode())
        if output_type is not None:
            _set_output_type(opts, str(output_type).encode())
        if token_embedding_type is not None:
            _set_token_embedding_type(opts, str(token_embedding_type).encode())
        for flag, on in (("pure", pure), ("leave_output", leave_output),
                         ("allow_requantize", allow_requantize)):
            _set_flag(opts, FLAGS.index(flag), 1 if on else 0)
        with context_for(threads, progress) as ctx:
            ctx.call(_gguf_quantize, ctx.handle, os.fsencode(in_path), os.fsencode(out_path), opts)
    finally:
        _free(opts)
