//! Element types.
use std::ffi::c_int;
use std::fmt;

use libquant_sys as sys;

use crate::error::{c_string, check, static_str, Result};

/// An element type: plain numbers (`F32`, `F16`, ...) or a quantized format
/// (`INT4`, `Q4_K`, ...). The values are pinned by the C library.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Type(pub i32);

impl Type {
    pub const F32: Type = Type(sys::LQ_TYPE_F32);
    pub const F16: Type = Type(sys::LQ_TYPE_F16);
    pub const BF16: Type = Type(sys::LQ_TYPE_BF16);
    pub const F64: Type = Type(sys::LQ_TYPE_F64);
    pub const I8: Type = Type(sys::LQ_TYPE_I8);
    pub const U8: Type = Type(sys::LQ_TYPE_U8);
    pub const I16: Type = Type(sys::LQ_TYPE_I16);
    pub const I32: Type = Type(sys::LQ_TYPE_I32);
    pub const I64: Type = Type(sys::LQ_TYPE_I64);
    pub const INT8: Type = Type(sys::LQ_TYPE_INT8);
    pub const INT4: Type = Type(sys::LQ_TYPE_INT4);
    pub const INT3: Type = Type(sys::LQ_TYPE_INT3);
    pub const INT2: Type = Type(sys::LQ_TYPE_INT2);
    pub const NF4: Type = Type(sys::LQ_TYPE_NF4);
    pub const FP4: Type = Type(sys::LQ_TYPE_FP4);
    pub const FP8_E4M3: Type = Type(sys::LQ_TYPE_FP8_E4M3);
    pub const FP8_E5M2: Type = Type(sys::LQ_TYPE_FP8_E5M2);
    pub const Q4_0: Type = Type(sys::LQ_TYPE_Q4_0);
    pub const Q4_1: Type = Type(sys::LQ_TYPE_Q4_1);
    pub const Q5_0: Type = Type(sys::LQ_TYPE_Q5_0);
    pub const Q5_1: Type = Type(sys::LQ_TYPE_Q5_1);
    pub const Q8_0: Type = Type(sys::LQ_TYPE_Q8_0);
    pub const Q8_1: Type = Type(sys::LQ_TYPE_Q8_1);
    pub const Q2_K: Type = Type(sys::LQ_TYPE_Q2_K);
    pub const Q3_K: Type = Type(sys::LQ_TYPE_Q3_K);
    pub const Q4_K: Type = Type(sys::LQ_TYPE_Q4_K);
    pub const Q5_K: Type = Type(sys::LQ_TYPE_Q5_K);
    pub const Q6_K: Type = Type(sys::LQ_TYPE_Q6_K);
    pub const Q8_K: Type = Type(sys::LQ_TYPE_Q8_K);
    pub const IQ4_NL: Type = Type(sys::LQ_TYPE_IQ4_NL);
    pub const IQ4_XS: Type = Type(sys::LQ_TYPE_IQ4_XS);
    pub const TQ1_0: Type = Type(sys::LQ_TYPE_TQ1_0);
    pub const TQ2_0: Type = Type(sys::LQ_TYPE_TQ2_0);
    pub const MXFP4: Type = Type(sys::LQ_TYPE_MXFP4);
    pub const NVFP4: Type = Type(sys::LQ_TYPE_NVFP4);
    pub const IQ2_XXS: Type = Type(sys::LQ_TYPE_IQ2_XXS);
    pub const IQ2_XS: Type = Type(sys::LQ_TYPE_IQ2_XS);
    pub const IQ2_S: Type = Type(sys::LQ_TYPE_IQ2_S);
    pub const IQ3_XXS: Type = Type(sys::LQ_TYPE_IQ3_XXS);
    pub const IQ3_S: Type = Type(sys::LQ_TYPE_IQ3_S);
    pub const IQ1_S: Type = Type(sys::LQ_TYPE_IQ1_S);
    pub const IQ1_M: Type = Type(sys::LQ_TYPE_IQ1_M);

    /// The type with that name (case-insensitive), e.g. `"q4_k"`.
    pub fn from_name(name: &str) -> Result<Type> {
        let c = c_string("type name", name)?;
        let mut out: c_int = 0;
        // SAFETY: valid C string and out-pointer.
        check(unsafe { sys::lq_type_from_name(c.as_ptr(), &mut out) })?;
        Ok(Type(out))
    }

    /// The lower-case name, or None for a value that is not a type.
    pub fn name(self) -> Option<&'static str> {
        // SAFETY: a static string or NULL.
        let p = unsafe { sys::lq_type_name(self.0) };
        (!p.is_null()).then(|| unsafe { static_str(p) })
    }

    /// True for quantized formats.
    pub fn is_quantized(self) -> bool {
        // SAFETY: any value is accepted.
        unsafe { sys::lq_type_is_quantized(self.0) != 0 }
    }

    /// The ggml_type id GGUF files use, or None.
    pub fn ggml_id(self) -> Option<i32> {
        // SAFETY: any value is accepted.
        let id = unsafe { sys::lq_type_ggml_id(self.0) };
        (id >= 0).then_some(id)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "type-{}", self.0),
        }
    }
}
