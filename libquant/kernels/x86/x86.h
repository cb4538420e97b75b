/* x86.h — small AVX2 helpers shared by the x86 kernel files (internal; only
 * for files compiled with at least -mavx2 -mfma -mf16c). */
#ifndef LQ_KERNELS_X86_H
#define LQ_KERNELS_X86_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "../kernels.h"

/* An f16 as float, from lq__f16_table (kernels.h says why). */
static inline float lq__x86_f16(uint16_t h)
{
    return lq__f16_table[h];
}

static inline float lq__x86_ld_f16(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return lq__f16_table[h];
}

static inline float lq__hsum256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline int lq__hsum128_i32(__m128i v)
{
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(v);
}

static inline int lq__hsum256_i32(__m256i v)
{
    return lq__hsum128_i32(_mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
}

/* Eight int32 sums of four products each, of unsigned bytes u and signed
 * bytes s. Without VNNI the pairs pass through int16, so their sums must not
 * exceed 2^15 - 1 (u <= 128 with |s| <= 127): the callers keep to that, and
 * then both forms give the same integers. */
static inline __m256i lq__dot_u8i8_32(__m256i u, __m256i s)
{
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
#else
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
#endif
}

/* The same for two signed vectors: |x| times y with x's sign (x >= -128,
 * |y| <= 127). */
static inline __m256i lq__dot_i8_32(__m256i x, __m256i y)
{
    return lq__dot_u8i8_32(_mm256_abs_epi8(x), _mm256_sign_epi8(y, x));
}

#endif
