/* ggml_iq2.c — the 2-bit i-quants IQ2_XXS (2.06 bits per value), IQ2_XS
 * (2.31) and IQ2_S (2.56), bit-exact with ggml.
 *
 * Every group of 8 values is a point of a codebook (ggml_iq2_grids.c) with
 * signs, and every 32 (IQ2_XXS) or 16 values share a 4-bit scale of the
 * block's f16 one. The quantizers are ggml's (quantize_row_iq2_*_impl): the
 * magnitudes of a group of 16 or 32 are rounded to levels 1, 3, 5 times a
 * scale for 13 or 19 trial scales, each group of 8 moved to the best nearby
 * codebook point when its levels are not one (ggml_iq2_search.c), and the
 * scale of least weighted error kept. IQ2_XXS and IQ2_XS store 7 sign bits
 * per group (the eighth makes the number of negatives even: the value of
 * least weighted square is flipped when it is odd) and need an importance
 * matrix, as in ggml (lq__blocks_quantize refuses without one); IQ2_S stores
 * all 8 and has weights of its own without one. Layouts in ggml_blocks.h. */
#include <math.h>
#include <string.h>

#include "../core/error.h"
#include "codecs_ggml.h"
#include "ggml_blocks.h"
#include "ggml_iq2.h"
#include "ggml_search.h"

#define GROUP_MAX_EPS_IQ2_S 1e-8f /* IQ2_S's own all-zero threshold */
#define MAX(a, b) ((a) > (b) ? (a) : (b)) /* ggml's, whose NaN behaviour matters */

typedef struct {
    const lq__iq2_search *s;
    int n;        /* values per scale: 32 (IQ2_XXS) or 16 */
    bool all8;    /* IQ2_S: 8 sign bits, no parity flip */
    float x[32];  /* magnitudes (one may be negated by the parity flip) */
    float w[32], waux[32];
    uint8_t signs[4];
    int8_t L[32];
    int on_grid[4];
} group;

/* Magnitudes and sign bits of the group's values xb. */
static void magnitudes(group *g, const float *xb)
{
    for (int k = 0; k < g->n / 8; k++) {
        int nflip = 0;
        unsigned s = 0;
        for (int i = 0; i < 8; i++) {
            const float v = xb[8 * k + i];
            g->x[8 * k + i] = v >= 0 ? v : -v;
            if (v < 0) {
                nflip++;
                s |= 1u << i;
            }
        }
        if (!g->all8 && nflip % 2) {
            int imin = 0;
            float min = g->w[8 * k] * xb[8 * k] * xb[8 * k];
            for (int i = 1; i < 8; i++) {
                const float ax = g->w[8 * k + i] * xb[8 * k + i] * xb[8 * k + i];
                if (ax < min) {
                    min = ax;
                    imin = i;
                }
            }
            g->x[8 * k + imin] = -g->x[8 * k + imin];
            s ^= 1u << imin;
        }
        g->signs[k] = (uint8_t)(g->all8 ? s : s & 127);
    }
}

/* Levels of group k at 1/id, moved onto the codebook (the neighbour search
 * at `scale`); returns whether they were on it. */
static int round_group(group *g, int k, float id, float scale, int8_t *L)
{
    for (int i = 0; i < 8; i++) {
        const int l = lq__nearest_int(0.5f * (id * g->x[8 * k + i] - 1));
        L[8 * k + i] = (int8_t)(l < 0 ? 0 : l > 2 ? 2 : l);
    }
    int on;
    lq__iq2_point(g->s, L + 8 * k, g->x + 8 * k, g->waux + 8 * k, scale, NULL, &on);
    return on;
}

/* sum w x q and sum w q^2 over the group for q = 2 L + 1 */
static void sums(const group *g, const int8_t *L, float *sumqx, float *sumq2)
{
    float qx = 0, q2 = 0;
    for (int i = 0; i < g->n; i++) {
        const float q = (float)(2 * L[i] + 1);
        qx += g->w[i] * g->x[i] * q;
        q2 += g->w[i] * q * q;
    }
    *sumqx = qx, *sumq2 = q2;
}

/* The group's scale and levels (g->L) for values xb with importance qwb
 * (NULL: IQ2_S's own weights; the other types are only called with one, as
 * lq__blocks_quantize checks, and would take importance 1), or false for a
 * group ggml leaves all zero. IQ2_XXS starts from make_qp_quants' scale
 * and tries 13 scales around 5 / (3 * it), then rounds all four groups of 8
 * again at the best; the others try 19 around 5 / max and round again only
 * the groups that were off the grid. */
static bool search(group *g, const float *xb, const float *qwb, float sigma2, float eps,
                   float *out)
{
    const int n = g->n, ngroups = n / 8;
    for (int i = 0; i < n; i++) {
        const float q = qwb ? qwb[i] : 1.f;
        g->w[i] = qwb || !g->all8 ? q * sqrtf(sigma2 + xb[i] * xb[i])
                                  : 0.25f * sigma2 + xb[i] * xb[i];
    }
    for (int i = 0; i < n; i++)
        g->waux[i] = sqrtf(g->w[i]);
    magnitudes(g, xb);
    float max = g->x[0];
    for (int i = 1; i < n; i++)
        max = MAX(max, g->x[i]);
    memset(g->L, 0, sizeof g->L);
    if (max < eps)
        return false;
    float scale, top;
    int first;
    if (n == 32) {
        scale = lq__make_qp_quants(32, 4, g->x, (uint8_t *)g->L, g->w);
        top = scale * 3;
        if (top <= 0)
            return false;
        first = -6;
    } else {
        scale = max / 5;
        top = max;
        first = -9;
    }
    float best = 0;
    int8_t Laux[32];
    int on_aux[4];
    for (int k = 0; k < ngroups; k++)
        g->on_grid[k] = 1;
    for (int is = first; is <= -first; is++) {
        const float id = (5 + is * 0.1f) / top, this_scale = 1 / id;
        for (int k = 0; k < ngroups; k++)
            on_aux[k] = round_group(g, k, id, this_scale, Laux);
        float sumqx, sumq2;
        sums(g, Laux, &sumqx, &sumq2);
        if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
            scale = sumqx / sumq2;
            best = scale * sumqx;
            memcpy(g->L, Laux, (size_t)n);
            memcpy(g->on_grid, on_aux, sizeof on_aux);
        }
    }
    int off = 0;
    for (int k = 0; k < ngroups; k++)
        off += n == 32 || !g->on_grid[k];
    if (off > 0 && scale > 0) {
        const float id = 1 / scale;
        for (int k = 0; k < ngroups; k++)
            if (n == 32 || !g->on_grid[k])
                round_group(g, k, id, scale, g->L);
        float sumqx, sumq2;
        sums(g, g->L, &sumqx, &sumq2);
        if (sumq2 > 0)
            scale = sumqx / sumq2;
    }
    if (scale < 0) { /* ggml: "should never happen" */
        scale = -scale;
        for (int k = 0; k < ngroups; k++)
            g->signs[k] = (uint8_t)(g->all8 ? ~g->signs[k] : ~g->signs[k] & 127);
    }
    *out = scale;
    return true;
}

/* The codebook point of group k's final levels. ggml packs them two bits
 * each into a uint16 and looks that up; levels outside 0..2 are left only
 * by a NaN scale (from overflowing input), and where their packing is not a
 * point ggml aborts: the nearest point stands in. */
static int final_point(group *g, int k)
{
    unsigned u = 0;
    for (int i = 0; i < 8; i++)
        u |= (unsigned)g->L[8 * k + i] << 2 * i;
    u &= 0xFFFF;
    int8_t L[8];
    bool in_range = true;
    for (int i = 0; i < 8; i++) {
        L[i] = (int8_t)((u >> 2 * i) & 3);
        in_range = in_range && L[i] <= 2;
    }
    if (!in_range)
        for (int i = 0; i < 8; i++)
            L[i] = L[i] > 2 ? 2 : L[i];
    int on;
    return lq__iq2_point(g->s, L, g->x + 8 * k, g->waux + 8 * k, NAN, NULL, &on);
}

/* ggml's 4-bit code of a group scale: the nearest l with d (2 l + 1) / 2
 * to it, for the block's f16 scale d = max_scale / 31 (id = 1 / d). */
static int scale_code(float id, float scale)
{
    const int l = lq__nearest_int(0.5f * (id * scale - 1));
    return l < 0 ? 0 : l > 15 ? 15 : l;
}

/* The mean square of a super-block (twice it for IQ2_S), a weights term. */
static float block_sigma2(const float *x, bool twice)
{
    const float sumx2 = lq__sum_squares(x, LQ__QK_K);
    return twice ? 2 * sumx2 / LQ__QK_K : sumx2 / LQ__QK_K;
}

static const float *importance(const float *imatrix, int64_t ibl, int n, int ib)
{
    return imatrix ? imatrix + LQ__QK_K * ibl + n * ib : NULL;
}

/* Without the search tables (out of memory, which lq__blocks_quantize
 * reports before any row) the blocks stay zero. */
static void quantize_iq2_xxs(const float *x, void *vy, int64_t n, const float *imatrix)
{
    lq__blk_iq2_xxs *y = vy;
    group g = {.s = lq__iq2_search_for(LQ_TYPE_IQ2_XXS), .n = 32};
    for (int64_t ibl = 0; ibl < n / LQ__QK_K && g.s; ibl++, x += LQ__QK_K) {
        uint32_t q2[16] = {0};
        float scales[8], max_scale = 0;
        y[ibl].d = lq__h(0.f);
        const float sigma2 = block_sigma2(x, false);
        for (int ib = 0; ib < 8; ib++) {
            if (!search(&g, x + 32 * ib, importance(imatrix, ibl, 32, ib), sigma2,
                        LQ__GROUP_MAX_EPS, &scales[ib])) {
                scales[ib] = 0;
                continue;
            }
            for (int k = 0; k < 4; k++) {
                q2[2 * ib] |= (uint32_t)final_point(&g, k) << 8 * k;
                q2[2 * ib + 1] |= (uint32_t)g.signs[k] << 7 * k;
            }
            max_scale = MAX(max_scale, scales[ib]);
        }
        if (!max_scale) {
            memset(y[ibl].qs, 0, sizeof y[ibl].qs);
            continue;
        }
        const float d = max_scale / 31, id = 1 / d;
        y[ibl].d = lq__h(d);
        for (int ib = 0; ib < 8; ib++)
            q2[2 * ib + 1] |= (uint32_t)scale_code(id, scales[ib]) << 28;
        memcpy(y[ibl].qs, q2, sizeof q2);
    }
}

static void quantize_iq2_xs(const float *x, void *vy, int64_t n, const float *imatrix)
{
    lq__blk_iq2_xs *y = vy;
    group g = {.s = lq__iq2_search_for(LQ_TYPE_IQ2_XS), .n = 16};
    for (int64_t ibl = 0; ibl < n / LQ__QK_K && g.s; ibl++, x += LQ__QK_K) {
        uint16_t q2[32] = {0};
        float scales[16], max_scale = 0;
        y[ibl].d = lq__h(0.f);
        memset(y[ibl].scales, 0, sizeof y[ibl].scales);
        const float sigma2 = block_sigma2(x, false);
        for (int ib = 0; ib < 16; ib++) {
            if (!search(&g, x + 16 * ib, importance(imatrix, ibl, 16, ib), sigma2,
                        LQ__GROUP_MAX_EPS, &scales[ib])) {
                scales[ib] = 0;
                continue;
            }
            for (int k = 0; k < 2; k++)
                q2[2 * ib + k] = (uint16_t)(final_point(&g, k) | g.signs[k] << 9);
            max_scale = MAX(max_scale, scales[ib]);
        }
        if (!max_scale) {
            memset(y[ibl].qs, 0, sizeof y[ibl].qs);
            continue;
        }
        const float d = max_scale / 31, id = 1 / d;
        y[ibl].d = lq__h(d);
        for (int ib = 0; ib < 16; ib++)
            y[ibl].scales[ib / 2] |= (uint8_t)(scale_code(id, scales[ib]) << 4 * (ib % 2));
        memcpy(y[ibl].qs, q2, sizeof q2);
    }
}

static void quantize_iq2_s(const float *x, void *vy, int64_t n, const float *imatrix)
{
    lq__blk_iq2_s *y = vy;
    group g = {.s = lq__iq2_search_for(LQ_TYPE_IQ2_S), .n = 16, .all8 = true};
    for (int64_t ibl = 0; ibl < n / LQ__QK_K && g.s; ibl++, x += LQ__QK_K) {
        lq__blk_iq2_s *b = &y[ibl];
        float scales[16], max_scale = 0;
        memset(b, 0, sizeof *b);
        b->d = lq__h(0.f);
        const float sigma2 = block_sigma2(x, true);
        for (int ib = 0; ib < 16; ib++) {
            if (!search(&g, x + 16 * ib, importance(imatrix, ibl, 16, ib), sigma2,
                        GROUP_MAX_EPS_IQ2_S, &scales[ib])) {
                scales[ib] = 0;
                continue;
            }
            for (int k = 0; k < 2; k++) {
                const int i8 = 2 * ib + k, p = final_point(&g, k);
                b->qs[i8] = (uint8_t)(p & 255);
                b->qh[i8 / 4] |= (uint8_t)((p >> 8) << 2 * (i8 % 4));
                b->qs[32 + i8] = g.signs[k];
            }
            max_scale = MAX(max_scale, scales[ib]);
        }
        if (!max_scale)
            continue;
        /* ggml stores d slightly smaller than the scales were coded with */
        const float d = max_scale / 31, id = 1 / d;
        b->d = lq__h(d * 0.9875f);
        for (int ib = 0; ib < 16; ib++)
            b->scales[ib / 2] |= (uint8_t)(scale_code(id, scales[ib]) << 4 * (ib % 2));
    }
}

/* Eight values of a point with sign bits, times db. */
static float *put8(uint64_t point, unsigned signs, float db, float *y)
{
    for (int j = 0; j < 8; j++)
        *y++ = db * (float)((point >> 8 * j) & 255) * (signs >> j & 1 ? -1.f : 1.f);
    return y;
}

/* A group scale: d (0.5 + code) / 4, in ggml's order of operations. */
static float group_scale(float d, unsigned code) { return d * (0.5f + (float)code) * 0.25f; }

static void dequantize_iq2_xxs(const void *vx, float *y, int64_t n)
{
    const lq__blk_iq2_xxs *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const float d = lq__f(x[i].d);
        for (int ib = 0; ib < 8; ib++) {
            uint32_t aux[2];
            memcpy(aux, x[i].qs + 4 * ib, sizeof aux);
            const float db = group_scale(d, aux[1] >> 28);
            for (int l = 0; l < 4; l++)
                y = put8(lq__iq2xxs_grid[(aux[0] >> 8 * l) & 255],
                         lq__iq2_signs(aux[1] >> 7 * l), db, y);
        }
    }
}

static void dequantize_iq2_xs(const void *vx, float *y, int64_t n)
{
    const lq__blk_iq2_xs *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const float d = lq__f(x[i].d);
        for (int ib = 0; ib < 8; ib++)
            for (int l = 0; l < 4; l++) {
                const unsigned q = x[i].qs[4 * ib + l];
                y = put8(lq__iq2xs_grid[q & 511], lq__iq2_signs(q >> 9),
                         group_scale(d, (x[i].scales[ib] >> 4 * (l / 2)) & 15), y);
            }
    }
}

static void dequantize_iq2_s(const void *vx, float *y, int64_t n)
{
    const lq__blk_iq2_s *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const float d = lq__f(x[i].d);
        for (int ib = 0; ib < 8; ib++)
            for (int l = 0; l < 4; l++) {
                const int p = x[i].qs[4 * ib + l] | ((x[i].qh[ib] << (8 - 2 * l)) & 0x300);
                y = put8(lq__iq2s_grid[p], x[i].qs[32 + 4 * ib + l],
                         group_scale(d, (x[i].scales[ib] >> 4 * (l / 2)) & 15), y);
            }
    }
}

/* The tables first, so that running out of memory for them is reported. */
static lq_status quantize_iq2(const lq__qjob *job)
{
    if (!lq__iq2_search_for(job->qp->type))
        return LQ_ERR_NOMEM;
    return lq__blocks_quantize(job);
}

#define IQ2_CODEC(name)                                                               \
    const lq__codec lq__codec_##name = {.check = lq__blocks_check,                       \
                                        .layout = lq__blocks_layout,                     \
                                        .quantize = quantize_iq2,                        \
                                        .dequantize = lq__blocks_dequantize,             \
                                        .quantize_row = quantize_##name,                 \
                                        .dequantize_row = dequantize_##name,             \
                                        .n_f16_scales = 1,                               \
                                        .f16_scale_at = {offsetof(lq__blk_##name, d)}}
IQ2_CODEC(iq2_xxs);
IQ2_CODEC(iq2_xs);
IQ2_CODEC(iq2_s);
