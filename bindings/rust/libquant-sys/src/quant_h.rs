//! `lq_quant.h`: quantize and dequantize.
use core::ffi::{c_char, c_int, c_void};

use crate::{lq_ctx, lq_scheme, lq_status, lq_tensor, lq_type};

crate::opaque! {
    /// A calibration set (made by the calls in `lq_calib.h`).
    lq_calib;
}

extern "C" {
    pub fn lq_quantize(
        ctx: *mut lq_ctx,
        src: *const lq_tensor,
        scheme: *const lq_scheme,
        calib: *const lq_calib,
        imatrix: *const f32,
        out: *mut *mut lq_tensor,
    ) -> lq_status;
    pub fn lq_dequantize(ctx: *mut lq_ctx, q: *const lq_tensor, t: lq_type, out: *mut *mut lq_tensor) -> lq_status;
    pub fn lq_dequantize_f32(ctx: *mut lq_ctx, q: *const lq_tensor, dst: *mut f32, count: i64) -> lq_status;
    pub fn lq_tensor_wrap_quantized(
        scheme: *const lq_scheme,
        ndim: c_int,
        shape: *const i64,
        data: *const c_void,
        nbytes: usize,
        mode: c_int,
        name: *const c_char,
        out: *mut *mut lq_tensor,
    ) -> lq_status;
    pub fn lq_tensor_scheme(t: *const lq_tensor) -> *const lq_scheme;
}
