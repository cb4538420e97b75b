//! Calibration sets, importance matrices, and the extras of the calibrated
//! methods (gptq's column order, AWQ / SmoothQuant scales, W8A8, method error).
use std::ffi::{c_int, CStr};
use std::path::Path;
use std::ptr::{self, NonNull};

use libquant_sys as sys;

use crate::context::{with_ctx, Context};
use crate::error::{c_string, check, Error, Result, Status};
use crate::matmul::{rows_of, weight_dims};
use crate::scheme::Scheme;
use crate::tensor::{zeros, Tensor};
use crate::version::check_version;

/// A path as a C string (it must be valid UTF-8 without NUL bytes).
pub(crate) fn c_path(path: &Path) -> Result<std::ffi::CString> {
    let s =
        path.to_str().ok_or_else(|| Error::new(Status::INVALID, format!("libquant: path {path:?} is not UTF-8")))?;
    c_string("path", s)
}

/// A statistic of a calibration set (`enum lq_calib_stat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stat {
    /// Mean |x| per input channel.
    MeanAbs,
    /// Max |x| per input channel.
    MaxAbs,
    /// Sum of x^2 per input channel.
    SumSq,
    /// Sum x^2 / tokens per channel: the importance matrix for quantize.
    MeanSq,
    /// The Hessian 2/N X^T X, in x in, row-major.
    Hessian,
    /// The sampled activation rows, samples x in.
    Samples,
}

/// Activation statistics of one linear layer's input (an `lq_calib`), for
/// gptq, awq, smoothquant and llm_int8.
///
/// ```
/// use libquant::{Calibration, Quantize, Scheme, Stat, Tensor};
/// let x: Vec<f32> = (0..64 * 256).map(|i| ((i * 31) % 97) as f32 / 97.0 - 0.5).collect();
/// let mut calib = Calibration::new(256)?;
/// calib.add(&x)?;
/// assert_eq!((calib.tokens(), calib.get(Stat::Hessian)?.len()), (64, 256 * 256));
/// let w: Vec<f32> = (0..16 * 256).map(|i| ((i * 17) % 89) as f32 / 89.0 - 0.5).collect();
/// let src = Tensor::from_f32(&w, &[16, 256])?;
/// let q = Quantize::new(&Scheme::parse("gptq:int4:g64")?).calib(&calib).run(&src)?;
/// assert_eq!(q.scheme_str(), Some("gptq:int4:g64:sym"));
/// # Ok::<(), libquant::Error>(())
/// ```
pub struct Calibration {
    ptr: NonNull<sys::lq_calib>,
}

// SAFETY: the C header allows concurrent reads of a set no thread modifies;
// every modifying method takes &mut self.
unsafe impl Send for Calibration {}
unsafe impl Sync for Calibration {}

fn new_calib(p: *mut sys::lq_calib) -> Result<Calibration> {
    NonNull::new(p)
        .map(|ptr| Calibration { ptr })
        .ok_or_else(|| Error::new(Status::INTERNAL, "libquant: the library returned a NULL calibration set"))
}

impl Calibration {
    /// An empty set for a layer with `in_features` inputs.
    pub fn new(in_features: i64) -> Result<Calibration> {
        check_version()?;
        let mut p = ptr::null_mut();
        // SAFETY: valid out-pointer.
        check(unsafe { sys::lq_calib_create(in_features, &mut p) })?;
        new_calib(p)
    }

    /// A set saved by [`Calibration::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<Calibration> {
        check_version()?;
        let c = c_path(path.as_ref())?;
        let mut p = ptr::null_mut();
        // SAFETY: valid C string and out-pointer.
        check(unsafe { sys::lq_calib_load(c.as_ptr(), &mut p) })?;
        new_calib(p)
    }

    /// Adds activation rows (tokens x in_features floats, row-major).
    pub fn add(&mut self, x: &[f32]) -> Result<()> {
        let tokens = rows_of(x, self.features(), "activation")?;
        // SAFETY: x holds tokens rows; exclusive access.
        check(unsafe { sys::lq_calib_add(self.ptr.as_ptr(), x.as_ptr(), tokens) })
    }

    /// Adds everything `other` has seen.
    pub fn merge(&mut self, other: &Calibration) -> Result<()> {
        // SAFETY: two distinct live sets (&mut and & cannot alias).
        check(unsafe { sys::lq_calib_merge(self.ptr.as_ptr(), other.ptr.as_ptr()) })
    }

    /// Keeps at most `n` activation rows as a sample (default 512).
    pub fn set_max_samples(&mut self, n: i64) -> Result<()> {
        // SAFETY: exclusive access.
        check(unsafe { sys::lq_calib_set_max_samples(self.ptr.as_ptr(), n) })
    }

    pub fn features(&self) -> i64 {
        // SAFETY: live handle (likewise below).
        unsafe { sys::lq_calib_features(self.ptr.as_ptr()) }
    }

    pub fn tokens(&self) -> i64 {
        unsafe { sys::lq_calib_tokens(self.ptr.as_ptr()) }
    }

    /// Activation rows kept as a sample.
    pub fn samples(&self) -> i64 {
        unsafe { sys::lq_calib_samples(self.ptr.as_ptr()) }
    }

    /// A copy of a statistic (see [`Stat`] for the sizes).
    pub fn get(&self, stat: Stat) -> Result<Vec<f32>> {
        let n = self.features();
        let (id, count) = match stat {
            Stat::MeanAbs => (sys::LQ_CALIB_MEAN_ABS, n),
            Stat::MaxAbs => (sys::LQ_CALIB_MAX_ABS, n),
            Stat::SumSq => (sys::LQ_CALIB_SUM_SQ, n),
            Stat::MeanSq => (sys::LQ_CALIB_MEAN_SQ, n),
            Stat::Hessian => (sys::LQ_CALIB_HESSIAN, n * n),
            Stat::Samples => (sys::LQ_CALIB_SAMPLES, self.samples() * n),
        };
        let mut out = zeros(count as usize)?;
        // SAFETY: out holds count floats.
        check(unsafe { sys::lq_calib_get(self.ptr.as_ptr(), id, out.as_mut_ptr(), count) })?;
        Ok(out)
    }

    /// Transforms the set as if input channel j had been multiplied by mult[j].
    pub fn scale_channels(&mut self, mult: &[f32]) -> Result<()> {
        if mult.len() as i64 != self.features() {
            return Err(Error::new(
                Status::SHAPE,
                format!("libquant: {} factors for {} channels", mult.len(), self.features()),
            ));
        }
        // SAFETY: mult holds in_features floats; exclusive access.
        check(unsafe { sys::lq_calib_scale_channels(self.ptr.as_ptr(), mult.as_ptr()) })
    }

    /// Saves the set (atomically) in libquant's calibration file format.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let c = c_path(path.as_ref())?;
        // SAFETY: live handle, valid C string.
        check(unsafe { sys::lq_calib_save(self.ptr.as_ptr(), c.as_ptr()) })
    }

    pub(crate) fn as_ptr(&self) -> *const sys::lq_calib {
        self.ptr.as_ptr()
    }
}

impl Drop for Calibration {
    fn drop(&mut self) {
        // SAFETY: we own the handle.
        unsafe { sys::lq_calib_free(self.ptr.as_ptr()) }
    }
}

impl std::fmt::Debug for Calibration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Calibration {{ features: {}, tokens: {} }}", self.features(), self.tokens())
    }
}

/// Importance-matrix file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImatrixFormat {
    /// llama.cpp's legacy binary .dat layout.
    Dat,
    /// GGUF with `<name>.in_sum2` and `<name>.counts` tensors.
    Gguf,
}

/// Importance matrices per weight name, as llama.cpp's llama-imatrix writes
/// them (an `lq_imatrix`).
pub struct Imatrix {
    ptr: NonNull<sys::lq_imatrix>,
}

// SAFETY: as for Calibration.
unsafe impl Send for Imatrix {}
unsafe impl Sync for Imatrix {}

pub(crate) fn new_imatrix(p: *mut sys::lq_imatrix) -> Result<Imatrix> {
    NonNull::new(p)
        .map(|ptr| Imatrix { ptr })
        .ok_or_else(|| Error::new(Status::INTERNAL, "libquant: the library returned a NULL imatrix"))
}

impl Imatrix {
    pub fn new() -> Result<Imatrix> {
        check_version()?;
        let mut p = ptr::null_mut();
        // SAFETY: valid out-pointer.
        check(unsafe { sys::lq_imatrix_create(&mut p) })?;
        new_imatrix(p)
    }

    /// Reads a .dat or GGUF importance-matrix file.
    pub fn load(path: impl AsRef<Path>) -> Result<Imatrix> {
        check_version()?;
        let c = c_path(path.as_ref())?;
        let mut p = ptr::null_mut();
        // SAFETY: valid C string and out-pointer.
        check(unsafe { sys::lq_imatrix_load(c.as_ptr(), &mut p) })?;
        new_imatrix(p)
    }

    pub(crate) fn as_ptr(&self) -> *const sys::lq_imatrix {
        self.ptr.as_ptr()
    }

    /// Records weight `name`'s input statistics from a calibration set.
    pub fn add(&mut self, name: &str, calib: &Calibration) -> Result<()> {
        let c = c_string("weight name", name)?;
        // SAFETY: live handles; exclusive access to self.
        check(unsafe { sys::lq_imatrix_add(self.ptr.as_ptr(), c.as_ptr(), calib.as_ptr()) })
    }

    /// The weight names, sorted.
    pub fn names(&self) -> Vec<String> {
        // SAFETY: live handle; names are copied at once.
        let n = unsafe { sys::lq_imatrix_count(self.ptr.as_ptr()) };
        (0..n)
            .map(|i| {
                unsafe { CStr::from_ptr(sys::lq_imatrix_name(self.ptr.as_ptr(), i)) }.to_string_lossy().into_owned()
            })
            .collect()
    }

    /// The importance weights of `name` (the imatrix for [`crate::Quantize::imatrix`]).
    pub fn get(&self, name: &str) -> Result<Vec<f32>> {
        let c = c_string("weight name", name)?;
        // SAFETY: live handle, valid C string.
        let n = unsafe { sys::lq_imatrix_length(self.ptr.as_ptr(), c.as_ptr()) };
        if n <= 0 {
            return Err(Error::new(Status::INVALID, format!("libquant: no importance matrix for '{name}'")));
        }
        let mut out = zeros(n as usize)?;
        // SAFETY: out holds n floats.
        check(unsafe { sys::lq_imatrix_get(self.ptr.as_ptr(), c.as_ptr(), out.as_mut_ptr(), n) })?;
        Ok(out)
    }

    /// Writes every entry (atomically); `dataset` names the calibration text.
    pub fn save(&self, path: impl AsRef<Path>, format: ImatrixFormat, dataset: Option<&str>) -> Result<()> {
        let c = c_path(path.as_ref())?;
        let d = dataset.map(|d| c_string("dataset", d)).transpose()?;
        let f = match format {
            ImatrixFormat::Dat => sys::LQ_IMATRIX_DAT,
            ImatrixFormat::Gguf => sys::LQ_IMATRIX_GGUF,
        };
        // SAFETY: live handle, valid C strings (dataset may be NULL).
        check(unsafe {
            sys::lq_imatrix_save(self.ptr.as_ptr(), c.as_ptr(), f, d.as_ref().map_or(ptr::null(), |d| d.as_ptr()))
        })
    }
}

impl Drop for Imatrix {
    fn drop(&mut self) {
        // SAFETY: we own the handle.
        unsafe { sys::lq_imatrix_free(self.ptr.as_ptr()) }
    }
}

/// GPTQ with its column order: the quantized tensor and `perm`, where
/// `perm[j]` is the source column stored at column j (the identity unless
/// act_order with groups and without static_groups).
pub fn gptq_quantize(
    ctx: Option<&mut Context>,
    src: &Tensor<'_>,
    scheme: &Scheme,
    calib: &Calibration,
) -> Result<(Tensor<'static>, Vec<i32>)> {
    let cols = *src.shape().last().unwrap_or(&0);
    let mut perm: Vec<i32> = zeros(cols as usize)?;
    let q = with_ctx(ctx, |c| {
        let mut out = ptr::null_mut();
        // SAFETY: live handles; perm holds cols int32.
        check(unsafe {
            sys::lq_gptq_quantize(c, src.as_ptr(), scheme.as_ptr(), calib.as_ptr(), &mut out, perm.as_mut_ptr())
        })
        .and_then(|()| Tensor::from_raw_handle(out, false))
    })?;
    Ok((q, perm))
}

/// The weights' pointers, all of the same input width; that width.
fn weight_array(weights: &[&Tensor<'_>]) -> Result<(Vec<*const sys::lq_tensor>, i64)> {
    let first = weights.first().ok_or_else(|| Error::new(Status::INVALID, "libquant: no weights given"))?;
    let (_, k) = weight_dims(first)?;
    Ok((weights.iter().map(|w| w.as_ptr()).collect(), k))
}

/// AWQ's per-input-channel scales for `weights` [out_i, in] sharing the input
/// `calib` describes (an awq scheme).
pub fn awq_search(
    ctx: Option<&mut Context>,
    scheme: &Scheme,
    calib: &Calibration,
    weights: &[&Tensor<'_>],
) -> Result<Vec<f32>> {
    let (ptrs, k) = weight_array(weights)?;
    let mut scales = zeros(k as usize)?;
    // SAFETY: live handles; scales holds in floats (the library checks widths).
    with_ctx(ctx, |c| {
        check(unsafe {
            sys::lq_awq_search(
                c,
                scheme.as_ptr(),
                calib.as_ptr(),
                ptrs.as_ptr(),
                ptrs.len() as c_int,
                scales.as_mut_ptr(),
            )
        })
    })?;
    Ok(scales)
}

/// SmoothQuant's scales for `weights` fed by one norm (a smoothquant scheme).
pub fn smoothquant_scales(scheme: &Scheme, calib: &Calibration, weights: &[&Tensor<'_>]) -> Result<Vec<f32>> {
    let (ptrs, k) = weight_array(weights)?;
    let mut scales = zeros(k as usize)?;
    // SAFETY: as awq_search.
    check(unsafe {
        sys::lq_smoothquant_scales(
            scheme.as_ptr(),
            calib.as_ptr(),
            ptrs.as_ptr(),
            ptrs.len() as c_int,
            scales.as_mut_ptr(),
        )
    })?;
    Ok(scales)
}

/// Moves `scales` into a layer in place: `prev`'s outputs (a norm weight or
/// the last rows of a linear weight) and `prev_bias` are divided by them, the
/// columns of every `next` weight multiplied. The tensors must own their
/// bytes (a tensor borrowing a shared slice cannot be changed).
pub fn scales_apply(
    scales: &[f32],
    prev: Option<&mut Tensor<'_>>,
    prev_bias: Option<&mut Tensor<'_>>,
    next: &mut [&mut Tensor<'_>],
) -> Result<()> {
    let mut changed: Vec<&Tensor<'_>> = next.iter().map(|t| &**t).collect();
    changed.extend(prev.as_deref());
    changed.extend(prev_bias.as_deref());
    if changed.iter().any(|t| t.is_borrowed()) {
        return Err(Error::new(
            Status::INVALID,
            "libquant: scales_apply changes its tensors; a tensor borrowing a shared slice cannot be changed",
        ));
    }
    let ptrs: Vec<*mut sys::lq_tensor> = next.iter_mut().map(|t| t.as_mut_ptr()).collect();
    let prev = prev.map_or(ptr::null_mut(), |t| t.as_mut_ptr());
    let bias = prev_bias.map_or(ptr::null_mut(), |t| t.as_mut_ptr());
    // SAFETY: exclusive access to every tensor changed; scales holds n_in floats.
    check(unsafe {
        sys::lq_scales_apply(scales.as_ptr(), scales.len() as i64, prev, bias, ptrs.as_ptr(), ptrs.len() as c_int)
    })
}

/// Y = X W^T with `w` an int8:channel:sym tensor (smoothquant or llm_int8),
/// every row of `x` quantized to int8 on the fly.
pub fn matmul_w8a8(ctx: Option<&mut Context>, x: &[f32], w: &Tensor<'_>) -> Result<Vec<f32>> {
    let (n, k) = weight_dims(w)?;
    let m = rows_of(x, k, "activation")?;
    let mut y = zeros((m * n) as usize)?;
    // SAFETY: x m*k floats, y m*n.
    with_ctx(ctx, |c| check(unsafe { sys::lq_matmul_w8a8(c, x.as_ptr(), m, w.as_ptr(), y.as_mut_ptr()) }))?;
    Ok(y)
}

/// LLM.int8(): columns of `x` with an |x| >= threshold in float, the rest in
/// int8 (threshold <= 0: the scheme's). Returns Y and the outlier column count.
pub fn matmul_llm_int8(
    ctx: Option<&mut Context>,
    x: &[f32],
    w: &Tensor<'_>,
    threshold: f64,
) -> Result<(Vec<f32>, i64)> {
    let (n, k) = weight_dims(w)?;
    let m = rows_of(x, k, "activation")?;
    let mut y = zeros((m * n) as usize)?;
    let mut outliers = 0;
    // SAFETY: as matmul_w8a8.
    with_ctx(ctx, |c| {
        check(unsafe {
            sys::lq_matmul_llm_int8(c, x.as_ptr(), m, w.as_ptr(), threshold, y.as_mut_ptr(), &mut outliers)
        })
    })?;
    Ok((y, outliers))
}

/// What the scheme's method buys on this layer: (its relative squared output
/// error, plain round-to-nearest's) on the calibration tokens.
pub fn method_error(
    ctx: Option<&mut Context>,
    src: &Tensor<'_>,
    scheme: &Scheme,
    calib: &Calibration,
) -> Result<(f64, f64)> {
    let (mut method, mut rtn) = (0.0, 0.0);
    // SAFETY: live handles, valid out-pointers.
    with_ctx(ctx, |c| {
        check(unsafe { sys::lq_method_error(c, src.as_ptr(), scheme.as_ptr(), calib.as_ptr(), &mut method, &mut rtn) })
    })?;
    Ok((method, rtn))
}

impl std::fmt::Debug for Imatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Imatrix").field("names", &self.names()).finish()
    }
}
