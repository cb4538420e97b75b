/* kernels128_codes.h — the aarch64 NEON kernels of the linear int3 / int2 rows
 * and of the code-table rows (nf4 / fp4 / fp8), as static functions next to
 * kernels128.h's; included where it is (neon.c, and neon_dotprod.c, where the
 * int8 dot primitive becomes SDOT).
 *
 * Decoders are bit-identical to ref/linear.c and ref/code.c: each value is
 * built exactly and multiplied by its scale once. Dot products with q8_0
 * activations compute the reference's integer block sums; the code-row dot
 * products sum value * activation per block in four f32 lanes of four
 * accumulators and scale each block's sum once. */
#ifndef LQ_KERNELS_ARM_KERNELS128_CODES_H
#define LQ_KERNELS_ARM_KERNELS128_CODES_H

#include "../../formats/fp8.h"
#include "../../formats/linear.h"
#include "kernels128.h"

/* ---- linear int3 / int2 rows ------------------------------------------------------ */

/* n (4, 6, 8 or 12) code bytes from p into the low lanes of a vector, the
 * rest zero: a row's last codes may end anywhere, so no wider load. */
static inline uint8x16_t load_code_bytes(const uint8_t *p, size_t n)
{
    uint64_t lo = 0;
    uint32_t hi = 0;
    memcpy(&lo, p, n < 8 ? n : 8);
    if (n > 8)
        memcpy(&hi, p + 8, n - 8);
    return vcombine_u8(vcreate_u8(lo), vcreate_u8(hi));
}

/* 16 codes of `bits` (3 or 2) from the 2 * bits bytes at byte 2 * bits * half
 * of `bytes` (a 16-code run starts on a byte): code i sits at bit bits * i,
 * so one table lookup brings each code's byte into its lane and a per-lane
 * shift (USHL, negative = right) aligns it. An int3 code may straddle into
 * the next byte, whose bits a second lookup shifts left into place (a shift
 * by 8 leaves nothing, as USHL defines it). */
static inline uint8x16_t packed_codes16(uint8x16_t bytes, int bits, int half)
{
    static const uint8_t byte3[16] = {0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5};
    static const int8_t right3[16] = {0, -3, -6, -1, -4, -7, -2, -5, 0, -3, -6, -1, -4, -7, -2, -5};
    static const uint8_t byte2[16] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3};
    static const int8_t right2[16] = {0, -2, -4, -6, 0, -2, -4, -6, 0, -2, -4, -6, 0, -2, -4, -6};
    uint8x16_t at = vaddq_u8(vld1q_u8(bits == 3 ? byte3 : byte2), vdupq_n_u8((uint8_t)(2 * bits * half)));
    int8x16_t right = vld1q_s8(bits == 3 ? right3 : right2);
    uint8x16_t q = vshlq_u8(vqtbl1q_u8(bytes, at), right);
    if (bits == 3) { /* left shift 8 - s of the next byte */
        int8x16_t left = vaddq_s8(right, vdupq_n_s8(8));
        q = vorrq_u8(q, vshlq_u8(vqtbl1q_u8(bytes, vaddq_u8(at, vdupq_n_u8(1))), left));
    }
    return vandq_u8(q, vdupq_n_u8((uint8_t)((1u << bits) - 1u)));
}

/* y[0..15] = s * (q - zero), as the reference: an exact integer, then one
 * multiplication. */
static inline void store16_lin(uint8x16_t q, int16x8_t zero, float32x4_t s, float *y)
{
    int16x8_t v[2] = {vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(q))), zero),
                      vsubq_s16(vreinterpretq_s16_u16(vmovl_high_u8(q)), zero)};
    LQ__UNROLL
    for (int u = 0; u < 2; u++) {
        vst1q_f32(y + 8 * u, vmulq_f32(s, vcvtq_f32_s32(vmovl_s16(vget_low_s16(v[u])))));
        vst1q_f32(y + 8 * u + 4, vmulq_f32(s, vcvtq_f32_s32(vmovl_high_s16(v[u]))));
    }
}

/* 16 codes at a time where a run starts on a byte (int3: j % 8 == 0, int2:
 * j % 4 == 0; a group whose length breaks that goes element by element). */
static inline void lin_packed_dequant(int64_t k, const lq__lin_row *w, float *y, int bits)
{
    for (int64_t g = 0; g * w->group < k; g++) {
        float scale = lq__lin_scale(w, g);
        int zero = w->zeros ? w->zeros[g] : 1 << (bits - 1);
        float32x4_t s = vdupq_n_f32(scale);
        int16x8_t z = vdupq_n_s16((int16_t)zero);
        int64_t j = g * w->group, end = j + w->group < k ? j + w->group : k;
        if (j * bits % 8 == 0)
            for (; j + 16 <= end; j += 16)
                store16_lin(packed_codes16(load_code_bytes(w->codes + j * bits / 8, 2 * (size_t)bits),
                                           bits, 0), z, s, y + j);
        for (; j < end; j++)
            y[j] = scale * (float)(lq__linear_get_code(w->codes, j, bits) - zero);
    }
}

static void lin3_dequant(int64_t k, const lq__lin_row *w, float *y) { lin_packed_dequant(k, w, y, 3); }
static void lin2_dequant(int64_t k, const lq__lin_row *w, float *y) { lin_packed_dequant(k, w, y, 2); }

/* sum (q - zero) a per block of 32 as int8 products: q - min(zero, 128) fits
 * int8 for codes of at most 7, and a zero point above 128 (never written by
 * the quantizers, possible in a damaged file) subtracts the rest times sum(a). */
static inline float lin_packed_dot(int64_t k, const lq__lin_row *w, const void *va, int bits)
{
    const lq__blk_q8_0 *a = va;
    float32x4_t acc = vdupq_n_f32(0);
    int64_t per_group = w->group / LQ__QK;
    for (int64_t g = 0, b = 0; b < k / LQ__QK; g++) {
        float scale = lq__lin_scale(w, g);
        int zero = w->zeros ? w->zeros[g] : 1 << (bits - 1);
        int near = zero < 128 ? zero : 128, rest = zero - near;
        int8x16_t zv = vdupq_n_s8((int8_t)(uint8_t)near); /* 128 wraps to -128: same residue */
        for (int64_t end = b + per_group; b < end; b++) {
            const uint8_t *p = w->codes + 4 * bits * b; /* 32 codes: 4 * bits bytes */
            lq__prefetch(p, 4 * (size_t)bits);
            uint8x16_t bytes = load_code_bytes(p, 4 * (size_t)bits);
            int8x16_t q0 = vsubq_s8(vreinterpretq_s8_u8(packed_codes16(bytes, bits, 0)), zv);
            int8x16_t q1 = vsubq_s8(vreinterpretq_s8_u8(packed_codes16(bytes, bits, 1)), zv);
            int8x16_t a0 = vld1q_s8(a[b].qs), a1 = vld1q_s8(a[b].qs + 16);
            int32x4_t s = dot_i8x16(dot_i8x16(vdupq_n_s32(0), q0, a0), q1, a1);
            if (__builtin_expect(rest != 0, 0)) {
                int32_t asum = vaddlvq_s8(a0) + vaddlvq_s8(a1);
                s = vsetq_lane_s32(vgetq_lane_s32(s, 0) - rest * asum, s, 0);
            }
            acc = vfmaq_n_f32(acc, vcvtq_f32_s32(s), scale * f16_val(a[b].d));
        }
    }
    return vaddvq_f32(acc);
}

static float lin3_dot(int64_t k, const lq__lin_row *w, const void *a) { return lin_packed_dot(k, w, a, 3); }
static float lin2_dot(int64_t k, const lq__lin_row *w, const void *a) { return lin_packed_dot(k, w, a, 2); }

/* ---- code-table rows: nf4 / fp4, fp8 ------------------------------------------------ */

/* The 16 floats of a 4-bit code table as four byte planes: plane p holds byte
 * p of every value, so that one TBL per plane looks up 16 codes. */
static inline uint8x16x4_t code4_planes(const float *table)
{
    return vld4q_u8((const uint8_t *)table);
}

/* The values of 16 codes (0..15): the planes' bytes reassembled into floats by
 * two rounds of zips (bytes into halves, halves into words). */
static inline void code4_values16(const uint8x16x4_t *t, uint8x16_t c, float32x4_t v[4])
{
    uint8x16_t b0 = vqtbl1q_u8(t->val[0], c), b1 = vqtbl1q_u8(t->val[1], c);
    uint8x16_t b2 = vqtbl1q_u8(t->val[2], c), b3 = vqtbl1q_u8(t->val[3], c);
    uint16x8_t lo01 = vreinterpretq_u16_u8(vzip1q_u8(b0, b1)), hi01 = vreinterpretq_u16_u8(vzip2q_u8(b0, b1));
    uint16x8_t lo23 = vreinterpretq_u16_u8(vzip1q_u8(b2, b3)), hi23 = vreinterpretq_u16_u8(vzip2q_u8(b2, b3));
    v[0] = vreinterpretq_f32_u16(vzip1q_u16(lo01, lo23));
    v[1] = vreinterpretq_f32_u16(vzip2q_u16(lo01, lo23));
    v[2] = vreinterpretq_f32_u16(vzip1q_u16(hi01, hi23));
    v[3] = vreinterpretq_f32_u16(vzip2q_u16(hi01, hi23));
}

/* 16 fp8 codes as f16 bit patterns, then exactly as floats.
 *   E5M2 is the high byte of an f16: code << 8, infinities and NaNs included
 *   (FCVTL quiets a signalling NaN as lq__e5m2_to_f32 does).
 *   E4M3 without its sign, shifted left by 7, is the f16 of value / 256 (the
 *   f16 exponent bias is 8 more; subnormals line up too); the sign goes to bit
 *   15. S.1111.111 becomes the f16 quiet NaN S.11111.1000000000, which widens
 *   to lq__e4m3_to_f32's S 0x7fc00000. Returned as value / 256: the caller
 *   multiplies by 256 (exact) or folds it into a block scale. */
static inline void fp8_values16(uint8x16_t c, int kind, float32x4_t v[4])
{
    uint8x16_t lo, hi; /* the low and high bytes of the 16 f16 patterns */
    if (kind == LQ__CODE_E5M2) {
        lo = vdupq_n_u8(0);
        hi = c;
    } else {
        uint8x16_t mag = vandq_u8(c, vdupq_n_u8(0x7f));
        uint8x16_t nan = vceqq_u8(mag, vdupq_n_u8(0x7f));
        hi = vsriq_n_u8(c, mag, 1);                                /* sign | mag >> 1 */
        hi = veorq_u8(hi, vandq_u8(nan, vdupq_n_u8(0x3f ^ 0x7e))); /* NaN: sign | 0x7e */
        lo = vbicq_u8(vshlq_n_u8(c, 7), nan);                      /* mag << 7, NaN: 0 */
    }
    float16x8_t h0 = vreinterpretq_f16_u8(vzip1q_u8(lo, hi)), h1 = vreinterpretq_f16_u8(vzip2q_u8(lo, hi));
    v[0] = vcvt_f32_f16(vget_low_f16(h0));
    v[1] = vcvt_high_f32_f16(h0);
    v[2] = vcvt_f32_f16(vget_low_f16(h1));
    v[3] = vcvt_high_f32_f16(h1);
}

/* Element j's value, for runs that do not fill a vector. */
static inline float code_value(const lq__code_row *w, int64_t j, int kind)
{
    if (kind == LQ__CODE_4BIT)
        return w->table[j % 2 ? w->codes[j / 2] & 15 : w->codes[j / 2] >> 4];
    return kind == LQ__CODE_E4M3 ? lq__e4m3_to_f32(w->codes[j]) : lq__e5m2_to_f32(w->codes[j]);
}

/* Values per vector step: 32 four-bit codes (16 bytes), 16 fp8 codes. */
static inline int code_step(int kind)
{
    return kind == LQ__CODE_4BIT ? 32 : 16;
}

/* The values of the step at element j (a multiple of 2 for 4-bit codes), in
 * two sets of four vectors for elements v[0][0..3] = j .. j+3, and so on;
 * fp8 fills v[0] only. E4M3 comes as value / 256 (fp8_values16). `order`:
 * 1 puts the elements in order; 0 leaves 4-bit codes as the nibbles lie, v[0]
 * the even elements (high nibbles) and v[1] the odd ones, for a dot product
 * that deinterleaves its activations to match. */
static inline void code_values(const lq__code_row *w, const uint8x16x4_t *t, int64_t j, int kind,
                               int order, float32x4_t v[2][4])
{
    if (kind == LQ__CODE_4BIT) {
        uint8x16_t b = vld1q_u8(w->codes + j / 2);
        uint8x16_t even = vshrq_n_u8(b, 4), odd = vandq_u8(b, vdupq_n_u8(0x0F));
        if (order) {
            code4_values16(t, vzip1q_u8(even, odd), v[0]);
            code4_values16(t, vzip2q_u8(even, odd), v[1]);
        } else {
            code4_values16(t, even, v[0]);
            code4_values16(t, odd, v[1]);
        }
    } else {
        fp8_values16(vld1q_u8(w->codes + j), kind, v[0]);
    }
}

static inline void code_dequant(int64_t k, const lq__code_row *w, float *y, int kind)
{
    const uint8x16x4_t t = kind == LQ__CODE_4BIT ? code4_planes(w->table) : (uint8x16x4_t){0};
    int step = code_step(kind);
    for (int64_t b = 0; b * w->block < k; b++) {
        float scale = w->scales[b];
        float32x4_t s = vdupq_n_f32(scale);
        int64_t j = b * w->block, end = j + w->block < k ? j + w->block : k;
        for (; j + step <= end; j += step) {
            float32x4_t v[2][4];
            code_values(w, &t, j, kind, 1, v);
            for (int u = 0; u < step / 4; u++) {
                float32x4_t x = v[u / 4][u % 4];
                if (kind == LQ__CODE_E4M3)
                    x = vmulq_n_f32(x, 256.0f);
                vst1q_f32(y + j + 4 * u, vmulq_f32(x, s)); /* value * scale, as the reference */
            }
        }
        for (; j < end; j++)
            y[j] = code_value(w, j, kind) * scale;
    }
}

/* Per block: sum value * a in four accumulators, then once times the scale. */
static inline float code_dot(int64_t k, const lq__code_row *w, const float *a, int kind)
{
    const uint8x16x4_t t = kind == LQ__CODE_4BIT ? code4_planes(w->table) : (uint8x16x4_t){0};
    int step = code_step(kind);
    float32x4_t total = vdupq_n_f32(0);
    for (int64_t b = 0; b * w->block < k; b++) {
        float32x4_t acc[4] = {vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0)};
        int64_t j = b * w->block, end = j + w->block < k ? j + w->block : k;
        for (; j + step <= end; j += step) {
            lq__prefetch(w->codes + (kind == LQ__CODE_4BIT ? j / 2 : j), 16);
            float32x4_t v[2][4];
            code_values(w, &t, j, kind, 0, v);
            if (kind == LQ__CODE_4BIT) {
                LQ__UNROLL
                for (int u = 0; u < 4; u++) {
                    float32x4x2_t x = vld2q_f32(a + j + 8 * u); /* even, odd elements */
                    acc[u] = vfmaq_f32(acc[u], v[0][u], x.val[0]);
                    acc[u] = vfmaq_f32(acc[u], v[1][u], x.val[1]);
                }
            } else {
                LQ__UNROLL
                for (int u = 0; u < 4; u++)
                    acc[u] = vfmaq_f32(acc[u], v[0][u], vld1q_f32(a + j + 4 * u));
            }
        }
        float32x4_t sum = vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3]));
        if (kind == LQ__CODE_E4M3)
            sum = vmulq_n_f32(sum, 256.0f);
        float tail = 0.0f;
        for (; j < end; j++)
            tail += code_value(w, j, kind) * a[j];
        sum = vsetq_lane_f32(vgetq_lane_f32(sum, 0) + tail, sum, 0);
        total = vfmaq_n_f32(total, sum, w->scales[b]);
    }
    return vaddvq_f32(total);
}

#define CODE_KERNELS(name, kind)                                                          \
    static void name##_dequant(int64_t k, const lq__code_row *w, float *y)                \
    {                                                                                     \
        code_dequant(k, w, y, kind);                                                      \
    }                                                                                     \
    static float name##_dot(int64_t k, const lq__code_row *w, const float *a)             \
    {                                                                                     \
        return code_dot(k, w, a, kind);                                                   \
    }
CODE_KERNELS(code4, LQ__CODE_4BIT)
CODE_KERNELS(e4m3, LQ__CODE_E4M3)
CODE_KERNELS(e5m2, LQ__CODE_E5M2)
#undef CODE_KERNELS

/* Fill the int3 / int2 entries (integer dot products: both neon.c and
 * neon_dotprod.c) ... */
static inline void fill_128_lin_packed(lq__kernels *k)
{
    k->lin_dequant[lq__lin_slot(3)] = lin3_dequant;
    k->lin_dequant[lq__lin_slot(2)] = lin2_dequant;
    k->lin_dot[lq__lin_slot(3)] = lin3_dot;
    k->lin_dot[lq__lin_slot(2)] = lin2_dot;
}

/* ... and the code-row entries (float only: neon.c). */
static inline void fill_128_code_rows(lq__kernels *k)
{
    k->code_dequant[LQ__CODE_4BIT] = code4_dequant;
    k->code_dequant[LQ__CODE_E4M3] = e4m3_dequant;
    k->code_dequant[LQ__CODE_E5M2] = e5m2_dequant;
    k->code_dot[LQ__CODE_4BIT] = code4_dot;
    k->code_dot[LQ__CODE_E4M3] = e4m3_dot;
    k->code_dot[LQ__CODE_E5M2] = e5m2_dot;
}

#endif
