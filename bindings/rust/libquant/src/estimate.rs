//! Exact file sizes (`lq_quality.h`, experimental block): the size of the
//! file [`quantize_gguf`](crate::quantize_gguf) and llama-quantize write, from
//! a model's tensor list, before anything is written.
//!
//! Experimental tier (`LQ_EXPERIMENTAL_API`): may change in a minor release.
use std::ptr;

use libquant_sys as sys;

use crate::error::{c_string, check, Result};
use crate::io::{new_gguf, Gguf};
use crate::version::check_version;

impl Gguf {
    /// The size in bytes of the file quantizing this model to `file_type`
    /// ("Q4_K_M", ...) writes, with default options and no importance matrix:
    /// the header and every tensor at the type the file type's rules give it
    /// (`lq_estimate_file_size`). Only the metadata and tensor list are read.
    pub fn file_size(&self, file_type: &str) -> Result<u64> {
        let c = c_string("file_type", file_type)?;
        let mut out = 0u64;
        // SAFETY: live handle, valid C string and out-pointer.
        check(unsafe { sys::lq_estimate_file_size(self.g(), c.as_ptr(), &mut out) })?;
        Ok(out)
    }

    /// A Llama-3-style model of about `n_params` parameters, as metadata and
    /// declared tensors without bytes, to size with [`Gguf::file_size`] (the
    /// shape rule is `lq_estimate_llama_model`'s, in `lq_quality.h`).
    ///
    /// ```
    /// use libquant::Gguf;
    /// // the Llama-3-70B shape; real Q4_K_M files add their ~8 MB tokenizer
    /// assert_eq!(Gguf::llama_model(70e9)?.file_size("Q4_K_M")?, 42_512_575_136);
    /// # Ok::<(), libquant::Error>(())
    /// ```
    pub fn llama_model(n_params: f64) -> Result<Gguf> {
        check_version()?;
        let mut p = ptr::null_mut();
        // SAFETY: a plain value and a valid out-pointer.
        check(unsafe { sys::lq_estimate_llama_model(n_params, &mut p) })?;
        new_gguf(p)
    }
}
