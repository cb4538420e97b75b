//! Error metrics, layer output error and the memory estimator.
use std::ffi::{c_int, CStr};

use libquant_sys as sys;

use crate::context::{with_ctx, Context};
use crate::error::{c_string, check, Error, Result, Status};
use crate::matmul::rows_of;
use crate::scheme::Scheme;
use crate::tensor::Tensor;
use crate::version::check_version;

/// Bytes in a GiB, for the estimator's results.
pub const GIB: f64 = (1u64 << 30) as f64;

/// Error of a test array against a reference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metrics {
    /// Mean of (ref - test)^2.
    pub mse: f64,
    pub rmse: f64,
    /// Max |ref - test|.
    pub max_abs: f64,
    /// 10 log10(sum ref^2 / sum (ref - test)^2); +inf when exact.
    pub sqnr_db: f64,
    /// Cosine similarity.
    pub cosine: f64,
}

/// The results `lq_error_metrics` gives in its first version.
const N_METRICS: usize = sys::LQ_METRIC_COUNT_V1 as usize;

impl Metrics {
    fn from_array(m: [f64; N_METRICS]) -> Metrics {
        Metrics {
            mse: m[sys::LQ_METRIC_MSE as usize],
            rmse: m[sys::LQ_METRIC_RMSE as usize],
            max_abs: m[sys::LQ_METRIC_MAX_ABS as usize],
            sqnr_db: m[sys::LQ_METRIC_SQNR_DB as usize],
            cosine: m[sys::LQ_METRIC_COSINE as usize],
        }
    }
}

/// Compares two float slices of equal length.
///
/// ```
/// let m = libquant::error_metrics(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 2.0])?;
/// assert_eq!((m.mse, m.rmse, m.max_abs), (1.0, 1.0, 2.0));
/// # Ok::<(), libquant::Error>(())
/// ```
pub fn error_metrics(reference: &[f32], test: &[f32]) -> Result<Metrics> {
    check_version()?;
    if reference.len() != test.len() {
        return Err(Error::new(
            Status::SHAPE,
            format!("libquant: {} reference values against {} test values", reference.len(), test.len()),
        ));
    }
    let mut m = [0.0; N_METRICS];
    // SAFETY: both slices hold n floats; m holds n_out doubles.
    check(unsafe {
        sys::lq_error_metrics(
            reference.as_ptr(),
            test.as_ptr(),
            reference.len() as i64,
            m.as_mut_ptr(),
            m.len() as c_int,
        )
    })?;
    Ok(Metrics::from_array(m))
}

impl Tensor<'_> {
    /// Error of `test` (e.g. this tensor quantized) against `self`, both
    /// decoded to f32; the shapes must be equal.
    pub fn error_metrics(&self, test: &Tensor<'_>) -> Result<Metrics> {
        let mut m = [0.0; N_METRICS];
        // SAFETY: live handles; m holds n_out doubles.
        check(unsafe {
            sys::lq_tensor_error_metrics(
                std::ptr::null_mut(),
                self.as_ptr(),
                test.as_ptr(),
                m.as_mut_ptr(),
                m.len() as c_int,
            )
        })?;
        Ok(Metrics::from_array(m))
    }
}

/// Relative output error of a linear layer, ||X W^T - X Wq^T|| / ||X W^T||,
/// for `[out, in]` tensors `w` and `wq` and activations `x` of `tokens * in`
/// floats (row-major). `ctx` may be None.
pub fn output_error(ctx: Option<&mut Context>, w: &Tensor<'_>, wq: &Tensor<'_>, x: &[f32]) -> Result<f64> {
    let tokens = rows_of(x, *w.shape().last().unwrap_or(&0), "activation")?;
    let mut out = 0.0;
    // SAFETY: x holds tokens * cols floats; live handles.
    with_ctx(ctx, |c| {
        check(unsafe { sys::lq_output_error(c, w.as_ptr(), wq.as_ptr(), x.as_ptr(), tokens, &mut out) })
    })?;
    Ok(out)
}

/// Bytes `n_params` parameters take at `scheme` (nominal bits per weight).
pub fn estimate_weights(scheme: &Scheme, n_params: f64) -> Result<f64> {
    let mut bytes = 0.0;
    // SAFETY: live scheme, valid out-pointer.
    check(unsafe { sys::lq_estimate_weights(scheme.as_ptr(), n_params, &mut bytes) })?;
    Ok(bytes)
}

/// KV-cache element type for the estimator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KvType(pub i32);

impl KvType {
    pub const F32: KvType = KvType(sys::LQ_KV_F32);
    pub const F16: KvType = KvType(sys::LQ_KV_F16);
    pub const INT8: KvType = KvType(sys::LQ_KV_INT8);
    pub const FP8: KvType = KvType(sys::LQ_KV_FP8);

    /// "f32", "f16", "int8", "fp8" (or "fp8_e4m3").
    pub fn from_name(name: &str) -> Result<KvType> {
        check_version()?;
        let c = c_string("KV type", name)?;
        let mut out = 0;
        // SAFETY: valid C string and out-pointer.
        check(unsafe { sys::lq_kv_type_from_name(c.as_ptr(), &mut out) })?;
        Ok(KvType(out))
    }

    pub fn name(self) -> Option<&'static str> {
        // SAFETY: a static string or NULL.
        let p = unsafe { sys::lq_kv_type_name(self.0) };
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap_or(""))
    }
}

/// The shape of a KV cache, for [`estimate_kv`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KvCache {
    pub layers: i64,
    pub kv_heads: i64,
    pub head_dim: i64,
    /// Context length in tokens.
    pub ctx: i64,
    pub batch: i64,
    pub kv_type: KvType,
}

/// Bytes the KV cache takes (divide by [`GIB`] for GiB).
///
/// ```
/// use libquant::{estimate_kv, KvCache, KvType, GIB};
/// let kv = KvCache { layers: 32, kv_heads: 8, head_dim: 128, ctx: 4096, batch: 1, kv_type: KvType::F16 };
/// assert_eq!(estimate_kv(&kv)? / GIB, 0.5);
/// # Ok::<(), libquant::Error>(())
/// ```
pub fn estimate_kv(kv: &KvCache) -> Result<f64> {
    check_version()?;
    let mut bytes = 0.0;
    // SAFETY: plain values and a valid out-pointer.
    check(unsafe {
        sys::lq_estimate_kv(kv.layers, kv.kv_heads, kv.head_dim, kv.ctx, kv.batch, kv.kv_type.0, &mut bytes)
    })?;
    Ok(bytes)
}
