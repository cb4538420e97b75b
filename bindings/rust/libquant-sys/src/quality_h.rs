//! `lq_quality.h`: error metrics, output error and the memory estimator.
use core::ffi::{c_char, c_double, c_int};

use crate::{lq_ctx, lq_scheme, lq_status, lq_tensor};

pub const LQ_METRIC_MSE: usize = 0;
pub const LQ_METRIC_RMSE: usize = 1;
pub const LQ_METRIC_MAX_ABS: usize = 2;
pub const LQ_METRIC_SQNR_DB: usize = 3;
pub const LQ_METRIC_COSINE: usize = 4;
pub const LQ_METRIC_COUNT_V1: usize = 5;

pub const LQ_KV_F32: c_int = 0;
pub const LQ_KV_F16: c_int = 1;
pub const LQ_KV_INT8: c_int = 2;
pub const LQ_KV_FP8: c_int = 3;

extern "C" {
    pub fn lq_error_metrics(
        reference: *const f32,
        test: *const f32,
        n: i64,
        out: *mut c_double,
        n_out: c_int,
    ) -> lq_status;
    pub fn lq_tensor_error_metrics(
        ctx: *mut lq_ctx,
        reference: *const lq_tensor,
        test: *const lq_tensor,
        out: *mut c_double,
        n_out: c_int,
    ) -> lq_status;
    pub fn lq_output_error(
        ctx: *mut lq_ctx,
        w: *const lq_tensor,
        wq: *const lq_tensor,
        x: *const f32,
        tokens: i64,
        out: *mut c_double,
    ) -> lq_status;
    pub fn lq_estimate_weights(scheme: *const lq_scheme, n_params: c_double, bytes: *mut c_double) -> lq_status;
    pub fn lq_estimate_kv(
        layers: i64,
        kv_heads: i64,
        head_dim: i64,
        ctx: i64,
        batch: i64,
        kv_type: c_int,
        bytes: *mut c_double,
    ) -> lq_status;
    pub fn lq_kv_type_name(kv_type: c_int) -> *const c_char;
    pub fn lq_kv_type_from_name(name: *const c_char, out: *mut c_int) -> lq_status;
}
