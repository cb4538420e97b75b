//! Schemes: what to quantize to, and how ("int4:g128", "q4_k", ...).
use std::ffi::{c_int, CStr};
use std::fmt;
use std::ptr::{self, NonNull};
use std::str::FromStr;

use libquant_sys as sys;

use crate::error::{c_string, check, Error, Result, Status};
use crate::types::Type;
use crate::version::check_version;

/// How the codes are chosen. Pinned values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Method(pub i32);

impl Method {
    pub const RTN: Method = Method(sys::LQ_METHOD_RTN);
    pub const GPTQ: Method = Method(sys::LQ_METHOD_GPTQ);
    pub const AWQ: Method = Method(sys::LQ_METHOD_AWQ);
    pub const HQQ: Method = Method(sys::LQ_METHOD_HQQ);
    pub const SMOOTHQUANT: Method = Method(sys::LQ_METHOD_SMOOTHQUANT);
    pub const LLM_INT8: Method = Method(sys::LQ_METHOD_LLM_INT8);

    const NAMES: [&'static str; 6] = ["rtn", "gptq", "awq", "hqq", "smoothquant", "llm_int8"];

    /// The name the scheme grammar uses, or None for an unknown value.
    pub fn name(self) -> Option<&'static str> {
        usize::try_from(self.0).ok().and_then(|i| Self::NAMES.get(i).copied())
    }
}

/// A scheme parameter (`enum lq_param`), for [`Scheme::get_int`] and friends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Param(pub i32);

impl Param {
    pub const TYPE: Param = Param(sys::LQ_PARAM_TYPE);
    pub const METHOD: Param = Param(sys::LQ_PARAM_METHOD);
    /// Read-only.
    pub const BITS: Param = Param(sys::LQ_PARAM_BITS);
    /// N > 0, [`GROUP_CHANNEL`] or [`GROUP_TENSOR`].
    pub const GROUP_SIZE: Param = Param(sys::LQ_PARAM_GROUP_SIZE);
    pub const SYMMETRIC: Param = Param(sys::LQ_PARAM_SYMMETRIC);
    pub const BLOCK_SIZE: Param = Param(sys::LQ_PARAM_BLOCK_SIZE);
    pub const DOUBLE_QUANT: Param = Param(sys::LQ_PARAM_DOUBLE_QUANT);
    pub const SCALE_TYPE: Param = Param(sys::LQ_PARAM_SCALE_TYPE);
    pub const ACT_ORDER: Param = Param(sys::LQ_PARAM_ACT_ORDER);
    pub const STATIC_GROUPS: Param = Param(sys::LQ_PARAM_STATIC_GROUPS);
    /// Read-only.
    pub const MIXTURE: Param = Param(sys::LQ_PARAM_MIXTURE);
    /// A float parameter.
    pub const DAMP: Param = Param(sys::LQ_PARAM_DAMP);
    /// A float parameter.
    pub const ALPHA: Param = Param(sys::LQ_PARAM_ALPHA);
    /// A float parameter.
    pub const THRESHOLD: Param = Param(sys::LQ_PARAM_THRESHOLD);
    pub const ITERS: Param = Param(sys::LQ_PARAM_ITERS);
}

/// Group size meaning one scale per output row.
pub const GROUP_CHANNEL: i64 = sys::LQ_GROUP_CHANNEL as i64;
/// Group size meaning one scale for the whole tensor.
pub const GROUP_TENSOR: i64 = sys::LQ_GROUP_TENSOR as i64;

/// A parsed scheme. Its canonical string ([`Scheme::as_str`], `Display`)
/// parses back to an equal scheme.
///
/// A scheme may be shared by many threads for reading (`Sync`); changing it
/// takes `&mut self`.
///
/// ```
/// use libquant::{Scheme, Param, Type};
/// let mut s: Scheme = "int4".parse()?;
/// assert_eq!(s.as_str(), "int4:g128:sym");
/// assert_eq!(s.ty()?, Type::INT4);
/// s.set_int(Param::GROUP_SIZE, 64)?;
/// s.set_int(Param::SYMMETRIC, 0)?;
/// assert_eq!(s.to_string(), "int4:g64:asym");
/// assert!(Scheme::parse("int4:g100x").is_err());
/// # Ok::<(), libquant::Error>(())
/// ```
pub struct Scheme {
    ptr: NonNull<sys::lq_scheme>,
}

// SAFETY: the C header allows use from any thread, and concurrent reads of a
// scheme no thread modifies; modification needs &mut self.
unsafe impl Send for Scheme {}
unsafe impl Sync for Scheme {}

fn new_handle(p: *mut sys::lq_scheme) -> Result<Scheme> {
    NonNull::new(p)
        .map(|ptr| Scheme { ptr })
        .ok_or_else(|| Error::new(Status::INTERNAL, "libquant: the library returned a NULL scheme"))
}

impl Scheme {
    /// Parses a scheme string (case-insensitive).
    pub fn parse(text: &str) -> Result<Scheme> {
        check_version()?;
        let c = c_string("scheme", text)?;
        let mut p = ptr::null_mut();
        // SAFETY: valid C string and out-pointer.
        check(unsafe { sys::lq_scheme_parse(c.as_ptr(), &mut p) })?;
        new_handle(p)
    }

    /// An independent copy.
    pub fn try_clone(&self) -> Result<Scheme> {
        // SAFETY: live handle.
        unsafe { Scheme::clone_from_ptr(self.ptr.as_ptr()) }
    }

    /// A new scheme copied from one the library owns (e.g. a tensor's).
    ///
    /// # Safety
    /// `s` must point to a live scheme that nobody modifies during the call.
    pub(crate) unsafe fn clone_from_ptr(s: *const sys::lq_scheme) -> Result<Scheme> {
        let mut p = ptr::null_mut();
        check(unsafe { sys::lq_scheme_clone(s, &mut p) })?;
        new_handle(p)
    }

    /// The canonical string.
    pub fn as_str(&self) -> &str {
        // SAFETY: owned by the scheme, valid until it changes (which needs &mut).
        unsafe { CStr::from_ptr(sys::lq_scheme_string(self.ptr.as_ptr())) }.to_str().unwrap_or("")
    }

    pub fn get_int(&self, param: Param) -> Result<i64> {
        let mut v = 0;
        // SAFETY: live handle, valid out-pointer.
        check(unsafe { sys::lq_scheme_get_int(self.ptr.as_ptr(), param.0, &mut v) })?;
        Ok(v)
    }

    pub fn get_float(&self, param: Param) -> Result<f64> {
        let mut v = 0.0;
        // SAFETY: live handle, valid out-pointer.
        check(unsafe { sys::lq_scheme_get_float(self.ptr.as_ptr(), param.0, &mut v) })?;
        Ok(v)
    }

    /// Changes a parameter; on error the scheme is unchanged.
    pub fn set_int(&mut self, param: Param, value: i64) -> Result<()> {
        // SAFETY: live handle, exclusive access.
        check(unsafe { sys::lq_scheme_set_int(self.ptr.as_ptr(), param.0, value) })
    }

    /// Changes a float parameter; on error the scheme is unchanged.
    pub fn set_float(&mut self, param: Param, value: f64) -> Result<()> {
        // SAFETY: live handle, exclusive access.
        check(unsafe { sys::lq_scheme_set_float(self.ptr.as_ptr(), param.0, value) })
    }

    /// The element type quantized to.
    pub fn ty(&self) -> Result<Type> {
        Ok(Type(self.get_int(Param::TYPE)? as c_int))
    }

    pub fn method(&self) -> Result<Method> {
        Ok(Method(self.get_int(Param::METHOD)? as c_int))
    }

    /// Bytes a `[rows, cols]` weight takes under this scheme, scales included.
    pub fn tensor_bytes(&self, rows: i64, cols: i64) -> Result<u64> {
        let mut n = 0;
        // SAFETY: live handle, valid out-pointer.
        check(unsafe { sys::lq_scheme_tensor_bytes(self.ptr.as_ptr(), rows, cols, &mut n) })?;
        Ok(n)
    }

    pub(crate) fn as_ptr(&self) -> *const sys::lq_scheme {
        self.ptr.as_ptr()
    }
}

impl Drop for Scheme {
    fn drop(&mut self) {
        // SAFETY: we own the handle.
        unsafe { sys::lq_scheme_free(self.ptr.as_ptr()) }
    }
}

impl Clone for Scheme {
    /// Panics only when the library is out of memory, as std collections do.
    fn clone(&self) -> Scheme {
        self.try_clone().expect("libquant: cloning a scheme")
    }
}

impl PartialEq for Scheme {
    fn eq(&self, other: &Scheme) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Scheme {}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scheme({:?})", self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = Error;
    fn from_str(s: &str) -> Result<Scheme> {
        Scheme::parse(s)
    }
}
