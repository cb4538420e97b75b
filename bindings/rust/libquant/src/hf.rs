//! Hugging Face quantized-checkpoint layouts (`lq_hf.h`): libquant tensors to
//! the tensor sets transformers, vLLM, AutoGPTQ/GPTQModel, AutoAWQ and
//! bitsandbytes load, and back (doc/hf-formats.md).
//!
//! Experimental tier (`LQ_EXPERIMENTAL_API`): may change in a minor release.
use std::ffi::{c_int, CStr};
use std::ptr;

use libquant_sys as sys;

use crate::calib::Calibration;
use crate::error::{c_string, check, Error, Result, Status};
use crate::io::Safetensors;
use crate::scheme::Scheme;
use crate::tensor::{zeros, Tensor};

/// A layout (`enum lq_hf_format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HfFormat {
    /// AutoGPTQ "gptq" (v1): qweight, qzeros (zero - 1), scales, g_idx.
    Gptq,
    /// GPTQModel "gptq_v2": zeros stored as they are.
    GptqV2,
    /// AutoAWQ "gemm": int4 only.
    Awq,
    /// bitsandbytes Linear4bit: nf4, fp4.
    Bnb4,
    /// vLLM / compressed-tensors fp8 with dynamic activation scales.
    Fp8,
    /// bitsandbytes Linear8bitLt (LLM.int8).
    Int8,
    /// Fp8 plus a static input_scale from a calibration set.
    Fp8Static,
    /// compressed-tensors NVFP4 (ggml nvfp4 weights).
    Nvfp4,
    /// gpt-oss MXFP4 (ggml mxfp4 weights, experts first).
    Mxfp4,
}

impl HfFormat {
    fn raw(self) -> c_int {
        match self {
            HfFormat::Gptq => sys::LQ_HF_GPTQ,
            HfFormat::GptqV2 => sys::LQ_HF_GPTQ_V2,
            HfFormat::Awq => sys::LQ_HF_AWQ,
            HfFormat::Bnb4 => sys::LQ_HF_BNB4,
            HfFormat::Fp8 => sys::LQ_HF_FP8,
            HfFormat::Int8 => sys::LQ_HF_INT8,
            HfFormat::Fp8Static => sys::LQ_HF_FP8_STATIC,
            HfFormat::Nvfp4 => sys::LQ_HF_NVFP4,
            HfFormat::Mxfp4 => sys::LQ_HF_MXFP4,
        }
    }
}

/// Adds the tensors of quantized weight `q` ([out, in]) in `format` to `st`,
/// named `<prefix>.<part>`. `perm` is the column order
/// [`crate::gptq_quantize`] returned (written as g_idx); `calib` describes
/// the layer's input (Fp8Static takes its input_scale from it).
pub fn hf_export(
    q: &Tensor<'_>,
    perm: Option<&[i32]>,
    calib: Option<&Calibration>,
    format: HfFormat,
    prefix: &str,
    st: &mut Safetensors,
) -> Result<()> {
    if let Some(p) = perm {
        let cols = q.shape().last().copied().unwrap_or(0);
        if p.len() as i64 != cols {
            return Err(Error::new(Status::SHAPE, format!("libquant: {} columns, a perm of {}", cols, p.len())));
        }
    }
    let c = c_string("prefix", prefix)?;
    let perm = perm.map_or(ptr::null(), |p| p.as_ptr());
    let calib = calib.map_or(ptr::null(), |c| c.as_ptr());
    // SAFETY: live handles; perm holds `in` entries (checked above).
    check(unsafe { sys::lq_hf_export(q.as_ptr(), perm, calib, format.raw(), c.as_ptr(), st.as_mut_ptr()) })
}

/// Reads layer `prefix` of `format` from `st` as a quantized tensor named
/// `<prefix>.weight`, and for the GPTQ layouts the column order its g_idx
/// gives (None for the other layouts).
pub fn hf_import(st: &Safetensors, format: HfFormat, prefix: &str) -> Result<(Tensor<'static>, Option<Vec<i32>>)> {
    let c = c_string("prefix", prefix)?;
    let g_idx = format!("{prefix}.g_idx");
    let mut perm = match format {
        HfFormat::Gptq | HfFormat::GptqV2 if st.names().contains(&g_idx) => {
            Some(zeros::<i32>(st.info(&g_idx)?.shape.first().copied().unwrap_or(0) as usize)?)
        }
        _ => None,
    };
    let perm_ptr = perm.as_mut().map_or(ptr::null_mut(), |p| p.as_mut_ptr());
    let mut t = ptr::null_mut();
    // SAFETY: live handle; perm holds one entry per column (g_idx's length).
    check(unsafe { sys::lq_hf_import(st.as_ptr(), format.raw(), c.as_ptr(), &mut t, perm_ptr) })?;
    Ok((Tensor::from_raw_handle(t, false)?, perm))
}

/// Decodes layer `prefix` of `format` to `count` floats ([out, in]) as the
/// reference loaders decode it, with any g_idx.
pub fn hf_dequantize(st: &Safetensors, format: HfFormat, prefix: &str, count: usize) -> Result<Vec<f32>> {
    let c = c_string("prefix", prefix)?;
    let mut out = zeros::<f32>(count)?;
    // SAFETY: live handle; out holds count floats.
    check(unsafe { sys::lq_hf_dequantize(st.as_ptr(), format.raw(), c.as_ptr(), out.as_mut_ptr(), count as i64) })?;
    Ok(out)
}

/// The "quantization_config" JSON object for `format` made with `scheme`.
pub fn hf_config(format: HfFormat, scheme: &Scheme) -> Result<String> {
    let mut json = ptr::null_mut();
    // SAFETY: live scheme, valid out-pointer.
    check(unsafe { sys::lq_hf_config(format.raw(), scheme.as_ptr(), &mut json) })?;
    // SAFETY: a NUL-terminated string the library made; freed after copying.
    let text = unsafe { CStr::from_ptr(json) }.to_string_lossy().into_owned();
    unsafe { sys::lq_free(json.cast()) };
    Ok(text)
}
