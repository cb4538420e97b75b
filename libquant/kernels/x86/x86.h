/* x86.h — small AVX2 helpers shared by the x86 kernel files (internal; only
 * for files compiled with at least -mavx2 -mfma -mf16c). */
#ifndef LQ_KERNELS_X86_H
#define LQ_KERNELS_X86_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "../../formats/ggml_blocks.h"
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

/* An f16 as float in all eight lanes: a load from the table, no shuffle. */
static inline __m256 lq__x86_bcast_f16(uint16_t h)
{
    return _mm256_broadcast_ss(&lq__f16_table[h]);
}

/* The product of two f16 values in all eight lanes. */
static inline __m256 lq__x86_f16_product(uint16_t x, uint16_t y)
{
    return _mm256_mul_ps(lq__x86_bcast_f16(x), lq__x86_bcast_f16(y));
}

static inline float lq__hsum128(__m128 s)
{
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float lq__hsum256(__m256 v)
{
    return lq__hsum128(_mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)));
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

/* acc + madd(p, s): pairs of int16 products added to int32 lanes, in one
 * vpdpwssd with VNNI. */
static inline __m256i lq__madd_acc(__m256i acc, __m256i p, __m256i s)
{
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_dpwssd_epi32(acc, p, s);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, s));
#endif
}

/* sum (u - v) * s in eight int32 lanes, for unsigned bytes u and v whose
 * pair sums u * s and v * s add up to less than 2^15 in magnitude (the pair
 * sums pass through int16 without VNNI): the zero point of codes stored
 * unsigned, without a sign trick. Both forms give the same integers. */
static inline __m256i lq__dot_u8i8_32_diff(__m256i u, __m256i v, __m256i s)
{
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    /* -(v . s) as the accumulator of u . s: no zeroed register to copy */
    __m256i neg = _mm256_madd_epi16(_mm256_maddubs_epi16(v, s), _mm256_set1_epi16(-1));
    return _mm256_dpbusd_epi32(neg, u, s);
#else
    __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(u, s), _mm256_maddubs_epi16(v, s));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
#endif
}

/* The same for two signed vectors: |x| times y with x's sign (x >= -128,
 * |y| <= 127). */
static inline __m256i lq__dot_i8_32(__m256i x, __m256i y)
{
    return lq__dot_u8i8_32(_mm256_abs_epi8(x), _mm256_sign_epi8(y, x));
}

/* The same with the sign moved the other way, |a| times w with a's sign
 * (|a| <= 127, |w| <= 127), for activations a shared by several weight rows:
 * |a| depends on a alone, so a many-row kernel computes it once for all rows
 * (the compiler merges the identical loads and abs of the inlined rows). */
static inline __m256i lq__dot_act_i8_32(__m256i w, __m256i a)
{
    return lq__dot_u8i8_32(_mm256_abs_epi8(a), _mm256_sign_epi8(w, a));
}

/* ---- k-quant helpers shared by the 256- and 512-bit kernels ---------------- */

/* The 12 scale bytes of a k-quant super-block in bytes 4..15 of a vector,
 * loaded from the 4 bytes before them (d and dmin of q4_K / q5_K, the last
 * codes of q3_K): 16 bytes that stay inside the block. */
static inline __m128i lq__x86_k_scale_bytes(const uint8_t *scales)
{
    return _mm_loadu_si128((const __m128i *)(scales - 4));
}

/* The 8 scales (bytes 0..7) and 8 mins (bytes 8..15) of a q4_K / q5_K
 * super-block, the layout of lq__k4_scale_min, in vector registers: for
 * j < 4 the low 6 bits of bytes j (scale) and j + 4 (min); for j >= 4 the
 * low (scale) or high (min) nibble of byte j + 4, with the top 2 bits of
 * byte j - 4 (scale) or j (min) above it. */
static inline __m128i lq__x86_k4_scales_mins(const uint8_t *scales)
{
    __m128i x = lq__x86_k_scale_bytes(scales);
    __m128i lo = _mm_shuffle_epi8(x, _mm_set_epi8(15, 14, 13, 12, 11, 10, 9, 8, 15, 14, 13, 12, 7, 6, 5, 4));
    __m128i hi = _mm_shuffle_epi8(x, _mm_set_epi8(11, 10, 9, 8, -1, -1, -1, -1, 7, 6, 5, 4, -1, -1, -1, -1));
    lo = _mm_and_si128(_mm_srlv_epi32(lo, _mm_set_epi32(4, 0, 0, 0)),
                       _mm_set_epi32(0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f));
    hi = _mm_and_si128(_mm_srli_epi16(hi, 2), _mm_set1_epi8(0x30));
    return _mm_or_si128(lo, hi);
}

/* The 16 six-bit scales of a q3_K super-block minus 32, as int8
 * (lq__k3_scales), in vector registers: nibbles of bytes 0..7, the two top
 * bits from bytes 8..11. */
static inline __m128i lq__x86_k3_scales(const uint8_t *scales)
{
    __m128i x = lq__x86_k_scale_bytes(scales);
    __m128i lo = _mm_shuffle_epi8(x, _mm_set_epi8(11, 10, 9, 8, 7, 6, 5, 4, 11, 10, 9, 8, 7, 6, 5, 4));
    __m128i hi = _mm_shuffle_epi8(x, _mm_set_epi8(15, 14, 13, 12, 15, 14, 13, 12, 15, 14, 13, 12, 15, 14, 13, 12));
    lo = _mm_and_si128(_mm_srlv_epi32(lo, _mm_set_epi32(4, 4, 0, 0)), _mm_set1_epi8(0x0F));
    /* bits 2k, 2k+1 of bytes 8..11 to bits 4, 5 in dword k */
    hi = _mm_srlv_epi32(_mm_sllv_epi32(hi, _mm_set_epi32(0, 0, 2, 4)), _mm_set_epi32(2, 0, 0, 0));
    hi = _mm_and_si128(hi, _mm_set1_epi8(0x30));
    return _mm_sub_epi8(_mm_or_si128(lo, hi), _mm_set1_epi8(32));
}

/* 16 int16 factors times the 16 bsums of a q8_K block, summed in pairs: 8
 * int32 lanes that sum to sum_j f_j * bsums_j (the integer correction for
 * codes stored with an offset, or the sum of a k-quant's mins). */
static inline __m256i lq__x86_bsums_dot(__m256i f, const void *bsums)
{
    return _mm256_madd_epi16(f, _mm256_loadu_si256((const __m256i *)bsums));
}

/* a.d times an f16, in all eight lanes. */
static inline __m256 lq__x86_k_scale(const lq__blk_q8_k *a, uint16_t h)
{
    return _mm256_mul_ps(_mm256_set1_ps(a->d), lq__x86_bcast_f16(h));
}

#ifdef __AVX512BW__
/* acc + madd(p, s) on 64 bytes: one vpdpwssd with VNNI (files compiled with
 * AVX-512 BW). */
static inline __m512i lq__madd_acc512(__m512i acc, __m512i p, __m512i s)
{
#ifdef __AVX512VNNI__
    return _mm512_dpwssd_epi32(acc, p, s);
#else
    return _mm512_add_epi32(acc, _mm512_madd_epi16(p, s));
#endif
}
#endif

#endif
