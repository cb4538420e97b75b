/* ggml_kquants.c — the k-quant super-blocks Q2_K, Q3_K, Q4_K, Q5_K, Q6_K
 * (256 elements) bit-exact with ggml, and the activation-side Q8_K.
 *
 * Every type works in three steps: a search per sub-block (16 or 32 values)
 * for its scale (and min); the sub-block scales quantized to 4, 6 or 8 bits
 * against one fp16 super-block scale; the quants picked again against the
 * rounded scales. Without an importance matrix step two divides by the
 * largest sub-block scale (ggml's quantize_row_*_ref); with one it is a
 * weighted search too (make_qp_quants / make_qx_quants) and the sub-block
 * searches weight each value by imatrix[j] * sqrt(sigma2 + x[j]^2)
 * (quantize_row_*_impl).
 *
 * The sub-block searches are independent, so a row runs them for a few
 * super-blocks at once (ggml_search.h batches: 64 groups fill the four
 * vectors an AVX-512 call interleaves, or two AVX2 calls) and then finishes
 * each super-block in order. */
#include <math.h>
#include <string.h>

#include "codecs_ggml.h"
#include "ggml_blocks.h"
#include "ggml_search.h"

#define NSUB16 (LQ__QK_K / 16)
#define NSUB32 (LQ__QK_K / 32)
#define CHUNK 8 /* most super-blocks searched together */

/* The searches of up to CHUNK super-blocks. L holds int8 codes for the
 * symmetric searches (Q3_K, Q6_K). */
typedef struct {
    float w[CHUNK * LQ__QK_K];
    float sw[CHUNK * NSUB16];     /* weight sums per sub-block (imatrix) */
    float scales[CHUNK * NSUB16];
    float mins[CHUNK * NSUB16];   /* negated mins (the_min) of asymmetric searches */
    uint8_t L[CHUNK * LQ__QK_K];
} kq_work;

/* search(x, qw, count, k): the sub-block searches of `count` super-blocks
 * (qw: their imatrix or NULL); finish(x, y, imat, k, s): super-block s. */
typedef void (*search_fn)(const float *x, const float *qw, int count, kq_work *k);
typedef void (*finish_fn)(const float *x, void *y, int imat, kq_work *k, int s);

static void kquant_row(const float *x, uint8_t *y, int64_t n, const float *imatrix, int chunk,
                       size_t block_bytes, search_fn search, finish_fn finish)
{
    kq_work k;
    const int64_t nb = n / LQ__QK_K;
    for (int64_t i = 0; i < nb; i += chunk) {
        const int count = (int)(nb - i < chunk ? nb - i : chunk);
        search(x + i * LQ__QK_K, imatrix ? imatrix + i * LQ__QK_K : NULL, count, &k);
        for (int s = 0; s < count; s++)
            finish(x + (i + s) * LQ__QK_K, y + (size_t)(i + s) * block_bytes, imatrix != NULL,
                   &k, s);
    }
}

/* w[j] = qw[j] * sqrt(sigma2 + x[j]^2) over `count` super-blocks, with
 * sigma2 = factor * mean square of each, and the weight sum of each sub-block. */
static void importance(const float *x, const float *qw, int count, float factor, int sub,
                       kq_work *k)
{
    for (int b = 0; b < count; b++) {
        const float *xb = x + b * LQ__QK_K;
        const float sigma2 = factor * lq__sum_squares(xb, LQ__QK_K) / LQ__QK_K;
        for (int j = 0; j < LQ__QK_K / sub; j++) {
            float sum = 0;
            for (int l = 0; l < sub; l++) {
                const int e = sub * j + l;
                k->w[b * LQ__QK_K + e] = qw[b * LQ__QK_K + e] * sqrtf(sigma2 + xb[e] * xb[e]);
                sum += k->w[b * LQ__QK_K + e];
            }
            k->sw[b * NSUB16 + j] = sum;
        }
    }
}

/* The 2-bit planes of Q2_K and Q3_K: byte 32h+l holds elements 128h+l,
 * +32, +64, +96 from the low bits up. */
/* Codes L[0..256) of 0..3, per 128: qs[l] = L[l] | L[l+32] << 2 |
 * L[l+64] << 4 | L[l+96] << 6; eight bytes at a time in a uint64_t (a code
 * below 4 shifted by at most 6 stays in its byte, and the byte order is the
 * same in and out), as the byte loop was 2.3 % of a Q2_K run. */
static void pack_2bit(const uint8_t *L, uint8_t qs[64])
{
    for (int j = 0; j < LQ__QK_K; j += 128)
        for (int l = 0; l < 32; l += 8)
            lq__blk_st64(qs + j / 4 + l, lq__blk_ld64(L + j + l) | lq__blk_ld64(L + j + l + 32) << 2 |
                                            lq__blk_ld64(L + j + l + 64) << 4 |
                                            lq__blk_ld64(L + j + l + 96) << 6);
}

static inline int code_2bit(const uint8_t qs[64], int e)
{
    return (qs[32 * (e / 128) + e % 32] >> (2 * (e % 128 / 32))) & 3;
}

/* ================= Q2_K: 16 x 16, 4-bit scales and mins ================= */

static const lq__qkx_params q2_ref = {3, -0.5f, 0.1f, 15, true, LQ__QKX_W_ABS};
static const lq__qkx_params q2_imat = {3, -0.9f, 0.05f, 36, false, LQ__QKX_W_GIVEN};

static void q2_k_search(const float *x, const float *qw, int count, kq_work *k)
{
    if (qw)
        importance(x, qw, count, 1, 16, k);
    lq__qkx_batch(count * NSUB16, 16, qw ? &q2_imat : &q2_ref, x, k->w, k->L, k->scales, k->mins);
}

static void q2_k_finish(const float *x, void *vy, int imat, kq_work *k, int s)
{
    lq__blk_q2_k *y = vy;
    const float *scales = k->scales + s * NSUB16, *mins = k->mins + s * NSUB16;
    uint8_t *L = k->L + s * LQ__QK_K;
    float d = 0, dmin = 0;
    if (imat) {
        uint8_t Ls[NSUB16], Lm[NSUB16];
        d = lq__make_qp_quants(NSUB16, 15, scales, Ls, k->sw + s * NSUB16);
        dmin = lq__make_qp_quants(NSUB16, 15, mins, Lm, k->sw + s * NSUB16);
        for (int j = 0; j < NSUB16; j++)
            y->scales[j] = (uint8_t)(Ls[j] | (Lm[j] << 4));
    } else {
        float max_scale = 0, max_min = 0;
        for (int j = 0; j < NSUB16; j++) {
            if (scales[j] > max_scale)
                max_scale = scales[j];
            if (mins[j] > max_min)
                max_min = mins[j];
        }
        memset(y->scales, 0, sizeof y->scales);
        if (max_scale > 0) {
            const float iscale = 15.f / max_scale;
            for (int j = 0; j < NSUB16; j++)
                y->scales[j] = (uint8_t)lq__nearest_int(iscale * scales[j]);
            d = max_scale / 15.f;
        }
        if (max_min > 0) {
            const float iscale = 15.f / max_min;
            for (int j = 0; j < NSUB16; j++)
                y->scales[j] = (uint8_t)(y->scales[j] | ((unsigned)lq__nearest_int(iscale * mins[j]) << 4));
            dmin = max_min / 15.f;
        }
    }
    y->d = lq__h(d);
    y->dmin = lq__h(dmin);
    const float fd = lq__f(y->d), fm = lq__f(y->dmin);
    float dl[NSUB16], ml[NSUB16];
    for (int j = 0; j < NSUB16; j++) {
        dl[j] = fd * (y->scales[j] & 0xf);
        ml[j] = fm * (y->scales[j] >> 4);
    }
    lq__requantize(NSUB16, 16, x, ml, dl, 0, 3, 0, L);
    pack_2bit(L, y->qs);
}

static void quantize_q2_k(const float *x, void *y, int64_t n, const float *imatrix)
{
    kquant_row(x, y, n, imatrix, 4, sizeof(lq__blk_q2_k), q2_k_search, q2_k_finish);
}

static void dequantize_q2_k(const void *vx, float *y, int64_t n)
{
    const lq__blk_q2_k *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, y += LQ__QK_K) {
        const float d = lq__f(x[i].d), min = lq__f(x[i].dmin);
        for (int j = 0; j < NSUB16; j++) {
            const float dl = d * (x[i].scales[j] & 0xf), ml = min * (x[i].scales[j] >> 4);
            for (int l = 0; l < 16; l++)
                y[16 * j + l] = dl * code_2bit(x[i].qs, 16 * j + l) - ml;
        }
    }
}

/* ================= Q3_K: 16 x 16, signed 6-bit scales ================= */

/* Sub-block j's 6-bit scale code (0..63, the scale + 32). */
static void q3_set_scale(uint8_t s[12], int j, int l)
{
    if (j < 8)
        s[j] = (uint8_t)(l & 0xf);
    else
        s[j - 8] = (uint8_t)(s[j - 8] | (l & 0xf) << 4);
    s[8 + j % 4] = (uint8_t)(s[8 + j % 4] | (l >> 4) << (2 * (j / 4)));
}

static void q3_k_search(const float *x, const float *qw, int count, kq_work *k)
{
    if (qw) {
        importance(x, qw, count, 2, 16, k);
        lq__qx_batch(count * NSUB16, 16, 4, x, k->w, (int8_t *)k->L, k->scales);
    } else {
        lq__q3_batch(count * NSUB16, 16, 4, x, (int8_t *)k->L, k->scales);
    }
}

static void q3_k_finish(const float *x, void *vy, int imat, kq_work *k, int s)
{
    lq__blk_q3_k *y = vy;
    const float *scales = k->scales + s * NSUB16;
    uint8_t *L = k->L + s * LQ__QK_K; /* codes 0..7 */
    memset(y->scales, 0, sizeof y->scales);
    if (imat) {
        int8_t Ls[NSUB16];
        const float d = lq__make_qx_quants(NSUB16, 32, scales, Ls, k->sw + s * NSUB16);
        for (int j = 0; j < NSUB16; j++)
            q3_set_scale(y->scales, j, Ls[j]);
        y->d = lq__h(d);
    } else {
        float amax;
        const float max_scale = lq__signed_absmax(NSUB16, scales, &amax);
        if (max_scale) {
            const float iscale = -32.f / max_scale;
            for (int j = 0; j < NSUB16; j++) {
                int8_t l = (int8_t)lq__nearest_int(iscale * scales[j]); /* ggml's int8_t */
                q3_set_scale(y->scales, j, (l < -32 ? -32 : l > 31 ? 31 : l) + 32);
            }
            y->d = lq__h(1 / iscale);
        } else {
            y->d = lq__h(0.f);
        }
    }
    const float d = lq__f(y->d);
    int8_t sc[NSUB16];
    float dl[NSUB16];
    lq__k3_scales(y->scales, sc);
    for (int j = 0; j < NSUB16; j++)
        dl[j] = d * sc[j];
    lq__requantize(NSUB16, 16, x, NULL, dl, -4, 3, 4, L);
    /* bit 2 of element j goes to hmask[j % 32], bit j / 32; the rest to qs.
     * Eight codes (0..7) at a time in a uint64_t: bit 2 of each byte moved
     * to its bit 0 and masked (what a shift brings from the next byte is
     * masked off), then shifted by at most 7, which stays in the byte. */
    const uint64_t ones = 0x0101010101010101ull, low2 = 0x0303030303030303ull;
    for (int m = 0; m < 32; m += 8) {
        uint64_t h = 0;
        for (int b = 0; b < 8; b++)
            h |= (lq__blk_ld64(L + 32 * b + m) >> 2 & ones) << b;
        lq__blk_st64(y->hmask + m, h);
    }
    for (int j = 0; j < LQ__QK_K; j += 8)
        lq__blk_st64(L + j, lq__blk_ld64(L + j) & low2);
    pack_2bit(L, y->qs);
}

static void quantize_q3_k(const float *x, void *y, int64_t n, const float *imatrix)
{
    kquant_row(x, y, n, imatrix, 4, sizeof(lq__blk_q3_k), q3_k_search, q3_k_finish);
}

static void dequantize_q3_k(const void *vx, float *y, int64_t n)
{
    const lq__blk_q3_k *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, y += LQ__QK_K) {
        const float d = lq__f(x[i].d);
        int8_t sc[NSUB16];
        lq__k3_scales(x[i].scales, sc);
        for (int j = 0; j < NSUB16; j++) {
            const float dl = d * sc[j];
            for (int l = 0; l < 16; l++) {
                const int e = 16 * j + l;
                const int high = (x[i].hmask[e % 32] >> (e / 32)) & 1;
                y[e] = dl * (code_2bit(x[i].qs, e) - (high ? 0 : 4));
            }
        }
    }
}

/* ================= Q4_K and Q5_K: 8 x 32, 6-bit scales and mins ================= */

/* the reference weights: the sub-block's rms + |x| */
static const lq__qkx_params q4_ref = {15, -1.f, 0.1f, 20, false, LQ__QKX_W_RMS_ABS};
static const lq__qkx_params q4_imat = {15, -0.9f, 0.05f, 36, false, LQ__QKX_W_GIVEN};
static const lq__qkx_params q5_ref = {31, -0.5f, 0.1f, 15, false, LQ__QKX_W_RMS_ABS};
static const lq__qkx_params q5_imat = {31, -0.9f, 0.05f, 36, false, LQ__QKX_W_GIVEN};

static void k4_set_all(uint8_t s[12], const uint8_t *ls, const uint8_t *lm)
{
    for (int j = 0; j < NSUB32; j++) {
        if (j < 4) {
            s[j] = ls[j];
            s[j + 4] = lm[j];
        } else {
            s[j + 4] = (uint8_t)((ls[j] & 0xf) | ((lm[j] & 0xf) << 4));
            s[j - 4] = (uint8_t)(s[j - 4] | ((ls[j] >> 4) << 6));
            s[j] = (uint8_t)(s[j] | ((lm[j] >> 4) << 6));
        }
    }
}

static void k45_search(const float *x, const float *qw, int count, kq_work *k,
                       const lq__qkx_params *ref, const lq__qkx_params *imat)
{
    if (qw)
        importance(x, qw, count, 2, 32, k);
    lq__qkx_batch(count * NSUB32, 32, qw ? imat : ref, x, k->w, k->L, k->scales, k->mins);
}

static void q4_k_search(const float *x, const float *qw, int count, kq_work *k)
{
    k45_search(x, qw, count, k, &q4_ref, &q4_imat);
}

static void q5_k_search(const float *x, const float *qw, int count, kq_work *k)
{
    k45_search(x, qw, count, k, &q5_ref, &q5_imat);
}

/* The part of Q4_K and Q5_K before their quants. */
typedef struct {
    uint16_t d, dmin;
    uint8_t scales[12];
} k45_head;

/* Codes and super-block scales of super-block s, then its quants (0..nmax)
 * re-picked into k->L. Without an imatrix the codes are relative to the
 * largest scale and min; with one they come from make_qp_quants (ggml clamps
 * them to 63 for Q5_K only). */
static void k45_finish(const float *x, int imat, kq_work *k, int s, int nmax, k45_head *h)
{
    const float *scales = k->scales + s * NSUB32, *mins = k->mins + s * NSUB32;
    uint8_t *L = k->L + s * LQ__QK_K;
    uint8_t ls[NSUB32], lm[NSUB32];
    float d, dmin;
    if (imat) {
        const float *sw = k->sw + s * NSUB16;
        d = lq__make_qp_quants(NSUB32, 63, scales, ls, sw);
        dmin = lq__make_qp_quants(NSUB32, 63, mins, lm, sw);
        if (nmax == 31) {
            for (int j = 0; j < NSUB32; j++) {
                ls[j] = ls[j] < 63 ? ls[j] : 63;
                lm[j] = lm[j] < 63 ? lm[j] : 63;
            }
        }
    } else {
        float max_scale = 0, max_min = 0;
        for (int j = 0; j < NSUB32; j++) {
            if (scales[j] > max_scale)
                max_scale = scales[j];
            if (mins[j] > max_min)
                max_min = mins[j];
        }
        const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
        const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
        for (int j = 0; j < NSUB32; j++) {
            const uint8_t a = (uint8_t)lq__nearest_int(inv_scale * scales[j]);
            const uint8_t b = (uint8_t)lq__nearest_int(inv_min * mins[j]);
            ls[j] = a < 63 ? a : 63;
            lm[j] = b < 63 ? b : 63;
        }
        d = max_scale / 63.f;
        dmin = max_min / 63.f;
    }
    k4_set_all(h->scales, ls, lm);
    h->d = lq__h(d);
    h->dmin = lq__h(dmin);
    const float fd = lq__f(h->d), fm = lq__f(h->dmin);
    float dl[NSUB32], ml[NSUB32];
    for (int j = 0; j < NSUB32; j++) {
        uint8_t sc, m;
        lq__k4_scale_min(j, h->scales, &sc, &m);
        dl[j] = fd * sc;
        ml[j] = fm * m;
    }
    lq__requantize(NSUB32, 32, x, ml, dl, 0, nmax, 0, L);
}

static void q4_k_finish(const float *x, void *vy, int imat, kq_work *k, int s)
{
    lq__blk_q4_k *y = vy;
    const uint8_t *L = k->L + s * LQ__QK_K;
    k45_head h;
    k45_finish(x, imat, k, s, 15, &h);
    y->d = h.d;
    y->dmin = h.dmin;
    memcpy(y->scales, h.scales, sizeof h.scales);
    /* chunk c of 64: low nibbles elements 64c..64c+31, high nibbles the next
     * 32; eight bytes at a time in a uint64_t (a code below 16 shifted by 4
     * stays in its byte), as pack_2bit */
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l += 8)
            lq__blk_st64(y->qs + 32 * c + l,
                         lq__blk_ld64(L + 64 * c + l) | lq__blk_ld64(L + 64 * c + l + 32) << 4);
}

static void q5_k_finish(const float *x, void *vy, int imat, kq_work *k, int s)
{
    lq__blk_q5_k *y = vy;
    const uint8_t *L = k->L + s * LQ__QK_K;
    k45_head h;
    k45_finish(x, imat, k, s, 31, &h);
    y->d = h.d;
    y->dmin = h.dmin;
    memcpy(y->scales, h.scales, sizeof h.scales);
    /* low 4 bits as Q4_K; bit 4 of element 64c+l (+32) is bit 2c (2c+1) of qh[l] */
    memset(y->qh, 0, sizeof y->qh);
    for (int c = 0; c < 4; c++) {
        for (int l = 0; l < 32; l++) {
            const int l1 = L[64 * c + l], l2 = L[64 * c + l + 32];
            y->qh[l] = (uint8_t)(y->qh[l] | ((l1 >> 4) << (2 * c)) | ((l2 >> 4) << (2 * c + 1)));
            y->qs[32 * c + l] = (uint8_t)((l1 & 0xf) | ((l2 & 0xf) << 4));
        }
    }
}

static void quantize_q4_k(const float *x, void *y, int64_t n, const float *imatrix)
{
    kquant_row(x, y, n, imatrix, 8, sizeof(lq__blk_q4_k), q4_k_search, q4_k_finish);
}

static void quantize_q5_k(const float *x, void *y, int64_t n, const float *imatrix)
{
    kquant_row(x, y, n, imatrix, 8, sizeof(lq__blk_q5_k), q5_k_search, q5_k_finish);
}

static void dequantize_q4_k(const void *vx, float *y, int64_t n)
{
    const lq__blk_q4_k *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, y += LQ__QK_K) {
        const float d = lq__f(x[i].d), min = lq__f(x[i].dmin);
        for (int j = 0; j < NSUB32; j++) {
            uint8_t sc, m;
            lq__k4_scale_min(j, x[i].scales, &sc, &m);
            const float dl = d * sc, ml = min * m;
            const uint8_t *q = x[i].qs + 32 * (j / 2);
            const int shift = 4 * (j % 2);
            for (int l = 0; l < 32; l++)
                y[32 * j + l] = dl * ((q[l] >> shift) & 0xf) - ml;
        }
    }
}

static void dequantize_q5_k(const void *vx, float *y, int64_t n)
{
    const lq__blk_q5_k *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, y += LQ__QK_K) {
        const float d = lq__f(x[i].d), min = lq__f(x[i].dmin);
        for (int j = 0; j < NSUB32; j++) {
            uint8_t sc, m;
            lq__k4_scale_min(j, x[i].scales, &sc, &m);
            const float dl = d * sc, ml = min * m;
            const uint8_t *q = x[i].qs + 32 * (j / 2);
            const int shift = 4 * (j % 2);
            for (int l = 0; l < 32; l++) {
                const int high = (x[i].qh[l] >> j) & 1;
                y[32 * j + l] = dl * (((q[l] >> shift) & 0xf) + (high ? 16 : 0)) - ml;
            }
        }
    }
}

/* ================= Q6_K: 16 x 16, signed 8-bit scales ================= */

/* ggml's impl passes the imatrix as the weights, unchanged (no sigma2) */
static void q6_k_search(const float *x, const float *qw, int count, kq_work *k)
{
    lq__qx_batch(count * NSUB16, 16, 32, x, qw, (int8_t *)k->L, k->scales);
}

static void q6_k_finish(const float *x, void *vy, int imat, kq_work *k, int s)
{
    (void)imat;
    lq__blk_q6_k *y = vy;
    const float *scales = k->scales + s * NSUB16;
    uint8_t *L = k->L + s * LQ__QK_K; /* codes 0..63 */
    float max_abs;
    const float max_scale = lq__signed_absmax(NSUB16, scales, &max_abs);
    if (max_abs < LQ__GROUP_MAX_EPS) {
        memset(y, 0, sizeof *y);
        return;
    }
    const float iscale = -128.f / max_scale;
    y->d = lq__h(1 / iscale);
    for (int j = 0; j < NSUB16; j++) {
        const int sc = lq__nearest_int(iscale * scales[j]);
        y->scales[j] = (int8_t)(sc < 127 ? sc : 127);
    }
    const float d = lq__f(y->d);
    float dl[NSUB16];
    for (int j = 0; j < NSUB16; j++)
        dl[j] = d * y->scales[j];
    lq__requantize(NSUB16, 16, x, NULL, dl, -32, 31, 32, L);
    /* per 128: ql[l] = q(l) | q(l+64) << 4, ql[l+32] = q(l+32) | q(l+96) << 4,
     * qh[l] = the high two bits of q(l), q(l+32), q(l+64), q(l+96); eight
     * bytes at a time in a uint64_t (the codes are below 64, so no byte's
     * bits reach the next one's once masked; the byte order is the same in
     * and out), as the byte loop was a tenth of a Q6_K run */
    const uint64_t lo4 = 0x0f0f0f0f0f0f0f0full;
    for (int h = 0; h < 2; h++) {
        const uint8_t *q = L + 128 * h;
        uint8_t *ql = y->ql + 64 * h, *qh = y->qh + 32 * h;
        for (int l = 0; l < 32; l += 8) {
            uint64_t q0 = lq__blk_ld64(q + l), q1 = lq__blk_ld64(q + l + 32), q2 = lq__blk_ld64(q + l + 64),
                     q3 = lq__blk_ld64(q + l + 96);
            lq__blk_st64(ql + l, (q0 & lo4) | (q2 & lo4) << 4);
            lq__blk_st64(ql + l + 32, (q1 & lo4) | (q3 & lo4) << 4);
            lq__blk_st64(qh + l, (q0 >> 4 & lo4) | (q1 >> 4 & lo4) << 2 | (q2 >> 4 & lo4) << 4 |
                               (q3 >> 4 & lo4) << 6);
        }
    }
}

static void quantize_q6_k(const float *x, void *y, int64_t n, const float *imatrix)
{
    kquant_row(x, y, n, imatrix, 4, sizeof(lq__blk_q6_k), q6_k_search, q6_k_finish);
}

static void dequantize_q6_k(const void *vx, float *y, int64_t n)
{
    const lq__blk_q6_k *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, y += LQ__QK_K) {
        const float d = lq__f(x[i].d);
        for (int e = 0; e < LQ__QK_K; e++) {
            const int h = e / 128, g = e % 128 / 32, l = e % 32;
            const uint8_t ql = x[i].ql[64 * h + 32 * (g & 1) + l];
            const int lo = g < 2 ? ql & 0xf : ql >> 4;
            const int hi = (x[i].qh[32 * h + l] >> (2 * g)) & 3;
            y[e] = d * x[i].scales[e / 16] * ((lo | hi << 4) - 32);
        }
    }
}

/* ================= Q8_K: activation side, f32 scale ================= */

static void quantize_q8_k(const float *x, void *vy, int64_t n, const float *imatrix)
{
    (void)imatrix;
    lq__blk_q8_k *y = vy;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, x += LQ__QK_K) {
        float amax;
        const float max = lq__signed_absmax(LQ__QK_K, x, &amax);
        if (!amax) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        /* ggml divides by -127 (not -128) so that -q never overflows */
        const float iscale = -127.f / max;
        for (int j = 0; j < LQ__QK_K; j++) {
            const int v = lq__nearest_int(iscale * x[j]);
            y[i].qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int j = 0; j < NSUB16; j++) {
            int sum = 0;
            for (int l = 0; l < 16; l++)
                sum += y[i].qs[16 * j + l];
            y[i].bsums[j] = (int16_t)sum;
        }
        y[i].d = 1 / iscale;
    }
}

static void dequantize_q8_k(const void *vx, float *y, int64_t n)
{
    const lq__blk_q8_k *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, y += LQ__QK_K) {
        const float d = x[i].d;
        for (int j = 0; j < LQ__QK_K; j++)
            y[j] = d * x[i].qs[j];
    }
}

LQ__GGML_CODEC_F16(lq__codec_q2_k, quantize_q2_k, dequantize_q2_k, lq__blk_q2_k, dmin);
LQ__GGML_CODEC_F16(lq__codec_q3_k, quantize_q3_k, dequantize_q3_k, lq__blk_q3_k, d);
LQ__GGML_CODEC_F16(lq__codec_q4_k, quantize_q4_k, dequantize_q4_k, lq__blk_q4_k, dmin);
LQ__GGML_CODEC_F16(lq__codec_q5_k, quantize_q5_k, dequantize_q5_k, lq__blk_q5_k, dmin);
LQ__GGML_CODEC_F16(lq__codec_q6_k, quantize_q6_k, dequantize_q6_k, lq__blk_q6_k, d);
LQ__GGML_CODEC(lq__codec_q8_k, quantize_q8_k, dequantize_q8_k);
