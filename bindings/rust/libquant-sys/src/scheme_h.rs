//! `lq_scheme.h`: schemes, their methods and parameters.
use core::ffi::{c_char, c_double, c_int};

use crate::lq_status;

crate::opaque! {
    /// A parsed scheme ("int4:g128", "q4_k", ...).
    lq_scheme;
}

pub const LQ_METHOD_RTN: c_int = 0;
pub const LQ_METHOD_GPTQ: c_int = 1;
pub const LQ_METHOD_AWQ: c_int = 2;
pub const LQ_METHOD_HQQ: c_int = 3;
pub const LQ_METHOD_SMOOTHQUANT: c_int = 4;
pub const LQ_METHOD_LLM_INT8: c_int = 5;

pub const LQ_GROUP_CHANNEL: i64 = 0;
pub const LQ_GROUP_TENSOR: i64 = -1;

pub const LQ_PARAM_TYPE: c_int = 0;
pub const LQ_PARAM_METHOD: c_int = 1;
pub const LQ_PARAM_BITS: c_int = 2;
pub const LQ_PARAM_GROUP_SIZE: c_int = 3;
pub const LQ_PARAM_SYMMETRIC: c_int = 4;
pub const LQ_PARAM_BLOCK_SIZE: c_int = 5;
pub const LQ_PARAM_DOUBLE_QUANT: c_int = 6;
pub const LQ_PARAM_SCALE_TYPE: c_int = 7;
pub const LQ_PARAM_ACT_ORDER: c_int = 8;
pub const LQ_PARAM_STATIC_GROUPS: c_int = 9;
pub const LQ_PARAM_MIXTURE: c_int = 10;
pub const LQ_PARAM_DAMP: c_int = 11;
pub const LQ_PARAM_ALPHA: c_int = 12;
pub const LQ_PARAM_THRESHOLD: c_int = 13;
pub const LQ_PARAM_ITERS: c_int = 14;

extern "C" {
    pub fn lq_scheme_parse(text: *const c_char, out: *mut *mut lq_scheme) -> lq_status;
    pub fn lq_scheme_clone(s: *const lq_scheme, out: *mut *mut lq_scheme) -> lq_status;
    pub fn lq_scheme_free(s: *mut lq_scheme);
    pub fn lq_scheme_string(s: *const lq_scheme) -> *const c_char;
    pub fn lq_scheme_get_int(s: *const lq_scheme, param: c_int, out: *mut i64) -> lq_status;
    pub fn lq_scheme_get_float(s: *const lq_scheme, param: c_int, out: *mut c_double) -> lq_status;
    pub fn lq_scheme_set_int(s: *mut lq_scheme, param: c_int, value: i64) -> lq_status;
    pub fn lq_scheme_set_float(s: *mut lq_scheme, param: c_int, value: c_double) -> lq_status;
    pub fn lq_scheme_tensor_bytes(s: *const lq_scheme, rows: i64, cols: i64, out: *mut u64) -> lq_status;
}
