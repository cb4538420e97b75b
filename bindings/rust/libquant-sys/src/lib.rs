//! Raw declarations of the libquant C API (`include/lq/*.h`), written by hand,
//! one module per header (`core_h` for `lq_core.h`, ...). Everything here is
//! `unsafe` to call and follows the C documentation in the headers; the
//! `libquant` crate is the safe wrapper.
//!
//! Linking is set up by `build.rs` (pkg-config, or `LIBQUANT_LIB_DIR`).
#![allow(non_camel_case_types)]
#![no_std]

mod calib_h;
mod core_h;
mod io_h;
mod matmul_h;
mod quality_h;
mod quant_h;
mod scheme_h;
mod tensor_h;
mod types_h;

pub use crate::calib_h::*;
pub use crate::core_h::*;
pub use crate::io_h::*;
pub use crate::matmul_h::*;
pub use crate::quality_h::*;
pub use crate::quant_h::*;
pub use crate::scheme_h::*;
pub use crate::tensor_h::*;
pub use crate::types_h::*;

/// Declares an opaque C handle type: only ever used behind a pointer, not
/// `Send`, `Sync` or `Unpin` on its own.
macro_rules! opaque {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[repr(C)]
        pub struct $name {
            _private: [u8; 0],
            _marker: ::core::marker::PhantomData<(*mut u8, ::core::marker::PhantomPinned)>,
        }
    )*};
}
pub(crate) use opaque;

/// The version of the C headers these declarations were written from
/// (`LQ_VERSION_MAJOR`, `LQ_VERSION_MINOR`).
pub const HEADER_VERSION: (u32, u32) = (0, 1);
