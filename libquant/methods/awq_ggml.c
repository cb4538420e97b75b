/* awq_ggml.c — AWQ's scale search for weights written in ggml block types
 * (llama.cpp's file types, lq_model_quantize with "awq:q4_k_m" and the
 * like). The candidates are AWQ's (awq.c: duo scaling over the 20-point
 * ratio grid), but each is scored with the quantizer of the type the weight
 * is actually written in, so the search minimises the error of the Q4_K or
 * Q6_K blocks in the file rather than that of an int4 g128 grid: per
 * candidate s, every row of W diag(s) goes through the type's row quantizer
 * (with the importance weights the scaled weight is quantized with:
 * imatrix_j / s_j^2, since its input is x_j / s_j) and back, and
 * Q(W diag(s)) diag(s)^-1 - W is scored on the calibration Hessian. There
 * is no clipping search: the k-quant quantizers search their own block
 * scales and minimums.
 *
 * Before AutoAWQ's grid comes one more candidate, s = 1 (no scaling: what
 * rounding to nearest writes; the grid's r = 0 still divides by w_mean), so
 * that no group's error on the calibration set exceeds rounding to
 * nearest's: the k-quant quantizers already weigh their block scales by
 * the values' sizes or the importance weights, which leaves AWQ less to
 * gain than on an int grid (on the trained fixture's Q4_K_M the search
 * lowered the groups' errors by 1-5%, and down's by 10-33%). */
#include <math.h>
#include <string.h>

#include "../calib/calib.h"
#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../core/type_info.h"
#include "../formats/codec.h"
#include "awq.h"
#include "layer_error.h"
#include "methods.h"

/* Columns sharing one normalisation in w_mean: AutoAWQ normalises by its
 * quantization group; ggml's types scale blocks (or k-quant sub-blocks) of
 * 16 to 32 weights, and 32 is the block of the legacy types. */
#define WMEAN_GROUP 32

typedef struct {
    const lq__codec *codec;
    const float *w, *s, *im; /* im: the scaled weight's importance, or NULL */
    int64_t cols;
    size_t row_bytes;
    uint8_t *blocks;         /* rows * row_bytes */
    float *d;                /* rows * cols: the candidate's error */
} delta_job;

static void delta_rows(void *arg, int64_t r0, int64_t r1)
{
    const delta_job *j = arg;
    const int64_t cols = j->cols;
    for (int64_t r = r0; r < r1; r++) {
        const float *w = j->w + r * cols;
        float *x = j->d + r * cols;
        uint8_t *blk = j->blocks + (size_t)r * j->row_bytes;
        for (int64_t k = 0; k < cols; k++)
            x[k] = w[k] * j->s[k];
        j->codec->quantize_row(x, blk, cols, j->im);
        j->codec->dequantize_row(blk, x, cols);
        for (int64_t k = 0; k < cols; k++)
            x[k] = x[k] / j->s[k] - w[k];
    }
}

/* The output error of weight i of ws in type t under scales s; 0 when t
 * has no row quantizer (kept as it is). Scored a chunk of ws->chunk rows at
 * a time, which blocks and d hold. */
static lq_status weight_error(const lq_ctx *ctx, const lq_calib *c, const lq__awq_weights *ws,
                              int i, lq_type t, const float *im, const float *s, float *im_s,
                              uint8_t *blocks, float *d, double *err)
{
    *err = 0;
    const lq__codec *codec = lq__codec_for(t);
    const lq__type_info *ti = lq__type(t);
    if (!codec || !codec->quantize_row || !ti || !(ti->flags & LQ__T_GGML))
        return LQ_OK;
    const int64_t cols = c->n, rows = lq_tensor_dim(ws->w[i], 0);
    if (cols % ti->block_elems != 0)
        return lq__fail(LQ_ERR_SHAPE, "awq: %s needs rows whose length is a multiple of %d, "
                        "got %lld", ti->name, ti->block_elems, (long long)cols);
    if (im)
        for (int64_t k = 0; k < cols; k++)
            im_s[k] = im[k] / (s[k] * s[k]);
    delta_job j = {codec, NULL, s, im ? im_s : NULL, cols,
                   (size_t)(cols / ti->block_elems) * (size_t)ti->block_bytes, blocks, d};
    lq_ctx quiet = {.threads = ctx ? ctx->threads : 0}; /* the search reports progress */
    lq_status st = LQ_OK;
    for (int64_t r0 = 0; st == LQ_OK && r0 < rows; r0 += ws->chunk) {
        const int64_t m = rows - r0 < ws->chunk ? rows - r0 : ws->chunk;
        st = lq__awq_rows(ctx, ws, i, r0, m, &j.w);
        if (st == LQ_OK)
            st = lq__parallel_for(&quiet, "awq", m, lq__grain_for(cols, 1 << 14), delta_rows, &j);
        if (st == LQ_OK)
            st = lq__hessian_error_add(ctx, c, d, m, err);
    }
    return st;
}

/* The search's score: every weight's error in its own type. */
typedef struct {
    const lq_ctx *ctx;
    const lq_calib *c;
    const lq__awq_weights *ws;
    const lq_type *types;
    const float *const *imatrix;
    float *im_s, *d;
    uint8_t *blocks;
} ggml_score;

static lq_status score_ggml(void *arg, const float *s, double *err)
{
    const ggml_score *a = arg;
    lq_status st = LQ_OK;
    for (int i = 0; st == LQ_OK && i < a->ws->n; i++) {
        double e = 0;
        st = weight_error(a->ctx, a->c, a->ws, i, a->types[i], a->imatrix[i], s, a->im_s,
                          a->blocks, a->d, &e);
        *err += e;
    }
    return st;
}

lq_status lq__awq_search_ggml(const lq_ctx *ctx, const lq_calib *c, const lq_tensor *const *w,
                              const lq_type *types, const float *const *imatrix, int n,
                              float *best)
{
    const int64_t cols = c->n;
    int64_t maxrows = 0;
    for (int i = 0; i < n; i++)
        maxrows = lq_tensor_dim(w[i], 0) > maxrows ? lq_tensor_dim(w[i], 0) : maxrows;
    /* a row of f32 is at least as large as the same row in any block type */
    const int64_t chunk = lq__hessian_chunk_rows(ctx, c, maxrows);
    const size_t floats = (size_t)(chunk * cols);
    lq__awq_weights ws = {w, n, chunk, lq__malloc(floats * sizeof(float))};
    ggml_score a = {ctx, c, &ws, types, imatrix, lq__malloc((size_t)cols * sizeof *a.im_s),
                    lq__malloc(floats * sizeof *a.d), lq__malloc(floats * sizeof(float))};
    const lq__linear_map m = {.cols = cols, .group = cols % WMEAN_GROUP ? cols : WMEAN_GROUP};
    lq_status st = ws.buf && a.im_s && a.d && a.blocks
                       ? lq__awq_grid(ctx, &m, c, &ws, 1, score_ggml, &a, best)
                       : lq__fail(LQ_ERR_NOMEM, "awq: out of memory");
    lq__free(ws.buf);
    lq__free(a.im_s);
    lq__free(a.d);
    lq__free(a.blocks);
    return st;
}
