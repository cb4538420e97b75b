//! `lq_io.h`: GGUF and safetensors files.
use core::ffi::{c_char, c_double, c_float, c_int, c_void};

use crate::{lq_ctx, lq_status, lq_tensor};

crate::opaque! {
    /// A GGUF file, opened or being built.
    lq_gguf;
    /// The streaming GGUF writer.
    lq_gguf_writer;
    /// A safetensors file, sharded model or folder.
    lq_safetensors;
}

pub const LQ_GGUF_TYPE_U8: c_int = 0;
pub const LQ_GGUF_TYPE_I8: c_int = 1;
pub const LQ_GGUF_TYPE_U16: c_int = 2;
pub const LQ_GGUF_TYPE_I16: c_int = 3;
pub const LQ_GGUF_TYPE_U32: c_int = 4;
pub const LQ_GGUF_TYPE_I32: c_int = 5;
pub const LQ_GGUF_TYPE_F32: c_int = 6;
pub const LQ_GGUF_TYPE_BOOL: c_int = 7;
pub const LQ_GGUF_TYPE_STRING: c_int = 8;
pub const LQ_GGUF_TYPE_ARRAY: c_int = 9;
pub const LQ_GGUF_TYPE_U64: c_int = 10;
pub const LQ_GGUF_TYPE_I64: c_int = 11;
pub const LQ_GGUF_TYPE_F64: c_int = 12;

pub const LQ_GGUF_MAX_NAME: usize = 63;
pub const LQ_GGUF_DEFAULT_ALIGNMENT: u32 = 32;
pub const LQ_SAFETENSORS_MAX_DIMS: usize = 8;

extern "C" {
    pub fn lq_gguf_open(path: *const c_char, out: *mut *mut lq_gguf) -> lq_status;
    pub fn lq_gguf_create(out: *mut *mut lq_gguf) -> lq_status;
    pub fn lq_gguf_free(g: *mut lq_gguf);

    pub fn lq_gguf_kv_count(g: *const lq_gguf) -> i64;
    pub fn lq_gguf_kv_key(g: *const lq_gguf, index: i64) -> *const c_char;
    pub fn lq_gguf_kv_type(g: *const lq_gguf, index: i64) -> c_int;
    pub fn lq_gguf_find_key(g: *const lq_gguf, key: *const c_char) -> i64;

    pub fn lq_gguf_get_u8(g: *const lq_gguf, key: *const c_char, out: *mut u8) -> lq_status;
    pub fn lq_gguf_get_i8(g: *const lq_gguf, key: *const c_char, out: *mut i8) -> lq_status;
    pub fn lq_gguf_get_u16(g: *const lq_gguf, key: *const c_char, out: *mut u16) -> lq_status;
    pub fn lq_gguf_get_i16(g: *const lq_gguf, key: *const c_char, out: *mut i16) -> lq_status;
    pub fn lq_gguf_get_u32(g: *const lq_gguf, key: *const c_char, out: *mut u32) -> lq_status;
    pub fn lq_gguf_get_i32(g: *const lq_gguf, key: *const c_char, out: *mut i32) -> lq_status;
    pub fn lq_gguf_get_u64(g: *const lq_gguf, key: *const c_char, out: *mut u64) -> lq_status;
    pub fn lq_gguf_get_i64(g: *const lq_gguf, key: *const c_char, out: *mut i64) -> lq_status;
    pub fn lq_gguf_get_f32(g: *const lq_gguf, key: *const c_char, out: *mut c_float) -> lq_status;
    pub fn lq_gguf_get_f64(g: *const lq_gguf, key: *const c_char, out: *mut c_double) -> lq_status;
    pub fn lq_gguf_get_bool(g: *const lq_gguf, key: *const c_char, out: *mut c_int) -> lq_status;
    pub fn lq_gguf_get_int(g: *const lq_gguf, key: *const c_char, out: *mut i64) -> lq_status;
    pub fn lq_gguf_get_string(
        g: *const lq_gguf,
        key: *const c_char,
        out: *mut *const c_char,
        len: *mut usize,
    ) -> lq_status;
    pub fn lq_gguf_get_array(
        g: *const lq_gguf,
        key: *const c_char,
        elem_type: *mut c_int,
        count: *mut u64,
    ) -> lq_status;
    pub fn lq_gguf_get_array_data(
        g: *const lq_gguf,
        key: *const c_char,
        elem_type: c_int,
        data: *mut *const c_void,
        count: *mut u64,
    ) -> lq_status;
    pub fn lq_gguf_get_array_string(
        g: *const lq_gguf,
        key: *const c_char,
        index: u64,
        out: *mut *const c_char,
        len: *mut usize,
    ) -> lq_status;

    pub fn lq_gguf_set_u8(g: *mut lq_gguf, key: *const c_char, value: u8) -> lq_status;
    pub fn lq_gguf_set_i8(g: *mut lq_gguf, key: *const c_char, value: i8) -> lq_status;
    pub fn lq_gguf_set_u16(g: *mut lq_gguf, key: *const c_char, value: u16) -> lq_status;
    pub fn lq_gguf_set_i16(g: *mut lq_gguf, key: *const c_char, value: i16) -> lq_status;
    pub fn lq_gguf_set_u32(g: *mut lq_gguf, key: *const c_char, value: u32) -> lq_status;
    pub fn lq_gguf_set_i32(g: *mut lq_gguf, key: *const c_char, value: i32) -> lq_status;
    pub fn lq_gguf_set_u64(g: *mut lq_gguf, key: *const c_char, value: u64) -> lq_status;
    pub fn lq_gguf_set_i64(g: *mut lq_gguf, key: *const c_char, value: i64) -> lq_status;
    pub fn lq_gguf_set_f32(g: *mut lq_gguf, key: *const c_char, value: c_float) -> lq_status;
    pub fn lq_gguf_set_f64(g: *mut lq_gguf, key: *const c_char, value: c_double) -> lq_status;
    pub fn lq_gguf_set_bool(g: *mut lq_gguf, key: *const c_char, value: c_int) -> lq_status;
    pub fn lq_gguf_set_string(g: *mut lq_gguf, key: *const c_char, value: *const c_char) -> lq_status;
    pub fn lq_gguf_set_array(
        g: *mut lq_gguf,
        key: *const c_char,
        elem_type: c_int,
        data: *const c_void,
        count: u64,
    ) -> lq_status;
    pub fn lq_gguf_set_array_strings(
        g: *mut lq_gguf,
        key: *const c_char,
        strings: *const *const c_char,
        count: u64,
    ) -> lq_status;
    pub fn lq_gguf_copy_kv(dst: *mut lq_gguf, src: *const lq_gguf, key: *const c_char) -> lq_status;
    pub fn lq_gguf_remove_key(g: *mut lq_gguf, key: *const c_char) -> lq_status;

    pub fn lq_gguf_tensor_count(g: *const lq_gguf) -> i64;
    pub fn lq_gguf_tensor_name(g: *const lq_gguf, index: i64) -> *const c_char;
    pub fn lq_gguf_find_tensor(g: *const lq_gguf, name: *const c_char) -> i64;
    pub fn lq_gguf_tensor_ggml_type(g: *const lq_gguf, index: i64) -> c_int;
    pub fn lq_gguf_tensor_ndim(g: *const lq_gguf, index: i64) -> c_int;
    pub fn lq_gguf_tensor_dim(g: *const lq_gguf, index: i64, dim: c_int) -> i64;
    pub fn lq_gguf_tensor_nbytes(g: *const lq_gguf, index: i64) -> u64;
    pub fn lq_gguf_tensor_offset(g: *const lq_gguf, index: i64) -> u64;
    pub fn lq_gguf_data_offset(g: *const lq_gguf) -> u64;
    pub fn lq_gguf_get_tensor(g: *const lq_gguf, index: i64, out: *mut *mut lq_tensor) -> lq_status;
    pub fn lq_gguf_tensor_raw(g: *const lq_gguf, index: i64, data: *mut *const c_void, nbytes: *mut u64) -> lq_status;
    pub fn lq_gguf_add_tensor(g: *mut lq_gguf, t: *const lq_tensor, mode: c_int) -> lq_status;
    pub fn lq_gguf_add_tensor_raw(
        g: *mut lq_gguf,
        name: *const c_char,
        ggml_type: c_int,
        ndim: c_int,
        shape: *const i64,
        data: *const c_void,
        nbytes: u64,
        mode: c_int,
    ) -> lq_status;
    pub fn lq_gguf_declare_tensor(
        g: *mut lq_gguf,
        name: *const c_char,
        ggml_type: c_int,
        ndim: c_int,
        shape: *const i64,
    ) -> lq_status;
    pub fn lq_gguf_save(ctx: *mut lq_ctx, g: *const lq_gguf, path: *const c_char) -> lq_status;

    pub fn lq_gguf_writer_create(g: *const lq_gguf, path: *const c_char, out: *mut *mut lq_gguf_writer) -> lq_status;
    pub fn lq_gguf_writer_write(w: *mut lq_gguf_writer, data: *const c_void, nbytes: u64) -> lq_status;
    pub fn lq_gguf_writer_write_tensor(w: *mut lq_gguf_writer, t: *const lq_tensor) -> lq_status;
    pub fn lq_gguf_writer_finish(w: *mut lq_gguf_writer) -> lq_status;
    pub fn lq_gguf_writer_free(w: *mut lq_gguf_writer);

    pub fn lq_safetensors_open(path: *const c_char, out: *mut *mut lq_safetensors) -> lq_status;
    pub fn lq_safetensors_create(out: *mut *mut lq_safetensors) -> lq_status;
    pub fn lq_safetensors_free(st: *mut lq_safetensors);
    pub fn lq_safetensors_tensor_count(st: *const lq_safetensors) -> i64;
    pub fn lq_safetensors_tensor_name(st: *const lq_safetensors, index: i64) -> *const c_char;
    pub fn lq_safetensors_find_tensor(st: *const lq_safetensors, name: *const c_char) -> i64;
    pub fn lq_safetensors_tensor_dtype(st: *const lq_safetensors, index: i64) -> *const c_char;
    pub fn lq_safetensors_tensor_ndim(st: *const lq_safetensors, index: i64) -> c_int;
    pub fn lq_safetensors_tensor_dim(st: *const lq_safetensors, index: i64, dim: c_int) -> i64;
    pub fn lq_safetensors_tensor_nbytes(st: *const lq_safetensors, index: i64) -> u64;
    pub fn lq_safetensors_get_tensor(st: *const lq_safetensors, index: i64, out: *mut *mut lq_tensor) -> lq_status;
    pub fn lq_safetensors_tensor_raw(
        st: *const lq_safetensors,
        index: i64,
        data: *mut *const c_void,
        nbytes: *mut u64,
    ) -> lq_status;
    pub fn lq_safetensors_meta_count(st: *const lq_safetensors) -> i64;
    pub fn lq_safetensors_meta_key(st: *const lq_safetensors, index: i64) -> *const c_char;
    pub fn lq_safetensors_meta_get(st: *const lq_safetensors, key: *const c_char) -> *const c_char;
    pub fn lq_safetensors_meta_set(st: *mut lq_safetensors, key: *const c_char, value: *const c_char) -> lq_status;
    pub fn lq_safetensors_add_tensor(st: *mut lq_safetensors, t: *const lq_tensor, mode: c_int) -> lq_status;
    pub fn lq_safetensors_add_tensor_raw(
        st: *mut lq_safetensors,
        name: *const c_char,
        dtype: *const c_char,
        ndim: c_int,
        shape: *const i64,
        data: *const c_void,
        nbytes: u64,
        mode: c_int,
    ) -> lq_status;
    pub fn lq_safetensors_save(
        ctx: *mut lq_ctx,
        st: *const lq_safetensors,
        path: *const c_char,
        max_shard_bytes: u64,
    ) -> lq_status;
}
