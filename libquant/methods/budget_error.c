/* budget_error.c — what each candidate type costs a tensor: its bytes and
 * its relative imatrix-weighted squared error (budget.h says why that
 * measure). */
#include <string.h>

#include <lq/lq.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/type_info.h"
#include "../io/gguf_internal.h"
#include "budget.h"

/* At most this many rows of a tensor, evenly spaced, are quantized in each
 * candidate type: rows are quantized independently in every type, so the
 * sample estimates both the error and the energy it is divided by without
 * bias, and 13 trial quantizations of a 128k-row embedding stay cheap.
 * Smaller tensors (every tensor of the fixture models) are measured whole. */
#define MAX_ROWS 1024

static const lq_type candidates[] = {
#define CANDIDATE(T) LQ_TYPE_##T,
    LQ__BUDGET_TYPES(CANDIDATE)
#undef CANDIDATE
};
#define N_CANDIDATES (int)(sizeof candidates / sizeof *candidates)

/* The bytes of `rows` rows of `cols` values in `t`, or 0 if a row is not a
 * whole number of its blocks. */
static int64_t tensor_bytes(lq_type t, int64_t rows, int64_t cols)
{
    const lq__type_info *ti = lq__type(t);
    if (ti->flags & LQ__T_GGML && ti->block_elems > 0) {
        if (cols % ti->block_elems != 0)
            return 0;
        return rows * (cols / ti->block_elems) * ti->block_bytes;
    }
    return rows * cols * ti->elem_bytes;
}

/* The sampled rows (rows s * rows / m for s < m) in f32. */
static lq_status sample_rows(const lq_tensor *t, int64_t rows, int64_t cols, int64_t m, float *out)
{
    size_t elem = (size_t)lq_tensor_nbytes(t) / (size_t)lq_tensor_numel(t);
    int64_t shape[2] = {1, cols};
    lq_status st = LQ_OK;
    for (int64_t s = 0; st == LQ_OK && s < m; s++) {
        int64_t r = s * rows / m;
        lq_tensor *row = NULL;
        const uint8_t *base = (const uint8_t *)lq_tensor_data(t) + (size_t)(r * cols) * elem;
        st = lq_tensor_wrap(lq_tensor_type(t), 2, shape, base, (size_t)cols * elem, LQ_BORROW,
                            lq_tensor_name(t), &row);
        if (st == LQ_OK)
            st = lq_dequantize_f32(NULL, row, out + s * cols, cols);
        lq_tensor_free(row);
    }
    return st;
}

/* The weighted squared error of rows [s0, s1) of the sample in `type`,
 * with weights w[cols] (NULL: all 1); *err stays unset on LQ_ERR_NONFINITE
 * (the type cannot hold these values: not a candidate). */
static lq_status trial(lq_ctx *ctx, const char *name, const float *x, int64_t n, int64_t cols,
                       lq_type type, const float *w, float *back, double *err)
{
    int64_t shape[2] = {n, cols};
    lq_tensor *f = NULL, *q = NULL;
    lq_scheme *s = NULL;
    lq_status st = lq_scheme_parse(lq_type_name(type), &s);
    if (st == LQ_OK)
        st = lq_tensor_wrap(LQ_TYPE_F32, 2, shape, x, (size_t)(n * cols) * sizeof *x, LQ_BORROW,
                            name, &f);
    if (st == LQ_OK)
        st = lq_quantize(ctx, f, s, NULL, w, &q);
    if (st == LQ_OK)
        st = lq_dequantize_f32(ctx, q, back, n * cols);
    if (st == LQ_OK) {
        double e = 0;
        for (int64_t r = 0; r < n; r++) {
            for (int64_t j = 0; j < cols; j++) {
                double d = (double)x[r * cols + j] - (double)back[r * cols + j];
                e += (w ? (double)w[j] : 1.0) * d * d;
            }
        }
        *err += e;
    }
    lq_tensor_free(q);
    lq_tensor_free(f);
    lq_scheme_free(s);
    return st;
}

/* The importance weights of `name` for `experts` experts of `cols`
 * columns (a copy per expert when the matrix has one vector), or NULL. */
static lq_status weights_for(const char *fn, const lq__budget *b, const char *name, int64_t cols,
                             int64_t experts, float **out)
{
    *out = NULL;
    if (!b->imatrix)
        return LQ_OK;
    int64_t len = lq_imatrix_length(b->imatrix, name);
    if (len != cols && len != cols * experts)
        return LQ_OK; /* absent, or the embedding's (which llama.cpp ignores too) */
    float *w = lq__malloc((size_t)(cols * experts) * sizeof *w);
    if (!w)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    lq_status st = lq_imatrix_get(b->imatrix, name, w, len);
    for (int64_t e = len / cols; st == LQ_OK && e < experts; e++)
        memcpy(w + e * cols, w, (size_t)cols * sizeof *w);
    if (st != LQ_OK)
        lq__free(w);
    else
        *out = w;
    return st;
}

lq_status lq__budget_measure(const char *fn, const lq_gguf *in, int64_t index, const lq__budget *b,
                             uint64_t align, lq__budget_item *item, lq_type *types)
{
    const char *name = lq_gguf_tensor_name(in, index);
    lq_tensor *t = NULL;
    lq_status st = lq_gguf_get_tensor(in, index, &t);
    if (st != LQ_OK)
        return st;
    int ndim = lq_tensor_ndim(t);
    int64_t cols = lq_tensor_dim(t, ndim - 1);
    int64_t rows = lq_tensor_numel(t) / cols;
    int64_t experts = ndim == 3 ? lq_tensor_dim(t, 0) : 1;
    int64_t expert_rows = rows / experts;
    int64_t m = rows < MAX_ROWS ? rows : MAX_ROWS;
    float *x = lq__malloc((size_t)(m * cols) * sizeof *x);
    float *back = lq__malloc((size_t)(m * cols) * sizeof *back);
    float *w = NULL;
    if (!x || !back)
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (st == LQ_OK)
        st = sample_rows(t, rows, cols, m, x);
    if (st == LQ_OK)
        st = weights_for(fn, b, name, cols, experts, &w);
    lq_ctx ctx = {.threads = b->threads};
    /* the outputs' expected energy under the same weights, which the
     * error is relative to (budget.h) */
    double energy = 0;
    for (int64_t s0 = 0; st == LQ_OK && s0 < m; s0++) {
        int64_t e = s0 * rows / m / expert_rows;
        for (int64_t j = 0; j < cols; j++) {
            double v = x[s0 * cols + j];
            energy += (w ? (double)w[e * cols + j] : 1.0) * v * v;
        }
    }
    item->n = 0;
    for (int c = 0; st == LQ_OK && c < N_CANDIDATES; c++) {
        int64_t bytes = tensor_bytes(candidates[c], rows, cols);
        if (bytes == 0)
            continue;
        double err = 0;
        /* consecutive sampled rows of one expert share its weights */
        for (int64_t s0 = 0, s1; st == LQ_OK && s0 < m; s0 = s1) {
            int64_t e = s0 * rows / m / expert_rows;
            for (s1 = s0 + 1; s1 < m && s1 * rows / m / expert_rows == e; s1++)
                ;
            st = trial(&ctx, name, x + s0 * cols, s1 - s0, cols, candidates[c],
                       w ? w + e * cols : NULL, back, &err);
        }
        if (st == LQ_ERR_NONFINITE) {
            st = LQ_OK; /* values out of this type's range */
            continue;
        }
        if (st != LQ_OK)
            break;
        int k = item->n++;
        item->cost[k] = (int64_t)(((uint64_t)bytes + align - 1) / align * align);
        item->err[k] = energy > 0 ? err / energy : err; /* an all-zero tensor: any type is exact */
        types[k] = candidates[c];
    }
    if (st == LQ_OK && item->n == 0)
        st = lq__fail(LQ_ERR_UNSUPPORTED, "%s: tensor '%s': rows of %lld values fit no candidate "
                      "type", fn, name, (long long)cols);
    lq__free(w);
    lq__free(back);
    lq__free(x);
    lq_tensor_free(t);
    lq__gguf_tensor_release(in, index);
    return st;
}
