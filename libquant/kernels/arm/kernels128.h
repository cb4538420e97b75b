/* kernels128.h — the aarch64 NEON kernels, as static functions: neon.c
 * compiles them for baseline ARMv8-A, neon_dotprod.c again with
 * +dotprod, where the int8 dot primitive below becomes one SDOT. Include once
 * per file.
 *
 * Decoders compute each value with the same operations as the reference
 * decoders (ref/dequant.c and the codecs' dequantize_row in formats/ggml_*.c: a
 * multiply, then an add or subtract, never fused: the build is ISO C, so GCC
 * does not contract them), so they are bit-identical to them. Dot products
 * compute the same integer block sums as ref/dot.c and add the scaled sums in
 * four lanes. */
#ifndef LQ_KERNELS_ARM_KERNELS128_H
#define LQ_KERNELS_ARM_KERNELS128_H

#include <arm_neon.h>

#include "../../core/type_list.h"
#include "../../formats/ggml_blocks.h"
#include "../kernels.h"

/* acc + four int32 sums of four products of signed bytes each. */
static inline int32x4_t dot_i8x16(int32x4_t acc, int8x16_t a, int8x16_t b)
{
#if defined(__ARM_FEATURE_DOTPROD)
    return vdotq_s32(acc, a, b);
#else
    int16x8_t lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
    int16x8_t hi = vmull_high_s8(a, b);
    return vpadalq_s16(vpadalq_s16(acc, lo), hi); /* |a b| <= 128 * 127 fits int16 */
#endif
}

static inline float f16_val(uint16_t u)
{
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(u))), 0);
}

/* ---- plain floats ------------------------------------------------------------- */

/* Four f32 weights from a row that need not be 4-byte aligned (lq__ld_f32). */
static inline float32x4_t ld_w4(const float *w)
{
    return vreinterpretq_f32_u8(vld1q_u8((const uint8_t *)w));
}

static float dot_f32(int64_t n, const void *vw, const void *va)
{
    const float *w = vw, *a = va;
    float32x4_t acc[4] = {vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0)};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int u = 0; u < 4; u++)
            acc[u] = vfmaq_f32(acc[u], ld_w4(w + i + 4 * u), vld1q_f32(a + i + 4 * u));
    for (; i + 4 <= n; i += 4)
        acc[0] = vfmaq_f32(acc[0], ld_w4(w + i), vld1q_f32(a + i));
    float s = vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
    for (; i < n; i++)
        s += lq__ld_f32(w + i) * a[i];
    return s;
}

static void to_f16(const float *x, uint16_t *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) /* FCVTN rounds to nearest even (the default FPCR) */
        vst1_u16(y + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
    for (; i < n; i++)
        y[i] = lq__f32_to_f16(x[i]);
}

static inline float32x4_t load4_f16(const uint8_t *p)
{
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *)(const void *)p)));
}

static inline float32x4_t load4_bf16(const uint8_t *p)
{
    uint16x4_t h = vld1_u16((const uint16_t *)(const void *)p);
    return vreinterpretq_f32_u32(vshll_n_u16(h, 16));
}

#define HALF_KERNELS(t, load, scalar)                                                     \
    static void dequant_##t(const void *x, float *y, int64_t n)                           \
    {                                                                                     \
        const uint8_t *w = x;                                                             \
        int64_t i = 0;                                                                    \
        for (; i + 4 <= n; i += 4)                                                        \
            vst1q_f32(y + i, load(w + 2 * i));                                            \
        for (; i < n; i++)                                                                \
            y[i] = scalar;                                                                \
    }                                                                                     \
    static float dot_##t(int64_t n, const void *vw, const void *va)                       \
    {                                                                                     \
        const uint8_t *w = vw;                                                            \
        const float *a = va;                                                              \
        float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);                         \
        int64_t i = 0;                                                                    \
        for (; i + 8 <= n; i += 8) {                                                      \
            acc0 = vfmaq_f32(acc0, load(w + 2 * i), vld1q_f32(a + i));                    \
            acc1 = vfmaq_f32(acc1, load(w + 2 * i + 8), vld1q_f32(a + i + 4));            \
        }                                                                                 \
        float s = vaddvq_f32(vaddq_f32(acc0, acc1));                                      \
        for (; i < n; i++)                                                                \
            s += scalar * a[i];                                                           \
        return s;                                                                         \
    }
HALF_KERNELS(f16, load4_f16, lq__f16_to_f32(lq__ld_u16(w + 2 * i)))
HALF_KERNELS(bf16, load4_bf16, lq__bf16_to_f32(lq__ld_u16(w + 2 * i)))

/* ---- helpers for the blocks --------------------------------------------------------- */

/* 16 signed bytes times d: four vectors of (float)q * d. */
static inline void store16_scaled(int8x16_t q, float32x4_t d, float *y)
{
    int16x8_t lo = vmovl_s8(vget_low_s8(q)), hi = vmovl_high_s8(q);
    vst1q_f32(y + 0, vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo))), d));
    vst1q_f32(y + 4, vmulq_f32(vcvtq_f32_s32(vmovl_high_s16(lo)), d));
    vst1q_f32(y + 8, vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi))), d));
    vst1q_f32(y + 12, vmulq_f32(vcvtq_f32_s32(vmovl_high_s16(hi)), d));
}

/* ... and then minus m: d * (float)q - m. */
static inline void store16_scaled_sub(int8x16_t q, float32x4_t d, float32x4_t m, float *y)
{
    int16x8_t lo = vmovl_s8(vget_low_s8(q)), hi = vmovl_high_s8(q);
    int32x4_t v[4] = {vmovl_s16(vget_low_s16(lo)), vmovl_high_s16(lo), vmovl_s16(vget_low_s16(hi)),
                      vmovl_high_s16(hi)};
    for (int u = 0; u < 4; u++)
        vst1q_f32(y + 4 * u, vsubq_f32(vmulq_f32(d, vcvtq_f32_s32(v[u])), m));
}

/* ... and then plus m: (float)q * d + m. */
static inline void store16_scaled_add(int8x16_t q, float32x4_t d, float32x4_t m, float *y)
{
    int16x8_t lo = vmovl_s8(vget_low_s8(q)), hi = vmovl_high_s8(q);
    int32x4_t v[4] = {vmovl_s16(vget_low_s16(lo)), vmovl_high_s16(lo), vmovl_s16(vget_low_s16(hi)),
                      vmovl_high_s16(hi)};
    for (int u = 0; u < 4; u++)
        vst1q_f32(y + 4 * u, vaddq_f32(vmulq_f32(vcvtq_f32_s32(v[u]), d), m));
}

/* ---- q4_0, q4_1, q8_0, iq4_nl --------------------------------------------------------- */

static inline void q4_codes(const uint8_t *qs, int8x16_t *lo, int8x16_t *hi)
{
    uint8x16_t b = vld1q_u8(qs);
    *lo = vreinterpretq_s8_u8(vandq_u8(b, vdupq_n_u8(0x0F)));
    *hi = vreinterpretq_s8_u8(vshrq_n_u8(b, 4));
}

static void dequant_q4_0(const void *x, float *y, int64_t n)
{
    const lq__blk_q4_0 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        int8x16_t lo, hi;
        q4_codes(b->qs, &lo, &hi);
        float32x4_t d = vdupq_n_f32(f16_val(b->d));
        store16_scaled(vsubq_s8(lo, vdupq_n_s8(8)), d, y);
        store16_scaled(vsubq_s8(hi, vdupq_n_s8(8)), d, y + 16);
    }
}

static inline float32x4_t q4_0_block(const lq__blk_q4_0 *w, const lq__blk_q8_0 *a, float32x4_t acc)
{
    int8x16_t lo, hi;
    q4_codes(w->qs, &lo, &hi);
    int32x4_t s = dot_i8x16(vdupq_n_s32(0), vsubq_s8(lo, vdupq_n_s8(8)), vld1q_s8(a->qs));
    s = dot_i8x16(s, vsubq_s8(hi, vdupq_n_s8(8)), vld1q_s8(a->qs + 16));
    return vfmaq_n_f32(acc, vcvtq_f32_s32(s), f16_val(w->d) * f16_val(a->d));
}

/* Two blocks per step into two accumulators. */
#define BLOCK_DOT(name, wtype, atype, block)                                  \
    static float name(int64_t n, const void *vw, const void *va)             \
    {                                                                        \
        const wtype *w = vw;                                                 \
        const atype *a = va;                                                 \
        float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);            \
        int64_t nb = n / LQ__QK, i = 0;                                      \
        for (; i + 2 <= nb; i += 2) {                                        \
            lq__prefetch(&w[i], 2 * sizeof *w);                              \
            acc0 = block(&w[i], &a[i], acc0);                                \
            acc1 = block(&w[i + 1], &a[i + 1], acc1);                        \
        }                                                                    \
        if (i < nb)                                                          \
            acc0 = block(&w[i], &a[i], acc0);                                \
        return vaddvq_f32(vaddq_f32(acc0, acc1));                            \
    }

BLOCK_DOT(dot_q4_0, lq__blk_q4_0, lq__blk_q8_0, q4_0_block)

static void dequant_q4_1(const void *x, float *y, int64_t n)
{
    const lq__blk_q4_1 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        int8x16_t lo, hi;
        q4_codes(b->qs, &lo, &hi);
        float32x4_t d = vdupq_n_f32(f16_val(b->d)), m = vdupq_n_f32(f16_val(b->m));
        store16_scaled_add(lo, d, m, y);
        store16_scaled_add(hi, d, m, y + 16);
    }
}

static inline float32x4_t q4_1_block(const lq__blk_q4_1 *w, const lq__blk_q8_1 *a, float32x4_t acc)
{
    int8x16_t lo, hi;
    q4_codes(w->qs, &lo, &hi);
    int32x4_t s = dot_i8x16(vdupq_n_s32(0), lo, vld1q_s8(a->qs));
    s = dot_i8x16(s, hi, vld1q_s8(a->qs + 16));
    acc = vsetq_lane_f32(vgetq_lane_f32(acc, 0) + f16_val(w->m) * f16_val(a->s), acc, 0);
    return vfmaq_n_f32(acc, vcvtq_f32_s32(s), f16_val(w->d) * f16_val(a->d));
}

BLOCK_DOT(dot_q4_1, lq__blk_q4_1, lq__blk_q8_1, q4_1_block)

static void dequant_q8_0(const void *x, float *y, int64_t n)
{
    const lq__blk_q8_0 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        float32x4_t d = vdupq_n_f32(f16_val(b->d));
        store16_scaled(vld1q_s8(b->qs), d, y);
        store16_scaled(vld1q_s8(b->qs + 16), d, y + 16);
    }
}

static inline float32x4_t q8_0_block(const lq__blk_q8_0 *w, const lq__blk_q8_0 *a, float32x4_t acc)
{
    int32x4_t s = dot_i8x16(vdupq_n_s32(0), vld1q_s8(w->qs), vld1q_s8(a->qs));
    s = dot_i8x16(s, vld1q_s8(w->qs + 16), vld1q_s8(a->qs + 16));
    return vfmaq_n_f32(acc, vcvtq_f32_s32(s), f16_val(w->d) * f16_val(a->d));
}

BLOCK_DOT(dot_q8_0, lq__blk_q8_0, lq__blk_q8_0, q8_0_block)

static void dequant_iq4_nl(const void *x, float *y, int64_t n)
{
    const lq__blk_iq4_nl *b = x;
    const int8x16_t table = vld1q_s8(lq__iq4_levels);
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        int8x16_t lo, hi;
        q4_codes(b->qs, &lo, &hi);
        float32x4_t d = vdupq_n_f32(f16_val(b->d));
        store16_scaled(vqtbl1q_s8(table, vreinterpretq_u8_s8(lo)), d, y);
        store16_scaled(vqtbl1q_s8(table, vreinterpretq_u8_s8(hi)), d, y + 16);
    }
}

static inline float32x4_t iq4_nl_block(const lq__blk_iq4_nl *w, const lq__blk_q8_0 *a, float32x4_t acc)
{
    const int8x16_t table = vld1q_s8(lq__iq4_levels);
    int8x16_t lo, hi;
    q4_codes(w->qs, &lo, &hi);
    int32x4_t s = dot_i8x16(vdupq_n_s32(0), vqtbl1q_s8(table, vreinterpretq_u8_s8(lo)), vld1q_s8(a->qs));
    s = dot_i8x16(s, vqtbl1q_s8(table, vreinterpretq_u8_s8(hi)), vld1q_s8(a->qs + 16));
    return vfmaq_n_f32(acc, vcvtq_f32_s32(s), f16_val(w->d) * f16_val(a->d));
}

BLOCK_DOT(dot_iq4_nl, lq__blk_iq4_nl, lq__blk_q8_0, iq4_nl_block)

/* ---- q5_0, q5_1 ---------------------------------------------------------------------- */

/* The 32 five-bit codes of a q5 block: [0..15] and [16..31]. */
static inline void q5_codes(const uint8_t *qs, const uint8_t *qh4, uint8x16_t *lo, uint8x16_t *hi)
{
    static const uint8_t bit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t bits = vld1q_u8(bit);
    uint8x16_t b = vld1q_u8(qs);
    uint8x16_t h0 = vcombine_u8(vdup_n_u8(qh4[0]), vdup_n_u8(qh4[1]));
    uint8x16_t h1 = vcombine_u8(vdup_n_u8(qh4[2]), vdup_n_u8(qh4[3]));
    *lo = vorrq_u8(vandq_u8(b, vdupq_n_u8(0x0F)), vandq_u8(vtstq_u8(h0, bits), vdupq_n_u8(0x10)));
    *hi = vorrq_u8(vshrq_n_u8(b, 4), vandq_u8(vtstq_u8(h1, bits), vdupq_n_u8(0x10)));
}

static void dequant_q5_0(const void *x, float *y, int64_t n)
{
    const lq__blk_q5_0 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        uint8x16_t lo, hi;
        q5_codes(b->qs, b->qh, &lo, &hi);
        float32x4_t d = vdupq_n_f32(f16_val(b->d));
        store16_scaled(vsubq_s8(vreinterpretq_s8_u8(lo), vdupq_n_s8(16)), d, y);
        store16_scaled(vsubq_s8(vreinterpretq_s8_u8(hi), vdupq_n_s8(16)), d, y + 16);
    }
}

static inline float32x4_t q5_0_block(const lq__blk_q5_0 *w, const lq__blk_q8_0 *a, float32x4_t acc)
{
    uint8x16_t lo, hi;
    q5_codes(w->qs, w->qh, &lo, &hi);
    int32x4_t s = dot_i8x16(vdupq_n_s32(0), vsubq_s8(vreinterpretq_s8_u8(lo), vdupq_n_s8(16)), vld1q_s8(a->qs));
    s = dot_i8x16(s, vsubq_s8(vreinterpretq_s8_u8(hi), vdupq_n_s8(16)), vld1q_s8(a->qs + 16));
    return vfmaq_n_f32(acc, vcvtq_f32_s32(s), f16_val(w->d) * f16_val(a->d));
}

BLOCK_DOT(dot_q5_0, lq__blk_q5_0, lq__blk_q8_0, q5_0_block)

static void dequant_q5_1(const void *x, float *y, int64_t n)
{
    const lq__blk_q5_1 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        uint8x16_t lo, hi;
        q5_codes(b->qs, b->qh, &lo, &hi);
        float32x4_t d = vdupq_n_f32(f16_val(b->d)), m = vdupq_n_f32(f16_val(b->m));
        store16_scaled_add(vreinterpretq_s8_u8(lo), d, m, y);
        store16_scaled_add(vreinterpretq_s8_u8(hi), d, m, y + 16);
    }
}

static inline float32x4_t q5_1_block(const lq__blk_q5_1 *w, const lq__blk_q8_1 *a, float32x4_t acc)
{
    uint8x16_t lo, hi;
    q5_codes(w->qs, w->qh, &lo, &hi);
    int32x4_t s = dot_i8x16(vdupq_n_s32(0), vreinterpretq_s8_u8(lo), vld1q_s8(a->qs));
    s = dot_i8x16(s, vreinterpretq_s8_u8(hi), vld1q_s8(a->qs + 16));
    acc = vsetq_lane_f32(vgetq_lane_f32(acc, 0) + f16_val(w->m) * f16_val(a->s), acc, 0);
    return vfmaq_n_f32(acc, vcvtq_f32_s32(s), f16_val(w->d) * f16_val(a->d));
}

BLOCK_DOT(dot_q5_1, lq__blk_q5_1, lq__blk_q8_1, q5_1_block)

/* ---- q4_K, q6_K ---------------------------------------------------------------------- */

static void dequant_q4_k(const void *x, float *y, int64_t n)
{
    const lq__blk_q4_k *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = f16_val(b->d), dmin = f16_val(b->dmin);
        for (int c = 0; c < 4; c++, y += 64) {
            uint8_t sc0, m0, sc1, m1;
            lq__k4_scale_min(2 * c, b->scales, &sc0, &m0);
            lq__k4_scale_min(2 * c + 1, b->scales, &sc1, &m1);
            float32x4_t d0 = vdupq_n_f32(d * (float)sc0), dm0 = vdupq_n_f32(dmin * (float)m0);
            float32x4_t d1 = vdupq_n_f32(d * (float)sc1), dm1 = vdupq_n_f32(dmin * (float)m1);
            for (int h = 0; h < 2; h++) {
                int8x16_t lo, hi;
                q4_codes(b->qs + 32 * c + 16 * h, &lo, &hi);
                store16_scaled_sub(lo, d0, dm0, y + 16 * h);
                store16_scaled_sub(hi, d1, dm1, y + 32 + 16 * h);
            }
        }
    }
}

static float dot_q4_k(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q4_k *w = vw;
    const lq__blk_q8_k *a = va;
    float32x4_t acc = vdupq_n_f32(0);
    float accm = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        int32_t msum = 0;
        int32x4_t sumi = vdupq_n_s32(0);
        for (int c = 0; c < 4; c++) {
            uint8_t sc0, m0, sc1, m1;
            lq__k4_scale_min(2 * c, w[i].scales, &sc0, &m0);
            lq__k4_scale_min(2 * c + 1, w[i].scales, &sc1, &m1);
            int32x4_t s0 = vdupq_n_s32(0), s1 = vdupq_n_s32(0);
            for (int h = 0; h < 2; h++) {
                int8x16_t lo, hi;
                q4_codes(w[i].qs + 32 * c + 16 * h, &lo, &hi);
                s0 = dot_i8x16(s0, lo, vld1q_s8(a[i].qs + 64 * c + 16 * h));
                s1 = dot_i8x16(s1, hi, vld1q_s8(a[i].qs + 64 * c + 32 + 16 * h));
            }
            sumi = vmlaq_n_s32(sumi, s0, sc0);
            sumi = vmlaq_n_s32(sumi, s1, sc1);
            msum += m0 * (a[i].bsums[4 * c] + a[i].bsums[4 * c + 1]) +
                    m1 * (a[i].bsums[4 * c + 2] + a[i].bsums[4 * c + 3]);
        }
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sumi), a[i].d * f16_val(w[i].d));
        accm += a[i].d * f16_val(w[i].dmin) * (float)msum;
    }
    return vaddvq_f32(acc) - accm;
}

/* q6_K: codes 0..63 of group g (0..3) of a 128 chunk, 16 elements from l0. */
static inline int8x16_t q6_codes(const uint8_t *ql, const uint8_t *qh, int g, int l0)
{
    uint8x16_t l = vld1q_u8(ql + (g % 2) * 32 + l0), h = vld1q_u8(qh + l0);
    uint8x16_t low = g < 2 ? vandq_u8(l, vdupq_n_u8(0x0F)) : vshrq_n_u8(l, 4);
    uint8x16_t high;
    switch (g) {
    case 0: high = vshlq_n_u8(vandq_u8(h, vdupq_n_u8(0x03)), 4); break;
    case 1: high = vshlq_n_u8(vandq_u8(h, vdupq_n_u8(0x0C)), 2); break;
    case 2: high = vandq_u8(h, vdupq_n_u8(0x30)); break;
    default: high = vshrq_n_u8(vandq_u8(h, vdupq_n_u8(0xC0)), 2); break;
    }
    return vreinterpretq_s8_u8(vorrq_u8(low, high));
}

static void dequant_q6_k(const void *x, float *y, int64_t n)
{
    const lq__blk_q6_k *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = f16_val(b->d);
        for (int h = 0; h < 2; h++, y += 128) {
            const int8_t *sc = b->scales + 8 * h;
            for (int g = 0; g < 4; g++)
                for (int l0 = 0; l0 < 32; l0 += 16) {
                    int8x16_t q = vsubq_s8(q6_codes(b->ql + 64 * h, b->qh + 32 * h, g, l0), vdupq_n_s8(32));
                    store16_scaled(q, vdupq_n_f32(d * (float)sc[2 * g + l0 / 16]), y + 32 * g + l0);
                }
        }
    }
}

static float dot_q6_k(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q6_k *w = vw;
    const lq__blk_q8_k *a = va;
    float32x4_t acc = vdupq_n_f32(0);
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        int32x4_t sumi = vdupq_n_s32(0);
        for (int h = 0; h < 2; h++) {
            const int8_t *sc = w[i].scales + 8 * h;
            for (int g = 0; g < 4; g++)
                for (int l0 = 0; l0 < 32; l0 += 16) {
                    int8x16_t q = vsubq_s8(q6_codes(w[i].ql + 64 * h, w[i].qh + 32 * h, g, l0), vdupq_n_s8(32));
                    int32x4_t s = dot_i8x16(vdupq_n_s32(0), q, vld1q_s8(a[i].qs + 128 * h + 32 * g + l0));
                    sumi = vmlaq_n_s32(sumi, s, sc[2 * g + l0 / 16]);
                }
        }
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sumi), a[i].d * f16_val(w[i].d));
    }
    return vaddvq_f32(acc);
}

/* ---- q5_K, q2_K, q3_K, iq4_XS ---------------------------------------------------------- */

/* q5_K codes of chunk c, 16 elements from l0: low half (sub-block 2c) and high
 * half (sub-block 2c + 1). */
static inline void q5_k_codes(const lq__blk_q5_k *b, int c, int l0, int8x16_t *lo, int8x16_t *hi)
{
    uint8x16_t q = vld1q_u8(b->qs + 32 * c + l0), h = vld1q_u8(b->qh + l0);
    uint8x16_t h0 = vandq_u8(vshlq_u8(h, vdupq_n_s8((int8_t)(4 - 2 * c))), vdupq_n_u8(0x10));
    uint8x16_t h1 = vandq_u8(vshlq_u8(h, vdupq_n_s8((int8_t)(3 - 2 * c))), vdupq_n_u8(0x10));
    *lo = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q, vdupq_n_u8(0x0F)), h0));
    *hi = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q, 4), h1));
}

static void dequant_q5_k(const void *x, float *y, int64_t n)
{
    const lq__blk_q5_k *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = f16_val(b->d), dmin = f16_val(b->dmin);
        for (int c = 0; c < 4; c++, y += 64) {
            uint8_t sc0, m0, sc1, m1;
            lq__k4_scale_min(2 * c, b->scales, &sc0, &m0);
            lq__k4_scale_min(2 * c + 1, b->scales, &sc1, &m1);
            float32x4_t d0 = vdupq_n_f32(d * (float)sc0), dm0 = vdupq_n_f32(dmin * (float)m0);
            float32x4_t d1 = vdupq_n_f32(d * (float)sc1), dm1 = vdupq_n_f32(dmin * (float)m1);
            for (int h = 0; h < 2; h++) {
                int8x16_t lo, hi;
                q5_k_codes(b, c, 16 * h, &lo, &hi);
                store16_scaled_sub(lo, d0, dm0, y + 16 * h);
                store16_scaled_sub(hi, d1, dm1, y + 32 + 16 * h);
            }
        }
    }
}

static float dot_q5_k(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q5_k *w = vw;
    const lq__blk_q8_k *a = va;
    float32x4_t acc = vdupq_n_f32(0);
    float accm = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        int32_t msum = 0;
        int32x4_t sumi = vdupq_n_s32(0);
        for (int c = 0; c < 4; c++) {
            uint8_t sc0, m0, sc1, m1;
            lq__k4_scale_min(2 * c, w[i].scales, &sc0, &m0);
            lq__k4_scale_min(2 * c + 1, w[i].scales, &sc1, &m1);
            int32x4_t s0 = vdupq_n_s32(0), s1 = vdupq_n_s32(0);
            for (int h = 0; h < 2; h++) {
                int8x16_t lo, hi;
                q5_k_codes(&w[i], c, 16 * h, &lo, &hi);
                s0 = dot_i8x16(s0, lo, vld1q_s8(a[i].qs + 64 * c + 16 * h));
                s1 = dot_i8x16(s1, hi, vld1q_s8(a[i].qs + 64 * c + 32 + 16 * h));
            }
            sumi = vmlaq_n_s32(sumi, s0, sc0);
            sumi = vmlaq_n_s32(sumi, s1, sc1);
            msum += m0 * (a[i].bsums[4 * c] + a[i].bsums[4 * c + 1]) +
                    m1 * (a[i].bsums[4 * c + 2] + a[i].bsums[4 * c + 3]);
        }
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sumi), a[i].d * f16_val(w[i].d));
        accm += a[i].d * f16_val(w[i].dmin) * (float)msum;
    }
    return vaddvq_f32(acc) - accm;
}

/* q2_K / q3_K two-bit codes of group g (0..3) of a 128 chunk, 16 elements
 * from l0: bits 2g..2g+1 of qs[l0 ..]. */
static inline uint8x16_t k2_codes(const uint8_t *qs, int g, int l0)
{
    return vandq_u8(vshlq_u8(vld1q_u8(qs + l0), vdupq_n_s8((int8_t)(-2 * g))), vdupq_n_u8(3));
}

static void dequant_q2_k(const void *x, float *y, int64_t n)
{
    const lq__blk_q2_k *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = f16_val(b->d), dmin = f16_val(b->dmin);
        for (int j = 0; j < 16; j++, y += 16) { /* sub-block j: chunk j / 8, group (j % 8) / 2 */
            int sc = b->scales[j];
            int8x16_t q = vreinterpretq_s8_u8(k2_codes(b->qs + 32 * (j / 8), (j % 8) / 2, 16 * (j % 2)));
            store16_scaled_sub(q, vdupq_n_f32(d * (float)(sc & 0xF)), vdupq_n_f32(dmin * (float)(sc >> 4)), y);
        }
    }
}

static float dot_q2_k(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q2_k *w = vw;
    const lq__blk_q8_k *a = va;
    float32x4_t acc = vdupq_n_f32(0);
    float accm = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        int32x4_t sumi = vdupq_n_s32(0);
        int32_t msum = 0;
        for (int j = 0; j < 16; j++) {
            int8x16_t q = vreinterpretq_s8_u8(k2_codes(w[i].qs + 32 * (j / 8), (j % 8) / 2, 16 * (j % 2)));
            int32x4_t s = dot_i8x16(vdupq_n_s32(0), q, vld1q_s8(a[i].qs + 16 * j));
            sumi = vmlaq_n_s32(sumi, s, w[i].scales[j] & 0xF);
            msum += (w[i].scales[j] >> 4) * a[i].bsums[j];
        }
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sumi), a[i].d * f16_val(w[i].d));
        accm += a[i].d * f16_val(w[i].dmin) * (float)msum;
    }
    return vaddvq_f32(acc) - accm;
}

/* q3_K values of sub-block j (-4..3): two low bits, minus 4 where the hmask bit is clear. */
static inline int8x16_t k3_values(const lq__blk_q3_k *b, int j)
{
    int h = j / 8, g = (j % 8) / 2, l0 = 16 * (j % 2);
    uint8x16_t q = k2_codes(b->qs + 32 * h, g, l0);
    uint8x16_t set = vtstq_u8(vld1q_u8(b->hmask + l0), vdupq_n_u8((uint8_t)(1u << (4 * h + g))));
    return vsubq_s8(vreinterpretq_s8_u8(q), vreinterpretq_s8_u8(vbicq_u8(vdupq_n_u8(4), set)));
}

static void dequant_q3_k(const void *x, float *y, int64_t n)
{
    const lq__blk_q3_k *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = f16_val(b->d);
        int8_t sc[16];
        lq__k3_scales(b->scales, sc);
        for (int j = 0; j < 16; j++, y += 16)
            store16_scaled(k3_values(b, j), vdupq_n_f32(d * (float)sc[j]), y);
    }
}

static float dot_q3_k(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q3_k *w = vw;
    const lq__blk_q8_k *a = va;
    float32x4_t acc = vdupq_n_f32(0);
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        int8_t sc[16];
        lq__k3_scales(w[i].scales, sc);
        int32x4_t sumi = vdupq_n_s32(0);
        for (int j = 0; j < 16; j++)
            sumi = vmlaq_n_s32(sumi, dot_i8x16(vdupq_n_s32(0), k3_values(&w[i], j), vld1q_s8(a[i].qs + 16 * j)), sc[j]);
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sumi), a[i].d * f16_val(w[i].d));
    }
    return vaddvq_f32(acc);
}

static void dequant_iq4_xs(const void *x, float *y, int64_t n)
{
    const lq__blk_iq4_xs *b = x;
    const int8x16_t table = vld1q_s8(lq__iq4_levels);
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = f16_val(b->d);
        for (int j = 0; j < 8; j++, y += 32) {
            int8x16_t lo, hi;
            q4_codes(b->qs + 16 * j, &lo, &hi);
            float32x4_t dl = vdupq_n_f32(d * (float)lq__iq4xs_scale(b, j));
            store16_scaled(vqtbl1q_s8(table, vreinterpretq_u8_s8(lo)), dl, y);
            store16_scaled(vqtbl1q_s8(table, vreinterpretq_u8_s8(hi)), dl, y + 16);
        }
    }
}

static float dot_iq4_xs(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq4_xs *w = vw;
    const lq__blk_q8_k *a = va;
    const int8x16_t table = vld1q_s8(lq__iq4_levels);
    float32x4_t acc = vdupq_n_f32(0);
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        int32x4_t sumi = vdupq_n_s32(0);
        for (int j = 0; j < 8; j++) {
            int8x16_t lo, hi;
            q4_codes(w[i].qs + 16 * j, &lo, &hi);
            int32x4_t s = dot_i8x16(vdupq_n_s32(0), vqtbl1q_s8(table, vreinterpretq_u8_s8(lo)), vld1q_s8(a[i].qs + 32 * j));
            s = dot_i8x16(s, vqtbl1q_s8(table, vreinterpretq_u8_s8(hi)), vld1q_s8(a[i].qs + 32 * j + 16));
            sumi = vmlaq_n_s32(sumi, s, lq__iq4xs_scale(&w[i], j));
        }
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sumi), a[i].d * f16_val(w[i].d));
    }
    return vaddvq_f32(acc);
}

/* ---- tq1_0, tq2_0, mxfp4, nvfp4 ---------------------------------------------------------- */

#include "kernels128_tq_fp4.h"
#include "kernels128_iq3.h"

/* ---- iq2_xxs, iq2_xs, iq2_s ------------------------------------------------------------ */

#include "kernels128_iq2.h"
#include "kernels128_iq1.h"

/* ---- linear int8 / int4 rows ----------------------------------------------------------- */

/* 32 codes of a linear row from element j (a multiple of 32), as code - zero
 * in two signed vectors (|code - zero| <= 255 does not fit: int8 uses the
 * centred form code - 128 and a correction, see lin_dot). */
static void lin_dequant(int64_t k, const lq__lin_row *w, float *y, int bits)
{
    for (int64_t g = 0; g * w->group < k; g++) {
        float scale = lq__lin_scale(w, g);
        int zero = w->zeros ? w->zeros[g] : 1 << (bits - 1);
        float32x4_t s = vdupq_n_f32(scale);
        int32x4_t z = vdupq_n_s32(zero);
        int64_t j = g * w->group, end = j + w->group;
        if (bits == 8) {
            for (; j + 8 <= end; j += 8) {
                uint16x8_t q = vmovl_u8(vld1_u8(w->codes + j));
                int32x4_t lo = vsubq_s32(vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(q))), z);
                int32x4_t hi = vsubq_s32(vreinterpretq_s32_u32(vmovl_high_u16(q)), z);
                vst1q_f32(y + j, vmulq_f32(s, vcvtq_f32_s32(lo)));
                vst1q_f32(y + j + 4, vmulq_f32(s, vcvtq_f32_s32(hi)));
            }
        } else {
            for (; j + 16 <= end && j % 2 == 0; j += 16) {
                uint8x8_t b = vld1_u8(w->codes + j / 2);
                uint8x8x2_t z2 = vzip_u8(vand_u8(b, vdup_n_u8(0x0F)), vshr_n_u8(b, 4));
                uint16x8_t q0 = vmovl_u8(z2.val[0]), q1 = vmovl_u8(z2.val[1]);
                uint16x8_t qs[2] = {q0, q1};
                for (int u = 0; u < 2; u++) {
                    int32x4_t lo = vsubq_s32(vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(qs[u]))), z);
                    int32x4_t hi = vsubq_s32(vreinterpretq_s32_u32(vmovl_high_u16(qs[u])), z);
                    vst1q_f32(y + j + 8 * u, vmulq_f32(s, vcvtq_f32_s32(lo)));
                    vst1q_f32(y + j + 8 * u + 4, vmulq_f32(s, vcvtq_f32_s32(hi)));
                }
            }
        }
        for (; j < end; j++) {
            int q = bits == 8 ? w->codes[j] : (w->codes[j / 2] >> (4 * (j % 2))) & 0xF;
            y[j] = scale * (float)(q - zero);
        }
    }
}

static void lin8_dequant(int64_t k, const lq__lin_row *w, float *y) { lin_dequant(k, w, y, 8); }
static void lin4_dequant(int64_t k, const lq__lin_row *w, float *y) { lin_dequant(k, w, y, 4); }

/* sum (q - zero) a over the blocks of 32 of each group: int4 as q - zero
 * directly while that fits a signed byte (zero <= 128), else q a - zero
 * sum(a); int8 as (q - 128) a - (zero - 128) sum(a). Zero points are any u8:
 * imported checkpoints hold values above the code range (GPTQ v1: 2^bits). */
static float lin_dot(int64_t k, const lq__lin_row *w, const void *va, int bits)
{
    const lq__blk_q8_0 *a = va;
    float32x4_t acc = vdupq_n_f32(0);
    int64_t per_group = w->group / LQ__QK;
    for (int64_t g = 0, b = 0; b < k / LQ__QK; g++) {
        float scale = lq__lin_scale(w, g);
        int zero = w->zeros ? w->zeros[g] : 1 << (bits - 1);
        for (int64_t end = b + per_group; b < end; b++) {
            lq__prefetch(w->codes + 4 * bits * b, 4 * (size_t)bits);
            int8x16_t a0 = vld1q_s8(a[b].qs), a1 = vld1q_s8(a[b].qs + 16);
            int32x4_t s;
            int fold = zero; /* the part of the zero point taken out of the codes */
            if (bits == 8) {
                uint8x16_t bias = vdupq_n_u8(0x80);
                int8x16_t q0 = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(w->codes + 32 * b), bias));
                int8x16_t q1 = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(w->codes + 32 * b + 16), bias));
                s = dot_i8x16(dot_i8x16(vdupq_n_s32(0), q0, a0), q1, a1);
                fold = 128;
            } else {
                uint8x16_t bytes = vld1q_u8(w->codes + 16 * b);
                uint8x16x2_t z2 = vzipq_u8(vandq_u8(bytes, vdupq_n_u8(0x0F)), vshrq_n_u8(bytes, 4));
                fold = zero <= 128 ? zero : 0;
                int8x16_t zv = vdupq_n_s8((int8_t)fold);
                int8x16_t q0 = vsubq_s8(vreinterpretq_s8_u8(z2.val[0]), zv);
                int8x16_t q1 = vsubq_s8(vreinterpretq_s8_u8(z2.val[1]), zv);
                s = dot_i8x16(dot_i8x16(vdupq_n_s32(0), q0, a0), q1, a1);
            }
            if (zero != fold) {
                int32_t asum = vaddlvq_s8(a0) + vaddlvq_s8(a1);
                s = vsetq_lane_s32(vgetq_lane_s32(s, 0) - (zero - fold) * asum, s, 0);
            }
            acc = vfmaq_n_f32(acc, vcvtq_f32_s32(s), scale * f16_val(a[b].d));
        }
    }
    return vaddvq_f32(acc);
}

static float lin8_dot(int64_t k, const lq__lin_row *w, const void *a) { return lin_dot(k, w, a, 8); }
static float lin4_dot(int64_t k, const lq__lin_row *w, const void *a) { return lin_dot(k, w, a, 4); }

/* ---- W8A8 -------------------------------------------------------------------------------- */

/* 2 activation rows x 4 weight rows, 16 products per step. */
static void gemm_i8(int64_t m, int64_t n, int64_t k, const int8_t *x, const float *sx,
                    const int8_t *w, const float *sw, float *y, int64_t ldy)
{
    int64_t k16 = k / 16 * 16;
    for (int64_t j0 = 0; j0 < n; j0 += 4) {
        int nj = n - j0 < 4 ? (int)(n - j0) : 4;
        for (int64_t i0 = 0; i0 < m; i0 += 2) {
            int ni = m - i0 < 2 ? (int)(m - i0) : 2;
            int32x4_t acc[2][4];
            LQ__UNROLL
            for (int i = 0; i < 2; i++)
                LQ__UNROLL
                for (int j = 0; j < 4; j++)
                    acc[i][j] = vdupq_n_s32(0);
            for (int64_t t = 0; t < k16; t += 16) {
                int8x16_t xv[2], wv[4];
                LQ__UNROLL
                for (int i = 0; i < 2; i++)
                    xv[i] = vld1q_s8(x + (i0 + (i < ni ? i : 0)) * k + t);
                LQ__UNROLL
                for (int j = 0; j < 4; j++)
                    wv[j] = vld1q_s8(w + (j0 + (j < nj ? j : 0)) * k + t);
                LQ__UNROLL
                for (int i = 0; i < 2; i++)
                    LQ__UNROLL
                    for (int j = 0; j < 4; j++)
                        acc[i][j] = dot_i8x16(acc[i][j], xv[i], wv[j]);
            }
            int32_t sums[2][4]; /* out of the vectors first: acc stays in registers */
            LQ__UNROLL
            for (int i = 0; i < 2; i++)
                LQ__UNROLL
                for (int j = 0; j < 4; j++)
                    sums[i][j] = vaddvq_s32(acc[i][j]);
            lq__gemm_i8_tile_end(sums, ni, nj, i0, j0, k, k16, x, sx, w, sw, y, ldy);
        }
    }
}

/* Fill the entries of the block and integer kernels. */
static inline void fill_128_blocks(lq__kernels *k)
{
/* every ggml type whose row in core/type_list.h says SIMD */
#define SET(T, f, v, g, be, bb, bits, fl, act, kern, ...)                \
    LQ__IF_KERNELS_SIMD_##kern(k->t[LQ_TYPE_##T].dequant = dequant_##f, \
                               k->t[LQ_TYPE_##T].vec_dot = dot_##f;)
    LQ__GGML_TYPES(SET)
#undef SET
    k->gemm_i8 = gemm_i8;
    k->lin_dequant[0] = lin8_dequant;
    k->lin_dequant[1] = lin4_dequant;
    k->lin_dot[0] = lin8_dot;
    k->lin_dot[1] = lin4_dot;
}

/* ... and of the float kernels. */
static inline void fill_128_floats(lq__kernels *k)
{
    k->t[LQ_TYPE_F16].dequant = dequant_f16;
    k->t[LQ_TYPE_F16].vec_dot = dot_f16;
    k->t[LQ_TYPE_BF16].dequant = dequant_bf16;
    k->t[LQ_TYPE_BF16].vec_dot = dot_bf16;
    k->t[LQ_TYPE_F32].vec_dot = dot_f32;
    k->dot_f32 = dot_f32;
    k->to_f16 = to_f16;
}

#endif
