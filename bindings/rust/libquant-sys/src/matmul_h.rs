//! `lq_matmul.h`: matrix products with quantized weights, W8A8.
use core::ffi::c_float;

use crate::{lq_ctx, lq_status, lq_tensor};

extern "C" {
    pub fn lq_matmul(ctx: *mut lq_ctx, x: *const c_float, m: i64, w: *const lq_tensor, y: *mut c_float) -> lq_status;
    pub fn lq_matmul_w8a8(
        ctx: *mut lq_ctx,
        x: *const c_float,
        m: i64,
        k: i64,
        w: *const i8,
        sw: *const c_float,
        n: i64,
        y: *mut c_float,
    ) -> lq_status;
}
