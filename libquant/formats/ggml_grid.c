/* ggml_grid.c — the per-element grids of ggml blocks (ggml_grid.h): each
 * type's a, b and code position, read off its dequantization (the codecs in
 * ggml_legacy.c, ggml_kquants.c and ggml_iq4.c). */
#include <math.h>
#include <stddef.h>

#include "ggml_blocks.h"
#include "ggml_grid.h"

/* ---- Q4_0: d (q - 8); element j < 16 in qs[j]'s low nibble, else qs[j-16]'s high */

static void q4_0_grid(const void *blk, float *a, float *b)
{
    const lq__blk_q4_0 *x = blk;
    const float d = lq__f(x->d);
    for (int k = 0; k < LQ__QK; k++) {
        a[k] = d;
        b[k] = -8 * d;
    }
}

static void q4_0_set(void *blk, int k, int q)
{
    lq__blk_q4_0 *x = blk;
    uint8_t *p = &x->qs[k % 16];
    *p = k < 16 ? (uint8_t)((*p & 0xf0) | q) : (uint8_t)((*p & 0x0f) | q << 4);
}

/* ---- Q8_0: d q, q in -127 .. 127 (the codes ggml writes: -128 would break
 * the sign tricks of the SIMD dot products), stored as q + 127 here */

static void q8_0_grid(const void *blk, float *a, float *b)
{
    const lq__blk_q8_0 *x = blk;
    const float d = lq__f(x->d);
    for (int k = 0; k < LQ__QK; k++) {
        a[k] = d;
        b[k] = -127 * d;
    }
}

static void q8_0_set(void *blk, int k, int q)
{
    ((lq__blk_q8_0 *)blk)->qs[k] = (int8_t)(q - 127);
}

/* ---- Q2_K: d sc q - dmin m per 16; 2-bit codes four to a byte */

static void q2_k_grid(const void *blk, float *a, float *b)
{
    const lq__blk_q2_k *x = blk;
    const float d = lq__f(x->d), min = lq__f(x->dmin);
    for (int k = 0; k < LQ__QK_K; k++) {
        a[k] = d * (x->scales[k / 16] & 0xf);
        b[k] = -(min * (x->scales[k / 16] >> 4));
    }
}

/* a 2-bit code in Q2_K's and Q3_K's qs */
static void set_2bit(uint8_t *qs, int k, int q)
{
    uint8_t *p = &qs[32 * (k / 128) + k % 32];
    const int shift = 2 * (k % 128 / 32);
    *p = (uint8_t)((*p & ~(3 << shift)) | (q & 3) << shift);
}

static void q2_k_set(void *blk, int k, int q)
{
    set_2bit(((lq__blk_q2_k *)blk)->qs, k, q);
}

/* ---- Q3_K: d sc (q - 4) per 16, sc signed 6-bit; the low two bits of q in
 * qs as Q2_K's, the third in bit k / 32 of hmask[k % 32] */

static void q3_k_grid(const void *blk, float *a, float *b)
{
    const lq__blk_q3_k *x = blk;
    const float d = lq__f(x->d);
    int8_t sc[16];
    lq__k3_scales(x->scales, sc);
    for (int k = 0; k < LQ__QK_K; k++) {
        a[k] = d * sc[k / 16];
        b[k] = -4 * a[k];
    }
}

static void q3_k_set(void *blk, int k, int q)
{
    lq__blk_q3_k *x = blk;
    set_2bit(x->qs, k, q);
    uint8_t *h = &x->hmask[k % 32];
    const int bit = k / 32;
    *h = (uint8_t)((*h & ~(1 << bit)) | (q >> 2) << bit);
}

/* ---- Q4_K and Q5_K: d sc q - dmin m per 32; the low nibbles of sub-blocks
 * 2i and 2i+1 share 32 bytes; Q5_K's fifth bit of sub-block j is bit j of qh[l] */

static void k45_grid(uint16_t dh, uint16_t mh, const uint8_t *scales, float *a, float *b)
{
    const float d = lq__f(dh), min = lq__f(mh);
    for (int j = 0; j < LQ__QK_K / 32; j++) {
        uint8_t sc, m;
        lq__k4_scale_min(j, scales, &sc, &m);
        for (int l = 0; l < 32; l++) {
            a[32 * j + l] = d * sc;
            b[32 * j + l] = -(min * m);
        }
    }
}

static void set_nibble(uint8_t *qs, int k, int q)
{
    uint8_t *p = &qs[32 * (k / 64) + k % 32];
    *p = k % 64 < 32 ? (uint8_t)((*p & 0xf0) | (q & 0xf)) : (uint8_t)((*p & 0x0f) | (q & 0xf) << 4);
}

static void q4_k_grid(const void *blk, float *a, float *b)
{
    const lq__blk_q4_k *x = blk;
    k45_grid(x->d, x->dmin, x->scales, a, b);
}

static void q4_k_set(void *blk, int k, int q)
{
    set_nibble(((lq__blk_q4_k *)blk)->qs, k, q);
}

static void q5_k_grid(const void *blk, float *a, float *b)
{
    const lq__blk_q5_k *x = blk;
    k45_grid(x->d, x->dmin, x->scales, a, b);
}

static void q5_k_set(void *blk, int k, int q)
{
    lq__blk_q5_k *x = blk;
    set_nibble(x->qs, k, q);
    uint8_t *h = &x->qh[k % 32];
    const int bit = k / 32;
    *h = (uint8_t)((*h & ~(1 << bit)) | (q >> 4) << bit);
}

/* ---- Q6_K: d sc (q - 32) per 16; low nibbles in ql, high two bits in qh */

static void q6_k_grid(const void *blk, float *a, float *b)
{
    const lq__blk_q6_k *x = blk;
    const float d = lq__f(x->d);
    for (int k = 0; k < LQ__QK_K; k++) {
        a[k] = d * x->scales[k / 16];
        b[k] = -32 * a[k];
    }
}

static void q6_k_set(void *blk, int k, int q)
{
    lq__blk_q6_k *x = blk;
    const int h = k / 128, g = k % 128 / 32, l = k % 32;
    uint8_t *ql = &x->ql[64 * h + 32 * (g & 1) + l], *qh = &x->qh[32 * h + l];
    *ql = g < 2 ? (uint8_t)((*ql & 0xf0) | (q & 0xf)) : (uint8_t)((*ql & 0x0f) | (q & 0xf) << 4);
    *qh = (uint8_t)((*qh & ~(3 << 2 * g)) | (q >> 4) << 2 * g);
}

/* ---- IQ4_NL: d level(q) per 32, nibbles as Q4_0's; IQ4_XS: d sc level(q)
 * per 32 of 256, sc signed 6-bit, sub-block j's nibbles as Q4_0's in
 * qs[16 j ...] */

static void iq4_nl_grid(const void *blk, float *a, float *b)
{
    const float d = lq__f(((const lq__blk_iq4_nl *)blk)->d);
    for (int k = 0; k < LQ__QK; k++) {
        a[k] = d;
        b[k] = 0;
    }
}

static void set_nibble16(uint8_t *qs, int k, int q)
{
    uint8_t *p = &qs[k % 16];
    *p = k < 16 ? (uint8_t)((*p & 0xf0) | q) : (uint8_t)((*p & 0x0f) | q << 4);
}

static void iq4_nl_set(void *blk, int k, int q)
{
    set_nibble16(((lq__blk_iq4_nl *)blk)->qs, k, q);
}

static void iq4_xs_grid(const void *blk, float *a, float *b)
{
    const lq__blk_iq4_xs *x = blk;
    const float d = lq__f(x->d);
    for (int k = 0; k < LQ__QK_K; k++) {
        a[k] = d * lq__iq4xs_scale(x, k / 32);
        b[k] = 0;
    }
}

static void iq4_xs_set(void *blk, int k, int q)
{
    set_nibble16(((lq__blk_iq4_xs *)blk)->qs + 16 * (k / 32), k % 32, q);
}

static const struct {
    lq_type type;
    lq__grid_ops ops;
} grids[] = {
    {LQ_TYPE_Q4_0, {15, NULL, q4_0_grid, q4_0_set}},
    {LQ_TYPE_Q8_0, {254, NULL, q8_0_grid, q8_0_set}},
    {LQ_TYPE_Q2_K, {3, NULL, q2_k_grid, q2_k_set}},
    {LQ_TYPE_Q3_K, {7, NULL, q3_k_grid, q3_k_set}},
    {LQ_TYPE_Q4_K, {15, NULL, q4_k_grid, q4_k_set}},
    {LQ_TYPE_Q5_K, {31, NULL, q5_k_grid, q5_k_set}},
    {LQ_TYPE_Q6_K, {63, NULL, q6_k_grid, q6_k_set}},
    {LQ_TYPE_IQ4_NL, {15, lq__iq4_levels, iq4_nl_grid, iq4_nl_set}},
    {LQ_TYPE_IQ4_XS, {15, lq__iq4_levels, iq4_xs_grid, iq4_xs_set}},
};

int lq__grid_nearest(const lq__grid_ops *g, float t)
{
    if (!g->levels) {
        float r = nearbyintf(t);
        return r < 0.0f ? 0 : r > (float)g->maxq ? g->maxq : (int)r;
    }
    /* ascending levels: the last whose midpoint with the next is not above t */
    int q = 0;
    while (q < g->maxq && t > 0.5f * (float)(g->levels[q] + g->levels[q + 1]))
        q++;
    return q;
}

const lq__grid_ops *lq__grid_for(lq_type t)
{
    for (size_t i = 0; i < sizeof grids / sizeof *grids; i++)
        if (grids[i].type == t)
            return &grids[i].ops;
    return NULL;
}
