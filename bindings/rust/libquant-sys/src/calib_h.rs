//! `lq_calib.h`: calibration sets, importance matrices, calibrated-method extras.
use core::ffi::{c_char, c_double, c_float, c_int};

use crate::{lq_calib, lq_ctx, lq_scheme, lq_status, lq_tensor};

pub const LQ_CALIB_MEAN_ABS: c_int = 0;
pub const LQ_CALIB_MAX_ABS: c_int = 1;
pub const LQ_CALIB_SUM_SQ: c_int = 2;
pub const LQ_CALIB_MEAN_SQ: c_int = 3;
pub const LQ_CALIB_HESSIAN: c_int = 4;
pub const LQ_CALIB_SAMPLES: c_int = 5;

pub const LQ_IMATRIX_DAT: c_int = 0;
pub const LQ_IMATRIX_GGUF: c_int = 1;

crate::opaque! {
    /// Importance matrices per weight name.
    lq_imatrix;
}

extern "C" {
    pub fn lq_calib_create(in_features: i64, out: *mut *mut lq_calib) -> lq_status;
    pub fn lq_calib_free(c: *mut lq_calib);
    pub fn lq_calib_add(c: *mut lq_calib, x: *const c_float, tokens: i64) -> lq_status;
    pub fn lq_calib_merge(dst: *mut lq_calib, src: *const lq_calib) -> lq_status;
    pub fn lq_calib_set_max_samples(c: *mut lq_calib, n: i64) -> lq_status;
    pub fn lq_calib_features(c: *const lq_calib) -> i64;
    pub fn lq_calib_tokens(c: *const lq_calib) -> i64;
    pub fn lq_calib_samples(c: *const lq_calib) -> i64;
    pub fn lq_calib_get(c: *const lq_calib, stat: c_int, out: *mut c_float, count: i64) -> lq_status;
    pub fn lq_calib_scale_channels(c: *mut lq_calib, mult: *const c_float) -> lq_status;
    pub fn lq_calib_save(c: *const lq_calib, path: *const c_char) -> lq_status;
    pub fn lq_calib_load(path: *const c_char, out: *mut *mut lq_calib) -> lq_status;

    pub fn lq_imatrix_create(out: *mut *mut lq_imatrix) -> lq_status;
    pub fn lq_imatrix_free(im: *mut lq_imatrix);
    pub fn lq_imatrix_add(im: *mut lq_imatrix, name: *const c_char, c: *const lq_calib) -> lq_status;
    pub fn lq_imatrix_count(im: *const lq_imatrix) -> i64;
    pub fn lq_imatrix_name(im: *const lq_imatrix, i: i64) -> *const c_char;
    pub fn lq_imatrix_length(im: *const lq_imatrix, name: *const c_char) -> i64;
    pub fn lq_imatrix_get(im: *const lq_imatrix, name: *const c_char, out: *mut c_float, count: i64) -> lq_status;
    pub fn lq_imatrix_save(
        im: *const lq_imatrix,
        path: *const c_char,
        format: c_int,
        dataset: *const c_char,
    ) -> lq_status;
    pub fn lq_imatrix_load(path: *const c_char, out: *mut *mut lq_imatrix) -> lq_status;

    pub fn lq_gptq_quantize(
        ctx: *mut lq_ctx,
        src: *const lq_tensor,
        scheme: *const lq_scheme,
        calib: *const lq_calib,
        out: *mut *mut lq_tensor,
        perm: *mut i32,
    ) -> lq_status;
    pub fn lq_awq_search(
        ctx: *mut lq_ctx,
        scheme: *const lq_scheme,
        calib: *const lq_calib,
        w: *const *const lq_tensor,
        n: c_int,
        scales: *mut c_float,
    ) -> lq_status;
    pub fn lq_smoothquant_scales(
        scheme: *const lq_scheme,
        calib: *const lq_calib,
        w: *const *const lq_tensor,
        n: c_int,
        scales: *mut c_float,
    ) -> lq_status;
    pub fn lq_scales_apply(
        scales: *const c_float,
        n_in: i64,
        prev: *mut lq_tensor,
        prev_bias: *mut lq_tensor,
        next: *const *mut lq_tensor,
        n_next: c_int,
    ) -> lq_status;
    pub fn lq_matmul_w8a8(
        ctx: *mut lq_ctx,
        x: *const c_float,
        tokens: i64,
        w: *const lq_tensor,
        y: *mut c_float,
    ) -> lq_status;
    pub fn lq_matmul_llm_int8(
        ctx: *mut lq_ctx,
        x: *const c_float,
        tokens: i64,
        w: *const lq_tensor,
        threshold: c_double,
        y: *mut c_float,
        n_outliers: *mut i64,
    ) -> lq_status;
    pub fn lq_method_error(
        ctx: *mut lq_ctx,
        src: *const lq_tensor,
        scheme: *const lq_scheme,
        calib: *const lq_calib,
        err_method: *mut c_double,
        err_rtn: *mut c_double,
    ) -> lq_status;
}
