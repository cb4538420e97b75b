/* ggml_iq3.c — the 3-bit lattice types IQ3_XXS (3.06 bits per value) and
 * IQ3_S (3.44), bit-exact with ggml.
 *
 * Both quantize 32 values at a time: the magnitudes, in groups of four,
 * become points of a grid (ggml_grids_iq3_iq1.h) times a scale, the signs
 * are stored apart. For each of a range of trial scales every group is
 * rounded to levels 0..7 and, off the grid, replaced by the candidate point
 * of least weighted error (ggml_iq3_lattice.h); the trial with the best
 * weighted least-squares fit wins, and groups still off the grid are looked
 * up again at the winner's scale. Weights are x^2 without an importance
 * matrix, imatrix[j] * sqrt(sigma2 + x^2) with one (sigma2 twice the mean
 * square of the 256 values). The 32-value scales become 4-bit multiples of
 * the block's f16 scale.
 *
 * IQ3_XXS keeps 7 sign bits per 8 values (the eighth makes the count of
 * negatives even, so one value of odd groups is flipped: the one of least
 * weighted square); IQ3_S keeps all 8, and a 9th bit per grid index. ggml's
 * IQ3_S writer advances its index and sign cursors only past 32 values that
 * are not all zero, so the ones after an all-zero run land early; that is the
 * format as ggml writes it, and it is reproduced. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "codecs_ggml.h"
#include "ggml_grids_iq3_iq1.h"
#include "ggml_iq3_lattice.h"
#include "ggml_search.h"

typedef struct {
    int trials;   /* trial scales (15 + 0.2 t) / max for t in -trials..trials */
    int xxs;      /* IQ3_XXS's rules: even signs, groups on the grid kept */
} iq3_kind;

static const iq3_kind kind_xxs = {15, 1}, kind_s = {9, 0};

/* The code of four levels (a grid point's, once the search is done). */
static int levels_code(const int8_t *L)
{
    return L[0] | L[1] << 3 | L[2] << 6 | L[3] << 9;
}

/* The candidate of the off-grid `code` nearest to xval / scale in the
 * waux-weighted square error (the first on ties); its levels go to L. */
static int best_neighbour(const lq__iq3_lattice *lat, int code, const float *xval,
                          const float *waux, float scale, int8_t *L)
{
    const uint16_t *list = lat->lists + (-1 - lat->map[code]);
    float best_d2 = FLT_MAX;
    int best = list[1]; /* kept when every error is NaN, where ggml would abort */
    for (int j = 1; j <= list[0]; j++) {
        const int8_t *p = lat->point[list[j]];
        float d2 = 0;
        for (int i = 0; i < 4; i++) {
            const float diff = scale * (float)p[i] - xval[i];
            d2 += waux[i] * diff * diff;
        }
        if (d2 < best_d2) {
            best_d2 = d2;
            best = list[j];
        }
    }
    for (int i = 0; i < 4; i++)
        L[i] = (int8_t)((lat->point[best][i] - 1) / 2);
    return best;
}

/* Group k's levels at inverse scale id into L[4k..] and its code; *on says
 * whether it is a grid point (else L holds the best candidate at `scale`). */
static void round_group(const lq__iq3_lattice *lat, const float *xval, const float *waux,
                        float id, float scale, int8_t *L, int *on)
{
    for (int i = 0; i < 4; i++) {
        const int l = lq__nearest_int(0.5f * (id * xval[i] - 1));
        L[i] = (int8_t)(l < 0 ? 0 : l > 7 ? 7 : l);
    }
    const int code = levels_code(L);
    *on = lat->map[code] >= 0;
    if (!*on)
        best_neighbour(lat, code, xval, waux, scale, L);
}

/* sum w x q and sum w q^2 over the 32 values, q = 2L + 1 */
static void sums(const float *weight, const float *xval, const int8_t *L, float *sqx, float *sq2)
{
    float sumqx = 0, sumq2 = 0;
    for (int i = 0; i < 32; i++) {
        const float w = weight[i], q = (float)(2 * L[i] + 1);
        sumqx += w * xval[i] * q;
        sumq2 += w * q * q;
    }
    *sqx = sumqx, *sq2 = sumq2;
}

/* The scale and levels L of 32 magnitudes xval (max their largest). */
static float search(const lq__iq3_lattice *lat, const iq3_kind *kind, const float *xval,
                    const float *weight, const float *waux, float max, int8_t *L)
{
    int8_t Laux[32];
    int on[8], on_aux[8];
    float best = 0, scale = max / 15;
    memset(L, 0, 32);
    for (int k = 0; k < 8; k++)
        on[k] = kind->xxs;
    for (int t = -kind->trials; t <= kind->trials; t++) {
        const float id = (15 + (float)t * 0.2f) / max, this_scale = 1 / id;
        for (int k = 0; k < 8; k++)
            round_group(lat, xval + 4 * k, waux + 4 * k, id, this_scale, Laux + 4 * k, &on_aux[k]);
        float sumqx, sumq2;
        sums(weight, xval, Laux, &sumqx, &sumq2);
        if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
            scale = sumqx / sumq2;
            best = scale * sumqx;
            memcpy(L, Laux, 32);
            memcpy(on, on_aux, sizeof on);
        }
    }
    int off = 0;
    for (int k = 0; k < 8; k++)
        off += !on[k];
    if (off > 0 && scale > 0) {
        const float id = 1 / scale;
        for (int k = 0; k < 8; k++) {
            int on_grid; /* the group ends on a point either way */
            if (!(kind->xxs && on[k]))
                round_group(lat, xval + 4 * k, waux + 4 * k, id, scale, L + 4 * k, &on_grid);
        }
        float sumqx, sumq2;
        sums(weight, xval, L, &sumqx, &sumq2);
        if (sumq2 > 0)
            scale = sumqx / sumq2;
    }
    return scale;
}

/* Magnitudes, weights and sign bytes of the 32 values xb. */
static void prepare(const iq3_kind *kind, const float *xb, const float *qw, float sigma2,
                    float *xval, float *weight, float *waux, uint8_t *signs)
{
    for (int i = 0; i < 32; i++)
        weight[i] = qw ? qw[i] * sqrtf(sigma2 + xb[i] * xb[i]) : xb[i] * xb[i];
    for (int i = 0; i < 32; i++)
        waux[i] = sqrtf(weight[i]);
    for (int k = 0; k < 4; k++) {
        unsigned s = 0;
        int nflip = 0;
        for (int i = 0; i < 8; i++) {
            const float v = xb[8 * k + i];
            xval[8 * k + i] = v >= 0 ? v : -v;
            if (!(v >= 0)) {
                s |= 1u << i;
                nflip++;
            }
        }
        if (kind->xxs && nflip % 2) {
            int imin = 0;
            float min = weight[8 * k] * xb[8 * k] * xb[8 * k];
            for (int i = 1; i < 8; i++) {
                const float ax = weight[8 * k + i] * xb[8 * k + i] * xb[8 * k + i];
                if (ax < min) {
                    min = ax;
                    imin = i;
                }
            }
            xval[8 * k + imin] = -xval[8 * k + imin];
            s ^= 1u << imin;
        }
        signs[k] = (uint8_t)(kind->xxs ? s & 127 : s);
    }
}

static float max_of(const float *x)
{
    float m = x[0];
    for (int i = 1; i < 32; i++)
        m = m > x[i] ? m : x[i]; /* ggml's MAX(m, x): x when m is NaN */
    return m;
}

static float sigma2_of(const float *x)
{
    float s = 0;
    for (int i = 0; i < LQ__QK_K; i++)
        s += x[i] * x[i];
    return 2 * s / LQ__QK_K;
}

/* A 32-value scale as the 4-bit l of d (2l + 1) / 2 nearest to it (id = 1/d). */
static int scale_code(float id, float scale)
{
    const int l = lq__nearest_int(0.5f * (id * scale - 1));
    return l < 0 ? 0 : l > 15 ? 15 : l;
}

static void quantize_iq3_xxs(const float *x, void *vy, int64_t n, const float *imatrix)
{
    const lq__iq3_lattice *lat = lq__iq3_lattice_for(256);
    lq__blk_iq3_xxs *y = vy;
    for (int64_t ibl = 0; ibl < n / LQ__QK_K; ibl++, x += LQ__QK_K) {
        const float sigma2 = sigma2_of(x);
        float scales[8], max_scale = 0;
        uint32_t sas[8] = {0};
        uint8_t q3[64] = {0};
        for (int ib = 0; ib < 8; ib++) {
            const float *xb = x + 32 * ib;
            float xval[32], weight[32], waux[32];
            uint8_t signs[4];
            int8_t L[32];
            prepare(&kind_xxs, xb, imatrix ? imatrix + LQ__QK_K * ibl + 32 * ib : NULL, sigma2,
                    xval, weight, waux, signs);
            const float max = max_of(xval);
            if (max < 1e-8f) { /* ggml's GROUP_MAX_EPS_IQ3_XXS */
                scales[ib] = 0;
                continue;
            }
            float scale = search(lat, &kind_xxs, xval, weight, waux, max, L);
            if (scale < 0) { /* as ggml: cannot happen, flipped if it did */
                scale = -scale;
                for (int k = 0; k < 4; k++)
                    signs[k] = (uint8_t)(~signs[k] & 127);
            }
            for (int k = 0; k < 8; k++)
                q3[8 * ib + k] = (uint8_t)lat->map[levels_code(L + 4 * k)];
            sas[ib] = (uint32_t)signs[0] | (uint32_t)signs[1] << 7 | (uint32_t)signs[2] << 14 |
                      (uint32_t)signs[3] << 21;
            scales[ib] = scale;
            max_scale = max_scale > scale ? max_scale : scale;
        }
        memset(&y[ibl], 0, sizeof y[ibl]);
        if (!max_scale)
            continue;
        const float d = max_scale / 31;
        y[ibl].d = lq__h(d * 1.0125f); /* ggml's fudge factor */
        const float id = 1 / d;
        memcpy(y[ibl].qs, q3, 64);
        for (int ib = 0; ib < 8; ib++) {
            const uint32_t w = sas[ib] | (uint32_t)scale_code(id, scales[ib]) << 28;
            memcpy(y[ibl].qs + 64 + 4 * ib, &w, 4);
        }
    }
}

static void dequantize_iq3_xxs(const void *vx, float *y, int64_t n)
{
    const lq__blk_iq3_xxs *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const float d = lq__f(x[i].d);
        for (int ib = 0; ib < 8; ib++) {
            uint32_t aux;
            memcpy(&aux, x[i].qs + 64 + 4 * ib, 4);
            const float db = d * (0.5f + (float)(aux >> 28)) * 0.5f;
            for (int g = 0; g < 8; g++, y += 4) {
                const uint32_t p = lq__iq3xxs_grid[x[i].qs[8 * ib + g]];
                const uint8_t s = lq__iq_signs((aux >> (7 * (g / 2))) & 127);
                for (int j = 0; j < 4; j++)
                    y[j] = db * (float)((p >> (8 * j)) & 0xFF) *
                           (s & (1u << (4 * (g % 2) + j)) ? -1.f : 1.f);
            }
        }
    }
}

static void quantize_iq3_s(const float *x, void *vy, int64_t n, const float *imatrix)
{
    const lq__iq3_lattice *lat = lq__iq3_lattice_for(512);
    lq__blk_iq3_s *y = vy;
    for (int64_t ibl = 0; ibl < n / LQ__QK_K; ibl++, x += LQ__QK_K) {
        const float sigma2 = sigma2_of(x);
        float scales[8], max_scale = 0;
        memset(&y[ibl], 0, sizeof y[ibl]);
        uint8_t *qs = y[ibl].qs, *signs = y[ibl].signs; /* ggml's cursors (see the top) */
        for (int ib = 0; ib < 8; ib++) {
            const float *xb = x + 32 * ib;
            float xval[32], weight[32], waux[32];
            uint8_t sb[4];
            int8_t L[32];
            prepare(&kind_s, xb, imatrix ? imatrix + LQ__QK_K * ibl + 32 * ib : NULL, sigma2, xval,
                    weight, waux, sb);
            const float max = max_of(xval);
            if (!max) {
                scales[ib] = 0;
                continue;
            }
            float scale = search(lat, &kind_s, xval, weight, waux, max, L);
            if (scale < 0) { /* as ggml: cannot happen, flipped if it did */
                scale = -scale;
                for (int k = 0; k < 4; k++)
                    sb[k] = (uint8_t)~sb[k];
            }
            for (int k = 0; k < 8; k++) {
                const int index = lat->map[levels_code(L + 4 * k)];
                qs[k] = (uint8_t)(index & 255);
                y[ibl].qh[ib] |= (uint8_t)((index >> 8) << k);
            }
            qs += 8;
            memcpy(signs, sb, 4);
            signs += 4;
            scales[ib] = scale;
            max_scale = max_scale > scale ? max_scale : scale;
        }
        if (!max_scale)
            continue;
        const float d = max_scale / 31;
        y[ibl].d = lq__h(d * 1.033f); /* ggml's fudge factor */
        const float id = 1 / d;
        for (int ib = 0; ib < 8; ib += 2)
            y[ibl].scales[ib / 2] =
                (uint8_t)(scale_code(id, scales[ib]) | scale_code(id, scales[ib + 1]) << 4);
    }
}

static void dequantize_iq3_s(const void *vx, float *y, int64_t n)
{
    const lq__blk_iq3_s *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const float d = lq__f(x[i].d);
        for (int ib = 0; ib < 8; ib++) {
            const float db = d * (float)(1 + 2 * ((x[i].scales[ib / 2] >> (4 * (ib % 2))) & 0xF));
            for (int g = 0; g < 8; g++, y += 4) {
                const int k = 8 * ib + g;
                const uint32_t p = lq__iq3s_grid[x[i].qs[k] | ((x[i].qh[ib] >> g) & 1) << 8];
                const uint8_t s = x[i].signs[k / 2];
                for (int j = 0; j < 4; j++)
                    y[j] = db * (float)((p >> (8 * j)) & 0xFF) *
                           (s & (1u << (4 * (g % 2) + j)) ? -1.f : 1.f);
            }
        }
    }
}

LQ__GGML_CODEC_F16(lq__codec_iq3_xxs, quantize_iq3_xxs, dequantize_iq3_xxs, lq__blk_iq3_xxs, d);
LQ__GGML_CODEC_F16(lq__codec_iq3_s, quantize_iq3_s, dequantize_iq3_s, lq__blk_iq3_s, d);
