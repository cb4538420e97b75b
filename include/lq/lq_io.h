/*
 * lq_io.h — model files: GGUF (llama.cpp) and safetensors (Hugging Face).
 *
 * Both readers map the file read-only and check everything up front: every
 * count, length, offset, dimension and type is validated against the file
 * before it is used, so a damaged or hostile file gives LQ_ERR_FORMAT with a
 * message naming the field and its byte offset, never a crash or a read out
 * of bounds. Tensors read from a file borrow the mapped bytes: they stay valid
 * until the file handle is freed, and must be freed before it.
 *
 * Both writers write to a temporary file in the target folder, flush and
 * fsync it, and rename it into place only when it is complete. Any failure
 * (a full disk, a cancelled progress callback, a streaming writer freed
 * before lq_gguf_writer_finish) removes the temporary: nothing ever appears
 * under the final name unless it is a complete file. Written files get mode
 * 0644. A final name that exists and is not a regular file (a symlink, FIFO,
 * device, folder) is refused with LQ_ERR_IO: the rename would replace it.
 *
 * Mapped input: a file truncated by someone else while it is open makes
 * reads past its new end raise SIGBUS (the map cannot shrink safely); do not
 * change files that libquant has open, or copy them first.
 *
 * Thread safety: a handle that no thread modifies may be read from many
 * threads at once (accessors, getters, lq_*_get_tensor, lq_*_save); calls that
 * modify it (set, remove, add, declare) need exclusive use. Files are
 * little-endian; libquant runs on little-endian hosts only.
 *
 * Stable tier (LIBQUANT_0). Include <lq/lq.h> rather than this file.
 */
#ifndef LQ_IO_H
#define LQ_IO_H

#include <lq/lq_core.h>
#include <lq/lq_tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ========================================================================
 * GGUF version 3
 *
 * A GGUF file holds typed key-value metadata ("general.architecture", ...)
 * and tensors, each with a name (at most 63 bytes), a ggml type id, 1 to 4
 * dimensions and its bytes, aligned to `general.alignment` (a u32 power of
 * two; 32 when the key is absent). Dimensions are given here outermost first,
 * as everywhere in libquant; the file stores them the other way round.
 * ======================================================================== */
typedef struct lq_gguf lq_gguf;

/* Metadata value types: the gguf_type ids the file stores. Pinned. */
enum lq_gguf_type {
    LQ_GGUF_TYPE_U8 = 0,
    LQ_GGUF_TYPE_I8 = 1,
    LQ_GGUF_TYPE_U16 = 2,
    LQ_GGUF_TYPE_I16 = 3,
    LQ_GGUF_TYPE_U32 = 4,
    LQ_GGUF_TYPE_I32 = 5,
    LQ_GGUF_TYPE_F32 = 6,
    LQ_GGUF_TYPE_BOOL = 7,   /* one byte, 0 or 1 */
    LQ_GGUF_TYPE_STRING = 8, /* bytes with a length, UTF-8 by convention */
    LQ_GGUF_TYPE_ARRAY = 9,  /* an element type, a count and the elements */
    LQ_GGUF_TYPE_U64 = 10,
    LQ_GGUF_TYPE_I64 = 11,
    LQ_GGUF_TYPE_F64 = 12
};

#define LQ_GGUF_MAX_NAME 63          /* longest tensor name, in bytes (ggml's limit) */
#define LQ_GGUF_DEFAULT_ALIGNMENT 32

/* CONSTRUCTOR. Map the GGUF file at `path` read-only and validate it all:
 * magic, version (3 only; 1 and 2 are refused by name), counts against the
 * file size, every key and value (types, string and array lengths, nested
 * array depth, unique keys, general.alignment a u32 power of two), every
 * tensor info (unique names of at most 63 bytes, 1 to 4 dimensions >= 0 whose
 * product does not overflow, a known ggml type whose block divides the row
 * length, an aligned offset) and the data (inside the file, no two tensors
 * overlapping). Tensors of ggml types that libquant cannot decode (iq2_xxs,
 * tq1_0, ...) are accepted: their bytes are reachable with lq_gguf_tensor_raw
 * and are carried through a save unchanged. The file stays mapped until
 * lq_gguf_free. Errors: LQ_ERR_INVALID (NULL arguments), LQ_ERR_IO (cannot
 * open or map; the message has the system's reason), LQ_ERR_FORMAT (the
 * message names the field and its byte offset, e.g. "lq_gguf_open: m.gguf:
 * tensor 3 'blk.0.attn_q.weight': data [1024, 5000) runs past the end of the
 * file (4096 bytes)"), LQ_ERR_NOMEM. On error *out is NULL.
 *
 * Split models (llama-gguf-split's "<prefix>-00001-of-00003.gguf", ...;
 * doc/split-gguf.md): opening the first file opens the whole model, as
 * llama.cpp loads it. The other files are found by name and mapped too, each
 * is validated as above and must carry split.no = its place and the same
 * split.count; no tensor name may repeat and the total must equal
 * split.tensors.count. The handle is then the model as one file: every
 * tensor of every file in file order, the metadata of the first file without
 * the split.* keys, offsets and lq_gguf_data_offset as lq_gguf_save writes
 * the merged file. Opening a later file of the set is LQ_ERR_FORMAT (the
 * message names the first); a missing file is LQ_ERR_IO naming it; anything
 * else that does not fit is LQ_ERR_FORMAT naming the file. */
LQ_API lq_status lq_gguf_open(const char *path, lq_gguf **out);

/* CONSTRUCTOR. An empty GGUF (no metadata, no tensors) to fill and save.
 * Errors: LQ_ERR_INVALID (out is NULL), LQ_ERR_NOMEM. */
LQ_API lq_status lq_gguf_create(lq_gguf **out);

/* DESTRUCTOR. Unmaps the file and frees everything, including copies made by
 * LQ_COPY. Tensors obtained from lq_gguf_get_tensor must be freed first.
 * Accepts NULL. */
LQ_API void lq_gguf_free(lq_gguf *g);

/* ---- metadata: reading ----
 * Accessors by index never fail: out of range (or g NULL) gives 0, NULL or -1.
 * Keys are unique, NUL-terminated, and owned by the handle (valid until the
 * key is removed or replaced, or the handle freed); so are returned strings
 * and array data. */
LQ_API int64_t     lq_gguf_kv_count(const lq_gguf *g);
LQ_API const char *lq_gguf_kv_key(const lq_gguf *g, int64_t index);
/* The value type (enum lq_gguf_type) of entry `index`, -1 when out of range. */
LQ_API int         lq_gguf_kv_type(const lq_gguf *g, int64_t index);
/* The index of `key`, or -1 when absent. */
LQ_API int64_t     lq_gguf_find_key(const lq_gguf *g, const char *key);

/* Typed getters. The stored type must be exactly the one asked for (no
 * conversions: use lq_gguf_get_int for "any integer"). Errors:
 * LQ_ERR_INVALID (NULL arguments, or the key is absent: the message names it),
 * LQ_ERR_FORMAT (the key holds another type; the message says which). */
LQ_API lq_status lq_gguf_get_u8(const lq_gguf *g, const char *key, uint8_t *out);
LQ_API lq_status lq_gguf_get_i8(const lq_gguf *g, const char *key, int8_t *out);
LQ_API lq_status lq_gguf_get_u16(const lq_gguf *g, const char *key, uint16_t *out);
LQ_API lq_status lq_gguf_get_i16(const lq_gguf *g, const char *key, int16_t *out);
LQ_API lq_status lq_gguf_get_u32(const lq_gguf *g, const char *key, uint32_t *out);
LQ_API lq_status lq_gguf_get_i32(const lq_gguf *g, const char *key, int32_t *out);
LQ_API lq_status lq_gguf_get_u64(const lq_gguf *g, const char *key, uint64_t *out);
LQ_API lq_status lq_gguf_get_i64(const lq_gguf *g, const char *key, int64_t *out);
LQ_API lq_status lq_gguf_get_f32(const lq_gguf *g, const char *key, float *out);
LQ_API lq_status lq_gguf_get_f64(const lq_gguf *g, const char *key, double *out);
LQ_API lq_status lq_gguf_get_bool(const lq_gguf *g, const char *key, int *out);
/* Any of the eight integer types, when its value fits in int64 (a u64 above
 * INT64_MAX gives LQ_ERR_FORMAT). Converters disagree on u32 versus i32 for
 * counts; loaders read them with this. */
LQ_API lq_status lq_gguf_get_int(const lq_gguf *g, const char *key, int64_t *out);
/* A string value: *out is NUL-terminated; `len` (may be NULL) receives its
 * length in bytes, which tells a string with a NUL byte inside from a shorter
 * one. */
LQ_API lq_status lq_gguf_get_string(const lq_gguf *g, const char *key, const char **out,
                                    size_t *len);

/* Arrays. lq_gguf_get_array gives the element type and count of any array,
 * including arrays of arrays (whose elements are kept as opaque bytes: read
 * them with nothing here, but they are saved back unchanged). Errors as for
 * the getters above (LQ_ERR_FORMAT when the key is not an array). */
LQ_API lq_status lq_gguf_get_array(const lq_gguf *g, const char *key, int *elem_type,
                                   uint64_t *count);
/* The elements of a numeric or bool array whose element type is `elem_type`:
 * *data points to *count packed little-endian elements (bools one byte each),
 * aligned for the type. Errors: as above; LQ_ERR_FORMAT when the element type
 * differs or is string or array. */
LQ_API lq_status lq_gguf_get_array_data(const lq_gguf *g, const char *key, int elem_type,
                                        const void **data, uint64_t *count);
/* Element `index` of an array of strings (NUL-terminated; `len` may be NULL).
 * Errors: as above; LQ_ERR_INVALID for an index past the end. */
LQ_API lq_status lq_gguf_get_array_string(const lq_gguf *g, const char *key, uint64_t index,
                                          const char **out, size_t *len);

/* ---- metadata: writing ----
 * A setter adds the key at the end, or replaces the value of an existing key
 * in place (keeping its position). Keys are 1 to 65535 bytes. The handle
 * copies everything it is given. `general.alignment` may only be set as a u32
 * power of two. Errors: LQ_ERR_INVALID (NULL arguments, a bad key, a bad
 * alignment, an unknown element type), LQ_ERR_NOMEM. */
LQ_API lq_status lq_gguf_set_u8(lq_gguf *g, const char *key, uint8_t value);
LQ_API lq_status lq_gguf_set_i8(lq_gguf *g, const char *key, int8_t value);
LQ_API lq_status lq_gguf_set_u16(lq_gguf *g, const char *key, uint16_t value);
LQ_API lq_status lq_gguf_set_i16(lq_gguf *g, const char *key, int16_t value);
LQ_API lq_status lq_gguf_set_u32(lq_gguf *g, const char *key, uint32_t value);
LQ_API lq_status lq_gguf_set_i32(lq_gguf *g, const char *key, int32_t value);
LQ_API lq_status lq_gguf_set_u64(lq_gguf *g, const char *key, uint64_t value);
LQ_API lq_status lq_gguf_set_i64(lq_gguf *g, const char *key, int64_t value);
LQ_API lq_status lq_gguf_set_f32(lq_gguf *g, const char *key, float value);
LQ_API lq_status lq_gguf_set_f64(lq_gguf *g, const char *key, double value);
LQ_API lq_status lq_gguf_set_bool(lq_gguf *g, const char *key, int value); /* stored as 0 or 1 */
LQ_API lq_status lq_gguf_set_string(lq_gguf *g, const char *key, const char *value);
/* An array of `count` numeric or bool elements (packed, little-endian; bools
 * are bytes and must be 0 or 1). data may be NULL when count is 0. */
LQ_API lq_status lq_gguf_set_array(lq_gguf *g, const char *key, int elem_type, const void *data,
                                   uint64_t count);
/* An array of `count` NUL-terminated strings. */
LQ_API lq_status lq_gguf_set_array_strings(lq_gguf *g, const char *key,
                                           const char *const *strings, uint64_t count);
/* Copy entry `key` of `src` into `dst` exactly (any type, nested arrays and
 * strings with NUL bytes included), replacing dst's value if it has the key.
 * Errors: LQ_ERR_INVALID (NULL arguments, key absent from src), LQ_ERR_NOMEM. */
LQ_API lq_status lq_gguf_copy_kv(lq_gguf *dst, const lq_gguf *src, const char *key);
/* Remove `key`; the entries after it move down by one. Removing an absent key
 * is not an error. Errors: LQ_ERR_INVALID (NULL arguments). */
LQ_API lq_status lq_gguf_remove_key(lq_gguf *g, const char *key);

/* ---- tensors ----
 * Accessors never fail: out of range (or g NULL) gives 0, NULL or -1. */
LQ_API int64_t     lq_gguf_tensor_count(const lq_gguf *g);
LQ_API const char *lq_gguf_tensor_name(const lq_gguf *g, int64_t index);
/* Index of the tensor called `name`, or -1. */
LQ_API int64_t     lq_gguf_find_tensor(const lq_gguf *g, const char *name);
/* The ggml type id as stored in the file (0 f32, 1 f16, 2 q4_0, 12 q4_k, ...;
 * see lq_type_ggml_id), or -1. */
LQ_API int         lq_gguf_tensor_ggml_type(const lq_gguf *g, int64_t index);
LQ_API int         lq_gguf_tensor_ndim(const lq_gguf *g, int64_t index);
/* Dimension `dim`, outermost first (GGUF's ne[] reversed); 0 when out of range. */
LQ_API int64_t     lq_gguf_tensor_dim(const lq_gguf *g, int64_t index, int dim);
LQ_API uint64_t    lq_gguf_tensor_nbytes(const lq_gguf *g, int64_t index);
/* Offset of the tensor's bytes from the start of the data section, as the
 * file stores it (for a tensor read from a file) or as lq_gguf_save will
 * write it (for an added or declared one). Setting or removing
 * general.alignment lays every tensor out again as lq_gguf_save will. */
LQ_API uint64_t    lq_gguf_tensor_offset(const lq_gguf *g, int64_t index);
/* Offset of the data section from the start of the file that was opened; 0
 * for a handle made by lq_gguf_create. */
LQ_API uint64_t    lq_gguf_data_offset(const lq_gguf *g);

/* CONSTRUCTOR. Tensor `index` as an lq_tensor that borrows the handle's bytes
 * (no copy): plain types (f32, f16, bf16, f64, i8, i16, i32, i64) as such,
 * ggml block weight types libquant knows (q4_0 ... q8_0, q2_k ... q6_k,
 * iq4_nl, iq4_xs) as quantized tensors with the type's default scheme. Free
 * the tensor before the handle. Errors: LQ_ERR_INVALID (NULL arguments, index
 * out of range), LQ_ERR_UNSUPPORTED (a ggml type libquant has no codec or no
 * weight scheme for: iq2_xxs, tq1_0, the activation types q8_1 and q8_k, ...;
 * use lq_gguf_tensor_raw), LQ_ERR_STATE (a declared tensor, which has no
 * bytes), LQ_ERR_NOMEM. */
LQ_API lq_status lq_gguf_get_tensor(const lq_gguf *g, int64_t index, lq_tensor **out);

/* The raw bytes of tensor `index`, whatever its type (borrowed: valid until
 * the handle is freed). Errors: LQ_ERR_INVALID, LQ_ERR_STATE (a declared
 * tensor, which has no bytes). */
LQ_API lq_status lq_gguf_tensor_raw(const lq_gguf *g, int64_t index, const void **data,
                                    uint64_t *nbytes);

/* Add tensor `t` (plain types that GGUF has: f32, f16, bf16, f64, i8, i16,
 * i32, i64; or a ggml block type) under its own name. With LQ_BORROW the
 * handle keeps a pointer to t's bytes (keep t alive and unchanged until the
 * handle is freed); with LQ_COPY it copies them. Errors: LQ_ERR_INVALID (NULL
 * arguments, a bad mode, an empty name, a name longer than 63 bytes or
 * already present), LQ_ERR_UNSUPPORTED (a type GGUF has no id for: u8, int4,
 * nf4, fp8 ...: the message says so), LQ_ERR_NOMEM. */
LQ_API lq_status lq_gguf_add_tensor(lq_gguf *g, const lq_tensor *t, int mode);

/* Add a tensor of any ggml type id that GGUF defines (including those
 * libquant cannot decode) from its raw bytes; `shape` is outermost first and
 * `nbytes` must be what the type and shape need. Errors: as
 * lq_gguf_add_tensor, plus LQ_ERR_INVALID for an unknown or removed type id,
 * LQ_ERR_SHAPE (row length not a multiple of the type's block, or nbytes
 * wrong). */
LQ_API lq_status lq_gguf_add_tensor_raw(lq_gguf *g, const char *name, int ggml_type, int ndim,
                                        const int64_t *shape, const void *data, uint64_t nbytes,
                                        int mode);

/* Declare a tensor without bytes, for the streaming writer: its name, ggml
 * type id and shape (outermost first). A handle with declared tensors can
 * only be written with lq_gguf_writer_*. Errors: as lq_gguf_add_tensor_raw. */
LQ_API lq_status lq_gguf_declare_tensor(lq_gguf *g, const char *name, int ggml_type, int ndim,
                                        const int64_t *shape);

/* Write everything in `g` to `path` (atomically, see the top of this file):
 * the metadata in order, then the tensors in order, each at the next multiple
 * of the alignment and padded with zeros (a file without tensors ends right
 * after its metadata, as gguf-py writes vocabulary files). A file opened and
 * saved unchanged is reproduced byte for byte when its tensors were packed in
 * order, as llama.cpp and gguf-py pack them. `ctx` (may be NULL) reports progress ("save", by bytes)
 * and may cancel. Errors: LQ_ERR_INVALID (NULL arguments), LQ_ERR_STATE (a
 * declared tensor without bytes), LQ_ERR_IO (the message has the system's
 * reason: no such folder, permission, no space ...), LQ_ERR_CANCELLED,
 * LQ_ERR_NOMEM. */
LQ_API lq_status lq_gguf_save(lq_ctx *ctx, const lq_gguf *g, const char *path);

/* ---- streaming writer: files larger than memory ----
 * lq_gguf_writer_create writes the header of `g` (metadata and every tensor
 * info, declared or added) to a temporary file; the caller then gives each
 * tensor's bytes in order, and lq_gguf_writer_finish renames the file into
 * place. Only one tensor (or less: bytes may come in pieces) need be in memory
 * at a time. `g` is not used after lq_gguf_writer_create returns. Any error
 * removes the temporary file, and the writer then refuses everything
 * (LQ_ERR_STATE) but lq_gguf_writer_free. */
typedef struct lq_gguf_writer lq_gguf_writer;

/* CONSTRUCTOR. Errors: LQ_ERR_INVALID, LQ_ERR_IO, LQ_ERR_NOMEM. */
LQ_API lq_status lq_gguf_writer_create(const lq_gguf *g, const char *path, lq_gguf_writer **out);

/* The next `nbytes` bytes of the current tensor (the first one not yet
 * complete); a call may not run past the end of the current tensor. Errors:
 * LQ_ERR_INVALID (NULL data with nbytes > 0, more bytes than the tensor has
 * left), LQ_ERR_STATE (all tensors written, or an earlier error), LQ_ERR_IO. */
LQ_API lq_status lq_gguf_writer_write(lq_gguf_writer *w, const void *data, uint64_t nbytes);

/* All the bytes of the next tensor, from `t`, whose name, ggml type and shape
 * must match its tensor info. Errors: as lq_gguf_writer_write, plus
 * LQ_ERR_INVALID when t does not match (the message says how), and
 * LQ_ERR_STATE when part of the current tensor was already written. */
LQ_API lq_status lq_gguf_writer_write_tensor(lq_gguf_writer *w, const lq_tensor *t);

/* Flush, fsync and rename the file into place. Errors: LQ_ERR_STATE (a tensor
 * is missing bytes: the message names it; the file is abandoned), LQ_ERR_IO. */
LQ_API lq_status lq_gguf_writer_finish(lq_gguf_writer *w);

/* DESTRUCTOR. A writer that was not finished is abandoned: its temporary
 * file is removed. Accepts NULL. */
LQ_API void lq_gguf_writer_free(lq_gguf_writer *w);

/* ========================================================================
 * safetensors
 *
 * One file (8-byte header length, a JSON header, the tensor bytes), or a
 * sharded model: shards model-0000i-of-0000n.safetensors and an index
 * model.safetensors.index.json whose weight_map says which shard holds each
 * tensor. Tensors have a dtype name ("F32", "BF16", "F8_E4M3", ...) and 0 or
 * more dimensions, outermost first.
 * ======================================================================== */
typedef struct lq_safetensors lq_safetensors;

#define LQ_SAFETENSORS_MAX_DIMS 8     /* the reader refuses more */

/* CONSTRUCTOR. Open `path`: a .safetensors file; a
 * model.safetensors.index.json (every shard it names, from the same folder);
 * or a folder holding one of those two (the index is preferred). Each file is
 * mapped read-only and validated: header length (at most 100 MB) and JSON
 * (strict: bounded nesting, no duplicate keys), each tensor's dtype, shape,
 * and data_offsets (inside the data, size = elements x dtype size), the data
 * covered exactly with no holes and no overlaps, unique names, __metadata__ a
 * string-to-string map; for an index, shard names that are plain file names,
 * and a weight_map that agrees with the shards' contents in both directions.
 * Errors: LQ_ERR_INVALID, LQ_ERR_IO, LQ_ERR_FORMAT (the message names the file,
 * the field and its offset), LQ_ERR_NOMEM. */
LQ_API lq_status lq_safetensors_open(const char *path, lq_safetensors **out);

/* CONSTRUCTOR. An empty set of tensors to fill and save. Errors:
 * LQ_ERR_INVALID, LQ_ERR_NOMEM. */
LQ_API lq_status lq_safetensors_create(lq_safetensors **out);

/* DESTRUCTOR. Tensors obtained from lq_safetensors_get_tensor must be freed
 * first. Accepts NULL. */
LQ_API void lq_safetensors_free(lq_safetensors *st);

/* Accessors never fail: out of range (or st NULL) gives 0, NULL or -1. */
LQ_API int64_t     lq_safetensors_tensor_count(const lq_safetensors *st);
LQ_API const char *lq_safetensors_tensor_name(const lq_safetensors *st, int64_t index);
LQ_API int64_t     lq_safetensors_find_tensor(const lq_safetensors *st, const char *name);
/* The dtype name as in the file ("F32", "F8_E4M3", "BOOL", ...). */
LQ_API const char *lq_safetensors_tensor_dtype(const lq_safetensors *st, int64_t index);
/* Number of dimensions, 0 for a scalar; -1 out of range. */
LQ_API int         lq_safetensors_tensor_ndim(const lq_safetensors *st, int64_t index);
LQ_API int64_t     lq_safetensors_tensor_dim(const lq_safetensors *st, int64_t index, int dim);
LQ_API uint64_t    lq_safetensors_tensor_nbytes(const lq_safetensors *st, int64_t index);

/* CONSTRUCTOR. Tensor `index` as an lq_tensor: F32, F16, BF16, F64, I8, U8,
 * I16, I32, I64 as those types, and BOOL as U8, borrowing the mapped bytes
 * (free the tensor before the handle); F8_E4M3 and F8_E5M2 as fp8_e4m3 and
 * fp8_e5m2 tensors with one scale of 1.0 for the whole tensor, which own a
 * copy of the codes (their layout puts the scale after the codes). A scalar
 * (0 dimensions) comes as shape [1]. Errors: LQ_ERR_INVALID,
 * LQ_ERR_UNSUPPORTED (other dtypes, more than 4 dimensions, a name longer than
 * LQ_MAX_NAME: use lq_safetensors_tensor_raw), LQ_ERR_NOMEM. */
LQ_API lq_status lq_safetensors_get_tensor(const lq_safetensors *st, int64_t index,
                                           lq_tensor **out);

/* Raw bytes of tensor `index`, borrowed. Errors: LQ_ERR_INVALID. */
LQ_API lq_status lq_safetensors_tensor_raw(const lq_safetensors *st, int64_t index,
                                    const void **data, uint64_t *nbytes);

/* __metadata__: a string-to-string map (for a sharded model, the union over
 * the shards, first shard first). Accessors never fail. */
LQ_API int64_t     lq_safetensors_meta_count(const lq_safetensors *st);
LQ_API const char *lq_safetensors_meta_key(const lq_safetensors *st, int64_t index);
/* The value of `key`, or NULL when absent. */
LQ_API const char *lq_safetensors_meta_get(const lq_safetensors *st, const char *key);
/* Set (value != NULL) or remove (value == NULL) a metadata entry; copied.
 * Errors: LQ_ERR_INVALID (NULL st or key, a key or value that is not valid
 * UTF-8), LQ_ERR_NOMEM. */
LQ_API lq_status   lq_safetensors_meta_set(lq_safetensors *st, const char *key,
                                           const char *value);

/* Add tensor `t` of a plain type (f32, f16, bf16, f64, i8, u8, i16, i32,
 * i64) under its own name; LQ_BORROW / LQ_COPY as for lq_gguf_add_tensor.
 * Errors: LQ_ERR_INVALID (NULL arguments, bad mode, empty or duplicate name,
 * "__metadata__", a name that is not valid UTF-8), LQ_ERR_UNSUPPORTED (a
 * quantized type, fp8 included: its scales need a layout of their own, such
 * as compressed-tensors' weight_scale tensors), LQ_ERR_NOMEM. */
LQ_API lq_status lq_safetensors_add_tensor(lq_safetensors *st, const lq_tensor *t, int mode);

/* Add raw bytes under any dtype the format defines (as lq_safetensors_tensor_dtype
 * names them), with 0 to LQ_SAFETENSORS_MAX_DIMS dimensions. Errors: as
 * lq_safetensors_add_tensor, plus LQ_ERR_INVALID for an unknown dtype and
 * LQ_ERR_SHAPE when nbytes is not what the shape needs. */
LQ_API lq_status lq_safetensors_add_tensor_raw(lq_safetensors *st, const char *name, const char *dtype,
                                        int ndim, const int64_t *shape, const void *data,
                                        uint64_t nbytes, int mode);

/* Write the tensors to `path` (atomically). Tensors are stored by decreasing
 * element size, then by name, as the reference writer does, so that every
 * tensor stays aligned to its element size; the header is padded with spaces
 * to a multiple of 8 bytes. With max_shard_bytes == 0, or when everything fits
 * in one shard, `path` is one file. Otherwise the tensors are split, in that
 * order, into shards of at most max_shard_bytes of data (a larger tensor gets
 * a shard of its own) named after `path`: "dir/model.safetensors" gives
 * dir/model-00001-of-00003.safetensors ... and dir/model.safetensors.index.json;
 * every file is complete before any is renamed, and a failure leaves none of
 * them. `ctx` (may be NULL) reports progress ("save") and may cancel. Errors:
 * LQ_ERR_INVALID (NULL arguments, a path not ending in ".safetensors" when
 * sharding), LQ_ERR_IO, LQ_ERR_CANCELLED, LQ_ERR_NOMEM. */
LQ_API lq_status lq_safetensors_save(lq_ctx *ctx, const lq_safetensors *st, const char *path,
                                     uint64_t max_shard_bytes);

#ifdef __cplusplus
}
#endif
#endif /* LQ_IO_H */

/* Experimental tier: declared only when LQ_EXPERIMENTAL_API is defined before
 * <lq/lq.h> is included; the symbols carry the version LIBQUANT_EXPERIMENTAL_0
 * and may change in any release until they move to the stable tier. */
#if defined(LQ_EXPERIMENTAL_API) && !defined(LQ_IO_EXPERIMENTAL_H)
#define LQ_IO_EXPERIMENTAL_H

#ifdef __cplusplus
extern "C" {
#endif

/* lq_gguf_save_split flags. */
#define LQ_GGUF_SPLIT_NO_TENSOR_FIRST 1u /* the first file holds the metadata only */

/* Write `g` as a split model, the same files as llama-gguf-split --split
 * (doc/split-gguf.md): "<path_prefix>-00001-of-0000n.gguf", ..., tensors in
 * order, the first file with all the metadata, every file with split.no,
 * split.tensors.count and split.count. Give exactly one limit: max_bytes
 * (a new file starts when the tensors' padded bytes, not counting the
 * metadata, would pass it; a larger tensor gets a file of its own) or
 * max_tensors per file; the other 0. All files are complete before any is
 * renamed into place, and a failure leaves none of them. `ctx` (may be NULL)
 * reports progress ("save") and may cancel. *n_files (may be NULL) gets the
 * number of files. Errors: LQ_ERR_INVALID (NULL arguments, no limit or both,
 * unknown flags, a limit that would leave a file without tensors, more than
 * 65535 files), LQ_ERR_UNSUPPORTED (general.alignment other than 32),
 * LQ_ERR_STATE (a declared tensor), LQ_ERR_IO, LQ_ERR_CANCELLED,
 * LQ_ERR_NOMEM. */
LQ_API lq_status lq_gguf_save_split(lq_ctx *ctx, const lq_gguf *g, const char *path_prefix,
                                    uint64_t max_bytes, int64_t max_tensors, unsigned flags,
                                    int *n_files);

#ifdef __cplusplus
}
#endif
#endif /* LQ_EXPERIMENTAL_API && !LQ_IO_EXPERIMENTAL_H */
