/* ggml_legacy.c — the 32-element block types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0
 * and the activation-side Q8_1, bit-exact with ggml.
 *
 * Without an importance matrix each type uses ggml's reference quantizer
 * (quantize_row_*_ref); with one, Q4_0/Q5_0 pick an weighted least-squares
 * scale (make_qx_quants) and Q4_1/Q5_1 a scale and min (make_qkx3_quants),
 * each element weighted by imatrix[j] * sqrt(sigma2 + x[j]^2) with sigma2 the
 * mean square of the whole row. Q8_0 and Q8_1 ignore the imatrix, as ggml
 * does. */
#include <float.h>
#include <math.h>

#include "codecs_ggml.h"
#include "ggml_blocks.h"
#include "ggml_search.h"

/* Blocks handed to one batched search: 32 fill the AVX2 code's four vectors. */
#define CHUNK 32

/* ---- reference quantizers ---- */

static void min_max(const float *x, float *min, float *max)
{
    *min = FLT_MAX;
    *max = -FLT_MAX;
    for (int j = 0; j < LQ__QK; j++) {
        if (x[j] < *min)
            *min = x[j];
        if (x[j] > *max)
            *max = x[j];
    }
}

/* ggml's (int8_t)(v) and (uint8_t)(v) casts of a float, as x86 runs them */
static inline int as_i8(float v) { return (int8_t)lq__trunc_i32(v); }
static inline int as_u8(float v) { return (uint8_t)lq__trunc_i32(v); }

/* Q5 blocks keep bit 4 of element j in bit j of the little-endian qh word. */
static void pack5(const uint8_t *q, uint8_t qs[16], uint8_t qh[4])
{
    uint32_t h = 0;
    for (int j = 0; j < 16; j++) {
        qs[j] = (uint8_t)((q[j] & 0x0f) | ((q[j + 16] & 0x0f) << 4));
        h |= (uint32_t)((q[j] & 0x10u) >> 4) << j;
        h |= (uint32_t)((q[j + 16] & 0x10u) >> 4) << (j + 16);
    }
    memcpy(qh, &h, 4);
}

static void pack4(const uint8_t *q, uint8_t qs[16])
{
    for (int j = 0; j < 16; j++)
        qs[j] = (uint8_t)(q[j] | (q[j + 16] << 4));
}

/* Q4_0 and Q5_0: d = max / -(levels/2), q = x/d + levels/2 truncated. */
static float symmetric_ref(const float *x, int half, uint8_t q[LQ__QK])
{
    float amax;
    const float d = lq__signed_absmax(LQ__QK, x, &amax) / -half;
    const float id = d ? 1.0f / d : 0.0f;
    for (int j = 0; j < LQ__QK; j++) {
        int v = as_i8(x[j] * id + (half + 0.5f));
        q[j] = (uint8_t)(v < 2 * half - 1 ? v : 2 * half - 1);
    }
    return d;
}

static void q4_0_ref(const float *x, lq__blk_q4_0 *y, int64_t nb)
{
    uint8_t q[LQ__QK];
    for (int64_t i = 0; i < nb; i++, x += LQ__QK) {
        y[i].d = lq__h(symmetric_ref(x, 8, q));
        pack4(q, y[i].qs);
    }
}

static void q5_0_ref(const float *x, lq__blk_q5_0 *y, int64_t nb)
{
    uint8_t q[LQ__QK];
    for (int64_t i = 0; i < nb; i++, x += LQ__QK) {
        y[i].d = lq__h(symmetric_ref(x, 16, q));
        pack5(q, y[i].qs, y[i].qh);
    }
}

static void q4_1_ref(const float *x, lq__blk_q4_1 *y, int64_t nb)
{
    uint8_t q[LQ__QK];
    for (int64_t i = 0; i < nb; i++, x += LQ__QK) {
        float min, max;
        min_max(x, &min, &max);
        const float d = (max - min) / 15;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = lq__h(d);
        y[i].m = lq__h(min);
        for (int j = 0; j < LQ__QK; j++) {
            int v = as_i8((x[j] - min) * id + 0.5f);
            q[j] = (uint8_t)(v < 15 ? v : 15);
        }
        pack4(q, y[i].qs);
    }
}

static void q5_1_ref(const float *x, lq__blk_q5_1 *y, int64_t nb)
{
    uint8_t q[LQ__QK];
    for (int64_t i = 0; i < nb; i++, x += LQ__QK) {
        float min, max;
        min_max(x, &min, &max);
        const float d = (max - min) / 31;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = lq__h(d);
        y[i].m = lq__h(min);
        for (int j = 0; j < LQ__QK; j++)
            q[j] = (uint8_t)as_u8((x[j] - min) * id + 0.5f); /* no clamp in ggml either */
        pack5(q, y[i].qs, y[i].qh);
    }
}

/* Q8_0 and Q8_1: d = amax / 127, q = roundf(x / d). Returns d. */
static float q8_block(const float *x, int8_t qs[LQ__QK])
{
    float amax = 0;
    for (int j = 0; j < LQ__QK; j++)
        amax = amax > fabsf(x[j]) ? amax : fabsf(x[j]);
    const float d = amax / 127;
    const float id = d ? 1.0f / d : 0.0f;
    for (int j = 0; j < LQ__QK; j++)
        qs[j] = (int8_t)lq__round_i32(x[j] * id);
    return d;
}

/* ---- importance-weighted quantizers ---- */

/* imatrix[j] * sqrt(sigma2 + x[j]^2) for n values */
static void importance(const float *x, const float *qw, float sigma2, int n, float *w)
{
    for (int j = 0; j < n; j++)
        w[j] = qw[j] * sqrtf(sigma2 + x[j] * x[j]);
}

/* The weighted searches of one row, CHUNK blocks at a time. `symmetric`
 * selects make_qx_quants (codes L in 0..nmax*2-1, scale d) or
 * make_qkx3_quants (codes 0..nmax, scale d and min m). emit() stores one block. */
typedef void (*emit_fn)(void *y, int64_t i, const uint8_t *L, float d, float m);

static void weighted_row(const float *x, void *y, int64_t n, const float *imatrix, int symmetric,
                         int nmax, emit_fn emit)
{
    static const lq__qkx_params asym4 = {15, -0.9f, 0.05f, 36, false, LQ__QKX_W_GIVEN};
    static const lq__qkx_params asym5 = {31, -0.9f, 0.05f, 36, false, LQ__QKX_W_GIVEN};
    const float sigma2 = lq__sum_squares(x, n) / n;
    float w[CHUNK * LQ__QK], d[CHUNK], m[CHUNK];
    union {
        int8_t s[CHUNK * LQ__QK];
        uint8_t u[CHUNK * LQ__QK];
    } L;
    const int64_t nb = n / LQ__QK;
    for (int64_t i0 = 0; i0 < nb; i0 += CHUNK) {
        int count = (int)(nb - i0 < CHUNK ? nb - i0 : CHUNK);
        const float *xc = x + i0 * LQ__QK;
        importance(xc, imatrix + i0 * LQ__QK, sigma2, count * LQ__QK, w);
        if (symmetric)
            lq__qx_batch(count, LQ__QK, nmax, xc, w, L.s, d);
        else
            lq__qkx_batch(count, LQ__QK, nmax == 15 ? &asym4 : &asym5, xc, w, L.u, d, m);
        for (int b = 0; b < count; b++)
            emit(y, i0 + b, L.u + b * LQ__QK, d[b], symmetric ? 0 : -m[b]);
    }
}

static void emit_q4_0(void *y, int64_t i, const uint8_t *L, float d, float m)
{
    lq__blk_q4_0 *b = (lq__blk_q4_0 *)y + i;
    (void)m;
    b->d = lq__h(d);
    pack4(L, b->qs);
}

static void emit_q5_0(void *y, int64_t i, const uint8_t *L, float d, float m)
{
    lq__blk_q5_0 *b = (lq__blk_q5_0 *)y + i;
    (void)m;
    b->d = lq__h(d);
    pack5(L, b->qs, b->qh);
}

static void emit_q4_1(void *y, int64_t i, const uint8_t *L, float d, float m)
{
    lq__blk_q4_1 *b = (lq__blk_q4_1 *)y + i;
    b->d = lq__h(d);
    b->m = lq__h(m);
    pack4(L, b->qs);
}

static void emit_q5_1(void *y, int64_t i, const uint8_t *L, float d, float m)
{
    lq__blk_q5_1 *b = (lq__blk_q5_1 *)y + i;
    b->d = lq__h(d);
    b->m = lq__h(m);
    pack5(L, b->qs, b->qh);
}

/* ---- row functions ---- */

static void quantize_q4_0(const float *x, void *y, int64_t n, const float *imatrix)
{
    if (imatrix)
        weighted_row(x, y, n, imatrix, 1, 8, emit_q4_0);
    else
        q4_0_ref(x, y, n / LQ__QK);
}

static void quantize_q4_1(const float *x, void *y, int64_t n, const float *imatrix)
{
    if (imatrix)
        weighted_row(x, y, n, imatrix, 0, 15, emit_q4_1);
    else
        q4_1_ref(x, y, n / LQ__QK);
}

static void quantize_q5_0(const float *x, void *y, int64_t n, const float *imatrix)
{
    if (imatrix)
        weighted_row(x, y, n, imatrix, 1, 16, emit_q5_0);
    else
        q5_0_ref(x, y, n / LQ__QK);
}

static void quantize_q5_1(const float *x, void *y, int64_t n, const float *imatrix)
{
    if (imatrix)
        weighted_row(x, y, n, imatrix, 0, 31, emit_q5_1);
    else
        q5_1_ref(x, y, n / LQ__QK);
}

static void quantize_q8_0(const float *x, void *vy, int64_t n, const float *imatrix)
{
    (void)imatrix;
    lq__blk_q8_0 *y = vy;
#ifdef LQ_GGML_AVX2
    if (lq__ggml_use_avx2()) {
        lq__q8_0_blocks_avx2(x, vy, n / LQ__QK);
        return;
    }
#endif
    for (int64_t i = 0; i < n / LQ__QK; i++, x += LQ__QK)
        y[i].d = lq__h(q8_block(x, y[i].qs));
}

static void quantize_q8_1(const float *x, void *vy, int64_t n, const float *imatrix)
{
    (void)imatrix;
    lq__blk_q8_1 *y = vy;
    for (int64_t i = 0; i < n / LQ__QK; i++, x += LQ__QK) {
        const float d = q8_block(x, y[i].qs);
        int sum = 0;
        for (int j = 0; j < LQ__QK / 2; j++) /* ggml's order, for the record: it is exact */
            sum += y[i].qs[j] + y[i].qs[j + LQ__QK / 2];
        y[i].d = lq__h(d);
        y[i].s = lq__h(sum * d);
    }
}

static void dequantize_q4_0(const void *vx, float *y, int64_t n)
{
    const lq__blk_q4_0 *x = vx;
    for (int64_t i = 0; i < n / LQ__QK; i++, y += LQ__QK) {
        const float d = lq__f(x[i].d);
        for (int j = 0; j < 16; j++) {
            y[j] = ((x[i].qs[j] & 0x0f) - 8) * d;
            y[j + 16] = ((x[i].qs[j] >> 4) - 8) * d;
        }
    }
}

static void dequantize_q4_1(const void *vx, float *y, int64_t n)
{
    const lq__blk_q4_1 *x = vx;
    for (int64_t i = 0; i < n / LQ__QK; i++, y += LQ__QK) {
        const float d = lq__f(x[i].d), m = lq__f(x[i].m);
        for (int j = 0; j < 16; j++) {
            y[j] = (x[i].qs[j] & 0x0f) * d + m;
            y[j + 16] = (x[i].qs[j] >> 4) * d + m;
        }
    }
}

/* The five-bit codes of a Q5 block. */
static void unpack5(const uint8_t qs[16], const uint8_t qh[4], int q[LQ__QK])
{
    uint32_t h;
    memcpy(&h, qh, 4);
    for (int j = 0; j < 16; j++) {
        q[j] = (qs[j] & 0x0f) | (int)(((h >> j) << 4) & 0x10);
        q[j + 16] = (qs[j] >> 4) | (int)((h >> (j + 12)) & 0x10);
    }
}

static void dequantize_q5_0(const void *vx, float *y, int64_t n)
{
    const lq__blk_q5_0 *x = vx;
    int q[LQ__QK];
    for (int64_t i = 0; i < n / LQ__QK; i++, y += LQ__QK) {
        const float d = lq__f(x[i].d);
        unpack5(x[i].qs, x[i].qh, q);
        for (int j = 0; j < LQ__QK; j++)
            y[j] = (q[j] - 16) * d;
    }
}

static void dequantize_q5_1(const void *vx, float *y, int64_t n)
{
    const lq__blk_q5_1 *x = vx;
    int q[LQ__QK];
    for (int64_t i = 0; i < n / LQ__QK; i++, y += LQ__QK) {
        const float d = lq__f(x[i].d), m = lq__f(x[i].m);
        unpack5(x[i].qs, x[i].qh, q);
        for (int j = 0; j < LQ__QK; j++)
            y[j] = q[j] * d + m;
    }
}

static void dequantize_q8_0(const void *vx, float *y, int64_t n)
{
    const lq__blk_q8_0 *x = vx;
    for (int64_t i = 0; i < n / LQ__QK; i++, y += LQ__QK) {
        const float d = lq__f(x[i].d);
        for (int j = 0; j < LQ__QK; j++)
            y[j] = x[i].qs[j] * d;
    }
}

/* ggml has no Q8_1 to_float; d * q is what its dot products use. */
static void dequantize_q8_1(const void *vx, float *y, int64_t n)
{
    const lq__blk_q8_1 *x = vx;
    for (int64_t i = 0; i < n / LQ__QK; i++, y += LQ__QK) {
        const float d = lq__f(x[i].d);
        for (int j = 0; j < LQ__QK; j++)
            y[j] = x[i].qs[j] * d;
    }
}

LQ__GGML_CODEC_F16(lq__codec_q4_0, quantize_q4_0, dequantize_q4_0, lq__blk_q4_0, d);
LQ__GGML_CODEC_F16(lq__codec_q4_1, quantize_q4_1, dequantize_q4_1, lq__blk_q4_1, m);
LQ__GGML_CODEC_F16(lq__codec_q5_0, quantize_q5_0, dequantize_q5_0, lq__blk_q5_0, d);
LQ__GGML_CODEC_F16(lq__codec_q5_1, quantize_q5_1, dequantize_q5_1, lq__blk_q5_1, m);
LQ__GGML_CODEC_F16(lq__codec_q8_0, quantize_q8_0, dequantize_q8_0, lq__blk_q8_0, d);
LQ__GGML_CODEC(lq__codec_q8_1, quantize_q8_1, dequantize_q8_1);
