/* kernels128_tq_fp4.h — the NEON kernels of the ternary types (tq1_0, tq2_0;
 * q8_K activations) and the E2M1 types (mxfp4, nvfp4; q8_0 activations).
 * Part of kernels128.h, which includes it after its block helpers
 * (store16_scaled, q4_codes, dot_i8x16, BLOCK_DOT) and before its fill
 * function; layouts in formats/ggml_blocks.h. */
#ifndef LQ_KERNELS_ARM_KERNELS128_TQ_FP4_H
#define LQ_KERNELS_ARM_KERNELS128_TQ_FP4_H

/* ---- tq1_0, tq2_0 ------------------------------------------------------------ */

/* The values (-1, 0, 1) of the trits of 16 bytes, each byte times its
 * multiplier (a power of 3): the top two bits of (b * 3^t mod 256) * 3,
 * minus 1. */
static inline int8x16_t tq1_values(uint8x16_t b, uint8x16_t pow3)
{
    const uint8x16_t m = vmulq_u8(b, pow3); /* mod 256 */
    const uint8x8_t three = vdup_n_u8(3);
    uint8x16_t t = vcombine_u8(vshrn_n_u16(vmull_u8(vget_low_u8(m), three), 8),
                               vshrn_n_u16(vmull_high_u8(m, vdupq_n_u8(3)), 8));
    return vsubq_s8(vreinterpretq_s8_u8(t), vdupq_n_s8(1));
}

/* The 256 values of a tq1_0 block in element order, 16 per vector:
 * qs[0..31] trit t (two vectors each), qs[32..47] trit t, then qh's four
 * trits of its 4 bytes. */
static inline void tq1_values_all(const lq__blk_tq1_0 *b, int8x16_t v[16])
{
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    static const uint8_t qh_pow3[16] = {1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9, 27, 27, 27, 27};
    const uint8x16_t q0 = vld1q_u8(b->qs), q1 = vld1q_u8(b->qs + 16), q2 = vld1q_u8(b->qs + 32);
    for (int t = 0; t < 5; t++) {
        const uint8x16_t p = vdupq_n_u8(pow3[t]);
        v[2 * t] = tq1_values(q0, p);
        v[2 * t + 1] = tq1_values(q1, p);
        v[10 + t] = tq1_values(q2, p);
    }
    uint32_t h;
    memcpy(&h, b->qh, sizeof h);
    v[15] = tq1_values(vreinterpretq_u8_u32(vdupq_n_u32(h)), vld1q_u8(qh_pow3));
}

static void dequant_tq1_0(const void *x, float *y, int64_t n)
{
    const lq__blk_tq1_0 *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const float32x4_t d = vdupq_n_f32(f16_val(b->d));
        int8x16_t v[16];
        tq1_values_all(b, v);
        for (int g = 0; g < 16; g++, y += 16)
            store16_scaled(v[g], d, y);
    }
}

static float dot_tq1_0(int64_t n, const void *vw, const void *va)
{
    const lq__blk_tq1_0 *w = vw;
    const lq__blk_q8_k *a = va;
    float32x4_t acc = vdupq_n_f32(0);
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        int8x16_t v[16];
        tq1_values_all(&w[i], v);
        int32x4_t s0 = vdupq_n_s32(0), s1 = vdupq_n_s32(0);
        for (int g = 0; g < 16; g += 2) {
            s0 = dot_i8x16(s0, v[g], vld1q_s8(a[i].qs + 16 * g));
            s1 = dot_i8x16(s1, v[g + 1], vld1q_s8(a[i].qs + 16 * g + 16));
        }
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(vaddq_s32(s0, s1)), f16_val(w[i].d) * a[i].d);
    }
    return vaddvq_f32(acc);
}

/* Values of elements 128h + 32l + 16k .. +15 of a tq2_0 block. */
static inline int8x16_t tq2_values(const uint8_t *qs, int h, int l, int k)
{
    uint8x16_t q = vandq_u8(vshlq_u8(vld1q_u8(qs + 32 * h + 16 * k), vdupq_n_s8((int8_t)(-2 * l))),
                            vdupq_n_u8(3));
    return vsubq_s8(vreinterpretq_s8_u8(q), vdupq_n_s8(1));
}

static void dequant_tq2_0(const void *x, float *y, int64_t n)
{
    const lq__blk_tq2_0 *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const float32x4_t d = vdupq_n_f32(f16_val(b->d));
        for (int g = 0; g < 16; g++, y += 16)
            store16_scaled(tq2_values(b->qs, g / 8, (g / 2) % 4, g % 2), d, y);
    }
}

static float dot_tq2_0(int64_t n, const void *vw, const void *va)
{
    const lq__blk_tq2_0 *w = vw;
    const lq__blk_q8_k *a = va;
    float32x4_t acc = vdupq_n_f32(0);
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        int32x4_t s0 = vdupq_n_s32(0), s1 = vdupq_n_s32(0);
        for (int g = 0; g < 16; g += 2) {
            s0 = dot_i8x16(s0, tq2_values(w[i].qs, g / 8, (g / 2) % 4, 0), vld1q_s8(a[i].qs + 16 * g));
            s1 = dot_i8x16(s1, tq2_values(w[i].qs, g / 8, (g / 2) % 4, 1), vld1q_s8(a[i].qs + 16 * g + 16));
        }
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(vaddq_s32(s0, s1)), f16_val(w[i].d) * a[i].d);
    }
    return vaddvq_f32(acc);
}

/* ---- mxfp4, nvfp4 ------------------------------------------------------------ */

static void dequant_mxfp4(const void *x, float *y, int64_t n)
{
    const lq__blk_mxfp4 *b = x;
    const int8x16_t table = vld1q_s8(lq__fp4_levels);
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        int8x16_t lo, hi;
        q4_codes(b->qs, &lo, &hi);
        const float32x4_t d = vdupq_n_f32(lq__e8m0_table[b->e]);
        store16_scaled(vqtbl1q_s8(table, vreinterpretq_u8_s8(lo)), d, y);
        store16_scaled(vqtbl1q_s8(table, vreinterpretq_u8_s8(hi)), d, y + 16);
    }
}

static inline float32x4_t mxfp4_block(const lq__blk_mxfp4 *w, const lq__blk_q8_0 *a, float32x4_t acc)
{
    const int8x16_t table = vld1q_s8(lq__fp4_levels);
    int8x16_t lo, hi;
    q4_codes(w->qs, &lo, &hi);
    int32x4_t s = dot_i8x16(vdupq_n_s32(0), vqtbl1q_s8(table, vreinterpretq_u8_s8(lo)), vld1q_s8(a->qs));
    s = dot_i8x16(s, vqtbl1q_s8(table, vreinterpretq_u8_s8(hi)), vld1q_s8(a->qs + 16));
    return vfmaq_n_f32(acc, vcvtq_f32_s32(s), f16_val(a->d) * lq__e8m0_table[w->e]);
}

BLOCK_DOT(dot_mxfp4, lq__blk_mxfp4, lq__blk_q8_0, mxfp4_block)

/* The 16 levels of nvfp4 sub-block s in element order: its 8 bytes' low
 * nibbles, then their high nibbles. */
static inline int8x16_t nvfp4_levels(const lq__blk_nvfp4 *b, int s)
{
    const uint8x8_t q = vld1_u8(b->qs + 8 * s);
    const uint8x16_t codes = vcombine_u8(vand_u8(q, vdup_n_u8(0x0F)), vshr_n_u8(q, 4));
    return vqtbl1q_s8(vld1q_s8(lq__fp4_levels), codes);
}

static void dequant_nvfp4(const void *x, float *y, int64_t n)
{
    const lq__blk_nvfp4 *b = x;
    for (int64_t i = 0; i < n / 64; i++, b++)
        for (int s = 0; s < 4; s++, y += 16)
            store16_scaled(nvfp4_levels(b, s), vdupq_n_f32(lq__ue4m3_table[b->d[s]]), y);
}

/* Sub-block s against half s % 2 of q8_0 block 2i + s / 2, each with its
 * own scale. */
static float dot_nvfp4(int64_t n, const void *vw, const void *va)
{
    const lq__blk_nvfp4 *w = vw;
    const lq__blk_q8_0 *a = va;
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
    for (int64_t i = 0; i < n / 64; i++) {
        lq__prefetch(&w[i], sizeof *w);
        for (int s = 0; s < 4; s += 2) {
            const lq__blk_q8_0 *ab = &a[2 * i + s / 2];
            const float da = f16_val(ab->d);
            int32x4_t s0 = dot_i8x16(vdupq_n_s32(0), nvfp4_levels(&w[i], s), vld1q_s8(ab->qs));
            int32x4_t s1 = dot_i8x16(vdupq_n_s32(0), nvfp4_levels(&w[i], s + 1), vld1q_s8(ab->qs + 16));
            acc0 = vfmaq_n_f32(acc0, vcvtq_f32_s32(s0), da * lq__ue4m3_table[w[i].d[s]]);
            acc1 = vfmaq_n_f32(acc1, vcvtq_f32_s32(s1), da * lq__ue4m3_table[w[i].d[s + 1]]);
        }
    }
    return vaddvq_f32(vaddq_f32(acc0, acc1));
}

#endif
