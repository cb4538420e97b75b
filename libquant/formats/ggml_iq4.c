/* ggml_iq4.c — the non-linear 4-bit types IQ4_NL (32 values per block) and
 * IQ4_XS (256 values, eight 6-bit sub-scales), bit-exact with ggml.
 *
 * Each code indexes a fixed table of 16 int8 levels. Both types are made the
 * way ggml_quantize_chunk makes them (quantize_row_iq4_nl_impl with
 * ntry = 7): a scale search of 16 candidates per 32 values (ggml_search.h)
 * with weights x^2 without an importance matrix and imatrix[j] *
 * sqrt(sigma2 + x[j]^2) with one, sigma2 twice the mean square of the block
 * (IQ4_NL) or super-block (IQ4_XS). ggml's own quantize_row_iq4_nl_ref
 * (ntry = -1, no search) is not what model files are made with and is not
 * reproduced. */
#include <math.h>

#include "codecs_ggml.h"
#include "ggml_blocks.h"
#include "ggml_search.h"

#define CHUNK 32 /* groups of 32 searched together: the AVX2 code's four vectors */

/* Weights of the n values x for the search. */
static void weights(const float *x, const float *qw, int n, float *w)
{
    const float sigma2 = lq__sum_squares(x, n) * (2.f / n);
    for (int j = 0; j < n; j++)
        w[j] = qw ? qw[j] * sqrtf(sigma2 + x[j] * x[j]) : x[j] * x[j];
}

static void quantize_iq4_nl(const float *x, void *vy, int64_t n, const float *imatrix)
{
    lq__blk_iq4_nl *y = vy;
    float w[CHUNK * LQ__QK], d[CHUNK];
    const int64_t nb = n / LQ__QK;
    for (int64_t i0 = 0; i0 < nb; i0 += CHUNK) {
        const int count = (int)(nb - i0 < CHUNK ? nb - i0 : CHUNK);
        const float *xc = x + i0 * LQ__QK;
        for (int b = 0; b < count; b++)
            weights(xc + LQ__QK * b, imatrix ? imatrix + (i0 + b) * LQ__QK : NULL, LQ__QK,
                    w + LQ__QK * b);
        lq__iq4_batch(count, xc, w, d);
        for (int b = 0; b < count; b++) {
            y[i0 + b].d = lq__h(d[b]);
            lq__iq4_codes(xc + LQ__QK * b, d[b] ? 1 / d[b] : 0, y[i0 + b].qs);
        }
    }
}

/* Super-block y from its eight sub-block scales: sub-scales l in [-32, 31]
 * of d = -max_scale / 32 (max_scale the one of largest magnitude, first on
 * ties), stored as l + 32, and the codes picked again with d * l. */
static void iq4_xs_finish(const float *x, const float *scales, lq__blk_iq4_xs *y)
{
    float amax;
    const float d = -lq__signed_absmax(8, scales, &amax) / 32;
    const float id = d ? 1 / d : 0.f;
    uint16_t h = 0;
    y->d = lq__h(d);
    for (int ib = 0; ib < 8; ib++) {
        int l = lq__nearest_int(id * scales[ib]);
        l = l < -32 ? -32 : l > 31 ? 31 : l;
        const float dl = d * l;
        lq__iq4_codes(x + 32 * ib, dl ? 1 / dl : 0.f, y->qs + 16 * ib);
        l += 32;
        if (ib % 2 == 0)
            y->scales_l[ib / 2] = (uint8_t)(l & 0xf);
        else
            y->scales_l[ib / 2] = (uint8_t)(y->scales_l[ib / 2] | (l & 0xf) << 4);
        h = (uint16_t)(h | (l >> 4) << (2 * ib));
    }
    y->scales_h = h;
}

static void quantize_iq4_xs(const float *x, void *vy, int64_t n, const float *imatrix)
{
    enum { SB = CHUNK / 8 }; /* super-blocks per batch */
    lq__blk_iq4_xs *y = vy;
    float w[SB * LQ__QK_K], scales[CHUNK];
    const int64_t nb = n / LQ__QK_K;
    for (int64_t i0 = 0; i0 < nb; i0 += SB) {
        const int count = (int)(nb - i0 < SB ? nb - i0 : SB);
        const float *xc = x + i0 * LQ__QK_K;
        for (int s = 0; s < count; s++)
            weights(xc + LQ__QK_K * s, imatrix ? imatrix + (i0 + s) * LQ__QK_K : NULL, LQ__QK_K,
                    w + LQ__QK_K * s);
        lq__iq4_batch(8 * count, xc, w, scales);
        for (int s = 0; s < count; s++)
            iq4_xs_finish(xc + LQ__QK_K * s, scales + 8 * s, &y[i0 + s]);
    }
}

static void dequantize_iq4_nl(const void *vx, float *y, int64_t n)
{
    const lq__blk_iq4_nl *x = vx;
    for (int64_t i = 0; i < n / LQ__QK; i++, y += LQ__QK) {
        const float d = lq__f(x[i].d);
        for (int j = 0; j < 16; j++) {
            y[j] = d * lq__iq4_levels[x[i].qs[j] & 0xf];
            y[j + 16] = d * lq__iq4_levels[x[i].qs[j] >> 4];
        }
    }
}

static void dequantize_iq4_xs(const void *vx, float *y, int64_t n)
{
    const lq__blk_iq4_xs *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const float d = lq__f(x[i].d);
        for (int ib = 0; ib < 8; ib++, y += 32) {
            const float dl = d * lq__iq4xs_scale(&x[i], ib);
            const uint8_t *qs = x[i].qs + 16 * ib;
            for (int j = 0; j < 16; j++) {
                y[j] = dl * lq__iq4_levels[qs[j] & 0xf];
                y[j + 16] = dl * lq__iq4_levels[qs[j] >> 4];
            }
        }
    }
}

LQ__GGML_CODEC_F16(lq__codec_iq4_nl, quantize_iq4_nl, dequantize_iq4_nl, lq__blk_iq4_nl, d);
LQ__GGML_CODEC_F16(lq__codec_iq4_xs, quantize_iq4_xs, dequantize_iq4_xs, lq__blk_iq4_xs, d);
