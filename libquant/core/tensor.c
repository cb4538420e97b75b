/* tensor.c — lq_tensor: shape, type, name and owned or borrowed bytes. */
#include <string.h>

#include <lq/lq.h>

#include "alloc.h"
#include "error.h"
#include "pages.h"
#include "tensor.h"
#include "type_info.h"

lq_status lq__check_shape(const char *fn, int ndim, const int64_t *shape, int64_t *numel)
{
    if (ndim < 1 || ndim > LQ_MAX_DIMS)
        return lq__fail(LQ_ERR_INVALID, "%s: ndim %d is outside 1..%d", fn, ndim, LQ_MAX_DIMS);
    if (!shape)
        return lq__fail(LQ_ERR_INVALID, "%s: shape is NULL", fn);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return lq__fail(LQ_ERR_INVALID, "%s: dimension %d is negative (%lld)", fn, i,
                            (long long)shape[i]);
        if (shape[i] != 0 && n > INT64_MAX / shape[i])
            return lq__fail(LQ_ERR_NOMEM, "%s: shape overflows 64 bits", fn);
        n *= shape[i];
    }
    *numel = n;
    return LQ_OK;
}

static lq_status check_name(const char *fn, const char *name)
{
    if (name && strlen(name) > LQ_MAX_NAME)
        return lq__fail(LQ_ERR_INVALID, "%s: name longer than %d bytes", fn, LQ_MAX_NAME);
    return LQ_OK;
}

lq_status lq__tensor_alloc(const char *fn, lq_type type, int ndim, const int64_t *shape,
                           const char *name, size_t nbytes, const struct lq_scheme *scheme,
                           lq_tensor **out)
{
    lq_tensor *t = lq__calloc(1, sizeof *t);
    if (!t)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    t->ndim = ndim;
    memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    t->type = type;
    t->owned = true;
    t->nbytes = nbytes;
    if (name)
        strcpy(t->name, name);
    if (nbytes && !(t->data = lq__calloc(1, nbytes))) {
        lq__free(t);
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate %zu bytes", fn, nbytes);
    }
    if (scheme) {
        t->scheme = lq__malloc(sizeof *scheme);
        if (!t->scheme) {
            lq_tensor_free(t);
            return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
        }
        memcpy(t->scheme, scheme, sizeof *scheme);
    }
    *out = t;
    return LQ_OK;
}

/* Byte size of a plain tensor, checked. */
static lq_status plain_bytes(const char *fn, lq_type type, int ndim, const int64_t *shape,
                             const char *name, size_t *bytes)
{
    const lq__type_info *ti = lq__type(type);
    if (!ti)
        return lq__fail(LQ_ERR_INVALID, "%s: %d is not an lq_type", fn, type);
    if (ti->flags & LQ__T_QUANT)
        return lq__fail(LQ_ERR_INVALID, "%s: %s is a quantized type; make it with lq_quantize",
                        fn, ti->name);
    lq_status st = check_name(fn, name);
    int64_t numel;
    if (st == LQ_OK)
        st = lq__check_shape(fn, ndim, shape, &numel);
    if (st != LQ_OK)
        return st;
    if ((uint64_t)numel > SIZE_MAX || !lq__mul_size((size_t)numel, (size_t)ti->elem_bytes, bytes))
        return lq__fail(LQ_ERR_NOMEM, "%s: %lld elements of %s do not fit in memory", fn,
                        (long long)numel, ti->name);
    return LQ_OK;
}

lq_status lq_tensor_create(lq_type type, int ndim, const int64_t *shape, const char *name,
                           lq_tensor **out)
{
    static const char fn[] = "lq_tensor_create";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    size_t bytes;
    lq_status st = plain_bytes(fn, type, ndim, shape, name, &bytes);
    if (st != LQ_OK)
        return st;
    return lq__tensor_alloc(fn, type, ndim, shape, name, bytes, NULL, out);
}

lq_status lq_tensor_wrap(lq_type type, int ndim, const int64_t *shape, const void *data,
                         size_t nbytes, int mode, const char *name, lq_tensor **out)
{
    static const char fn[] = "lq_tensor_wrap";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (mode != LQ_BORROW && mode != LQ_COPY)
        return lq__fail(LQ_ERR_INVALID, "%s: mode %d is neither LQ_BORROW nor LQ_COPY", fn, mode);
    size_t bytes;
    lq_status st = plain_bytes(fn, type, ndim, shape, name, &bytes);
    if (st != LQ_OK)
        return st;
    if (nbytes != bytes)
        return lq__fail(LQ_ERR_SHAPE, "%s: shape needs %zu bytes of %s, got %zu", fn, bytes,
                        lq_type_name(type), nbytes);
    if (!data && bytes)
        return lq__fail(LQ_ERR_INVALID, "%s: data is NULL", fn);
    if (mode == LQ_COPY) {
        st = lq__tensor_alloc(fn, type, ndim, shape, name, bytes, NULL, out);
        if (st == LQ_OK && bytes)
            memcpy((*out)->data, data, bytes);
        return st;
    }
    st = lq__tensor_alloc(fn, type, ndim, shape, name, 0, NULL, out);
    if (st != LQ_OK)
        return st;
    (*out)->data = (uint8_t *)(uintptr_t)data;
    (*out)->nbytes = bytes;
    (*out)->owned = false;
    return LQ_OK;
}

/* The bytes of one row of t, or 0 when rows are not runs of whole bytes
 * of their own (a ggml row that is not whole blocks, lq's own codes). */
static size_t row_bytes(const lq_tensor *t)
{
    const lq__type_info *ti = lq__type(t->type);
    int64_t cols = lq__tensor_cols(t);
    if (ti->elem_bytes)
        return (size_t)cols * (size_t)ti->elem_bytes;
    if ((ti->flags & LQ__T_GGML) && cols % ti->block_elems == 0)
        return (size_t)(cols / ti->block_elems) * (size_t)ti->block_bytes;
    return 0;
}

void lq__tensor_release_rows(const lq_tensor *t, int64_t r0, int64_t r1)
{
    size_t row = row_bytes(t);
    if (!t->mapped || t->mapped != t->data || !row || r0 < 0 || r1 <= r0 ||
        r1 > lq__tensor_rows(t))
        return;
    lq__pages_advise(t->data + (size_t)r0 * row, (uint64_t)(r1 - r0) * row, LQ__MAP_DROP);
}

void lq_tensor_free(lq_tensor *t)
{
    if (!t)
        return;
    if (t->owned)
        lq__free(t->data);
    lq__free(t->scheme);
    lq__free(t);
}

lq_type lq_tensor_type(const lq_tensor *t) { return t ? t->type : 0; }
int lq_tensor_ndim(const lq_tensor *t) { return t ? t->ndim : 0; }
size_t lq_tensor_nbytes(const lq_tensor *t) { return t ? t->nbytes : 0; }
const char *lq_tensor_name(const lq_tensor *t) { return t ? t->name : ""; }
const void *lq_tensor_data(const lq_tensor *t) { return t ? t->data : NULL; }

int64_t lq_tensor_dim(const lq_tensor *t, int i)
{
    return t && i >= 0 && i < t->ndim ? t->shape[i] : 0;
}

int64_t lq_tensor_numel(const lq_tensor *t)
{
    if (!t)
        return 0;
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

double lq_tensor_bits_per_weight(const lq_tensor *t)
{
    int64_t n = lq_tensor_numel(t);
    return n > 0 ? 8.0 * (double)t->nbytes / (double)n : 0.0;
}

void *lq_tensor_data_mut(lq_tensor *t)
{
    return t && !t->scheme && !(lq__type(t->type)->flags & LQ__T_QUANT) ? t->data : NULL;
}

lq_status lq_tensor_set_name(lq_tensor *t, const char *name)
{
    if (!t)
        return lq__fail(LQ_ERR_INVALID, "lq_tensor_set_name: tensor is NULL");
    lq_status st = check_name("lq_tensor_set_name", name);
    if (st != LQ_OK)
        return st;
    strcpy(t->name, name ? name : "");
    return LQ_OK;
}

const lq_scheme *lq_tensor_scheme(const lq_tensor *t)
{
    return t ? t->scheme : NULL;
}
