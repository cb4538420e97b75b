/* kernels128_iq1.h — the 128-bit NEON kernels of the 1-bit lattice type
 * iq1_s (q8_K activations). Part of kernels128.h, which includes it after
 * its block helpers (dot_i8x16) and before its fill function; layouts in
 * formats/ggml_grids_iq3_iq1.h.
 *
 * 32 values at a time: the four grid points (eight values -1, 0, 1 in a
 * 64-bit word each) are read with scalar loads and go through dot_i8x16 as
 * signed bytes; each 32's sum is weighted by its odd scale in int32, and
 * the shift (+-1/8 per 32) multiplies the activations' sums, q8_K's bsums,
 * in scalar integers beside. */
#ifndef LQ_KERNELS_ARM_KERNELS128_IQ1_H
#define LQ_KERNELS_ARM_KERNELS128_IQ1_H

#include "../../formats/ggml_grids_iq3_iq1.h"

/* The grid values of 32 ib .. 32 ib + 31 of an iq1_s block. */
static inline void iq1_s_values(const lq__blk_iq1_s *b, int ib, int8x16_t v[2])
{
    const unsigned qh = b->qh[ib];
    for (int h = 0; h < 2; h++) {
        const int l = 2 * h;
        const uint64_t p0 = lq__iq1s_grid[b->qs[4 * ib + l] | ((qh >> 3 * l) & 7) << 8];
        const uint64_t p1 = lq__iq1s_grid[b->qs[4 * ib + l + 1] | ((qh >> 3 * (l + 1)) & 7) << 8];
        v[h] = vreinterpretq_s8_u64(vcombine_u64(vcreate_u64(p0), vcreate_u64(p1)));
    }
}

/* (grid + delta) times dl: one rounding per value, as the reference
 * ((float)v + delta is exact). */
static void dequant_iq1_s(const void *x, float *y, int64_t n)
{
    const lq__blk_iq1_s *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const float d = f16_val(b->d);
        for (int ib = 0; ib < 8; ib++) {
            const unsigned qh = b->qh[ib];
            const float32x4_t delta = vdupq_n_f32(qh & 0x8000 ? -LQ__IQ1_DELTA : LQ__IQ1_DELTA);
            const float32x4_t dl = vdupq_n_f32(d * (float)(2 * ((qh >> 12) & 7) + 1));
            int8x16_t v[2];
            iq1_s_values(b, ib, v);
            for (int h = 0; h < 2; h++) {
                const int16x8_t w16[2] = {vmovl_s8(vget_low_s8(v[h])), vmovl_s8(vget_high_s8(v[h]))};
                for (int q = 0; q < 4; q++, y += 4) {
                    const int16x4_t part = q % 2 ? vget_high_s16(w16[q / 2]) : vget_low_s16(w16[q / 2]);
                    const float32x4_t f = vcvtq_f32_s32(vmovl_s16(part));
                    vst1q_f32(y, vmulq_f32(vaddq_f32(f, delta), dl));
                }
            }
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

#endif
