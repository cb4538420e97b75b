//! Quantize a float tensor.
use std::ptr;

use libquant_sys as sys;

use crate::calib::Calibration;
use crate::context::{with_ctx, Context};
use crate::error::{check, Error, Result, Status};
use crate::scheme::Scheme;
use crate::tensor::Tensor;

/// Quantizes `src` (f32, f16 or bf16) with `scheme`, on all CPUs.
///
/// ```
/// let w: Vec<f32> = (0..4 * 256).map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0).collect();
/// let src = libquant::Tensor::from_f32(&w, &[4, 256])?;
/// let q = libquant::quantize(&src, &"bf16".parse()?)?;
/// assert_eq!((q.scheme_str(), q.nbytes()), (Some("bf16"), 4 * 256 * 2));
/// # Ok::<(), libquant::Error>(())
/// ```
pub fn quantize(src: &Tensor<'_>, scheme: &Scheme) -> Result<Tensor<'static>> {
    Quantize::new(scheme).run(src)
}

/// One quantization with every option: a context (threads, progress) and an
/// importance matrix. Build it, then [`Quantize::run`] it on a tensor.
///
/// ```
/// use libquant::{Context, Quantize, Scheme, Status, Tensor};
/// let w = vec![0.25f32; 2 * 256];
/// let src = Tensor::from_f32(&w, &[2, 256])?;
/// let imatrix = vec![1.0f32; 256];
/// let mut ctx = Context::new()?;
/// ctx.set_threads(1)?;
/// let scheme = Scheme::parse("q4_k")?;
/// match Quantize::new(&scheme).context(&mut ctx).imatrix(&imatrix).run(&src) {
///     Ok(q) => assert!(q.bits_per_weight() < 5.0),
///     Err(e) if e.status() == Status::UNSUPPORTED => {} // a build without q4_k
///     Err(e) => return Err(e),
/// }
/// # Ok::<(), libquant::Error>(())
/// ```
pub struct Quantize<'a> {
    scheme: &'a Scheme,
    ctx: Option<&'a mut Context>,
    imatrix: Option<&'a [f32]>,
    calib: Option<&'a Calibration>,
}

impl<'a> Quantize<'a> {
    pub fn new(scheme: &'a Scheme) -> Self {
        Quantize { scheme, ctx: None, imatrix: None, calib: None }
    }

    /// Run with this context's threads and progress callback.
    pub fn context(mut self, ctx: &'a mut Context) -> Self {
        self.ctx = Some(ctx);
        self
    }

    /// One non-negative weight per column of the source, weighting each
    /// column's error (the ggml block formats use it, as llama.cpp's --imatrix).
    pub fn imatrix(mut self, weights: &'a [f32]) -> Self {
        self.imatrix = Some(weights);
        self
    }

    /// The calibration set the gptq, awq, smoothquant and llm_int8 methods use.
    pub fn calib(mut self, calib: &'a Calibration) -> Self {
        self.calib = Some(calib);
        self
    }

    /// Quantizes `src` into a new tensor that owns its bytes.
    pub fn run(self, src: &Tensor<'_>) -> Result<Tensor<'static>> {
        let cols = src.shape().last().copied().unwrap_or(0);
        let imatrix = match self.imatrix {
            Some(m) if m.len() as i64 != cols => {
                return Err(Error::new(
                    Status::SHAPE,
                    format!("libquant: the imatrix has {} weights; the rows of the source have {cols}", m.len()),
                ))
            }
            Some(m) => m.as_ptr(),
            None => ptr::null(),
        };
        let made = with_ctx(self.ctx, |c| {
            let mut out = ptr::null_mut();
            let calib = self.calib.map_or(ptr::null(), |k| k.as_ptr());
            // SAFETY: live handles; imatrix has cols floats or is NULL.
            check(unsafe { sys::lq_quantize(c, src.as_ptr(), self.scheme.as_ptr(), calib, imatrix, &mut out) })
                .and_then(|()| Tensor::from_raw_handle(out, false))
        })?;
        Ok(made)
    }
}
