/* awq.h — AWQ's searches, for the method, lq_awq_search and the error report
 * (internal). `m` describes the int grid (bits, group, sym, scale type) of
 * [rows, m->cols] weights; m->rows is only used by lq__awq_store. */
#ifndef LQ_METHODS_AWQ_H
#define LQ_METHODS_AWQ_H

#include <stdint.h>

#include <lq/lq_methods.h>

#include "../formats/linear.h"

/* Points of the duo-scaling ratio grid r = 0, 1/20, ... 19/20. */
#define LQ__AWQ_GRID 20

/* The weights a search reads: n tensors w[i] [rows_i, cols] of any type
 * (f32 ones are read in place), a chunk of `chunk` rows at a time decoded
 * into buf [chunk * cols], so that a search holds a chunk of each weight in
 * f32 instead of whole copies (a Hessian-scored sum over rows chunked on
 * its summation blocks is the same sum: lq__hessian_chunk_rows). Under a
 * memory limit (ctx->small_buffers) the pages of rows decoded from a file
 * map leave memory once read (lq__tensor_release_rows), so that a search
 * keeps a chunk of them resident instead of all (23 MB of ffn_down's search
 * on the calib_mem model): the next candidate reads them from the page cache. */
typedef struct {
    const lq_tensor *const *w;
    int n;
    int64_t chunk;
    float *buf;
} lq__awq_weights;

/* Rows [r0, r0 + m) of weight i of ws as f32, into *rows (ws->buf, or
 * the f32 tensor's own data). */
lq_status lq__awq_rows(const lq_ctx *ctx, const lq__awq_weights *ws, int i, int64_t r0, int64_t m,
                       const float **rows);

/* The error that candidate scales s [cols] give the weights a search
 * scores, into *err. */
typedef lq_status (*lq__awq_score_fn)(void *arg, const float *s, double *err);

/* AWQ's grid search over the weights ws sharing the input of c: each
 * duo-scaling candidate s = x_mean^r / w_mean^(1-r), r = 0,
 * 1/20, ... 19/20, normalised by sqrt(max s min s) (inf/nan -> 1), with
 * x_mean the input's mean |x| and w_mean per column the mean over all rows
 * of |w| / (max |w| of its group of m->group columns + 1e-6) — and, before
 * them when with_identity, s = 1 — is scored by score(arg, s, &err); the
 * least error's scales go into best[m->cols]. Reports progress as "awq". */
lq_status lq__awq_grid(const lq_ctx *ctx, const lq__linear_map *m, const lq_calib *c,
                       const lq__awq_weights *ws, int with_identity, lq__awq_score_fn score,
                       void *arg, float *best);

/* The best of the LQ__AWQ_GRID duo-scaling candidates for the n weights w
 * (any type, [rows_i, m->cols] each) sharing the input described by c,
 * into best[m->cols]. */
lq_status lq__awq_search(const lq_ctx *ctx, const lq__linear_map *m, const lq_calib *c,
                         const lq_tensor *const *w, int n, float *best);


/* Clip each (row, group) of w [rows, m->cols] in place to the best of the 10
 * shrunk absmax values. */
lq_status lq__awq_clip(const lq__linear_map *m, const lq_calib *c, float *w, int64_t rows);

/* Quantize w [m->rows, m->cols] with AWQ's quantizer into a zeroed int
 * tensor's bytes. */
lq_status lq__awq_store(const lq__linear_map *m, const float *w, uint8_t *dst);

/* Whether AWQ skips the clipping search for a weight of this name (q and k). */
int lq__awq_skips_clip(const char *name);

/* AWQ's scale search for weights written in ggml block types (awq_ggml.c):
 * the n weights w[i] (any type, [rows_i, c's features]) sharing the input of c,
 * each to be stored as types[i] with importance weights imatrix[i] (one
 * per column of the unscaled weight, or NULL), get the candidate of the
 * grid whose Q(W diag(s)) diag(s)^-1 - W has the least output error, each
 * weight rounded by its own type's quantizer (a type without a ggml row
 * quantizer, kept as it is, adds no error); s = 1 is a candidate too, so
 * the result never loses to rounding to nearest on c. Into best[features]. */
lq_status lq__awq_search_ggml(const lq_ctx *ctx, const lq_calib *c, const lq_tensor *const *w,
                              const lq_type *types, const float *const *imatrix, int n,
                              float *best);

#endif
