//! `lq_core.h`: status codes, error messages, versions, build information,
//! run contexts and library-owned memory.
use core::ffi::{c_char, c_double, c_int, c_uint, c_void};

/// Every fallible call returns one: `LQ_OK` (0) or a negative code.
pub type lq_status = c_int;

pub const LQ_OK: lq_status = 0;
pub const LQ_ERR_INVALID: lq_status = -1;
pub const LQ_ERR_UNSUPPORTED: lq_status = -2;
pub const LQ_ERR_NOMEM: lq_status = -3;
pub const LQ_ERR_IO: lq_status = -4;
pub const LQ_ERR_FORMAT: lq_status = -5;
pub const LQ_ERR_SHAPE: lq_status = -6;
pub const LQ_ERR_NONFINITE: lq_status = -7;
pub const LQ_ERR_CANCELLED: lq_status = -8;
pub const LQ_ERR_NUMERIC: lq_status = -9;
pub const LQ_ERR_STATE: lq_status = -10;
pub const LQ_ERR_INTERNAL: lq_status = -11;

crate::opaque! {
    /// A run context: thread count and progress callback.
    lq_ctx;
}

/// Progress callback: return 0 to continue, anything else to cancel.
pub type lq_progress_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, stage: *const c_char, fraction: c_double) -> c_int>;

extern "C" {
    pub fn lq_status_str(status: lq_status) -> *const c_char;
    pub fn lq_last_error() -> *const c_char;

    pub fn lq_version_number() -> c_uint;
    pub fn lq_version_string() -> *const c_char;
    pub fn lq_build_info() -> *const c_char;

    pub fn lq_ctx_create(out: *mut *mut lq_ctx) -> lq_status;
    pub fn lq_ctx_free(ctx: *mut lq_ctx);
    pub fn lq_ctx_set_threads(ctx: *mut lq_ctx, threads: c_int) -> lq_status;
    pub fn lq_ctx_threads(ctx: *const lq_ctx) -> c_int;
    pub fn lq_ctx_set_progress(ctx: *mut lq_ctx, f: lq_progress_fn, user: *mut c_void) -> lq_status;

    pub fn lq_free(ptr: *mut c_void);
}
