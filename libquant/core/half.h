/* half.h — exact scalar conversions between f32 and the 16-bit floats
 * (internal). These are the reference: round to nearest, ties to even; NaN
 * stays NaN (quieted); f16 overflow gives infinity; subnormals are kept.
 * SIMD paths (F16C, NEON) must agree with them bit for bit. */
#ifndef LQ_CORE_HALF_H
#define LQ_CORE_HALF_H

#include <stdint.h>
#include <string.h>

static inline uint32_t lq__f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float lq__f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint16_t lq__f32_to_f16(float f)
{
    uint32_t x = lq__f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* inf stays inf; NaN keeps its top payload bits, quieted */
        return sign | 0x7c00u | (ax > 0x7f800000u ? (0x200u | ((ax >> 13) & 0x3ffu)) : 0u);
    int e = (int)(ax >> 23) - 127 + 15;
    uint32_t m = (ax & 0x7fffffu) | 0x800000u; /* 24-bit significand */
    if (ax < 0x00800000u)                      /* f32 subnormal: far below f16 range */
        return sign;
    if (e >= 31)
        return sign | 0x7c00u;
    int shift = e >= 1 ? 13 : 14 - e; /* bits to drop from the 24-bit significand */
    if (shift > 24)
        return sign;
    uint32_t h = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1);
    if (e >= 1)
        h = ((uint32_t)e << 10) | (h & 0x3ffu);
    if (rem > half || (rem == half && (h & 1u)))
        h++; /* a carry moves into the exponent, up to infinity: that is RNE */
    return (uint16_t)(sign | h);
}

static inline float lq__f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu;
    uint32_t m = h & 0x3ffu;
    if (e == 0x1f)
        return lq__f32_from_bits(sign | 0x7f800000u | (m << 13));
    if (e != 0)
        return lq__f32_from_bits(sign | ((e + 112u) << 23) | (m << 13));
    /* zero or subnormal: m * 2^-24, exact in f32 */
    float v = (float)m * (1.0f / 16777216.0f);
    return sign ? -v : v;
}

static inline uint16_t lq__f32_to_bf16(float f)
{
    uint32_t x = lq__f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 0x40u); /* quiet the NaN */
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

static inline float lq__bf16_to_f32(uint16_t h)
{
    return lq__f32_from_bits((uint32_t)h << 16);
}

#endif
