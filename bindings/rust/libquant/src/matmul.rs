//! Matrix products with quantized weights: Y = X W^T.
use libquant_sys as sys;

use crate::context::{with_ctx, Context};
use crate::error::{check, Error, Result, Status};
use crate::tensor::{zeros, Tensor};

/// Rows of `k` elements in `x`: how many, or a SHAPE error.
pub(crate) fn rows_of<T>(x: &[T], k: i64, what: &str) -> Result<i64> {
    if k <= 0 || x.len() as i64 % k != 0 {
        return Err(Error::new(
            Status::SHAPE,
            format!("libquant: {} {what} values are not whole rows of {k}", x.len()),
        ));
    }
    Ok(x.len() as i64 / k)
}

/// The [n, k] shape of a 2-D weight.
pub(crate) fn weight_dims(w: &Tensor<'_>) -> Result<(i64, i64)> {
    match w.shape()[..] {
        [n, k] => Ok((n, k)),
        ref other => Err(Error::new(Status::SHAPE, format!("libquant: a weight is 2-D [n, k], not {other:?}"))),
    }
}

/// Y = X W^T for activations `x` (m rows of k floats) and a 2-D weight `w`
/// [n, k] of any type; returns m * n floats. `ctx` sets the thread count.
///
/// ```
/// use libquant::{matmul, Scheme, Tensor};
/// let w: Vec<f32> = (0..8 * 256).map(|i| ((i * 7) % 13) as f32 / 13.0 - 0.5).collect();
/// let q = libquant::quantize(&Tensor::from_f32(&w, &[8, 256])?, &Scheme::parse("bf16")?)?;
/// let y = matmul(None, &vec![1.0; 2 * 256], &q)?;
/// assert_eq!(y.len(), 2 * 8);
/// # Ok::<(), libquant::Error>(())
/// ```
pub fn matmul(ctx: Option<&mut Context>, x: &[f32], w: &Tensor<'_>) -> Result<Vec<f32>> {
    matmul_v2(ctx, x, w, Activations::Auto) // lq_matmul is lq_matmul_v2 with flags 0
}

/// How [`matmul_v2`] takes X: the library's choice (what [`matmul`] does),
/// quantized to 8 bits where the type has integer dot products (llama.cpp's
/// numbers), or never quantized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activations {
    Auto,
    Int8,
    F32,
}

/// [`matmul`] with a choice of how X is multiplied (`lq_matmul_v2`).
pub fn matmul_v2(ctx: Option<&mut Context>, x: &[f32], w: &Tensor<'_>, act: Activations) -> Result<Vec<f32>> {
    let flags = match act {
        Activations::Auto => 0,
        Activations::Int8 => sys::LQ_MATMUL_ACT_8BIT,
        Activations::F32 => sys::LQ_MATMUL_ACT_F32,
    };
    let (n, k) = weight_dims(w)?;
    let m = rows_of(x, k, "activation")?;
    let mut y = zeros((m * n) as usize)?;
    // SAFETY: x holds m * k floats and y m * n; the weight is only read.
    with_ctx(ctx, |c| check(unsafe { sys::lq_matmul_v2(c, x.as_ptr(), m, w.as_ptr(), flags, y.as_mut_ptr()) }))?;
    Ok(y)
}

/// W8A8: Y = X (diag(sw) W)^T with int8 codes `w` [n, k] (row-major) and one
/// scale per output row in `sw`; each row of `x` is quantized to int8 on the fly.
pub fn matmul_w8a8_raw(ctx: Option<&mut Context>, x: &[f32], w: &[i8], sw: &[f32]) -> Result<Vec<f32>> {
    let n = sw.len() as i64;
    let k = rows_of(w, n, "weight").map_err(|_| {
        Error::new(Status::SHAPE, format!("libquant: {} int8 codes do not make {n} rows (one per scale)", w.len()))
    })?;
    let m = rows_of(x, k, "activation")?;
    let mut y = zeros((m * n) as usize)?;
    // SAFETY: sizes checked above: x m*k, w n*k, sw n, y m*n.
    with_ctx(ctx, |c| {
        check(unsafe { sys::lq_matmul_w8a8_raw(c, x.as_ptr(), m, k, w.as_ptr(), sw.as_ptr(), n, y.as_mut_ptr()) })
    })?;
    Ok(y)
}
