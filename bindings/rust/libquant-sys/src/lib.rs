//! Raw declarations of the libquant C API (`include/lq/*.h`), generated from
//! the headers by `bindings/gen/gen_bindings.py` into `capi.rs` (run it after
//! changing a header; a test fails while the file is stale). Everything here
//! is `unsafe` to call and follows the C documentation in the headers; the
//! `libquant` crate is the safe wrapper.
//!
//! Declarations of the experimental tier (`#ifdef LQ_EXPERIMENTAL_API` in the
//! headers) are always present and marked as such in their documentation:
//! they may change in a minor release.
//!
//! Linking is set up by `build.rs` (pkg-config, or `LIBQUANT_LIB_DIR`).
#![allow(non_camel_case_types)]
#![no_std]

mod capi;

pub use crate::capi::*;
