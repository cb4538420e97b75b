/* ggml_iq1.c — the 1-bit i-quants IQ1_S (1.5625 bits per value) and IQ1_M
 * (1.75), bit-exact with ggml.
 *
 * Every group of 8 values is a point of a grid of values -1, 0, 1
 * (ggml_grids_iq3_iq1.c) plus a shift of +1/8 or -1/8 shared by 32 values
 * (IQ1_S) or 8 (IQ1_M), times an odd 3-bit scale per 32 (IQ1_S) or 16 values
 * of the block's f16 scale. The quantizers are ggml's (quantize_row_iq1_*_impl):
 * the values of a group of 32 or 16 are sorted, every split into three runs
 * (levels -1, 0, 1) is scored for both shifts from prefix sums of weight and
 * weight times value, the best kept; each group of 8 whose levels are not a
 * grid point goes to the best nearby point (ggml_iq2_search.c's neighbour
 * lists) and the group's scale is refitted. IQ1_S needs an importance matrix,
 * as in ggml (lq__blocks_quantize refuses without one). Layouts in
 * ggml_grids_iq3_iq1.h. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "codecs_ggml.h"
#include "ggml_blocks.h"
#include "ggml_grids_iq3_iq1.h"
#include "ggml_iq2.h"
#include "ggml_search.h"

#define GROUP_MAX_EPS_IQ1_S 1e-12f /* below this max |x|, a group of 32 is all zero */
#define MAX(a, b) ((a) > (b) ? (a) : (b)) /* ggml's, whose NaN behaviour matters */

/* The values of levels 0, 1, 2 with the shift +1/8 (x_p) or -1/8 (x_m). */
static const float x_p[3] = {-1 + LQ__IQ1_DELTA, LQ__IQ1_DELTA, 1 + LQ__IQ1_DELTA};
static const float x_m[3] = {-1 - LQ__IQ1_DELTA, -LQ__IQ1_DELTA, 1 - LQ__IQ1_DELTA};

/* A value and its position, sorted by value with the C library's qsort and
 * the same comparison as ggml: equal values keep whatever order qsort gives
 * them, and the split between them then matters, so the sort is the same
 * call on the same 8-byte elements. */
typedef struct {
    float x;
    int i;
} pair;

static int pair_cmp(const void *l, const void *r)
{
    const float a = ((const pair *)l)->x, b = ((const pair *)r)->x;
    return a < b ? -1 : a > b ? 1 : 0;
}

/* Sorts the n values xb (pairs p) and returns the prefix sums of weight
 * times value and of weight in that order, sumx[0] = sumw[0] = 0. */
static void sorted_sums(const float *xb, const float *w, int n, pair *p, float *sumx, float *sumw)
{
    for (int j = 0; j < n; j++)
        p[j] = (pair){xb[j], j};
    qsort(p, (size_t)n, sizeof *p, pair_cmp);
    sumx[0] = sumw[0] = 0;
    for (int j = 0; j < n; j++) {
        const int i = p[j].i;
        sumx[j + 1] = sumx[j] + w[i] * xb[i];
        sumw[j + 1] = sumw[j] + w[i];
    }
}

/* Levels of the sorted values: 0 below i1, 1 up to i2, 2 from there. */
static void split_levels(const pair *p, int n, int i1, int i2, int8_t *L)
{
    for (int j = 0; j < n; j++)
        L[p[j].i] = (int8_t)(j < i1 ? 0 : j < i2 ? 1 : 2);
}

/* sum w q x and sum w q^2 of the 8 values x at the shifted levels q of
 * grid point `point` times mult (IQ1_S: 1, which changes nothing), added to
 * *sqx and *sq2 value by value. */
static void point_sums(const lq__iq2_search *s, int point, const float xx[3], const float *x,
                       const float *w, float mult, float *sqx, float *sq2)
{
    const int8_t *q = s->odd + 8 * point;
    for (int j = 0; j < 8; j++) {
        const float v = xx[(q[j] - 1) / 2] * mult;
        *sqx += w[j] * v * x[j];
        *sq2 += w[j] * v * v;
    }
}

static float max_abs(const float *x, int n)
{
    float max = fabsf(x[0]);
    for (int i = 1; i < n; i++)
        max = MAX(max, fabsf(x[i]));
    return max;
}

static float block_sigma2(const float *x)
{
    float sumx2 = 0;
    for (int i = 0; i < LQ__QK_K; i++)
        sumx2 += x[i] * x[i];
    return 2 * sumx2 / LQ__QK_K;
}

/* The best split of a sorted group of 32 for IQ1_S: both shifts, every
 * (i1, i2), ggml's score sumqx^2 / sumq2 compared without dividing. Returns
 * the shift (1: +1/8, -1: -1/8; 0: none found) and sets *scale, *i1, *i2. */
static int best_split_s(const float *sumx, const float *sumw, int n, float *scale, int *b1,
                        int *b2)
{
    float best_score = -FLT_MAX;
    int shift = 0;
    for (int i1 = 0; i1 <= n; i1++)
        for (int i2 = i1; i2 <= n; i2++) {
            for (int k = 0; k < 2; k++) {
                const float *v = k ? x_m : x_p;
                const float sumqx = (sumx[i1] - sumx[0]) * v[0] + (sumx[i2] - sumx[i1]) * v[1] +
                                    (sumx[n] - sumx[i2]) * v[2];
                const float sumq2 = (sumw[i1] - sumw[0]) * v[0] * v[0] +
                                    (sumw[i2] - sumw[i1]) * v[1] * v[1] +
                                    (sumw[n] - sumw[i2]) * v[2] * v[2];
                if (sumq2 > 0 && sumqx * sumqx > best_score * sumq2) {
                    *scale = sumqx / sumq2;
                    best_score = *scale * sumqx;
                    *b1 = i1;
                    *b2 = i2;
                    shift = k ? -1 : 1;
                }
            }
        }
    return shift;
}

static void quantize_iq1_s(const float *x, void *vy, int64_t n, const float *imatrix)
{
    const lq__iq2_search *s = lq__iq2_search_for(LQ_TYPE_IQ1_S);
    lq__blk_iq1_s *y = vy;
    if (!s || !imatrix) { /* lq__blocks_quantize has refused both before */
        memset(y, 0, sizeof *y * (size_t)(n / LQ__QK_K));
        return;
    }
    enum { B = 32 };
    for (int64_t ibl = 0; ibl < n / LQ__QK_K; ibl++) {
        memset(&y[ibl], 0, sizeof y[ibl]);
        const float *xbl = x + LQ__QK_K * ibl;
        const float sigma2 = block_sigma2(xbl);
        float scales[LQ__QK_K / B], max_scale = 0;
        int shifts[LQ__QK_K / B];
        for (int ib = 0; ib < LQ__QK_K / B; ib++) {
            const float *xb = xbl + B * ib, *qw = imatrix + LQ__QK_K * ibl + B * ib;
            float w[B], sumx[B + 1], sumw[B + 1];
            pair p[B];
            int8_t L[B];
            for (int i = 0; i < B; i++)
                w[i] = qw[i] * sqrtf(sigma2 + xb[i] * xb[i]);
            float max = max_abs(xb, B);
            scales[ib] = 0;
            shifts[ib] = 1;
            if (max < GROUP_MAX_EPS_IQ1_S)
                continue;
            sorted_sums(xb, w, B, p, sumx, sumw);
            float scale = max;
            int i1 = -1, i2 = -1;
            int shift = best_split_s(sumx, sumw, B, &scale, &i1, &i2);
            if (!shift)
                continue;
            split_levels(p, B, i1, i2, L);
            if (scale < 0) {
                for (int j = 0; j < B; j++)
                    L[j] = (int8_t)(2 - L[j]);
                scale = -scale;
                shift = -shift;
            }
            const float *xx = shift == 1 ? x_p : x_m;
            int index[B / 8], all_on_grid = 1;
            for (int k = 0; k < B / 8; k++) {
                int on;
                index[k] = lq__iq2_point(s, L + 8 * k, xb + 8 * k, w + 8 * k, scale, xx, &on);
                all_on_grid &= on;
            }
            if (!all_on_grid) {
                float sumqx = 0, sumq2 = 0;
                for (int k = 0; k < B / 8; k++)
                    point_sums(s, index[k], xx, xb + 8 * k, w + 8 * k, 1, &sumqx, &sumq2);
                if (sumqx > 0 && sumq2 > 0)
                    scale = sumqx / sumq2;
            }
            uint16_t h = 0;
            for (int k = 0; k < B / 8; k++) {
                y[ibl].qs[(B / 8) * ib + k] = (uint8_t)(index[k] & 255);
                h |= (uint16_t)((index[k] >> 8) << 3 * k);
            }
            y[ibl].qh[ib] = h;
            scales[ib] = scale;
            shifts[ib] = shift;
            max_scale = MAX(max_scale, scale);
        }
        if (!max_scale)
            continue;
        const float d = max_scale / 15;
        y[ibl].d = lq__h(d * 1.125f); /* ggml's fudge factor */
        const float id = 1 / d;
        for (int ib = 0; ib < LQ__QK_K / B; ib++) {
            int l = lq__nearest_int(0.5f * (id * scales[ib] - 1));
            l = l < 0 ? 0 : l > 7 ? 7 : l;
            if (shifts[ib] == -1)
                l |= 8;
            y[ibl].qh[ib] |= (uint16_t)(l << 12);
        }
    }
}

/* The best split of a sorted group of 16 for IQ1_M, whose two halves (the
 * group's first and last 8 values) each have a shift of their own: prefix
 * sums per half, and for every (i1, i2) the four shift pairs, k = 0 (+, +),
 * 1 (+, -), 2 (-, +), 3 (-, -), scored as in best_split_s; ggml's algebra
 * (the sums of a split are T v2 - px[i1] - px[i2] for both shifts, since the
 * levels' values are one apart). Returns k or -1 and sets *scale, *i1, *i2. */
static int best_split_m(const float *xb, const float *w, const pair *p, float *scale, int *b1,
                        int *b2)
{
    enum { B = 16 };
    float px[2][B + 1], pw[2][B + 1];
    px[0][0] = px[1][0] = 0;
    pw[0][0] = pw[1][0] = 0;
    for (int j = 0; j < B; j++) {
        const int i = p[j].i, h = i < B / 2 ? 0 : 1;
        px[h][j + 1] = px[h][j] + w[i] * xb[i];
        px[1 - h][j + 1] = px[1 - h][j];
        pw[h][j + 1] = pw[h][j] + w[i];
        pw[1 - h][j + 1] = pw[1 - h][j];
    }
    const float txs[2] = {px[0][B], px[1][B]}, tws[2] = {pw[0][B], pw[1][B]};
    const float p2 = x_p[2], m2 = x_m[2];
    const float cp1 = x_p[0] * x_p[0] - x_p[1] * x_p[1], cp2 = x_p[1] * x_p[1] - x_p[2] * x_p[2];
    const float cm1 = x_m[0] * x_m[0] - x_m[1] * x_m[1], cm2 = x_m[1] * x_m[1] - x_m[2] * x_m[2];
    float best_score = -FLT_MAX;
    int best = -1;
    for (int i1 = 0; i1 <= B; i1++)
        for (int i2 = i1; i2 <= B; i2++) {
            float qx_p[2], qx_m[2], q2_p[2], q2_m[2];
            for (int h = 0; h < 2; h++) {
                const float sx = px[h][i1] + px[h][i2];
                qx_p[h] = txs[h] * p2 - sx;
                qx_m[h] = txs[h] * m2 - sx;
                q2_p[h] = tws[h] * p2 * p2 + pw[h][i1] * cp1 + pw[h][i2] * cp2;
                q2_m[h] = tws[h] * m2 * m2 + pw[h][i1] * cm1 + pw[h][i2] * cm2;
            }
            const float sumqx[4] = {qx_p[0] + qx_p[1], qx_p[0] + qx_m[1], qx_m[0] + qx_p[1],
                                    qx_m[0] + qx_m[1]};
            const float sumq2[4] = {q2_p[0] + q2_p[1], q2_p[0] + q2_m[1], q2_m[0] + q2_p[1],
                                    q2_m[0] + q2_m[1]};
            for (int k = 0; k < 4; k++)
                if (sumq2[k] > 0 && sumqx[k] * sumqx[k] > best_score * sumq2[k]) {
                    *scale = sumqx[k] / sumq2[k];
                    best_score = *scale * sumqx[k];
                    *b1 = i1;
                    *b2 = i2;
                    best = k;
                }
        }
    return best;
}

/* The shifted level values of half h (0: the first 8) of a 16 with shift
 * pair k (best_split_m). */
static const float *half_values(int k, int h)
{
    return (h == 0 ? k < 2 : k % 2 == 0) ? x_p : x_m;
}

/* ggml's weights of IQ1_M: the importance times sqrt(sigma2 + x^2), or
 * x^2 without an importance matrix. */
static void weights_m(const float *xb, const float *qw, float sigma2, float *w)
{
    for (int i = 0; i < 16; i++)
        w[i] = qw ? qw[i] * sqrtf(sigma2 + xb[i] * xb[i]) : xb[i] * xb[i];
}

#define GROUP_MAX_EPS_IQ1_M 1e-7f /* below this max |x|, a group of 16 is all zero */

static void quantize_iq1_m(const float *x, void *vy, int64_t n, const float *imatrix)
{
    static const uint8_t masks[4] = {0x00, 0x80, 0x08, 0x88}; /* shift bits of a pair k */
    const lq__iq2_search *s = lq__iq2_search_for(LQ_TYPE_IQ1_M);
    lq__blk_iq1_m *y = vy;
    memset(y, 0, sizeof *y * (size_t)(n / LQ__QK_K));
    if (!s) /* lq__blocks_quantize's caller has built the tables */
        return;
    enum { B = 16 };
    for (int64_t ibl = 0; ibl < n / LQ__QK_K; ibl++) {
        const float *xbl = x + LQ__QK_K * ibl;
        const float *qwbl = imatrix ? imatrix + LQ__QK_K * ibl : NULL;
        const float sigma2 = block_sigma2(xbl);
        float scales[LQ__QK_K / B], max_scale = 0, w[B];
        int shifts[LQ__QK_K / B];
        for (int ib = 0; ib < LQ__QK_K / B; ib++) {
            const float *xb = xbl + B * ib;
            pair p[B];
            int8_t L[B];
            weights_m(xb, qwbl ? qwbl + B * ib : NULL, sigma2, w);
            float max = max_abs(xb, B);
            scales[ib] = 0;
            shifts[ib] = 0;
            if (max < GROUP_MAX_EPS_IQ1_M)
                continue;
            for (int j = 0; j < B; j++)
                p[j] = (pair){xb[j], j};
            qsort(p, B, sizeof *p, pair_cmp);
            float scale = max;
            int i1 = -1, i2 = -1;
            int k = best_split_m(xb, w, p, &scale, &i1, &i2);
            if (k < 0)
                continue;
            split_levels(p, B, i1, i2, L);
            if (scale < 0) {
                for (int j = 0; j < B; j++)
                    L[j] = (int8_t)(2 - L[j]);
                scale = -scale;
                k = 3 - k;
            }
            int index[2], all_on_grid = 1;
            for (int h = 0; h < 2; h++) {
                int on;
                index[h] = lq__iq2_point(s, L + 8 * h, xb + 8 * h, w + 8 * h, scale,
                                      half_values(k, h), &on);
                all_on_grid &= on;
            }
            if (!all_on_grid) {
                float sumqx = 0, sumq2 = 0;
                for (int h = 0; h < 2; h++)
                    point_sums(s, index[h], half_values(k, h), xb + 8 * h, w + 8 * h, 1, &sumqx,
                               &sumq2);
                if (sumqx > 0 && sumq2 > 0)
                    scale = sumqx / sumq2;
            }
            y[ibl].qs[2 * ib] = (uint8_t)(index[0] & 255);
            y[ibl].qs[2 * ib + 1] = (uint8_t)(index[1] & 255);
            y[ibl].qh[ib] = (uint8_t)((index[0] >> 8) | ((index[1] >> 8) << 4));
            scales[ib] = scale;
            shifts[ib] = k;
            max_scale = MAX(max_scale, scale);
        }
        if (!max_scale)
            continue;
        /* the block scale is refitted to all 256 values at their coded
         * scales (skipped groups too: grid point 0 at scale 1) */
        uint16_t sc[4] = {0, 0, 0, 0};
        float d = max_scale / 15;
        const float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        for (int ib = 0; ib < LQ__QK_K / B; ib++) {
            int l = lq__nearest_int(0.5f * (id * scales[ib] - 1));
            l = l < 0 ? 0 : l > 7 ? 7 : l;
            sc[ib / 4] |= (uint16_t)(l << 3 * (ib % 4));
            y[ibl].qh[ib] |= masks[shifts[ib]];
            const float *xb = xbl + B * ib;
            weights_m(xb, qwbl ? qwbl + B * ib : NULL, sigma2, w);
            for (int h = 0; h < 2; h++) {
                const int point = y[ibl].qs[2 * ib + h] | ((y[ibl].qh[ib] << (8 - 4 * h)) & 0x700);
                point_sums(s, point, half_values(shifts[ib], h), xb + 8 * h, w + 8 * h,
                           (float)(2 * l + 1), &sumqx, &sumq2);
            }
        }
        if (sumq2 > 0)
            d = sumqx / sumq2;
        memcpy(y[ibl].scales, sc, sizeof sc);
        lq__iq1m_put_d(&y[ibl], lq__h(d * 1.1125f)); /* ggml's fudge factor */
    }
}

/* Eight values of grid point `point` plus `delta`, times dl. */
static float *put8(int point, float delta, float dl, float *y)
{
    const uint64_t p = lq__iq1s_grid[point];
    for (int j = 0; j < 8; j++)
        *y++ = dl * ((float)(int8_t)(p >> 8 * j) + delta);
    return y;
}

static void dequantize_iq1_s(const void *vx, float *y, int64_t n)
{
    const lq__blk_iq1_s *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const float d = lq__f(x[i].d);
        for (int ib = 0; ib < 8; ib++) {
            const unsigned qh = x[i].qh[ib];
            const float dl = d * (float)(2 * ((qh >> 12) & 7) + 1);
            const float delta = qh & 0x8000 ? -LQ__IQ1_DELTA : LQ__IQ1_DELTA;
            for (int l = 0; l < 4; l++)
                y = put8(x[i].qs[4 * ib + l] | ((qh >> 3 * l) & 7) << 8, delta, dl, y);
        }
    }
}

static void dequantize_iq1_m(const void *vx, float *y, int64_t n)
{
    const lq__blk_iq1_m *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const float d = lq__f(lq__iq1m_d(&x[i]));
        uint16_t sc[4];
        memcpy(sc, x[i].scales, sizeof sc);
        for (int ib = 0; ib < 8; ib++) {
            const float dl[2] = {d * (float)(2 * ((sc[ib / 2] >> (6 * (ib % 2))) & 7) + 1),
                                 d * (float)(2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 7) + 1)};
            for (int l = 0; l < 4; l++) {
                const unsigned qh = x[i].qh[2 * ib + l / 2] >> 4 * (l % 2);
                y = put8(x[i].qs[4 * ib + l] | (qh & 7) << 8,
                         qh & 8 ? -LQ__IQ1_DELTA : LQ__IQ1_DELTA, dl[l / 2], y);
            }
        }
    }
}

/* The tables first, so that running out of memory for them is reported. */
static lq_status quantize_iq1(const lq__qjob *job)
{
    if (!lq__iq2_search_for(job->qp->type))
        return LQ_ERR_NOMEM;
    return lq__blocks_quantize(job);
}

const lq__codec lq__codec_iq1_s = {.check = lq__blocks_check,
                                   .layout = lq__blocks_layout,
                                   .quantize = quantize_iq1,
                                   .dequantize = lq__blocks_dequantize,
                                   .quantize_row = quantize_iq1_s,
                                   .dequantize_row = dequantize_iq1_s,
                                   .n_f16_scales = 1,
                                   .f16_scale_at = {offsetof(lq__blk_iq1_s, d)}};

/* IQ1_M's f16 scale is spread over four nibbles: no field to name. */
const lq__codec lq__codec_iq1_m = {.check = lq__blocks_check,
                                   .layout = lq__blocks_layout,
                                   .quantize = quantize_iq1,
                                   .dequantize = lq__blocks_dequantize,
                                   .quantize_row = quantize_iq1_m,
                                   .dequantize_row = dequantize_iq1_m};
