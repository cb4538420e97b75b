/* kernels128_iq1.h — the 128-bit NEON kernels of the 1-bit lattice types
 * iq1_s and iq1_m (q8_K activations). Part of kernels128.h, which includes
 * it after its block helpers (dot_i8x16) and before its fill function;
 * layouts in formats/ggml_grids_iq3_iq1.h.
 *
 * 32 values at a time: the four grid points (eight values -1, 0, 1 in a
 * 64-bit word each) are read with scalar loads and go through dot_i8x16 as
 * signed bytes; each 32 (iq1_s) or 16 (iq1_m) is weighted by its odd scale
 * in int32. iq1_s's shift (+-1/8 per 32) multiplies the activations' sums,
 * q8_K's bsums, in scalar integers beside; iq1_m's (per 8, finer than the
 * bsums) rides in the same dot as weights 8 g +- 1 (g the grid value). The
 * two types differ only in where the grid indices' high bits, the shifts'
 * signs and the scales sit. */
#ifndef LQ_KERNELS_ARM_KERNELS128_IQ1_H
#define LQ_KERNELS_ARM_KERNELS128_IQ1_H

#include "../../formats/ggml_grids_iq3_iq1.h"

/* The grid values of four groups: low index bytes q[0..3], high bits
 * hi[0..3] (the 3 bits above the byte, already shifted by 8). */
static inline void iq1_values(const uint8_t *q, const unsigned hi[4], int8x16_t v[2])
{
    for (int h = 0; h < 2; h++) {
        const uint64_t p0 = lq__iq1s_grid[q[2 * h] | hi[2 * h]];
        const uint64_t p1 = lq__iq1s_grid[q[2 * h + 1] | hi[2 * h + 1]];
        v[h] = vreinterpretq_s8_u64(vcombine_u64(vcreate_u64(p0), vcreate_u64(p1)));
    }
}

/* The grid values of 32 ib .. 32 ib + 31 of an iq1_s block. */
static inline void iq1_s_values(const lq__blk_iq1_s *b, int ib, int8x16_t v[2])
{
    const unsigned qh = b->qh[ib];
    const unsigned hi[4] = {qh << 8 & 0x700, qh << 5 & 0x700, qh << 2 & 0x700, qh >> 1 & 0x700};
    iq1_values(b->qs + 4 * ib, hi, v);
}

/* ... and of an iq1_m block. */
static inline void iq1_m_values(const lq__blk_iq1_m *b, int ib, int8x16_t v[2])
{
    const unsigned h0 = b->qh[2 * ib], h1 = b->qh[2 * ib + 1];
    const unsigned hi[4] = {h0 << 8 & 0x700, h0 << 4 & 0x700, h1 << 8 & 0x700, h1 << 4 & 0x700};
    iq1_values(b->qs + 4 * ib, hi, v);
}

/* The shift of group l (of 4) of those iq1_m values: bit 3 of its qh nibble
 * set, negative. */
static inline int iq1_m_neg(const lq__blk_iq1_m *b, int ib, int l)
{
    return b->qh[2 * ib + l / 2] >> (4 * (l % 2) + 3) & 1;
}

/* The odd scales of an iq1_m block's 16s: sc[j] for values 16 j.. */
static inline void iq1_m_scales(const lq__blk_iq1_m *b, int sc[16])
{
    uint16_t w[4];
    memcpy(w, b->scales, sizeof w);
    for (int j = 0; j < 16; j++)
        sc[j] = 2 * ((w[j / 4] >> 3 * (j % 4)) & 7) + 1;
}

/* 32 grid values v plus the shift delta[l] of each 8, times dl[h] of each
 * 16: one rounding per value, as the reference ((float)v + delta is
 * exact). */
static inline void iq1_store32(const int8x16_t v[2], const float delta[4], const float dl[2], float *y)
{
    for (int h = 0; h < 2; h++) {
        const int16x8_t w16[2] = {vmovl_s8(vget_low_s8(v[h])), vmovl_s8(vget_high_s8(v[h]))};
        for (int q = 0; q < 4; q++, y += 4) {
            const int16x4_t part = q % 2 ? vget_high_s16(w16[q / 2]) : vget_low_s16(w16[q / 2]);
            const float32x4_t f = vcvtq_f32_s32(vmovl_s16(part));
            vst1q_f32(y, vmulq_f32(vaddq_f32(f, vdupq_n_f32(delta[2 * h + q / 2])), vdupq_n_f32(dl[h])));
        }
    }
}

static void dequant_iq1_s(const void *x, float *y, int64_t n)
{
    const lq__blk_iq1_s *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const float d = f16_val(b->d);
        for (int ib = 0; ib < 8; ib++, y += 32) {
            const unsigned qh = b->qh[ib];
            const float delta = qh & 0x8000 ? -LQ__IQ1_DELTA : LQ__IQ1_DELTA;
            const float dl = d * (float)(2 * ((qh >> 12) & 7) + 1);
            int8x16_t v[2];
            iq1_s_values(b, ib, v);
            iq1_store32(v, (const float[4]){delta, delta, delta, delta}, (const float[2]){dl, dl}, y);
        }
    }
}

static void dequant_iq1_m(const void *x, float *y, int64_t n)
{
    const lq__blk_iq1_m *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const float d = f16_val(lq__iq1m_d(b));
        int sc[16];
        iq1_m_scales(b, sc);
        for (int ib = 0; ib < 8; ib++, y += 32) {
            float delta[4];
            for (int l = 0; l < 4; l++)
                delta[l] = iq1_m_neg(b, ib, l) ? -LQ__IQ1_DELTA : LQ__IQ1_DELTA;
            int8x16_t v[2];
            iq1_m_values(b, ib, v);
            iq1_store32(v, delta, (const float[2]){d * (float)sc[2 * ib], d * (float)sc[2 * ib + 1]}, y);
        }
    }
}

/* s = d a.d (sum + sum1 / 8), ggml's factoring: sum the scaled grid dot
 * products, sum1 the signed scales times the activation sums. */
static float dot_iq1_s(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq1_s *w = vw;
    const lq__blk_q8_k *a = va;
    float32x4_t acc = vdupq_n_f32(0);
    float acc1 = 0;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        int32x4_t sumi = vdupq_n_s32(0);
        int shifted = 0;
        for (int ib = 0; ib < 8; ib++) {
            const unsigned qh = w[i].qh[ib];
            const int scale = 2 * ((qh >> 12) & 7) + 1;
            int8x16_t v[2];
            iq1_s_values(&w[i], ib, v);
            int32x4_t s = dot_i8x16(vdupq_n_s32(0), v[0], vld1q_s8(a[i].qs + 32 * ib));
            s = dot_i8x16(s, v[1], vld1q_s8(a[i].qs + 32 * ib + 16));
            sumi = vmlaq_n_s32(sumi, s, scale);
            shifted += (qh & 0x8000 ? -scale : scale) * (a[i].bsums[2 * ib] + a[i].bsums[2 * ib + 1]);
        }
        const float d = f16_val(w[i].d) * a[i].d;
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sumi), d);
        acc1 += d * (float)shifted;
    }
    return vaddvq_f32(acc) + LQ__IQ1_DELTA * acc1;
}

/* Weights 8 g + s (g the grid value, s the shift's sign, so -9 .. 9) make
 * one dot per 16 give 8 (sumi1 + sumi2 / 8) of the reference, weighted by
 * the 16s' odd scales in int32; s = d a.d / 8 times the sum, the 1/8
 * exact. */
static float dot_iq1_m(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq1_m *w = vw;
    const lq__blk_q8_k *a = va;
    float32x4_t acc = vdupq_n_f32(0);
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        int sc[16];
        iq1_m_scales(&w[i], sc);
        int32x4_t sumi = vdupq_n_s32(0);
        for (int ib = 0; ib < 8; ib++) {
            int8x16_t v[2];
            iq1_m_values(&w[i], ib, v);
            for (int h = 0; h < 2; h++) {
                const int8x8_t s0 = vdup_n_s8(iq1_m_neg(&w[i], ib, 2 * h) ? -1 : 1);
                const int8x8_t s1 = vdup_n_s8(iq1_m_neg(&w[i], ib, 2 * h + 1) ? -1 : 1);
                const int8x16_t wt = vaddq_s8(vshlq_n_s8(v[h], 3), vcombine_s8(s0, s1));
                const int32x4_t s = dot_i8x16(vdupq_n_s32(0), wt, vld1q_s8(a[i].qs + 32 * ib + 16 * h));
                sumi = vmlaq_n_s32(sumi, s, sc[2 * ib + h]);
            }
        }
        const float d = f16_val(lq__iq1m_d(&w[i])) * a[i].d * LQ__IQ1_DELTA;
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sumi), d);
    }
    return vaddvq_f32(acc);
}

#endif
