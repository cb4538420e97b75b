//! Model files: GGUF (llama.cpp) and safetensors (Hugging Face).
//!
//! Tensors read from a file borrow its mapped bytes, so they borrow the file
//! object: the compiler keeps the file open while they live.
use std::ffi::{c_char, c_int, c_void, CStr};
use std::path::Path;
use std::ptr::{self, NonNull};

use libquant_sys as sys;

use crate::calib::c_path;
use crate::context::{with_ctx, Context};
use crate::error::{c_string, check, Error, Result, Status};
use crate::tensor::{c_shape, Tensor};
use crate::version::check_version;

/// A C string the library owns, copied (invalid UTF-8, possible in a hostile
/// file, is replaced rather than dropped); "" for NULL.
///
/// # Safety
/// `p` must be NULL or a NUL-terminated string valid during the call.
unsafe fn owned_string(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// Bytes from a (pointer, length) the library hands out, as a String.
///
/// # Safety
/// `p` must point to `len` readable bytes (or len must be 0).
unsafe fn string_from(p: *const c_char, len: usize) -> String {
    if len == 0 {
        return String::new();
    }
    String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) }).into_owned()
}

/// A GGUF metadata value.
#[derive(Clone, Debug, PartialEq)]
pub enum GgufValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    U64(u64),
    I64(i64),
    F32(f32),
    F64(f64),
    Bool(bool),
    String(String),
    /// Elements of one type (arrays of arrays are kept in files but not readable here).
    Array(Vec<GgufValue>),
}

/// Helpers for the numeric GGUF types, from a table of (variant, Rust type,
/// type id, getter, setter).
macro_rules! number_helpers {
    ($($v:ident $t:ty, $id:ident $get:ident $set:ident;)*) => {
        /// Reads a numeric key of type `id`; None when `id` is not numeric.
        fn get_number(g: *const sys::lq_gguf, key: *const c_char, id: c_int) -> Option<Result<GgufValue>> {
            $(if id == sys::$id {
                let mut v: $t = Default::default();
                // SAFETY: live handle, valid key and out-pointer.
                return Some(check(unsafe { sys::$get(g, key, &mut v) }).map(|()| GgufValue::$v(v)));
            })*
            None
        }

        /// Writes a numeric value; None when `v` is not numeric.
        fn set_number(g: *mut sys::lq_gguf, key: *const c_char, v: &GgufValue) -> Option<Result<()>> {
            match *v {
                // SAFETY: live handle, exclusive access, valid key.
                $(GgufValue::$v(x) => Some(check(unsafe { sys::$set(g, key, x) })),)*
                _ => None,
            }
        }

        /// Element `i` of a packed array of type `id`.
        fn read_element(data: *const c_void, i: usize, id: c_int) -> Option<GgufValue> {
            $(if id == sys::$id {
                // SAFETY: the caller checked i < count; the library aligns the data.
                return Some(GgufValue::$v(unsafe { data.cast::<$t>().add(i).read_unaligned() }));
            })*
            if id == sys::LQ_GGUF_TYPE_BOOL {
                return Some(GgufValue::Bool(unsafe { data.cast::<u8>().add(i).read() } != 0));
            }
            None
        }

        /// The type id and little-endian bytes of a numeric or bool value.
        fn element_bytes(v: &GgufValue) -> Option<(c_int, Vec<u8>)> {
            match *v {
                $(GgufValue::$v(x) => Some((sys::$id, x.to_le_bytes().to_vec())),)*
                GgufValue::Bool(b) => Some((sys::LQ_GGUF_TYPE_BOOL, vec![b as u8])),
                _ => None,
            }
        }
    };
}

number_helpers! {
    U8 u8, LQ_GGUF_TYPE_U8 lq_gguf_get_u8 lq_gguf_set_u8;
    I8 i8, LQ_GGUF_TYPE_I8 lq_gguf_get_i8 lq_gguf_set_i8;
    U16 u16, LQ_GGUF_TYPE_U16 lq_gguf_get_u16 lq_gguf_set_u16;
    I16 i16, LQ_GGUF_TYPE_I16 lq_gguf_get_i16 lq_gguf_set_i16;
    U32 u32, LQ_GGUF_TYPE_U32 lq_gguf_get_u32 lq_gguf_set_u32;
    I32 i32, LQ_GGUF_TYPE_I32 lq_gguf_get_i32 lq_gguf_set_i32;
    U64 u64, LQ_GGUF_TYPE_U64 lq_gguf_get_u64 lq_gguf_set_u64;
    I64 i64, LQ_GGUF_TYPE_I64 lq_gguf_get_i64 lq_gguf_set_i64;
    F32 f32, LQ_GGUF_TYPE_F32 lq_gguf_get_f32 lq_gguf_set_f32;
    F64 f64, LQ_GGUF_TYPE_F64 lq_gguf_get_f64 lq_gguf_set_f64;
}

/// Where a GGUF tensor is and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GgufTensorInfo {
    /// The ggml type id the file stores (0 f32, 1 f16, 12 q4_k, ...).
    pub ggml_type: i32,
    /// Outermost first.
    pub shape: Vec<i64>,
    pub nbytes: u64,
    /// Offset in the data section.
    pub offset: u64,
}

/// A GGUF file (`lq_gguf`): [`Gguf::open`] maps and validates one,
/// [`Gguf::new`] starts an empty one to fill and [`Gguf::save`].
///
/// ```
/// use libquant::{Gguf, GgufValue, Tensor};
/// let dir = std::env::temp_dir().join(format!("lq-doc-gguf-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let mut g = Gguf::new()?;
/// g.set("general.architecture", &GgufValue::String("llama".into()))?;
/// let w = vec![0.5f32; 2 * 32];
/// let mut t = Tensor::copy_from_f32(&w, &[2, 32])?;
/// t.set_name("blk.0.w")?;
/// g.add_tensor(&t)?;
/// g.save(None, dir.join("m.gguf"))?;
///
/// let h = Gguf::open(dir.join("m.gguf"))?;
/// assert_eq!(h.get("general.architecture")?, GgufValue::String("llama".into()));
/// assert_eq!(h.tensor("blk.0.w")?.dequantize()?, w);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), libquant::Error>(())
/// ```
pub struct Gguf {
    ptr: NonNull<sys::lq_gguf>,
}

// SAFETY: the C header allows concurrent reads of a handle no thread
// modifies; every modifying method takes &mut self.
unsafe impl Send for Gguf {}
unsafe impl Sync for Gguf {}

pub(crate) fn new_gguf(p: *mut sys::lq_gguf) -> Result<Gguf> {
    NonNull::new(p)
        .map(|ptr| Gguf { ptr })
        .ok_or_else(|| Error::new(Status::INTERNAL, "libquant: the library returned a NULL GGUF handle"))
}

fn not_found(kind: &str, name: &str) -> Error {
    Error::new(Status::INVALID, format!("libquant: no {kind} '{name}'"))
}

impl Gguf {
    /// Maps and validates the GGUF file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Gguf> {
        check_version()?;
        let c = c_path(path.as_ref())?;
        let mut p = ptr::null_mut();
        // SAFETY: valid C string and out-pointer.
        check(unsafe { sys::lq_gguf_open(c.as_ptr(), &mut p) })?;
        new_gguf(p)
    }

    /// An empty GGUF to fill and save.
    pub fn new() -> Result<Gguf> {
        check_version()?;
        let mut p = ptr::null_mut();
        // SAFETY: valid out-pointer.
        check(unsafe { sys::lq_gguf_create(&mut p) })?;
        new_gguf(p)
    }

    pub(crate) fn g(&self) -> *const sys::lq_gguf {
        self.ptr.as_ptr()
    }

    /// The metadata keys, in file order.
    pub fn keys(&self) -> Vec<String> {
        // SAFETY: live handle; keys are copied at once.
        let n = unsafe { sys::lq_gguf_kv_count(self.g()) };
        (0..n).map(|i| unsafe { owned_string(sys::lq_gguf_kv_key(self.g(), i)) }).collect()
    }

    /// The value of `key` (INVALID when absent).
    pub fn get(&self, key: &str) -> Result<GgufValue> {
        let k = c_string("key", key)?;
        // SAFETY: live handle, valid key.
        let index = unsafe { sys::lq_gguf_find_key(self.g(), k.as_ptr()) };
        if index < 0 {
            return Err(not_found("key", key));
        }
        let id = unsafe { sys::lq_gguf_kv_type(self.g(), index) };
        if let Some(v) = get_number(self.g(), k.as_ptr(), id) {
            return v;
        }
        match id {
            sys::LQ_GGUF_TYPE_BOOL => {
                let mut b = 0;
                // SAFETY: valid out-pointer.
                check(unsafe { sys::lq_gguf_get_bool(self.g(), k.as_ptr(), &mut b) })?;
                Ok(GgufValue::Bool(b != 0))
            }
            sys::LQ_GGUF_TYPE_STRING => {
                let (mut p, mut len) = (ptr::null(), 0);
                // SAFETY: the string is owned by the handle and copied at once.
                check(unsafe { sys::lq_gguf_get_string(self.g(), k.as_ptr(), &mut p, &mut len) })?;
                Ok(GgufValue::String(unsafe { string_from(p, len) }))
            }
            _ => self.get_array(key, &k),
        }
    }

    fn get_array(&self, key: &str, k: &CStr) -> Result<GgufValue> {
        let (mut elem, mut count) = (0, 0u64);
        // SAFETY: valid out-pointers (likewise below).
        check(unsafe { sys::lq_gguf_get_array(self.g(), k.as_ptr(), &mut elem, &mut count) })?;
        if elem == sys::LQ_GGUF_TYPE_STRING {
            return (0..count)
                .map(|i| {
                    let (mut p, mut len) = (ptr::null(), 0);
                    check(unsafe { sys::lq_gguf_get_array_string(self.g(), k.as_ptr(), i, &mut p, &mut len) })?;
                    Ok(GgufValue::String(unsafe { string_from(p, len) }))
                })
                .collect::<Result<_>>()
                .map(GgufValue::Array);
        }
        if elem == sys::LQ_GGUF_TYPE_ARRAY {
            return Err(Error::new(
                Status::UNSUPPORTED,
                format!("libquant: '{key}' is an array of arrays, which is kept but cannot be read"),
            ));
        }
        let mut data = ptr::null();
        check(unsafe { sys::lq_gguf_get_array_data(self.g(), k.as_ptr(), elem, &mut data, &mut count) })?;
        (0..count as usize)
            .map(|i| {
                read_element(data, i, elem).ok_or_else(|| Error::new(Status::FORMAT, "libquant: unknown element type"))
            })
            .collect::<Result<_>>()
            .map(GgufValue::Array)
    }

    /// Sets `key` (added at the end, or replaced in place).
    pub fn set(&mut self, key: &str, value: &GgufValue) -> Result<()> {
        let k = c_string("key", key)?;
        let g = self.ptr.as_ptr();
        if let Some(r) = set_number(g, k.as_ptr(), value) {
            return r;
        }
        match value {
            // SAFETY (all arms): live handle, exclusive access; the library copies.
            GgufValue::Bool(b) => check(unsafe { sys::lq_gguf_set_bool(g, k.as_ptr(), *b as c_int) }),
            GgufValue::String(s) => {
                let v = c_string("value", s)?;
                check(unsafe { sys::lq_gguf_set_string(g, k.as_ptr(), v.as_ptr()) })
            }
            GgufValue::Array(items) => set_array(g, &k, key, items),
            _ => unreachable!("numbers are set above"),
        }
    }

    /// Removes `key` (absent keys are not an error).
    pub fn remove(&mut self, key: &str) -> Result<()> {
        let k = c_string("key", key)?;
        // SAFETY: exclusive access, valid key.
        check(unsafe { sys::lq_gguf_remove_key(self.ptr.as_ptr(), k.as_ptr()) })
    }

    /// The tensor names, in file order.
    pub fn tensor_names(&self) -> Vec<String> {
        // SAFETY: live handle; names are copied at once.
        let n = unsafe { sys::lq_gguf_tensor_count(self.g()) };
        (0..n).map(|i| unsafe { owned_string(sys::lq_gguf_tensor_name(self.g(), i)) }).collect()
    }

    fn index(&self, name: &str) -> Result<i64> {
        let c = c_string("tensor name", name)?;
        // SAFETY: live handle, valid name.
        let i = unsafe { sys::lq_gguf_find_tensor(self.g(), c.as_ptr()) };
        if i < 0 {
            return Err(not_found("tensor", name));
        }
        Ok(i)
    }

    pub fn tensor_info(&self, name: &str) -> Result<GgufTensorInfo> {
        let i = self.index(name)?;
        // SAFETY: live handle, index in range.
        unsafe {
            let ndim = sys::lq_gguf_tensor_ndim(self.g(), i);
            Ok(GgufTensorInfo {
                ggml_type: sys::lq_gguf_tensor_ggml_type(self.g(), i),
                shape: (0..ndim).map(|d| sys::lq_gguf_tensor_dim(self.g(), i, d)).collect(),
                nbytes: sys::lq_gguf_tensor_nbytes(self.g(), i),
                offset: sys::lq_gguf_tensor_offset(self.g(), i),
            })
        }
    }

    /// Tensor `name`, borrowing the file's bytes (no copy).
    ///
    /// The tensor borrows the `Gguf`, so the file cannot be closed (dropped)
    /// while the tensor lives, nor the tensor sent to a thread that may
    /// outlive the file; threads that share it must be scoped
    /// (`std::thread::scope`), which joins them before the file can go.
    /// Closing the file under a tensor does not compile:
    ///
    /// ```compile_fail
    /// let g = libquant::Gguf::open("m.gguf").unwrap();
    /// let t = g.tensor("w").unwrap();
    /// drop(g);
    /// let _ = libquant::matmul(None, &[0.0; 8], &t);
    /// ```
    ///
    /// nor does giving the tensor to an unscoped thread:
    ///
    /// ```compile_fail
    /// let g = libquant::Gguf::open("m.gguf").unwrap();
    /// let t = g.tensor("w").unwrap();
    /// std::thread::spawn(move || libquant::matmul(None, &[0.0; 8], &t));
    /// ```
    pub fn tensor(&self, name: &str) -> Result<Tensor<'_>> {
        let i = self.index(name)?;
        let mut p = ptr::null_mut();
        // SAFETY: live handle; the tensor borrows it for '_.
        check(unsafe { sys::lq_gguf_get_tensor(self.g(), i, &mut p) })?;
        Tensor::from_raw_handle(p, true)
    }

    /// Tensor `name`'s raw bytes, whatever its type.
    pub fn raw(&self, name: &str) -> Result<&[u8]> {
        let i = self.index(name)?;
        let (mut data, mut n) = (ptr::null(), 0u64);
        // SAFETY: the bytes live as long as the handle, borrowed for '_.
        check(unsafe { sys::lq_gguf_tensor_raw(self.g(), i, &mut data, &mut n) })?;
        Ok(if n == 0 { &[] } else { unsafe { std::slice::from_raw_parts(data.cast(), n as usize) } })
    }

    /// Adds a copy of `t` under its own name.
    pub fn add_tensor(&mut self, t: &Tensor<'_>) -> Result<()> {
        // SAFETY: exclusive access; the bytes are copied.
        check(unsafe { sys::lq_gguf_add_tensor(self.ptr.as_ptr(), t.as_ptr(), sys::LQ_COPY) })
    }

    /// Adds a copy of raw bytes of any ggml type id GGUF defines.
    pub fn add_raw(&mut self, name: &str, ggml_type: i32, shape: &[i64], data: &[u8]) -> Result<()> {
        let c = c_string("tensor name", name)?;
        let ndim = c_shape(shape)?;
        // SAFETY: shape has ndim entries, data its length; the bytes are copied.
        check(unsafe {
            sys::lq_gguf_add_tensor_raw(
                self.ptr.as_ptr(),
                c.as_ptr(),
                ggml_type,
                ndim,
                shape.as_ptr(),
                data.as_ptr().cast(),
                data.len() as u64,
                sys::LQ_COPY,
            )
        })
    }

    /// Writes the file atomically (a complete file or nothing).
    pub fn save(&self, ctx: Option<&mut Context>, path: impl AsRef<Path>) -> Result<()> {
        let c = c_path(path.as_ref())?;
        // SAFETY: live handle, valid path.
        with_ctx(ctx, |x| check(unsafe { sys::lq_gguf_save(x, self.g(), c.as_ptr()) }))
    }
}

fn set_array(g: *mut sys::lq_gguf, k: &CStr, key: &str, items: &[GgufValue]) -> Result<()> {
    let mixed = || Error::new(Status::INVALID, format!("libquant: '{key}': array elements must share one type"));
    if items.iter().all(|v| matches!(v, GgufValue::String(_))) && !items.is_empty() {
        let strings = items
            .iter()
            .map(|v| match v {
                GgufValue::String(s) => c_string("value", s),
                _ => Err(mixed()),
            })
            .collect::<Result<Vec<_>>>()?;
        let ptrs: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        // SAFETY: count pointers to live C strings; the library copies them.
        return check(unsafe { sys::lq_gguf_set_array_strings(g, k.as_ptr(), ptrs.as_ptr(), ptrs.len() as u64) });
    }
    let first = items.first().and_then(element_bytes).ok_or_else(|| {
        Error::new(
            Status::INVALID,
            format!("libquant: '{key}': an array needs numbers, bools or strings (and one element to tell the type)"),
        )
    })?;
    let mut bytes = Vec::with_capacity(items.len() * first.1.len());
    for item in items {
        match element_bytes(item) {
            Some((id, b)) if id == first.0 => bytes.extend(b),
            _ => return Err(mixed()),
        }
    }
    // SAFETY: count packed little-endian elements; the library copies them.
    check(unsafe { sys::lq_gguf_set_array(g, k.as_ptr(), first.0, bytes.as_ptr().cast(), items.len() as u64) })
}

impl Drop for Gguf {
    fn drop(&mut self) {
        // SAFETY: we own the handle, and no tensor borrows it any more.
        unsafe { sys::lq_gguf_free(self.ptr.as_ptr()) }
    }
}

/// What a safetensors tensor holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafetensorsInfo {
    /// As the file names it: "F32", "BF16", "F8_E4M3", ...
    pub dtype: String,
    /// Outermost first; empty for a scalar.
    pub shape: Vec<i64>,
    pub nbytes: u64,
}

/// A safetensors file, a sharded model's index, or a folder holding one
/// (`lq_safetensors`); or, from [`Safetensors::new`], tensors to save.
pub struct Safetensors {
    ptr: NonNull<sys::lq_safetensors>,
}

// SAFETY: as for Gguf.
unsafe impl Send for Safetensors {}
unsafe impl Sync for Safetensors {}

fn new_safetensors(p: *mut sys::lq_safetensors) -> Result<Safetensors> {
    NonNull::new(p)
        .map(|ptr| Safetensors { ptr })
        .ok_or_else(|| Error::new(Status::INTERNAL, "libquant: the library returned a NULL safetensors handle"))
}

impl Safetensors {
    pub fn open(path: impl AsRef<Path>) -> Result<Safetensors> {
        check_version()?;
        let c = c_path(path.as_ref())?;
        let mut p = ptr::null_mut();
        // SAFETY: valid C string and out-pointer.
        check(unsafe { sys::lq_safetensors_open(c.as_ptr(), &mut p) })?;
        new_safetensors(p)
    }

    pub fn new() -> Result<Safetensors> {
        check_version()?;
        let mut p = ptr::null_mut();
        // SAFETY: valid out-pointer.
        check(unsafe { sys::lq_safetensors_create(&mut p) })?;
        new_safetensors(p)
    }

    fn s(&self) -> *const sys::lq_safetensors {
        self.ptr.as_ptr()
    }

    pub(crate) fn as_ptr(&self) -> *const sys::lq_safetensors {
        self.ptr.as_ptr()
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut sys::lq_safetensors {
        self.ptr.as_ptr()
    }

    pub fn names(&self) -> Vec<String> {
        // SAFETY: live handle; names copied at once.
        let n = unsafe { sys::lq_safetensors_tensor_count(self.s()) };
        (0..n).map(|i| unsafe { owned_string(sys::lq_safetensors_tensor_name(self.s(), i)) }).collect()
    }

    fn index(&self, name: &str) -> Result<i64> {
        let c = c_string("tensor name", name)?;
        // SAFETY: live handle, valid name.
        let i = unsafe { sys::lq_safetensors_find_tensor(self.s(), c.as_ptr()) };
        if i < 0 {
            return Err(not_found("tensor", name));
        }
        Ok(i)
    }

    pub fn info(&self, name: &str) -> Result<SafetensorsInfo> {
        let i = self.index(name)?;
        // SAFETY: live handle, index in range.
        unsafe {
            let ndim = sys::lq_safetensors_tensor_ndim(self.s(), i);
            Ok(SafetensorsInfo {
                dtype: owned_string(sys::lq_safetensors_tensor_dtype(self.s(), i)),
                shape: (0..ndim).map(|d| sys::lq_safetensors_tensor_dim(self.s(), i, d)).collect(),
                nbytes: sys::lq_safetensors_tensor_nbytes(self.s(), i),
            })
        }
    }

    /// Tensor `name`, borrowing the file's bytes (no copy). As with
    /// [`Gguf::tensor`], the borrow keeps the file open while the tensor
    /// lives; dropping the file first does not compile:
    ///
    /// ```compile_fail
    /// let s = libquant::Safetensors::open("m.safetensors").unwrap();
    /// let t = s.tensor("w").unwrap();
    /// drop(s);
    /// let _ = libquant::matmul(None, &[0.0; 8], &t);
    /// ```
    pub fn tensor(&self, name: &str) -> Result<Tensor<'_>> {
        let i = self.index(name)?;
        let mut p = ptr::null_mut();
        // SAFETY: live handle; the tensor borrows it for '_.
        check(unsafe { sys::lq_safetensors_get_tensor(self.s(), i, &mut p) })?;
        Tensor::from_raw_handle(p, true)
    }

    /// Tensor `name`'s raw bytes, whatever its dtype.
    pub fn raw(&self, name: &str) -> Result<&[u8]> {
        let i = self.index(name)?;
        let (mut data, mut n) = (ptr::null(), 0u64);
        // SAFETY: the bytes live as long as the handle, borrowed for '_.
        check(unsafe { sys::lq_safetensors_tensor_raw(self.s(), i, &mut data, &mut n) })?;
        Ok(if n == 0 { &[] } else { unsafe { std::slice::from_raw_parts(data.cast(), n as usize) } })
    }

    /// `__metadata__`, in file order.
    pub fn metadata(&self) -> Vec<(String, String)> {
        // SAFETY: live handle; strings copied at once.
        let n = unsafe { sys::lq_safetensors_meta_count(self.s()) };
        (0..n)
            .map(|i| unsafe {
                let k = sys::lq_safetensors_meta_key(self.s(), i);
                (owned_string(k), owned_string(sys::lq_safetensors_meta_get(self.s(), k)))
            })
            .collect()
    }

    /// Sets a metadata entry, or removes it with None.
    pub fn set_metadata(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        let k = c_string("key", key)?;
        let v = value.map(|v| c_string("value", v)).transpose()?;
        // SAFETY: exclusive access; the library copies.
        check(unsafe {
            sys::lq_safetensors_meta_set(self.ptr.as_ptr(), k.as_ptr(), v.as_ref().map_or(ptr::null(), |v| v.as_ptr()))
        })
    }

    /// Adds a copy of a plain-type tensor under its own name.
    pub fn add_tensor(&mut self, t: &Tensor<'_>) -> Result<()> {
        // SAFETY: exclusive access; the bytes are copied.
        check(unsafe { sys::lq_safetensors_add_tensor(self.ptr.as_ptr(), t.as_ptr(), sys::LQ_COPY) })
    }

    /// Adds a copy of raw bytes under any safetensors dtype ("F8_E4M3", ...).
    pub fn add_raw(&mut self, name: &str, dtype: &str, shape: &[i64], data: &[u8]) -> Result<()> {
        if shape.len() > sys::LQ_SAFETENSORS_MAX_DIMS as usize {
            return Err(Error::new(Status::INVALID, format!("libquant: {} dimensions is too many", shape.len())));
        }
        let (c, d) = (c_string("tensor name", name)?, c_string("dtype", dtype)?);
        // SAFETY: shape has ndim entries, data its length; copied.
        check(unsafe {
            sys::lq_safetensors_add_tensor_raw(
                self.ptr.as_ptr(),
                c.as_ptr(),
                d.as_ptr(),
                shape.len() as c_int,
                shape.as_ptr(),
                data.as_ptr().cast(),
                data.len() as u64,
                sys::LQ_COPY,
            )
        })
    }

    /// Writes atomically; with `max_shard_bytes` > 0, as shards plus an index.
    pub fn save(&self, ctx: Option<&mut Context>, path: impl AsRef<Path>, max_shard_bytes: u64) -> Result<()> {
        let c = c_path(path.as_ref())?;
        // SAFETY: live handle, valid path.
        with_ctx(ctx, |x| check(unsafe { sys::lq_safetensors_save(x, self.s(), c.as_ptr(), max_shard_bytes) }))
    }
}

impl Drop for Safetensors {
    fn drop(&mut self) {
        // SAFETY: we own the handle, and no tensor borrows it any more.
        unsafe { sys::lq_safetensors_free(self.ptr.as_ptr()) }
    }
}

impl std::fmt::Debug for Gguf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gguf").field("keys", &self.keys().len()).field("tensors", &self.tensor_names()).finish()
    }
}

impl std::fmt::Debug for Safetensors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Safetensors").field("tensors", &self.names()).finish()
    }
}
