/*
 * lq_tensor.h — the tensor handle.
 *
 * A tensor has a name, a shape of 1 to 4 dimensions, an element type and its
 * bytes. Shapes are given outermost first, as numpy and PyTorch give them: a
 * linear layer's weight is [out_features, in_features], the last dimension is
 * contiguous, and "a row" is one run of the last dimension. (GGUF lists
 * dimensions the other way round; the GGUF reader and writer convert.)
 *
 * A tensor either owns its bytes or borrows the caller's. Quantized tensors
 * (made by lq_quantize) also carry the scheme that made them.
 *
 * Thread safety: a tensor may be read from many threads at once (for example
 * one quantized weight used by several matmul threads) as long as no thread
 * modifies it; calls that modify a tensor (lq_tensor_set_name, writing through
 * lq_tensor_data_mut) need exclusive use. Stable tier (LIBQUANT_0).
 */
#ifndef LQ_TENSOR_H
#define LQ_TENSOR_H

#include <lq/lq_core.h>
#include <lq/lq_types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lq_tensor lq_tensor;

#define LQ_MAX_DIMS 4
#define LQ_MAX_NAME 256   /* longest tensor name, in bytes, without the NUL */

/* How lq_tensor_wrap treats the caller's buffer. */
enum lq_data_mode {
    LQ_BORROW = 0, /* keep the pointer; the caller keeps the buffer alive and unchanged until lq_tensor_free */
    LQ_COPY = 1    /* copy the bytes now; the caller may reuse the buffer at once */
};

/* CONSTRUCTOR. A new tensor of a plain type (f32, f16, bf16, f64, i8 ... i64)
 * with zero-filled, owned, 64-byte aligned storage. `name` may be NULL (empty
 * name). Errors: LQ_ERR_INVALID (NULL out, ndim outside 1..4, a dimension < 0,
 * a quantized type: those are made by lq_quantize, a name longer than
 * LQ_MAX_NAME), LQ_ERR_NOMEM (also when the size overflows). */
LQ_API lq_status lq_tensor_create(lq_type type, int ndim, const int64_t *shape,
                                  const char *name, lq_tensor **out);

/* CONSTRUCTOR. A tensor of a plain type over the caller's bytes, which must
 * hold exactly the number of bytes the shape and type need (`nbytes`) in
 * little-endian, row-major order. With LQ_BORROW the pointer is kept (no copy;
 * it need not be aligned); with LQ_COPY the bytes are copied. Errors as for
 * lq_tensor_create, plus LQ_ERR_SHAPE when nbytes does not match the shape and
 * LQ_ERR_INVALID for data == NULL with a non-empty shape. */
LQ_API lq_status lq_tensor_wrap(lq_type type, int ndim, const int64_t *shape,
                                const void *data, size_t nbytes,
                                int mode, const char *name, lq_tensor **out);

/* DESTRUCTOR. Frees the handle and, if owned, its bytes. Accepts NULL. */
LQ_API void lq_tensor_free(lq_tensor *t);

/* METHODS. Accessors never fail; on a NULL tensor they return 0, NULL or "". */
LQ_API lq_type     lq_tensor_type(const lq_tensor *t);
LQ_API int         lq_tensor_ndim(const lq_tensor *t);
/* Size of dimension i (0 = outermost); 0 when i is out of range. */
LQ_API int64_t     lq_tensor_dim(const lq_tensor *t, int i);
/* Number of elements (product of the dimensions). */
LQ_API int64_t     lq_tensor_numel(const lq_tensor *t);
/* Storage size in bytes, including scales and zero points for quantized types. */
LQ_API size_t      lq_tensor_nbytes(const lq_tensor *t);
/* Effective bits per weight: 8 * nbytes / numel (0 for an empty tensor). */
LQ_API double      lq_tensor_bits_per_weight(const lq_tensor *t);
LQ_API const char *lq_tensor_name(const lq_tensor *t);
/* Read-only bytes: plain types row-major; quantized types in the layout that
 * doc/formats.md describes for the format. Valid until the tensor is freed. */
LQ_API const void *lq_tensor_data(const lq_tensor *t);
/* Writable bytes of a plain-type tensor (NULL for quantized tensors, whose
 * bytes only the library writes). For a borrowed tensor this is the caller's
 * own buffer. */
LQ_API void       *lq_tensor_data_mut(lq_tensor *t);

/* Rename. Errors: LQ_ERR_INVALID (NULL tensor, name longer than LQ_MAX_NAME). */
LQ_API lq_status   lq_tensor_set_name(lq_tensor *t, const char *name);

#ifdef __cplusplus
}
#endif
#endif /* LQ_TENSOR_H */
