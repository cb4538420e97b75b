#![doc = include_str!("../README.md")]
//!
//! # Modules
//!
//! One module per C header: [`Status`]/[`Error`] and the version check
//! (`lq_core.h`), [`Context`], [`Type`], [`Tensor`], [`Scheme`],
//! [`quantize`]/[`Quantize`] (`lq_quant.h`), the metrics and estimators
//! (`lq_quality.h`), [`Calibration`]/[`Imatrix`] and the calibrated-method
//! extras (`lq_calib.h`, `lq_methods.h`), [`Gguf`]/[`Safetensors`] (`lq_io.h`) and
//! [`matmul`] (`lq_matmul.h`); experimental tier (`LQ_EXPERIMENTAL_API`):
//! [`Model`] (`lq_model.h`), [`quantize_gguf`] (`lq_pipeline.h`) and the
//! Hugging Face layouts [`hf_export`]/[`hf_import`] (`lq_hf.h`). Every
//! fallible call returns [`Result`], whose [`Error`]
//! carries the status and the library's message, read on the calling thread
//! right after the failing call.
#![deny(unsafe_op_in_unsafe_fn)]

mod calib;
mod context;
mod error;
mod estimate;
mod hf;
mod io;
mod matmul;
mod model;
mod pipeline;
mod quality;
mod quant;
mod scheme;
mod tensor;
mod types;
mod version;

pub use calib::{
    awq_search, gptq_quantize, matmul_llm_int8, matmul_w8a8, method_error, scales_apply, smoothquant_scales,
    Calibration, Imatrix, ImatrixFormat, Stat,
};
pub use context::Context;
pub use error::{Error, Result, Status};
pub use hf::{hf_config, hf_dequantize, hf_export, hf_import, HfFormat};
pub use io::{Gguf, GgufTensorInfo, GgufValue, Safetensors, SafetensorsInfo};
pub use matmul::{matmul, matmul_v2, matmul_w8a8_raw, Activations};
pub use model::{EvalResults, Model};
pub use pipeline::{quantize_gguf, QuantizeOptions};
pub use quality::{error_metrics, estimate_kv, estimate_weights, output_error, KvCache, KvType, Metrics, GIB};
pub use quant::{quantize, Quantize};
pub use scheme::{Method, Param, Scheme, GROUP_CHANNEL, GROUP_TENSOR};
pub use tensor::Tensor;
pub use types::Type;
pub use version::{build_info, check_version, compatible, version, version_number, EXPECTED_VERSION};

/// The raw C declarations, for calls this crate does not wrap.
pub use libquant_sys as sys;
