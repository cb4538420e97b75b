//! `lq_tensor.h`: the tensor handle.
use core::ffi::{c_char, c_double, c_int, c_void};

use crate::{lq_status, lq_type};

pub const LQ_MAX_DIMS: usize = 4;
pub const LQ_MAX_NAME: usize = 256;

/// `lq_data_mode`: keep the caller's pointer.
pub const LQ_BORROW: c_int = 0;
/// `lq_data_mode`: copy the caller's bytes.
pub const LQ_COPY: c_int = 1;

crate::opaque! {
    /// A tensor: name, shape, element type and bytes.
    lq_tensor;
}

extern "C" {
    pub fn lq_tensor_create(
        t: lq_type,
        ndim: c_int,
        shape: *const i64,
        name: *const c_char,
        out: *mut *mut lq_tensor,
    ) -> lq_status;
    pub fn lq_tensor_wrap(
        t: lq_type,
        ndim: c_int,
        shape: *const i64,
        data: *const c_void,
        nbytes: usize,
        mode: c_int,
        name: *const c_char,
        out: *mut *mut lq_tensor,
    ) -> lq_status;
    pub fn lq_tensor_free(t: *mut lq_tensor);
    pub fn lq_tensor_type(t: *const lq_tensor) -> lq_type;
    pub fn lq_tensor_ndim(t: *const lq_tensor) -> c_int;
    pub fn lq_tensor_dim(t: *const lq_tensor, i: c_int) -> i64;
    pub fn lq_tensor_numel(t: *const lq_tensor) -> i64;
    pub fn lq_tensor_nbytes(t: *const lq_tensor) -> usize;
    pub fn lq_tensor_bits_per_weight(t: *const lq_tensor) -> c_double;
    pub fn lq_tensor_name(t: *const lq_tensor) -> *const c_char;
    pub fn lq_tensor_data(t: *const lq_tensor) -> *const c_void;
    pub fn lq_tensor_data_mut(t: *mut lq_tensor) -> *mut c_void;
    pub fn lq_tensor_set_name(t: *mut lq_tensor, name: *const c_char) -> lq_status;
}
