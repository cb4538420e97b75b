//! `lq_matmul.h`: matrix products with quantized weights, W8A8.
use core::ffi::{c_float, c_uint};

use crate::{lq_ctx, lq_status, lq_tensor};

/// Flags of `lq_matmul_v2`: how X is multiplied (at most one).
pub const LQ_MATMUL_ACT_8BIT: c_uint = 0x1;
pub const LQ_MATMUL_ACT_F32: c_uint = 0x2;

extern "C" {
    pub fn lq_matmul(ctx: *mut lq_ctx, x: *const c_float, m: i64, w: *const lq_tensor, y: *mut c_float) -> lq_status;
    pub fn lq_matmul_v2(
        ctx: *mut lq_ctx,
        x: *const c_float,
        m: i64,
        w: *const lq_tensor,
        flags: c_uint,
        y: *mut c_float,
    ) -> lq_status;
    pub fn lq_matmul_w8a8_raw(
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
