/* dequant.c — scalar reference decoding of a row to f32, for the plain float
 * types and every ggml block type. This is the specification the SIMD levels
 * must reproduce bit for bit: each value is computed with the same operations
 * in the same order (no fused multiply-add: the library is built as ISO C,
 * where GCC does not contract a*b + c). */
#include <string.h>

#include "../blocks.h"
#include "ref.h"

const int8_t lq__iq4nl_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                     1,    13,   25,  38,  53,  69,  89,  113};

void lq__ref_dequant_f32(const void *x, float *y, int64_t n)
{
    memcpy(y, x, (size_t)n * sizeof *y);
}

void lq__ref_dequant_f16(const void *x, float *y, int64_t n)
{
    const uint8_t *p = x;
    for (int64_t i = 0; i < n; i++)
        y[i] = lq__ld_f16(p + 2 * i);
}

void lq__ref_dequant_bf16(const void *x, float *y, int64_t n)
{
    const uint8_t *p = x;
    for (int64_t i = 0; i < n; i++)
        y[i] = lq__bf16_to_f32(lq__ld_u16(p + 2 * i));
}

void lq__ref_dequant_q4_0(const void *x, float *y, int64_t n)
{
    const lq__blk_q4_0 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        float d = lq__ld_f16(b->d);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)((b->qs[j] & 0xF) - 8) * d;
            y[j + 16] = (float)((b->qs[j] >> 4) - 8) * d;
        }
    }
}

void lq__ref_dequant_q4_1(const void *x, float *y, int64_t n)
{
    const lq__blk_q4_1 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        float d = lq__ld_f16(b->d), m = lq__ld_f16(b->m);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)(b->qs[j] & 0xF) * d + m;
            y[j + 16] = (float)(b->qs[j] >> 4) * d + m;
        }
    }
}

static uint32_t ld_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void lq__ref_dequant_q5_0(const void *x, float *y, int64_t n)
{
    const lq__blk_q5_0 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        float d = lq__ld_f16(b->d);
        uint32_t qh = ld_u32(b->qh);
        for (int j = 0; j < 16; j++) {
            int lo = (b->qs[j] & 0xF) | (int)((qh >> j) & 1) << 4;
            int hi = (b->qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            y[j] = (float)(lo - 16) * d;
            y[j + 16] = (float)(hi - 16) * d;
        }
    }
}

void lq__ref_dequant_q5_1(const void *x, float *y, int64_t n)
{
    const lq__blk_q5_1 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        float d = lq__ld_f16(b->d), m = lq__ld_f16(b->m);
        uint32_t qh = ld_u32(b->qh);
        for (int j = 0; j < 16; j++) {
            int lo = (b->qs[j] & 0xF) | (int)((qh >> j) & 1) << 4;
            int hi = (b->qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            y[j] = (float)lo * d + m;
            y[j + 16] = (float)hi * d + m;
        }
    }
}

void lq__ref_dequant_q8_0(const void *x, float *y, int64_t n)
{
    const lq__blk_q8_0w *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        float d = lq__ld_f16(b->d);
        for (int j = 0; j < 32; j++)
            y[j] = (float)b->qs[j] * d;
    }
}

/* q2_K and q3_K share the 2-bit plane: element 128h + 32j + l of a super-block
 * is bits 2j..2j+1 of qs[32h + l]; its sub-block of 16 is 8h + 2j + l / 16. */
void lq__ref_dequant_q2_k(const void *x, float *y, int64_t n)
{
    const lq__blk_q2_k *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++, y += LQ__QK_K) {
        float d = lq__ld_f16(b->d), dmin = lq__ld_f16(b->dmin);
        for (int e = 0; e < LQ__QK_K; e++) {
            int h = e / 128, j = (e % 128) / 32, l = e % 32;
            int sc = b->scales[e / 16];
            int q = (b->qs[32 * h + l] >> (2 * j)) & 3;
            y[e] = d * (float)(sc & 0xF) * (float)q - dmin * (float)(sc >> 4);
        }
    }
}

void lq__ref_dequant_q3_k(const void *x, float *y, int64_t n)
{
    const lq__blk_q3_k *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++, y += LQ__QK_K) {
        float d = lq__ld_f16(b->d);
        int8_t sc[16];
        lq__k3_scales(b->scales, sc);
        for (int e = 0; e < LQ__QK_K; e++) {
            int h = e / 128, j = (e % 128) / 32, l = e % 32;
            int q = (b->qs[32 * h + l] >> (2 * j)) & 3;
            int high = (b->hmask[l] >> (e / 32)) & 1;
            y[e] = d * (float)sc[e / 16] * (float)(q - (high ? 0 : 4));
        }
    }
}

/* q4_K and q5_K: chunk c of 64 elements uses sub-blocks 2c (low nibbles) and
 * 2c + 1 (high nibbles) of qs[32c .. 32c + 31]. */
void lq__ref_dequant_q4_k(const void *x, float *y, int64_t n)
{
    const lq__blk_q4_k *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = lq__ld_f16(b->d), dmin = lq__ld_f16(b->dmin);
        for (int c = 0; c < 4; c++, y += 64) {
            uint8_t sc0, m0, sc1, m1;
            lq__k4_scale_min(2 * c, b->scales, &sc0, &m0);
            lq__k4_scale_min(2 * c + 1, b->scales, &sc1, &m1);
            float d0 = d * (float)sc0, dm0 = dmin * (float)m0;
            float d1 = d * (float)sc1, dm1 = dmin * (float)m1;
            const uint8_t *q = b->qs + 32 * c;
            for (int l = 0; l < 32; l++) {
                y[l] = d0 * (float)(q[l] & 0xF) - dm0;
                y[l + 32] = d1 * (float)(q[l] >> 4) - dm1;
            }
        }
    }
}

void lq__ref_dequant_q5_k(const void *x, float *y, int64_t n)
{
    const lq__blk_q5_k *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = lq__ld_f16(b->d), dmin = lq__ld_f16(b->dmin);
        for (int c = 0; c < 4; c++, y += 64) {
            uint8_t sc0, m0, sc1, m1;
            lq__k4_scale_min(2 * c, b->scales, &sc0, &m0);
            lq__k4_scale_min(2 * c + 1, b->scales, &sc1, &m1);
            float d0 = d * (float)sc0, dm0 = dmin * (float)m0;
            float d1 = d * (float)sc1, dm1 = dmin * (float)m1;
            const uint8_t *q = b->qs + 32 * c;
            for (int l = 0; l < 32; l++) {
                int lo = (q[l] & 0xF) | ((b->qh[l] >> (2 * c)) & 1) << 4;
                int hi = (q[l] >> 4) | ((b->qh[l] >> (2 * c + 1)) & 1) << 4;
                y[l] = d0 * (float)lo - dm0;
                y[l + 32] = d1 * (float)hi - dm1;
            }
        }
    }
}

/* q6_K: per 128 elements, ql holds 4 low bits (two nibbles per byte, elements
 * l and l + 64, l + 32 and l + 96), qh the 2 high bits of l, l+32, l+64, l+96. */
void lq__ref_dequant_q6_k(const void *x, float *y, int64_t n)
{
    const lq__blk_q6_k *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = lq__ld_f16(b->d);
        for (int h = 0; h < 2; h++, y += 128) {
            const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
            const int8_t *sc = b->scales + 8 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q0 = ((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32;
                int q1 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32;
                int q2 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
                int q3 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
                y[l] = d * (float)sc[is] * (float)q0;
                y[l + 32] = d * (float)sc[is + 2] * (float)q1;
                y[l + 64] = d * (float)sc[is + 4] * (float)q2;
                y[l + 96] = d * (float)sc[is + 6] * (float)q3;
            }
        }
    }
}

void lq__ref_dequant_iq4_nl(const void *x, float *y, int64_t n)
{
    const lq__blk_iq4_nl *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        float d = lq__ld_f16(b->d);
        for (int j = 0; j < 16; j++) {
            y[j] = d * (float)lq__iq4nl_values[b->qs[j] & 0xF];
            y[j + 16] = d * (float)lq__iq4nl_values[b->qs[j] >> 4];
        }
    }
}

void lq__ref_dequant_iq4_xs(const void *x, float *y, int64_t n)
{
    const lq__blk_iq4_xs *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = lq__ld_f16(b->d);
        for (int j = 0; j < 8; j++, y += 32) {
            float dl = d * (float)lq__iq4xs_scale(b, j);
            const uint8_t *q = b->qs + 16 * j;
            for (int l = 0; l < 16; l++) {
                y[l] = dl * (float)lq__iq4nl_values[q[l] & 0xF];
                y[l + 16] = dl * (float)lq__iq4nl_values[q[l] >> 4];
            }
        }
    }
}
