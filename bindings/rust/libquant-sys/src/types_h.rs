//! `lq_types.h`: element types.
use core::ffi::{c_char, c_int};

use crate::lq_status;

pub type lq_type = c_int;

pub const LQ_TYPE_F32: lq_type = 0;
pub const LQ_TYPE_F16: lq_type = 1;
pub const LQ_TYPE_BF16: lq_type = 2;
pub const LQ_TYPE_F64: lq_type = 3;
pub const LQ_TYPE_I8: lq_type = 4;
pub const LQ_TYPE_U8: lq_type = 5;
pub const LQ_TYPE_I16: lq_type = 6;
pub const LQ_TYPE_I32: lq_type = 7;
pub const LQ_TYPE_I64: lq_type = 8;
pub const LQ_TYPE_INT8: lq_type = 16;
pub const LQ_TYPE_INT4: lq_type = 17;
pub const LQ_TYPE_INT3: lq_type = 18;
pub const LQ_TYPE_INT2: lq_type = 19;
pub const LQ_TYPE_NF4: lq_type = 24;
pub const LQ_TYPE_FP4: lq_type = 25;
pub const LQ_TYPE_FP8_E4M3: lq_type = 28;
pub const LQ_TYPE_FP8_E5M2: lq_type = 29;
pub const LQ_TYPE_Q4_0: lq_type = 32;
pub const LQ_TYPE_Q4_1: lq_type = 33;
pub const LQ_TYPE_Q5_0: lq_type = 34;
pub const LQ_TYPE_Q5_1: lq_type = 35;
pub const LQ_TYPE_Q8_0: lq_type = 36;
pub const LQ_TYPE_Q8_1: lq_type = 37;
pub const LQ_TYPE_Q2_K: lq_type = 38;
pub const LQ_TYPE_Q3_K: lq_type = 39;
pub const LQ_TYPE_Q4_K: lq_type = 40;
pub const LQ_TYPE_Q5_K: lq_type = 41;
pub const LQ_TYPE_Q6_K: lq_type = 42;
pub const LQ_TYPE_Q8_K: lq_type = 43;
pub const LQ_TYPE_IQ4_NL: lq_type = 44;
pub const LQ_TYPE_IQ4_XS: lq_type = 45;

extern "C" {
    pub fn lq_type_name(t: lq_type) -> *const c_char;
    pub fn lq_type_from_name(name: *const c_char, out: *mut lq_type) -> lq_status;
    pub fn lq_type_is_quantized(t: lq_type) -> c_int;
    pub fn lq_type_ggml_id(t: lq_type) -> c_int;
}
