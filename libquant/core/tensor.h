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
    /* data as a reader set it when it points into a read-only private file
     * map (io/gguf.c, io/safetensors.c), else NULL: only such pages may be
     * dropped (lq__tensor_release_rows). A tensor whose data is later pointed
     * elsewhere no longer matches it, and is left alone. */
    const uint8_t *mapped;
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

/* Take the pages of rows [r0, r1) of t (a plain or ggml block type) out of this process's
 * memory when t is a view into a read-only file map, so that a method reading
 * a large weight a chunk at a time does not keep every chunk it has read:
 * the pages come back from the page cache or the file if read again, so the
 * contents never change. Any other tensor, among them every one whose memory
 * is its own or its caller's, is left alone (dropping anonymous pages would
 * zero them). */
void lq__tensor_release_rows(const lq_tensor *t, int64_t r0, int64_t r1);

#endif
