/* kernels128_iq3.h — the 128-bit NEON kernels of the lattice types iq3_xxs
 * and iq3_s (q8_K activations). Part of kernels128.h, which includes it
 * after its block helpers (store16_scaled, dot_i8x16) and before its fill
 * function; layouts in formats/ggml_grids_iq3_iq1.h.
 *
 * 32 values at a time: the eight grid points (four magnitudes, at most 62,
 * in a 32-bit word each) are read with scalar loads, their signs applied
 * as a byte mask, and the signed bytes go through dot_i8x16; each 32's sum
 * is weighted by its odd scale 2s + 1 in int32. */
#ifndef LQ_KERNELS_ARM_KERNELS128_IQ3_H
#define LQ_KERNELS_ARM_KERNELS128_IQ3_H

#include "../../formats/ggml_grids_iq3_iq1.h"

/* 32 values: magnitudes from eight grid points with 32 sign bits applied. */
static inline void iq3_values(const uint32_t *grid, const int idx[8], uint32_t s, int8x16_t v[2])
{
    static const uint8_t bits[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t bit = vld1q_u8(bits);
    uint32_t p[8];
    for (int g = 0; g < 8; g++)
        p[g] = grid[idx[g]];
    for (int h = 0; h < 2; h++, s >>= 16) {
        const uint8x16_t bytes = vcombine_u8(vdup_n_u8((uint8_t)s), vdup_n_u8((uint8_t)(s >> 8)));
        const int8x16_t m = vreinterpretq_s8_u8(vtstq_u8(bytes, bit));
        const int8x16_t q = vreinterpretq_s8_u8(vld1q_u8((const uint8_t *)(p + 4 * h)));
        v[h] = vsubq_s8(veorq_s8(q, m), m);
    }
}

/* Values 32 ib .. 32 ib + 31 and their odd scale 2s + 1. */
static inline int iq3_xxs_values(const lq__blk_iq3_xxs *b, int ib, int8x16_t v[2])
{
    uint32_t aux;
    memcpy(&aux, b->qs + 64 + 4 * ib, 4);
    const uint32_t s = (uint32_t)lq__iq_signs(aux & 127) |
                       (uint32_t)lq__iq_signs((aux >> 7) & 127) << 8 |
                       (uint32_t)lq__iq_signs((aux >> 14) & 127) << 16 |
                       (uint32_t)lq__iq_signs((aux >> 21) & 127) << 24;
    int idx[8];
    for (int g = 0; g < 8; g++)
        idx[g] = b->qs[8 * ib + g];
    iq3_values(lq__iq3xxs_grid, idx, s, v);
    return (int)(2 * (aux >> 28) + 1);
}

static inline int iq3_s_values(const lq__blk_iq3_s *b, int ib, int8x16_t v[2])
{
    uint32_t s;
    memcpy(&s, b->signs + 4 * ib, 4);
    int idx[8];
    for (int g = 0; g < 8; g++)
        idx[g] = b->qs[8 * ib + g] | ((b->qh[ib] >> g) & 1) << 8;
    iq3_values(lq__iq3s_grid, idx, s, v);
    return 2 * ((b->scales[ib / 2] >> (4 * (ib % 2))) & 0xF) + 1;
}

/* Decoders: times d (0.5 + s) / 2 or d (1 + 2s), one rounding per value as
 * in the reference. */
static void dequant_iq3_xxs(const void *x, float *y, int64_t n)
{
    const lq__blk_iq3_xxs *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const float d = f16_val(b->d);
        for (int ib = 0; ib < 8; ib++, y += 32) {
            int8x16_t v[2];
            const int scale = iq3_xxs_values(b, ib, v);
            const float32x4_t db = vdupq_n_f32(d * (0.5f + (float)((scale - 1) / 2)) * 0.5f);
            store16_scaled(v[0], db, y);
            store16_scaled(v[1], db, y + 16);
        }
    }
}

static void dequant_iq3_s(const void *x, float *y, int64_t n)
{
    const lq__blk_iq3_s *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const float d = f16_val(b->d);
        for (int ib = 0; ib < 8; ib++, y += 32) {
            int8x16_t v[2];
            const float32x4_t db = vdupq_n_f32(d * (float)iq3_s_values(b, ib, v));
            store16_scaled(v[0], db, y);
            store16_scaled(v[1], db, y + 16);
        }
    }
}

#define IQ3_DOT(name, btype, values, final)                                            \
    static float name(int64_t n, const void *vw, const void *va)                     \
    {                                                                                 \
        const btype *w = vw;                                                          \
        const lq__blk_q8_k *a = va;                                                   \
        float32x4_t acc = vdupq_n_f32(0);                                             \
        for (int64_t i = 0; i < n / LQ__QK_K; i++) {                                  \
            lq__prefetch(&w[i], sizeof *w);                                           \
            int32x4_t sumi = vdupq_n_s32(0);                                          \
            for (int ib = 0; ib < 8; ib++) {                                          \
                int8x16_t v[2];                                                       \
                const int scale = values(&w[i], ib, v);                               \
                int32x4_t s = dot_i8x16(vdupq_n_s32(0), v[0], vld1q_s8(a[i].qs + 32 * ib)); \
                s = dot_i8x16(s, v[1], vld1q_s8(a[i].qs + 32 * ib + 16));            \
                sumi = vmlaq_n_s32(sumi, s, scale);                                   \
            }                                                                         \
            acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sumi), f16_val(w[i].d) * a[i].d);    \
        }                                                                             \
        return (final) * vaddvq_f32(acc);                                             \
    }

IQ3_DOT(dot_iq3_xxs, lq__blk_iq3_xxs, iq3_xxs_values, 0.25f)
IQ3_DOT(dot_iq3_s, lq__blk_iq3_s, iq3_s_values, 1.0f)

#undef IQ3_DOT

#endif
