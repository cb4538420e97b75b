/* fp8.h — exact scalar conversions between f32 and the OCP 8-bit floats
 * (internal). These are the reference that SIMD kernels must match bit for
 * bit.
 *
 *   E4M3FN: sign, 4 exponent bits (bias 7), 3 mantissa bits. No infinities;
 *           S.1111.111 (0x7F, 0xFF) is NaN; max 448 (0x7E); min subnormal 2^-9.
 *   E5M2:   sign, 5 exponent bits (bias 15), 2 mantissa bits, IEEE-like:
 *           0x7C is infinity, 0x7D..0x7F NaN; max 57344 (0x7B); min 2^-16.
 *
 * Encoding rounds to nearest, ties to even, with subnormals. A finite value
 * too large for the format gives, when `saturate` is set, the largest finite
 * value of its sign (infinity too); otherwise NaN (E4M3FN: 0x7F with the
 * sign) or infinity (E5M2), as ml_dtypes and PyTorch do. NaN stays NaN
 * (E4M3FN 0x7F, E5M2 0x7E, with the input's sign). Decoding is exact. */
#ifndef LQ_FORMATS_FP8_H
#define LQ_FORMATS_FP8_H

#include <stdint.h>

#include "../core/half.h"

/* One encoder for both formats: `mbits` mantissa bits, exponent bias `bias`,
 * largest finite code `maxcode`, the code of overflow without saturation
 * and the code of NaN (sign added by the caller's sign bit). */
static inline uint8_t lq__fp8_encode(float f, int mbits, int bias, uint32_t maxcode,
                                     uint32_t overflow, uint32_t nan, int saturate)
{
    uint32_t x = lq__f32_bits(f);
    uint8_t sign = (uint8_t)((x >> 24) & 0x80u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u)
        return (uint8_t)(sign | nan);
    int drop = 23 - mbits; /* f32 mantissa bits that do not fit */
    uint32_t code;
    int e = (int)(ax >> 23) - 127 + bias; /* biased fp8 exponent */
    if (e >= 1) {
        /* normal: rebias in place, then round the f32 pattern; a carry out of
         * the mantissa moves into the exponent, which is what RNE wants */
        uint32_t r = ax - ((uint32_t)(127 - bias) << 23);
        r += (1u << (drop - 1)) - 1u + ((r >> drop) & 1u);
        code = r >> drop;
    } else {
        /* subnormal target (f32 subnormals are far below it): round the 24-bit
         * significand shifted right by drop + (1 - e) bits */
        int shift = drop + 1 - e;
        if (ax < 0x00800000u || shift > 25)
            return sign;
        uint32_t m = (ax & 0x7fffffu) | 0x800000u;
        uint32_t rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1);
        code = m >> shift;
        if (rem > half || (rem == half && (code & 1u)))
            code++; /* may become the smallest normal: the same bits */
    }
    if (code > maxcode)
        code = saturate ? maxcode : overflow;
    return (uint8_t)(sign | code);
}

/* The inverse for finite codes of both formats (the callers handle NaN and
 * infinity, which the two formats place differently). */
static inline float lq__fp8_decode(uint8_t c, int mbits, int bias)
{
    uint32_t sign = (uint32_t)(c & 0x80u) << 24;
    uint32_t e = (uint32_t)(c & 0x7fu) >> mbits, m = c & ((1u << mbits) - 1u);
    if (e == 0) { /* zero or subnormal: m * 2^(1 - bias - mbits), exact */
        float v = (float)m * lq__f32_from_bits((uint32_t)(127 + 1 - bias - mbits) << 23);
        return sign ? -v : v;
    }
    return lq__f32_from_bits(sign | ((e - (uint32_t)bias + 127u) << 23) | (m << (23 - mbits)));
}

static inline uint8_t lq__f32_to_e4m3(float f, int saturate)
{
    return lq__fp8_encode(f, 3, 7, 0x7e, 0x7f, 0x7f, saturate);
}

static inline uint8_t lq__f32_to_e5m2(float f, int saturate)
{
    if ((lq__f32_bits(f) & 0x7fffffffu) == 0x7f800000u) /* infinity is representable */
        return (uint8_t)(((lq__f32_bits(f) >> 24) & 0x80u) | (saturate ? 0x7bu : 0x7cu));
    return lq__fp8_encode(f, 2, 15, 0x7b, 0x7c, 0x7e, saturate);
}

static inline float lq__e4m3_to_f32(uint8_t c)
{
    if ((c & 0x7fu) == 0x7fu)
        return lq__f32_from_bits(((uint32_t)(c & 0x80u) << 24) | 0x7fc00000u);
    return lq__fp8_decode(c, 3, 7);
}

static inline float lq__e5m2_to_f32(uint8_t c)
{
    if ((c & 0x7cu) == 0x7cu) /* exponent 11111: infinity or NaN, mantissa carried over */
        return lq__f32_from_bits(((uint32_t)(c & 0x80u) << 24) | 0x7f800000u |
                                 ((uint32_t)(c & 3u) << 21) | ((c & 3u) ? 0x400000u : 0u));
    return lq__fp8_decode(c, 2, 15);
}

#endif
