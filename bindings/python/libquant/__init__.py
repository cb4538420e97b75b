"""libquant — quantize LLM weights, from Python.

    import numpy as np
    import libquant as lq

    w = np.random.default_rng(0).standard_normal((256, 512), dtype=np.float32)
    with lq.quantize(w, "int4:g128") as q:
        print(q.scheme, q.bits_per_weight, lq.error_stats(w, q)["rmse"])

Pure Python over ctypes: the shared library is found through
$LIBQUANT_LIBRARY (a file), $LIBQUANT_LIB_DIR (a directory), or the system
loader; importing fails with LibraryNotFoundError or LibraryVersionError
(both ImportError) naming what was tried. Failed calls raise LqError
subclasses carrying the library's status and message.
"""
from . import _capi
from ._loader import EXPECTED_VERSION
from .errors import (LibraryNotFoundError, LibraryVersionError, LqCancelled, LqError,
                     LqFormatError, LqInternalError, LqInvalidArgument, LqIOError, LqNoMemory,
                     LqNonFinite, LqNumericError, LqShapeError, LqStateError, LqUnsupported)
from ._core import Context, build_info, version, version_info
from ._types import is_quantized, type_id, type_name
from ._scheme import GROUP_CHANNEL, GROUP_TENSOR, METHODS, Scheme
from ._tensor import QuantizedTensor, Tensor
from ._quant import quantize
from ._quality import METRICS, error_stats, estimate, file_sizes, output_error
from ._matmul import matmul, matmul_w8a8_raw
from ._calib import (STATS, Calibration, Imatrix, awq_search, gptq_quantize, matmul_llm_int8,
                     matmul_w8a8, method_error, scales_apply, smoothquant_scales)
from ._io import GGUF, GGUF_TYPES, Safetensors
from ._hf import HF_FORMATS, hf_config, hf_dequantize, hf_export, hf_import
from ._model import Model
from ._pipeline import quantize_gguf

__version__ = _capi.VERSION

__all__ = [
    "EXPECTED_VERSION", "GGUF_TYPES", "GROUP_CHANNEL", "GROUP_TENSOR", "HF_FORMATS", "METHODS",
    "METRICS",
    "STATS",
    "Calibration", "Context", "GGUF", "Imatrix", "Model", "QuantizedTensor", "Safetensors",
    "Scheme", "Tensor",
    "awq_search", "build_info", "error_stats", "estimate", "file_sizes", "gptq_quantize",
    "hf_config", "hf_dequantize", "hf_export", "hf_import", "is_quantized",
    "matmul", "matmul_llm_int8", "matmul_w8a8", "matmul_w8a8_raw", "method_error",
    "output_error", "quantize", "quantize_gguf", "scales_apply", "smoothquant_scales", "type_id",
    "type_name", "version", "version_info",
    "LibraryNotFoundError", "LibraryVersionError", "LqError", "LqCancelled", "LqFormatError",
    "LqInternalError", "LqInvalidArgument", "LqIOError", "LqNoMemory", "LqNonFinite",
    "LqNumericError", "LqShapeError", "LqStateError", "LqUnsupported",
]
