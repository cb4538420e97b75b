/* hqq.c — Half-Quadratic Quantization (mobiusml/hqq), calibration-free
 * (doc/methods.md; facts in algorithms.md 4).
 *
 * Each group gets the min-max grid (the inverse scale s_inv = maxq / (max -
 * min), kept fixed), then only its zero point z is optimized by HQQ's legacy
 * proximal solver, which the reference runs by default: lp norm p = 0.7,
 * beta = 10, `iters` rounds (20). Its quirks are kept on purpose: beta is
 * never multiplied by kappa (1.01, unused), the early stop compares the mean
 * |W - W_r| of the whole tensor against the best so far, and on stopping the
 * zero of the non-improving round is kept, not the best one.
 *
 * HQQ's zero is a float; our layout stores u8 zero points. Rounding the
 * optimized zero alone gives back plain rounding's error (the solver moves
 * zeros by less than half a step), so after rounding the same half-quadratic
 * step is run once more with the roles swapped: the zero fixed, the scale
 * solved for (closed form sum (W - W_e)(q - z) / sum (q - z)^2), with the same
 * shrink, rounds and early stop. doc/methods.md has the measurements. */
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../formats/linear.h"
#include "hqq.h"
#include "methods.h"

#define HQQ_LP 0.7f
#define HQQ_BETA 10.0f
#define HQQ_MAX_SINV 2e4f
#define HQQ_MIN_RANGE 1e-4f

/* shrink_lp: sign(x) max(|x| - |x|^(p-1) / beta, 0); x = 0 gives 0.
 * |x| - |x|^(p-1) / beta grows with |x| and is still negative at 0.17
 * (0.17 - 0.17^-0.3 / 10 = -0.0002), so below that the result is 0 without
 * the powf: weight errors are almost always that small. */
static float shrink_lp(float x)
{
    float a = fabsf(x);
    if (a < 0.17f)
        return 0.0f;
    float t = a - powf(a, HQQ_LP - 1.0f) / HQQ_BETA;
    return t > 0.0f ? copysignf(t, x) : 0.0f;
}

/* What both solver steps share: the groups, and one partial sum of
 * |W - W_r| per chunk of groups (added in chunk order afterwards, so results
 * do not depend on the thread count). */
typedef struct {
    const float *w;
    int64_t gsize, chunk;
    int maxq;
    double *err_sum;
} hqq_groups;

/* Up to `iters` rounds of `step` over all groups, with the reference's
 * early stop: the mean |W - W_r| of the whole tensor (computed before the
 * round's update) must improve on the best so far, else the loop stops,
 * keeping that round's update (the legacy solver's quirk). */
static lq_status rounds(const lq_ctx *ctx, hqq_groups *h, int64_t ngroups, int iters,
                        lq__range_fn step, void *arg)
{
    h->chunk = lq__grain_for(h->gsize, 1 << 16);
    int64_t nchunks = (ngroups + h->chunk - 1) / h->chunk;
    if (!(h->err_sum = lq__calloc((size_t)nchunks, sizeof *h->err_sum)))
        return lq__fail(LQ_ERR_NOMEM, "hqq: out of memory");
    double best = INFINITY;
    lq_status st = LQ_OK;
    for (int it = 0; it < iters && st == LQ_OK; it++) {
        st = lq__parallel_for(ctx, "hqq", ngroups, h->chunk, step, arg);
        double err = 0;
        for (int64_t c = 0; c < nchunks; c++)
            err += h->err_sum[c];
        err /= (double)(ngroups * h->gsize);
        if (!(err < best))
            break;
        best = err;
    }
    lq__free(h->err_sum);
    return st;
}

typedef struct {
    hqq_groups g;
    const float *s_inv;
    float *z; /* in: current zeros; out: updated */
} zero_step;

/* One round of the zero step over groups [g0, g1): HQQ's closed form
 * z = mean(W_q - (W - W_e) s_inv). */
static void zero_range(void *arg, int64_t g0, int64_t g1)
{
    zero_step *h = arg;
    double err = 0;
    for (int64_t g = g0; g < g1; g++) {
        const float *w = h->g.w + g * h->g.gsize;
        float s = h->s_inv[g], z = h->z[g];
        double zsum = 0;
        for (int64_t k = 0; k < h->g.gsize; k++) {
            float q = fminf(fmaxf(nearbyintf(w[k] * s + z), 0.0f), (float)h->g.maxq);
            float wr = (q - z) / s;
            float we = shrink_lp(w[k] - wr);
            zsum += q - (w[k] - we) * s;
            err += fabsf(w[k] - wr);
        }
        h->z[g] = (float)(zsum / (double)h->g.gsize);
    }
    h->g.err_sum[g0 / h->g.chunk] = err;
}

lq_status lq__hqq_optimize(const lq_ctx *ctx, const float *w, int64_t ngroups, int64_t gsize,
                           int bits, int iters, float *s_inv, float *z)
{
    const int maxq = (1 << bits) - 1;
    for (int64_t g = 0; g < ngroups; g++) {
        const float *x = w + g * gsize;
        float mn = x[0], mx = x[0];
        for (int64_t k = 1; k < gsize; k++) {
            mn = fminf(mn, x[k]);
            mx = fmaxf(mx, x[k]);
        }
        float s = fabsf(mx - mn) <= HQQ_MIN_RANGE ? 1.0f : (float)maxq / (mx - mn);
        s_inv[g] = fminf(s, HQQ_MAX_SINV);
        z[g] = -mn * s_inv[g];
        if (bits == 4) /* BaseQuantizeConfig: round_zero = (nbits == 4) */
            z[g] = nearbyintf(z[g]);
    }
    zero_step h = {{w, gsize, 0, maxq, NULL}, s_inv, z};
    return rounds(ctx, &h.g, ngroups, iters, zero_range, &h);
}

typedef struct {
    hqq_groups g;
    const int *zero;
    float *scale; /* in: current scales; out: updated */
} scale_step;

/* One round of the scale step over groups [g0, g1): the zero fixed, the
 * scale from sum (W - W_e)(q - z) / sum (q - z)^2. */
static void scale_range(void *arg, int64_t g0, int64_t g1)
{
    scale_step *h = arg;
    double err = 0;
    for (int64_t g = g0; g < g1; g++) {
        const float *w = h->g.w + g * h->g.gsize;
        float s = h->scale[g], z = (float)h->zero[g];
        double num = 0, den = 0;
        for (int64_t k = 0; k < h->g.gsize; k++) {
            float q = s > 0.0f ? fminf(fmaxf(nearbyintf(w[k] / s + z), 0.0f), (float)h->g.maxq)
                               : z;
            float wr = s * (q - z), we = shrink_lp(w[k] - wr);
            num += (double)(w[k] - we) * (q - z);
            den += (double)(q - z) * (q - z);
            err += fabsf(w[k] - wr);
        }
        if (den > 0)
            h->scale[g] = (float)(num / den);
    }
    h->g.err_sum[g0 / h->g.chunk] = err;
}

lq_status lq__hqq_refit_scale(const lq_ctx *ctx, const float *w, int64_t ngroups, int64_t gsize,
                              int bits, int iters, const int *zero, float *scale)
{
    scale_step h = {{w, gsize, 0, (1 << bits) - 1, NULL}, zero, scale};
    return rounds(ctx, &h.g, ngroups, iters, scale_range, &h);
}

static lq_status hqq_run(const lq__method_job *job)
{
    const lq__qjob *q = &job->q;
    lq__linear_map m;
    lq__linear_map_init(&m, q->qp, q->rows, q->cols, q->layout);
    int64_t total = q->rows * q->cols;
    int64_t gsize = m.per_tensor ? total : m.group, ngroups = total / (gsize ? gsize : 1);
    if (total == 0)
        return LQ_OK;
    float *s = lq__malloc((size_t)ngroups * sizeof *s);
    float *z = lq__malloc((size_t)ngroups * sizeof *z);
    int *zi = lq__malloc((size_t)ngroups * sizeof *zi);
    lq_status st = s && z && zi ? LQ_OK : lq__fail(LQ_ERR_NOMEM, "hqq: out of memory");
    if (st == LQ_OK)
        st = lq__hqq_optimize(q->ctx, q->src, ngroups, gsize, m.bits, job->scheme->iters, s, z);
    for (int64_t g = 0; st == LQ_OK && g < ngroups; g++) {
        float zr = nearbyintf(z[g]);
        zi[g] = zr < 0.0f ? 0 : zr > (float)m.maxq ? m.maxq : (int)zr;
        s[g] = 1.0f / s[g]; /* now the scale */
    }
    if (st == LQ_OK)
        st = lq__hqq_refit_scale(q->ctx, q->src, ngroups, gsize, m.bits, job->scheme->iters, zi, s);
    for (int64_t g = 0; st == LQ_OK && g < ngroups; g++) {
        lq__linear_param p = {lq__scale_round(m.scale_type, s[g]), zi[g]};
        if (!isfinite(p.scale) || p.scale < 0) {
            st = lq__fail(LQ_ERR_NUMERIC, "hqq: group %lld needs a scale of %g, which %s cannot "
                          "hold", (long long)g, (double)s[g],
                          m.scale_type == LQ_TYPE_F16 ? "f16 (use scale=f32)" : "f32");
            break;
        }
        lq__linear_store_param(q->dst, &m, (size_t)g, p);
        for (int64_t i = g * gsize; i < (g + 1) * gsize; i++) {
            int64_t r = i / q->cols, c = i % q->cols;
            lq__linear_put_code(q->dst + m.codes + (size_t)r * m.row_bytes, c, m.bits,
                                lq__linear_quantize_value(q->src[i], p, m.maxq));
        }
    }
    lq__free(s);
    lq__free(z);
    lq__free(zi);
    return st;
}

const lq__method lq__method_hqq = {0, hqq_run, 0};
