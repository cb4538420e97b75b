//! Status codes and the error type every fallible call returns.
use std::ffi::{c_char, CStr};
use std::fmt;

use libquant_sys as sys;

/// An `lq_status` code. The values are pinned by the C library; new codes
/// may appear, so match with a fallback arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Status(pub i32);

impl Status {
    pub const OK: Status = Status(sys::LQ_OK);
    pub const INVALID: Status = Status(sys::LQ_ERR_INVALID);
    pub const UNSUPPORTED: Status = Status(sys::LQ_ERR_UNSUPPORTED);
    pub const NOMEM: Status = Status(sys::LQ_ERR_NOMEM);
    pub const IO: Status = Status(sys::LQ_ERR_IO);
    pub const FORMAT: Status = Status(sys::LQ_ERR_FORMAT);
    pub const SHAPE: Status = Status(sys::LQ_ERR_SHAPE);
    pub const NONFINITE: Status = Status(sys::LQ_ERR_NONFINITE);
    pub const CANCELLED: Status = Status(sys::LQ_ERR_CANCELLED);
    pub const NUMERIC: Status = Status(sys::LQ_ERR_NUMERIC);
    pub const STATE: Status = Status(sys::LQ_ERR_STATE);
    pub const INTERNAL: Status = Status(sys::LQ_ERR_INTERNAL);

    /// The library's short English text ("out of memory", ...).
    pub fn text(self) -> &'static str {
        // SAFETY: lq_status_str returns a static string, never NULL.
        unsafe { static_str(sys::lq_status_str(self.0)) }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// A failed call: the status and the library's detailed message for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// An error raised by the binding itself (before any C call).
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }

    /// The error for `status`, with the calling thread's lq_last_error().
    /// Call it right after the failing call, on the same thread.
    pub(crate) fn last(status: sys::lq_status) -> Error {
        // SAFETY: lq_last_error never returns NULL; the text is copied at once.
        let message = unsafe { CStr::from_ptr(sys::lq_last_error()) }.to_string_lossy().into_owned();
        Error { status: Status(status), message }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// What failed, on which object, and why.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.status)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Turns a status into a Result, reading the message on failure.
pub(crate) fn check(status: sys::lq_status) -> Result<()> {
    if status == sys::LQ_OK {
        Ok(())
    } else {
        Err(Error::last(status))
    }
}

/// A C string the library keeps forever (status texts, type names, build info).
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string that is never freed.
pub(crate) unsafe fn static_str(p: *const c_char) -> &'static str {
    if p.is_null() {
        return "";
    }
    unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("")
}

/// A Rust string as a C string; interior NULs are an INVALID error.
pub(crate) fn c_string(what: &str, s: &str) -> Result<std::ffi::CString> {
    std::ffi::CString::new(s)
        .map_err(|_| Error::new(Status::INVALID, format!("libquant: {what} {s:?} contains a NUL byte")))
}
