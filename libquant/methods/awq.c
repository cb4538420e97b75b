/* awq.c — Activation-aware Weight Quantization (Lin et al. 2023) as AutoAWQ
 * runs it (doc/methods.md; facts in algorithms.md 2.1-2.3).
 *
 * Two searches, both scored by the layer's output error, which the
 * calibration Hessian gives exactly over every token (layer_error.h) where
 * the reference forwards sampled tokens:
 *   - lq_awq_search: per-input-channel scales s = x_mean^r / w_mean^(1-r)
 *     (duo scaling) over the 20-point ratio grid r = 0, 0.05, ... 0.95,
 *     normalised by sqrt(max s min s), each scored on Q(W diag(s)) diag(s)^-1;
 *   - the method itself (lq_quantize): on a weight whose scales were already
 *     applied, the clipping search (10 shrink steps of each group's absmax,
 *     1.00 .. 0.55, per row and group), then AWQ's quantizer on the clipped
 *     weight, stored in the int layout.
 * AWQ's quantizer differs from the round-to-nearest codec: asym grids span
 * [min, max] without forcing 0 in, and sym grids use amax / (2^(b-1) - 1). */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "../calib/calib.h"
#include "../calib/hessian_mul.h"
#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../core/tensor.h"
#include "../kernels/dequantize.h"
#include "../formats/linear.h"
#include "awq.h"
#include "layer_error.h"
#include "methods.h"

#define AWQ_CLIP_STEPS 10 /* max_shrink 0.5 of a 20-point grid */

/* AWQ's grid for n values (pseudo_quantize_tensor), with the scale as
 * stored; false when the scale's type cannot hold it. Sets no message, so
 * that pool threads may call it. */
static bool grid_of(const float *x, int64_t n, const lq__linear_map *m, lq__linear_param *p)
{
    float mn = x[0], mx = x[0];
    for (int64_t i = 1; i < n; i++) {
        mn = fminf(mn, x[i]);
        mx = fmaxf(mx, x[i]);
    }
    float scale = m->sym ? fmaxf(fmaxf(-mn, mx), 1e-5f) / (float)((1 << (m->bits - 1)) - 1)
                         : fmaxf(mx - mn, 1e-5f) / (float)m->maxq;
    p->scale = lq__scale_round(m->scale_type, scale);
    if (!isfinite(p->scale))
        return false;
    if (m->sym) {
        p->zero = 1 << (m->bits - 1);
    } else {
        float z = -nearbyintf(mn / p->scale);
        p->zero = z < 0.0f ? 0 : z > (float)m->maxq ? m->maxq : (int)z;
    }
    return true;
}

static lq_status unfit_scale(void)
{
    return lq__fail(LQ_ERR_NUMERIC, "awq: a group's values need a scale that f16 cannot hold; "
                    "use scale=f32");
}

static lq_status awq_grid(const float *x, int64_t n, const lq__linear_map *m,
                          lq__linear_param *p)
{
    return grid_of(x, n, m, p) ? LQ_OK : unfit_scale();
}

/* x through the grid and back. */
static float round_trip(float x, lq__linear_param p, int maxq)
{
    return lq__linear_dequantize_value(lq__linear_quantize_value(x, p, maxq), p);
}

/* Elements sharing a grid along a row: the group, or the row for channel
 * and tensor granularity (a tensor grid is made over all rows at once). */
static int64_t run_length(const lq__linear_map *m)
{
    return m->per_tensor ? m->cols : m->group;
}

/* out = Q(w) for a [rows, cols] matrix, or out = Q(w) - ref when ref is given. */
static lq_status fake_quantize(const lq__linear_map *m, const float *w, int64_t rows,
                               const float *ref, float *out)
{
    const int64_t cols = m->cols, len = run_length(m);
    lq__linear_param p;
    lq_status st = LQ_OK;
    if (m->per_tensor)
        st = awq_grid(w, rows * cols, m, &p);
    for (int64_t r = 0; st == LQ_OK && r < rows; r++) {
        for (int64_t c0 = 0; st == LQ_OK && c0 < cols; c0 += len) {
            const float *x = w + r * cols + c0;
            if (!m->per_tensor)
                st = awq_grid(x, len, m, &p);
            for (int64_t k = 0; st == LQ_OK && k < len; k++) {
                float q = round_trip(x[k], p, m->maxq);
                out[r * cols + c0 + k] = ref ? q - ref[r * cols + c0 + k] : q;
            }
        }
    }
    return st;
}

int lq__awq_skips_clip(const char *name)
{
    /* The reference skips q and k (their outputs meet in q k^T, so a layer's
     * own output error misleads); GGUF names are matched too. */
    static const char *const parts[] = {"q_", "k_", "query", "key", "Wqkv",
                                        "attn_q.", "attn_k.", "attn_qkv."};
    for (size_t i = 0; name && i < sizeof parts / sizeof *parts; i++)
        if (strstr(name, parts[i]))
            return 1;
    return 0;
}

/* ---- scale search --------------------------------------------------------- */

lq_status lq__awq_rows(const lq_ctx *ctx, const lq__awq_weights *ws, int i, int64_t r0, int64_t m,
                       const float **rows)
{
    const lq_tensor *w = ws->w[i];
    const int64_t cols = lq_tensor_dim(w, 1);
    if (lq_tensor_type(w) == LQ_TYPE_F32) {
        *rows = (const float *)lq_tensor_data(w) + r0 * cols;
        return LQ_OK;
    }
    *rows = ws->buf;
    lq_ctx quiet = {.threads = ctx ? ctx->threads : 0}; /* the search reports progress */
    lq_status st = lq__decode_rows_f32(&quiet, "awq", w, r0, r0 + m, ws->buf);
    if (ctx && ctx->small_buffers)
        lq__tensor_release_rows(w, r0, r0 + m);
    return st;
}

/* w_mean [m->cols]: per input column, the mean over all rows of the
 * weights of |w| / (max |w| of its group of m->group columns + 1e-6). */
static lq_status weight_means(const lq_ctx *ctx, const lq__linear_map *m,
                              const lq__awq_weights *ws, float *w_mean)
{
    const int64_t cols = m->cols, len = m->group > 0 && !m->per_tensor ? m->group : cols;
    double *acc = lq__calloc((size_t)cols, sizeof *acc);
    if (!acc)
        return lq__fail(LQ_ERR_NOMEM, "awq: out of memory");
    int64_t total = 0;
    lq_status st = LQ_OK;
    for (int i = 0; st == LQ_OK && i < ws->n; i++) {
        const int64_t rows = lq_tensor_dim(ws->w[i], 0);
        for (int64_t r0 = 0; st == LQ_OK && r0 < rows; r0 += ws->chunk) {
            const int64_t n = rows - r0 < ws->chunk ? rows - r0 : ws->chunk;
            const float *w = NULL;
            st = lq__awq_rows(ctx, ws, i, r0, n, &w);
            for (int64_t r = 0; st == LQ_OK && r < n; r++) {
                const float *x = w + r * cols;
                for (int64_t c0 = 0; c0 < cols; c0 += len) {
                    float amax = 0.0f;
                    for (int64_t k = 0; k < len; k++)
                        amax = fmaxf(amax, fabsf(x[c0 + k]));
                    for (int64_t k = 0; k < len; k++)
                        acc[c0 + k] += fabsf(x[c0 + k]) / (amax + 1e-6f);
                }
            }
        }
        total += rows;
    }
    for (int64_t j = 0; st == LQ_OK && j < cols; j++)
        w_mean[j] = (float)(acc[j] / (double)total);
    lq__free(acc);
    return st;
}

/* Candidate k of the grid into s [cols]. */
static void candidate(const float *x_mean, const float *w_mean, int64_t cols, int k, float *s)
{
    float ratio = (float)k / LQ__AWQ_GRID, mx = 0.0f, mn = INFINITY;
    for (int64_t j = 0; j < cols; j++) {
        s[j] = fmaxf(powf(x_mean[j], ratio) / (powf(w_mean[j], 1.0f - ratio) + 1e-4f), 1e-4f);
        mx = fmaxf(mx, s[j]);
        mn = fminf(mn, s[j]);
    }
    float norm = sqrtf(mx * mn);
    for (int64_t j = 0; j < cols; j++) {
        s[j] /= norm;
        if (!isfinite(s[j]))
            s[j] = 1.0f;
    }
}

/* One weight's error under candidate scales s: d = Q(W diag(s)) diag(s)^-1 - W,
 * rows split over the pool (grids per group or row; a per-tensor grid is
 * made serially, over all rows at once). */
typedef struct {
    const lq__linear_map *m;
    const float *w, *s;
    float *d;
    atomic_int unfit; /* a grid's scale did not fit its type */
} delta_job;

static void delta_rows(void *arg, int64_t r0, int64_t r1)
{
    delta_job *j = arg;
    const int64_t cols = j->m->cols, len = run_length(j->m);
    for (int64_t r = r0; r < r1; r++)
        for (int64_t c0 = 0; c0 < cols; c0 += len) {
            const float *w = j->w + r * cols + c0, *s = j->s + c0;
            float *x = j->d + r * cols + c0;
            for (int64_t k = 0; k < len; k++)
                x[k] = w[k] * s[k];
            lq__linear_param p;
            if (!grid_of(x, len, j->m, &p)) {
                j->unfit = 1;
                continue;
            }
            for (int64_t k = 0; k < len; k++)
                x[k] = round_trip(x[k], p, j->m->maxq) / s[k] - w[k];
        }
}

static lq_status candidate_delta(const lq_ctx *ctx, const lq__linear_map *m, const float *w,
                                 int64_t rows, const float *s, float *ws, float *d)
{
    const int64_t cols = m->cols;
    if (!m->per_tensor) {
        delta_job j = {m, w, s, d, 0};
        lq_ctx quiet = {.threads = ctx ? ctx->threads : 0}; /* the search reports progress */
        lq_status st = lq__parallel_for(&quiet, "awq", rows, lq__grain_for(cols, 1 << 16),
                                        delta_rows, &j);
        return st == LQ_OK && j.unfit ? unfit_scale() : st;
    }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < cols; k++)
            ws[r * cols + k] = w[r * cols + k] * s[k];
    lq_status st = fake_quantize(m, ws, rows, NULL, d);
    for (int64_t r = 0; st == LQ_OK && r < rows; r++)
        for (int64_t k = 0; k < cols; k++)
            d[r * cols + k] = d[r * cols + k] / s[k] - w[r * cols + k];
    return st;
}

lq_status lq__awq_grid(const lq_ctx *ctx, const lq__linear_map *m, const lq_calib *c,
                       const lq__awq_weights *ws, int with_identity, lq__awq_score_fn score,
                       void *arg, float *best)
{
    const int64_t cols = m->cols;
    float *x_mean = lq__malloc((size_t)cols * sizeof *x_mean);
    float *w_mean = lq__malloc((size_t)cols * sizeof *w_mean);
    float *s = lq__malloc((size_t)cols * sizeof *s);
    lq_status st = x_mean && w_mean && s ? LQ_OK : lq__fail(LQ_ERR_NOMEM, "awq: out of memory");
    if (st == LQ_OK) {
        lq__calib_mean_abs(c, x_mean);
        st = weight_means(ctx, m, ws, w_mean);
    }
    const int first = with_identity ? -1 : 0;
    double best_err = INFINITY;
    for (int k = first; st == LQ_OK && k < LQ__AWQ_GRID; k++) {
        if (k < 0)
            for (int64_t j = 0; j < cols; j++)
                s[j] = 1.0f;
        else
            candidate(x_mean, w_mean, cols, k, s);
        double err = 0;
        st = score(arg, s, &err);
        if (st == LQ_OK && err < best_err) {
            best_err = err;
            memcpy(best, s, (size_t)cols * sizeof *s);
        }
        if (st == LQ_OK)
            st = lq__method_progress(ctx, "awq", (double)(k - first + 1) / (LQ__AWQ_GRID - first));
    }
    if (st == LQ_OK && !(best_err < INFINITY))
        st = lq__fail(LQ_ERR_NUMERIC, "awq: no candidate scale gave a finite error");
    lq__free(x_mean);
    lq__free(w_mean);
    lq__free(s);
    return st;
}

/* lq__awq_search's score: the Hessian error of Q(W diag(s)) diag(s)^-1 - W
 * on AWQ's int grid, summed over the weights. */
typedef struct {
    const lq_ctx *ctx;
    const lq__linear_map *m;
    const lq_calib *c;
    const lq__awq_weights *ws;
    float *ws_s, *d; /* W diag(s) (per-tensor grids), the error: a chunk each */
} int_score;

static lq_status score_int(void *arg, const float *s, double *err)
{
    const int_score *a = arg;
    const int64_t chunk = a->ws->chunk;
    lq_status st = LQ_OK;
    for (int i = 0; st == LQ_OK && i < a->ws->n; i++) {
        const int64_t rows = lq_tensor_dim(a->ws->w[i], 0);
        double e = 0;
        for (int64_t r0 = 0; st == LQ_OK && r0 < rows; r0 += chunk) {
            const int64_t m = rows - r0 < chunk ? rows - r0 : chunk;
            const float *w = NULL;
            st = lq__awq_rows(a->ctx, a->ws, i, r0, m, &w);
            if (st == LQ_OK)
                st = candidate_delta(a->ctx, a->m, w, m, s, a->ws_s, a->d);
            if (st == LQ_OK)
                st = lq__hessian_error_add(a->ctx, a->c, a->d, m, &e);
        }
        *err += e;
    }
    return st;
}

lq_status lq__awq_search(const lq_ctx *ctx, const lq__linear_map *m, const lq_calib *c,
                         const lq_tensor *const *w, int n, float *best)
{
    const int64_t cols = m->cols;
    int64_t maxrows = 0;
    for (int i = 0; i < n; i++)
        maxrows = lq_tensor_dim(w[i], 0) > maxrows ? lq_tensor_dim(w[i], 0) : maxrows;
    /* a per-tensor grid is made over all rows at once */
    const int64_t chunk = m->per_tensor ? maxrows : lq__hessian_chunk_rows(ctx, c, maxrows);
    const size_t floats = (size_t)(chunk * cols);
    lq__awq_weights ws = {w, n, chunk, lq__malloc(floats * sizeof(float))};
    int_score a = {ctx, m, c, &ws, m->per_tensor ? lq__malloc(floats * sizeof *a.ws_s) : NULL,
                   lq__malloc(floats * sizeof *a.d)};
    lq_status st = ws.buf && (a.ws_s || !m->per_tensor) && a.d
                       ? lq__awq_grid(ctx, m, c, &ws, 0, score_int, &a, best)
                       : lq__fail(LQ_ERR_NOMEM, "awq: out of memory");
    lq__free(ws.buf);
    lq__free(a.ws_s);
    lq__free(a.d);
    return st;
}

lq_status lq_awq_search(lq_ctx *ctx, const lq_scheme *scheme, const lq_calib *calib,
                        const lq_tensor *const *w, int n, float *scales)
{
    static const char fn[] = "lq_awq_search";
    if (!scheme || !calib || !w || !scales || n < 1)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument or no weights", fn);
    if (scheme->method != LQ_METHOD_AWQ)
        return lq__fail(LQ_ERR_INVALID, "%s: '%s' is not an awq scheme", fn, scheme->text);
    lq_status st = LQ_OK;
    for (int i = 0; st == LQ_OK && i < n; i++) {
        if (!w[i])
            st = lq__fail(LQ_ERR_INVALID, "%s: weight %d is NULL", fn, i);
        else if (w[i]->ndim != 2)
            st = lq__fail(LQ_ERR_SHAPE, "%s: weight %d is not 2-D", fn, i);
        else
            st = lq__calib_check(fn, calib, w[i]->shape[1]);
    }
    /* the weights are read a chunk of rows at a time (lq__awq_weights) */
    lq__linear_map m;
    lq__layout layout;
    if (st == LQ_OK)
        st = lq__codec_layout(fn, &scheme->qp, 1, calib->n, &layout);
    if (st == LQ_OK) {
        lq__linear_map_init(&m, &scheme->qp, 1, calib->n, &layout);
        st = lq__awq_search(ctx, &m, calib, w, n, scales);
        if (st != LQ_OK && st != LQ_ERR_CANCELLED)
            lq__error_prefix(fn);
    }
    return st;
}

/* ---- clipping search and the method --------------------------------------- */

lq_status lq__awq_clip(const lq__linear_map *m, const lq_calib *c, float *w, int64_t rows)
{
    const int64_t cols = m->cols, len = m->group > 0 ? m->group : cols;
    float *d = lq__malloc((size_t)(rows * len) * sizeof *d);
    float *t = lq__malloc((size_t)(rows * len) * sizeof *t);
    float *tmp = lq__malloc((size_t)len * sizeof *tmp);
    float *org = lq__malloc((size_t)rows * sizeof *org);
    float *best = lq__malloc((size_t)rows * sizeof *best);
    double *best_err = lq__malloc((size_t)rows * sizeof *best_err);
    lq_status st = d && t && tmp && org && best && best_err
                       ? LQ_OK : lq__fail(LQ_ERR_NOMEM, "awq: out of memory");
    for (int64_t c0 = 0; st == LQ_OK && c0 < cols; c0 += len) {
        for (int64_t r = 0; r < rows; r++) {
            org[r] = 0.0f;
            for (int64_t k = 0; k < len; k++)
                org[r] = fmaxf(org[r], fabsf(w[r * cols + c0 + k]));
            best[r] = org[r];
            best_err[r] = INFINITY;
        }
        for (int i = 0; st == LQ_OK && i < AWQ_CLIP_STEPS; i++) {
            for (int64_t r = 0; st == LQ_OK && r < rows; r++) {
                const float *x = w + r * cols + c0;
                float mv = org[r] * (1.0f - (float)i / LQ__AWQ_GRID);
                for (int64_t k = 0; k < len; k++)
                    tmp[k] = fminf(fmaxf(x[k], -mv), mv);
                lq__linear_param p;
                st = awq_grid(tmp, len, m, &p);
                for (int64_t k = 0; st == LQ_OK && k < len; k++)
                    d[r * len + k] = round_trip(tmp[k], p, m->maxq) - x[k];
            }
            if (st != LQ_OK)
                break;
            /* t = d H_gg: the group's diagonal block of H */
            lq__hessian_block_mul(c, c0, len, d, rows, t);
            for (int64_t r = 0; r < rows; r++) {
                double e = 0;
                for (int64_t k = 0; k < len; k++)
                    e += (double)t[r * len + k] * d[r * len + k];
                if (e < best_err[r]) {
                    best_err[r] = e;
                    best[r] = org[r] * (1.0f - (float)i / LQ__AWQ_GRID);
                }
            }
        }
        for (int64_t r = 0; st == LQ_OK && r < rows; r++)
            for (int64_t k = 0; k < len; k++)
                w[r * cols + c0 + k] = fminf(fmaxf(w[r * cols + c0 + k], -best[r]), best[r]);
    }
    lq__free(d);
    lq__free(t);
    lq__free(tmp);
    lq__free(org);
    lq__free(best);
    lq__free(best_err);
    return st;
}

lq_status lq__awq_store(const lq__linear_map *m, const float *w, uint8_t *dst)
{
    const int64_t cols = m->cols, len = run_length(m);
    lq__linear_param p;
    lq_status st = LQ_OK;
    if (m->per_tensor && (st = awq_grid(w, m->rows * cols, m, &p)) == LQ_OK)
        lq__linear_store_param(dst, m, 0, p);
    for (int64_t r = 0; st == LQ_OK && r < m->rows; r++) {
        uint8_t *codes = dst + m->codes + (size_t)r * m->row_bytes;
        for (int64_t c0 = 0; st == LQ_OK && c0 < cols; c0 += len) {
            const float *x = w + r * cols + c0;
            if (!m->per_tensor) {
                if ((st = awq_grid(x, len, m, &p)) != LQ_OK)
                    break;
                lq__linear_store_param(dst, m, lq__linear_param_index(m, r, c0), p);
            }
            for (int64_t k = 0; k < len; k++)
                lq__linear_put_code(codes, c0 + k, m->bits,
                                    lq__linear_quantize_value(x[k], p, m->maxq));
        }
    }
    return st;
}

static lq_status awq_run(const lq__method_job *job)
{
    const lq__qjob *q = &job->q;
    lq__linear_map m;
    lq__linear_map_init(&m, q->qp, q->rows, q->cols, q->layout);
    lq_status st = lq__calib_check("awq", job->calib, q->cols);
    if (st != LQ_OK || q->rows == 0)
        return st;
    float *w = lq__malloc((size_t)(q->rows * q->cols) * sizeof *w);
    if (!w)
        return lq__fail(LQ_ERR_NOMEM, "awq: out of memory");
    memcpy(w, q->src, (size_t)(q->rows * q->cols) * sizeof *w);
    /* per-tensor grids have no groups to clip */
    if (!m.per_tensor && !lq__awq_skips_clip(job->name))
        st = lq__awq_clip(&m, job->calib, w, q->rows);
    if (st == LQ_OK)
        st = lq__awq_store(&m, w, q->dst);
    lq__free(w);
    return st;
}

const lq__method lq__method_awq = {1, awq_run, 0};
