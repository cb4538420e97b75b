//! The tensor handle: plain arrays the library reads, and quantized results.
use std::ffi::{c_int, c_void, CStr};
use std::fmt;
use std::marker::PhantomData;
use std::mem::size_of;
use std::ptr::{self, NonNull};

use libquant_sys as sys;

use crate::context::{with_ctx, Context};
use crate::error::{c_string, check, Error, Result, Status};
use crate::scheme::Scheme;
use crate::types::Type;
use crate::version::check_version;

/// A tensor: name, shape (outermost first, 1 to 4 dimensions), element type
/// and bytes. `Tensor<'a>` borrows the caller's data for `'a` (LQ_BORROW);
/// `Tensor<'static>` owns its bytes (made by the library or copied).
///
/// Tensors may be read from many threads at once (`Sync`); renaming or
/// writing takes `&mut self`.
///
/// ```
/// use libquant::{Tensor, Type};
/// let w = vec![0.5f32; 4 * 256];
/// let t = Tensor::from_f32(&w, &[4, 256])?;      // borrows w: no copy
/// assert_eq!((t.ty(), t.shape(), t.numel()), (Type::F32, vec![4, 256], 1024));
/// assert_eq!(t.as_f32().unwrap().as_ptr(), w.as_ptr());
/// # Ok::<(), libquant::Error>(())
/// ```
pub struct Tensor<'a> {
    ptr: NonNull<sys::lq_tensor>,
    borrowed: bool,
    _data: PhantomData<&'a [u8]>,
}

// SAFETY: the C header allows a tensor to be used from any thread and read
// from many at once while nobody modifies it; every modifying call here takes
// &mut self, and borrowed data comes from shared slices of Sync elements.
unsafe impl Send for Tensor<'_> {}
unsafe impl Sync for Tensor<'_> {}

/// A zeroed vector of `n` elements for the library to fill, or a NOMEM error
/// (never an abort).
pub(crate) fn zeros<T: Clone + Default>(n: usize) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::new(Status::NOMEM, format!("libquant: no memory for {n} elements")))?;
    v.resize(n, T::default());
    Ok(v)
}

pub(crate) fn c_shape(shape: &[i64]) -> Result<c_int> {
    if shape.is_empty() || shape.len() > sys::LQ_MAX_DIMS as usize {
        return Err(Error::new(
            Status::INVALID,
            format!("libquant: a tensor has 1 to {} dimensions, not {}", sys::LQ_MAX_DIMS as usize, shape.len()),
        ));
    }
    Ok(shape.len() as c_int)
}

impl<'a> Tensor<'a> {
    /// Takes a handle the library made (or wrapped) for us.
    pub(crate) fn from_raw_handle(p: *mut sys::lq_tensor, borrowed: bool) -> Result<Tensor<'a>> {
        let ptr = NonNull::new(p)
            .ok_or_else(|| Error::new(Status::INTERNAL, "libquant: the library returned a NULL tensor"))?;
        Ok(Tensor { ptr, borrowed, _data: PhantomData })
    }

    fn wrap(ty: Type, shape: &[i64], data: *const c_void, nbytes: usize, mode: c_int) -> Result<Tensor<'a>> {
        check_version()?;
        let ndim = c_shape(shape)?;
        let mut p = ptr::null_mut();
        // SAFETY: shape has ndim entries; data holds nbytes bytes, alive for 'a
        // (borrowed) or only read now (copied).
        check(unsafe { sys::lq_tensor_wrap(ty.0, ndim, shape.as_ptr(), data, nbytes, mode, ptr::null(), &mut p) })?;
        Tensor::from_raw_handle(p, mode == sys::LQ_BORROW)
    }

    /// A float32 tensor borrowing `data` (no copy). `data.len()` must equal
    /// the product of `shape`.
    pub fn from_f32(data: &'a [f32], shape: &[i64]) -> Result<Tensor<'a>> {
        Tensor::wrap(Type::F32, shape, data.as_ptr().cast(), std::mem::size_of_val(data), sys::LQ_BORROW)
    }

    /// A float16 or bfloat16 tensor borrowing the raw 16-bit patterns in `bits`.
    pub fn from_half_bits(bits: &'a [u16], shape: &[i64], ty: Type) -> Result<Tensor<'a>> {
        if ty != Type::F16 && ty != Type::BF16 {
            return Err(Error::new(Status::INVALID, format!("libquant: 16-bit data must be f16 or bf16, not {ty}")));
        }
        Tensor::wrap(ty, shape, bits.as_ptr().cast(), std::mem::size_of_val(bits), sys::LQ_BORROW)
    }

    /// A quantized tensor borrowing bytes already in `scheme`'s layout (for
    /// example another tensor's [`Tensor::bytes`]); their size must match.
    pub fn wrap_quantized(scheme: &Scheme, shape: &[i64], bytes: &'a [u8]) -> Result<Tensor<'a>> {
        Tensor::wrap_quantized_mode(scheme, shape, bytes, sys::LQ_BORROW)
    }

    fn wrap_quantized_mode(scheme: &Scheme, shape: &[i64], bytes: &[u8], mode: c_int) -> Result<Tensor<'a>> {
        let ndim = c_shape(shape)?;
        let mut p = ptr::null_mut();
        // SAFETY: as in wrap(); the scheme is only read.
        check(unsafe {
            sys::lq_tensor_wrap_quantized(
                scheme.as_ptr(),
                ndim,
                shape.as_ptr(),
                bytes.as_ptr().cast(),
                bytes.len(),
                mode,
                ptr::null(),
                &mut p,
            )
        })?;
        Tensor::from_raw_handle(p, mode == sys::LQ_BORROW)
    }

    pub fn ty(&self) -> Type {
        // SAFETY: live handle (all accessors below likewise).
        Type(unsafe { sys::lq_tensor_type(self.ptr.as_ptr()) })
    }

    pub fn shape(&self) -> Vec<i64> {
        let ndim = unsafe { sys::lq_tensor_ndim(self.ptr.as_ptr()) };
        (0..ndim).map(|i| unsafe { sys::lq_tensor_dim(self.ptr.as_ptr(), i) }).collect()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        unsafe { sys::lq_tensor_numel(self.ptr.as_ptr()) }.max(0) as usize
    }

    /// Storage size in bytes, scales and zero points included.
    pub fn nbytes(&self) -> usize {
        unsafe { sys::lq_tensor_nbytes(self.ptr.as_ptr()) }
    }

    pub fn bits_per_weight(&self) -> f64 {
        unsafe { sys::lq_tensor_bits_per_weight(self.ptr.as_ptr()) }
    }

    pub fn name(&self) -> String {
        unsafe { CStr::from_ptr(sys::lq_tensor_name(self.ptr.as_ptr())) }.to_string_lossy().into_owned()
    }

    /// Renames the tensor (at most 256 bytes).
    pub fn set_name(&mut self, name: &str) -> Result<()> {
        let c = c_string("tensor name", name)?;
        // SAFETY: exclusive access; the name is copied.
        check(unsafe { sys::lq_tensor_set_name(self.ptr.as_ptr(), c.as_ptr()) })
    }

    /// The tensor's bytes: row-major values for plain types, the packed
    /// layout of doc/formats.md for quantized ones.
    pub fn bytes(&self) -> &[u8] {
        let n = self.nbytes();
        let p = unsafe { sys::lq_tensor_data(self.ptr.as_ptr()) };
        if n == 0 || p.is_null() {
            return &[];
        }
        // SAFETY: the library keeps n bytes at p until the tensor is freed,
        // and nobody writes them while &self is held.
        unsafe { std::slice::from_raw_parts(p.cast(), n) }
    }

    /// The values of an f32 tensor, in place.
    pub fn as_f32(&self) -> Option<&[f32]> {
        let bytes = self.bytes();
        if self.ty() != Type::F32 || bytes.as_ptr().align_offset(std::mem::align_of::<f32>()) != 0 {
            return None;
        }
        // SAFETY: aligned, and nbytes == numel * 4 for f32.
        Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast(), bytes.len() / size_of::<f32>()) })
    }

    /// Writable values of an owned f32 tensor (None when borrowed or not f32).
    pub fn as_f32_mut(&mut self) -> Option<&mut [f32]> {
        if self.borrowed || self.ty() != Type::F32 {
            return None;
        }
        let n = self.numel();
        // SAFETY: exclusive access to an owned, 64-byte aligned plain tensor.
        let p = unsafe { sys::lq_tensor_data_mut(self.ptr.as_ptr()) };
        if n == 0 || p.is_null() {
            return Some(&mut []);
        }
        Some(unsafe { std::slice::from_raw_parts_mut(p.cast(), n) })
    }

    /// The canonical string of the scheme a quantized tensor was made with.
    pub fn scheme_str(&self) -> Option<&str> {
        // SAFETY: the tensor owns the scheme and never changes it.
        let s = unsafe { sys::lq_tensor_scheme(self.ptr.as_ptr()) };
        if s.is_null() {
            return None;
        }
        unsafe { CStr::from_ptr(sys::lq_scheme_string(s)) }.to_str().ok()
    }

    /// A copy of the scheme a quantized tensor was made with.
    pub fn scheme(&self) -> Result<Option<Scheme>> {
        // SAFETY: live handle; the tensor's scheme is only read (cloned).
        let s = unsafe { sys::lq_tensor_scheme(self.ptr.as_ptr()) };
        if s.is_null() {
            return Ok(None);
        }
        // SAFETY: s is a live scheme owned by this tensor.
        unsafe { Scheme::clone_from_ptr(s) }.map(Some)
    }

    /// Decodes the values to a new vector of f32.
    pub fn dequantize(&self) -> Result<Vec<f32>> {
        self.dequantize_impl(None)
    }

    /// [`Tensor::dequantize`] with a context (threads, progress).
    pub fn dequantize_with(&self, ctx: &mut Context) -> Result<Vec<f32>> {
        self.dequantize_impl(Some(ctx))
    }

    fn dequantize_impl(&self, ctx: Option<&mut Context>) -> Result<Vec<f32>> {
        let mut out = zeros(self.numel())?;
        self.dequantize_into_impl(&mut out, ctx)?;
        Ok(out)
    }

    /// Decodes the values to a new tensor of a float type (`Type::F32`,
    /// `Type::F16` or `Type::BF16`), e.g. to store a quantized weight as bf16.
    pub fn convert(&self, ty: Type) -> Result<Tensor<'static>> {
        let mut p = ptr::null_mut();
        // SAFETY: live handle, valid out-pointer.
        check(unsafe { sys::lq_dequantize(ptr::null_mut(), self.ptr.as_ptr(), ty.0, &mut p) })?;
        Tensor::from_raw_handle(p, false)
    }

    /// Decodes into `out`, whose length must equal [`Tensor::numel`].
    pub fn dequantize_into(&self, out: &mut [f32]) -> Result<()> {
        self.dequantize_into_impl(out, None)
    }

    fn dequantize_into_impl(&self, out: &mut [f32], ctx: Option<&mut Context>) -> Result<()> {
        let count = out.len() as i64;
        // SAFETY: out holds count floats; the library checks count == numel.
        with_ctx(ctx, |c| check(unsafe { sys::lq_dequantize_f32(c, self.ptr.as_ptr(), out.as_mut_ptr(), count) }))
    }

    /// True when the tensor borrows memory it may not change (a shared
    /// slice, or a file's mapping).
    pub fn is_borrowed(&self) -> bool {
        self.borrowed
    }

    pub(crate) fn as_ptr(&self) -> *const sys::lq_tensor {
        self.ptr.as_ptr()
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut sys::lq_tensor {
        self.ptr.as_ptr()
    }
}

impl Tensor<'static> {
    /// A zero-filled tensor of a plain type that owns its storage.
    pub fn zeros(ty: Type, shape: &[i64]) -> Result<Tensor<'static>> {
        check_version()?;
        let ndim = c_shape(shape)?;
        let mut p = ptr::null_mut();
        // SAFETY: shape has ndim entries.
        check(unsafe { sys::lq_tensor_create(ty.0, ndim, shape.as_ptr(), ptr::null(), &mut p) })?;
        Tensor::from_raw_handle(p, false)
    }

    /// An f32 tensor holding a copy of `data`.
    pub fn copy_from_f32(data: &[f32], shape: &[i64]) -> Result<Tensor<'static>> {
        Tensor::wrap(Type::F32, shape, data.as_ptr().cast(), std::mem::size_of_val(data), sys::LQ_COPY)
    }

    /// A quantized tensor holding a copy of bytes in `scheme`'s layout.
    pub fn copy_quantized(scheme: &Scheme, shape: &[i64], bytes: &[u8]) -> Result<Tensor<'static>> {
        Tensor::wrap_quantized_mode(scheme, shape, bytes, sys::LQ_COPY)
    }
}

impl Drop for Tensor<'_> {
    fn drop(&mut self) {
        // SAFETY: we own the handle.
        unsafe { sys::lq_tensor_free(self.ptr.as_ptr()) }
    }
}

impl fmt::Debug for Tensor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor({:?} {} {:?})", self.name(), self.ty(), self.shape())
    }
}
