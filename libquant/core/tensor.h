/* tensor.h — the data behind lq_tensor (internal). */
#ifndef LQ_CORE_TENSOR_H
#define LQ_CORE_TENSOR_H

#include <stdbool.h>

#include <lq/lq_tensor.h>

#include "scheme.h"

struct lq_tensor {
    char name[LQ_MAX_NAME + 1];
    int ndim;
    int64_t shape[LQ_MAX_DIMS];
    lq_type type;
    uint8_t *data;
    size_t nbytes;
    bool owned;
    struct lq_scheme *scheme; /* quantized tensors: a private copy; NULL otherwise */
};

/* A tensor seen as a matrix: cols = last dimension, rows = the rest. */
static inline int64_t lq__tensor_cols(const lq_tensor *t)
{
    return t->shape[t->ndim - 1];
}

static inline int64_t lq__tensor_rows(const lq_tensor *t)
{
    int64_t r = 1;
    for (int i = 0; i < t->ndim - 1; i++)
        r *= t->shape[i];
    return r;
}

/* Check ndim and dims (each >= 0, product fits in int64 and size_t
 * elements); on success *numel is the element count. `fn` names the public
 * function in the message. */
lq_status lq__check_shape(const char *fn, int ndim, const int64_t *shape, int64_t *numel);

/* A new tensor that owns `nbytes` zeroed bytes, for any type; `scheme` (may be
 * NULL) is copied. Used by lq_tensor_create and by quantize/dequantize. */
lq_status lq__tensor_alloc(const char *fn, lq_type type, int ndim, const int64_t *shape,
                           const char *name, size_t nbytes, const struct lq_scheme *scheme,
                           lq_tensor **out);

#endif
