//! Run contexts: thread count and a progress callback for long calls.
use std::any::Any;
use std::ffi::{c_char, c_double, c_int, c_void, CStr};
use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, NonNull};

use libquant_sys as sys;

use crate::error::{check, Error, Result, Status};
use crate::version::check_version;

type ProgressFn = dyn FnMut(&str, f64) -> ControlFlow<()> + Send;

/// What the C callback reaches through its `user` pointer.
struct Progress {
    f: Box<ProgressFn>,
    /// A panic caught inside `f`, resumed once the C call has returned.
    panic: Option<Box<dyn Any + Send>>,
}

/// Thread count and progress reporting for long calls (an `lq_ctx`).
///
/// A context may move between threads (`Send`) but serves one call at a
/// time: calls take it as `&mut`, and it is not `Sync`.
///
/// ```
/// use std::ops::ControlFlow;
/// let mut ctx = libquant::Context::new()?;
/// ctx.set_threads(2)?;
/// ctx.set_progress(|stage, done| {
///     eprintln!("{stage}: {:.0}%", done * 100.0);
///     ControlFlow::Continue(())
/// })?;
/// assert_eq!(ctx.threads(), 2);
/// # Ok::<(), libquant::Error>(())
/// ```
///
/// Sharing a context between threads does not compile:
///
/// ```compile_fail
/// fn shared<T: Sync>() {}
/// shared::<libquant::Context>();
/// ```
pub struct Context {
    ptr: NonNull<sys::lq_ctx>,
    progress: Option<Box<Progress>>,
}

// SAFETY: lq_ctx holds no thread affinity and the callback is Send; the
// missing Sync (from the raw pointer) keeps one call at a time.
unsafe impl Send for Context {}

unsafe extern "C" fn trampoline(user: *mut c_void, stage: *const c_char, fraction: c_double) -> c_int {
    // SAFETY: `user` is the Box<Progress> installed with this trampoline, alive
    // while installed, and only reached from the thread that made the call.
    let state = unsafe { &mut *user.cast::<Progress>() };
    if state.panic.is_some() {
        return 1;
    }
    let stage = unsafe { CStr::from_ptr(stage) }.to_string_lossy();
    match panic::catch_unwind(AssertUnwindSafe(|| (state.f)(&stage, fraction))) {
        Ok(ControlFlow::Continue(())) => 0,
        Ok(ControlFlow::Break(())) => 1,
        Err(payload) => {
            // Unwinding into C is not allowed: cancel, and resume afterwards.
            state.panic = Some(payload);
            1
        }
    }
}

impl Context {
    /// A context using all online CPUs, with no progress callback.
    pub fn new() -> Result<Context> {
        check_version()?;
        let mut p = ptr::null_mut();
        // SAFETY: valid out-pointer.
        check(unsafe { sys::lq_ctx_create(&mut p) })?;
        let ptr = NonNull::new(p).ok_or_else(|| Error::new(Status::INTERNAL, "lq_ctx_create gave NULL"))?;
        Ok(Context { ptr, progress: None })
    }

    /// Threads for calls made with this context: 0 = all online CPUs, else 1..=1024.
    pub fn set_threads(&mut self, threads: usize) -> Result<()> {
        let n = c_int::try_from(threads)
            .map_err(|_| Error::new(Status::INVALID, format!("libquant: {threads} threads is too many")))?;
        // SAFETY: live handle.
        check(unsafe { sys::lq_ctx_set_threads(self.ptr.as_ptr(), n) })
    }

    /// The thread count calls will actually use (0 resolved).
    pub fn threads(&self) -> usize {
        // SAFETY: live handle.
        unsafe { sys::lq_ctx_threads(self.ptr.as_ptr()) }.max(1) as usize
    }

    /// Installs a progress callback, called on the calling thread with a stage
    /// name and the fraction done. `ControlFlow::Break(())` cancels the call,
    /// which then fails with `Status::CANCELLED`. A panic inside the callback
    /// cancels the call and is resumed once it has returned.
    pub fn set_progress<F>(&mut self, f: F) -> Result<()>
    where
        F: FnMut(&str, f64) -> ControlFlow<()> + Send + 'static,
    {
        let mut state = Box::new(Progress { f: Box::new(f), panic: None });
        let user = ptr::addr_of_mut!(*state).cast::<c_void>();
        // SAFETY: the Box outlives its installation: it is replaced or dropped
        // only after the C side has been given the new callback (or freed).
        check(unsafe { sys::lq_ctx_set_progress(self.ptr.as_ptr(), Some(trampoline), user) })?;
        self.progress = Some(state);
        Ok(())
    }

    /// Removes the progress callback.
    pub fn clear_progress(&mut self) -> Result<()> {
        // SAFETY: live handle; NULL removes the callback.
        check(unsafe { sys::lq_ctx_set_progress(self.ptr.as_ptr(), None, ptr::null_mut()) })?;
        self.progress = None;
        Ok(())
    }

    pub(crate) fn as_ptr(&mut self) -> *mut sys::lq_ctx {
        self.ptr.as_ptr()
    }

    /// A panic the progress callback caught during the last call.
    fn take_panic(&mut self) -> Option<Box<dyn Any + Send>> {
        self.progress.as_mut().and_then(|p| p.panic.take())
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: we own the handle; the callback state is dropped afterwards.
        unsafe { sys::lq_ctx_free(self.ptr.as_ptr()) }
    }
}

/// Runs `f` with the context's pointer (NULL without a context), then
/// resumes a panic its progress callback caught. `f`'s result is kept, and
/// dropped, before the panic resumes, so nothing it made leaks.
pub(crate) fn with_ctx<T>(ctx: Option<&mut Context>, f: impl FnOnce(*mut sys::lq_ctx) -> T) -> T {
    match ctx {
        None => f(ptr::null_mut()),
        Some(ctx) => {
            let result = f(ctx.as_ptr());
            if let Some(payload) = ctx.take_panic() {
                drop(result);
                panic::resume_unwind(payload);
            }
            result
        }
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("threads", &self.threads()).field("progress", &self.progress.is_some()).finish()
    }
}
