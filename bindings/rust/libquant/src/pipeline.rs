//! Whole-model operations on files (`lq_pipeline.h`): quantize a GGUF model
//! as llama.cpp's llama-quantize does, tensor for tensor and byte for byte.
//!
//! Experimental tier (`LQ_EXPERIMENTAL_API`): may change in a minor release.
use std::path::Path;
use std::ptr::{self, NonNull};

use libquant_sys as sys;

use crate::calib::c_path;
use crate::context::{with_ctx, Context};
use crate::error::{c_string, check, Error, Result, Status};
use crate::version::check_version;

/// The options of [`quantize_gguf`] (an `lq_qopts`): a llama.cpp file type
/// and the choices llama-quantize offers.
///
/// ```no_run
/// use libquant::{quantize_gguf, QuantizeOptions};
/// let opts = QuantizeOptions::new("Q4_K_M")?;
/// quantize_gguf(None, "model-f32.gguf", "model-q4_k_m.gguf", &opts)?;
/// # Ok::<(), libquant::Error>(())
/// ```
pub struct QuantizeOptions {
    ptr: NonNull<sys::lq_qopts>,
}

// SAFETY: the header allows sharing options read-only; setters take &mut self.
unsafe impl Send for QuantizeOptions {}
unsafe impl Sync for QuantizeOptions {}

impl QuantizeOptions {
    /// Options for a llama.cpp file type ("Q4_K_M", "Q8_0", ...,
    /// case-insensitive).
    pub fn new(file_type: &str) -> Result<QuantizeOptions> {
        check_version()?;
        let c = c_string("file type", file_type)?;
        let mut p = ptr::null_mut();
        // SAFETY: valid C string and out-pointer.
        check(unsafe { sys::lq_qopts_create(c.as_ptr(), &mut p) })?;
        NonNull::new(p)
            .map(|ptr| QuantizeOptions { ptr })
            .ok_or_else(|| Error::new(Status::INTERNAL, "libquant: the library returned NULL options"))
    }

    fn o(&mut self) -> *mut sys::lq_qopts {
        self.ptr.as_ptr()
    }

    /// Reads an importance matrix file now (--imatrix).
    pub fn imatrix(&mut self, path: impl AsRef<Path>) -> Result<&mut Self> {
        let c = c_path(path.as_ref())?;
        // SAFETY: live handle, valid C string.
        check(unsafe { sys::lq_qopts_set_imatrix(self.o(), c.as_ptr()) })?;
        Ok(self)
    }

    /// Tensors whose name matches the POSIX extended regular expression get
    /// `ty` (--tensor-type); the first matching pattern wins.
    pub fn tensor_type(&mut self, pattern: &str, ty: &str) -> Result<&mut Self> {
        let (p, t) = (c_string("pattern", pattern)?, c_string("type", ty)?);
        // SAFETY: live handle, valid C strings.
        check(unsafe { sys::lq_qopts_add_tensor_type(self.o(), p.as_ptr(), t.as_ptr()) })?;
        Ok(self)
    }

    /// --output-tensor-type.
    pub fn output_type(&mut self, ty: &str) -> Result<&mut Self> {
        let t = c_string("type", ty)?;
        // SAFETY: live handle, valid C string.
        check(unsafe { sys::lq_qopts_set_output_type(self.o(), t.as_ptr()) })?;
        Ok(self)
    }

    /// --token-embedding-type.
    pub fn token_embedding_type(&mut self, ty: &str) -> Result<&mut Self> {
        let t = c_string("type", ty)?;
        // SAFETY: live handle, valid C string.
        check(unsafe { sys::lq_qopts_set_token_embedding_type(self.o(), t.as_ptr()) })?;
        Ok(self)
    }

    fn flag(&mut self, flag: i32, on: bool) -> Result<&mut Self> {
        // SAFETY: live handle.
        check(unsafe { sys::lq_qopts_set_flag(self.o(), flag, on as i32) })?;
        Ok(self)
    }

    /// --pure: every quantizable tensor gets the file type's default type.
    pub fn pure(&mut self, on: bool) -> Result<&mut Self> {
        self.flag(sys::LQ_QOPT_PURE, on)
    }

    /// --leave-output-tensor.
    pub fn leave_output(&mut self, on: bool) -> Result<&mut Self> {
        self.flag(sys::LQ_QOPT_LEAVE_OUTPUT, on)
    }

    /// --allow-requantize.
    pub fn allow_requantize(&mut self, on: bool) -> Result<&mut Self> {
        self.flag(sys::LQ_QOPT_ALLOW_REQUANTIZE, on)
    }
}

impl Drop for QuantizeOptions {
    fn drop(&mut self) {
        // SAFETY: owned handle, freed once.
        unsafe { sys::lq_qopts_free(self.o()) }
    }
}

impl std::fmt::Debug for QuantizeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuantizeOptions").finish_non_exhaustive()
    }
}

/// Quantizes the GGUF model `input` into `output` as llama-quantize does;
/// the output appears only when complete. The context's progress callback
/// gets each tensor's name as the stage.
pub fn quantize_gguf(
    ctx: Option<&mut Context>,
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    opts: &QuantizeOptions,
) -> Result<()> {
    let (i, o) = (c_path(input.as_ref())?, c_path(output.as_ref())?);
    // SAFETY: valid C strings and a live options handle.
    with_ctx(ctx, |cx| check(unsafe { sys::lq_gguf_quantize(cx, i.as_ptr(), o.as_ptr(), opts.ptr.as_ptr()) }))
}
