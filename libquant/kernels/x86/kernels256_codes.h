/* kernels256_codes.h — the 256-bit kernels of the narrow linear rows (int3,
 * int2) and of the code-table rows (nf4 / fp4, fp8 E4M3 / E5M2), as static
 * functions. Like kernels256.h, avx2.c compiles them with AVX2 + FMA + F16C
 * and avx512_vnni.c compiles the integer ones again with AVX-512 VL + VNNI.
 * Include once per file.
 *
 * The references are ref/linear.c and ref/code.c. Decoders compute each
 * value with the reference's operations (an integer code minus its zero point
 * times the scale; a table value or an exactly converted fp8 value times the
 * block scale, one multiplication), so they are bit-identical. The linear dot
 * products compute the reference's integer block sums; the code dot products
 * sum in f32 in another order. */
#ifndef LQ_KERNELS_X86_KERNELS256_CODES_H
#define LQ_KERNELS_X86_KERNELS256_CODES_H

#include <immintrin.h>

#include "../../formats/fp8.h"
#include "../../formats/ggml_blocks.h"
#include "../../formats/linear.h"
#include "../kernels.h"
#include "x86.h"

/* The generic bodies below take the code width or kind as an argument: they
 * are inlined into each kernel, where it is a constant. */
#define CODES_INLINE static inline __attribute__((always_inline))

/* ---- linear int3 / int2 rows ------------------------------------------------ */

static inline float narrow_scale(const lq__lin_row *w, int64_t g)
{
    return w->f32_scales ? lq__lin_scale(w, g) : lq__x86_ld_f16(w->scales + 2 * g);
}

static inline float narrow_value(const lq__lin_row *w, int64_t j, int bits, float scale, int zero)
{
    return scale * (float)(lq__linear_get_code(w->codes, j, bits) - zero);
}

/* Eight codes starting on a byte (the `bits` bytes at p) as int32 lanes: the
 * bytes broadcast, then a shift per lane. */
static inline __m256i narrow_codes8(const uint8_t *p, int bits)
{
    /* built in a register: a 3-byte copy into memory and a 4-byte load of it
     * would stall store forwarding */
    uint32_t v = p[0] | (uint32_t)p[1] << 8 | (bits == 3 ? (uint32_t)p[2] << 16 : 0u);
    __m256i shift = bits == 3 ? _mm256_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21)
                              : _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    return _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)v), shift),
                            _mm256_set1_epi32((1 << bits) - 1));
}

/* Any group dividing k: a group that does not start on a byte (int3:g20)
 * decodes single codes up to the first that does, eight at a time from there. */
CODES_INLINE void narrow_dequant(int64_t k, const lq__lin_row *w, float *y, int bits)
{
    for (int64_t g = 0; g * w->group < k; g++) {
        float scale = narrow_scale(w, g);
        int zero = w->zeros ? w->zeros[g] : 1 << (bits - 1);
        __m256 s = _mm256_set1_ps(scale);
        __m256i z = _mm256_set1_epi32(zero);
        int64_t j = g * w->group, end = j + w->group;
        for (; j < end && j * bits % 8; j++)
            y[j] = narrow_value(w, j, bits, scale, zero);
        for (; j + 8 <= end; j += 8) {
            __m256i q = _mm256_sub_epi32(narrow_codes8(w->codes + j * bits / 8, bits), z);
            _mm256_storeu_ps(y + j, _mm256_mul_ps(s, _mm256_cvtepi32_ps(q)));
        }
        for (; j < end; j++)
            y[j] = narrow_value(w, j, bits, scale, zero);
    }
}

/* The 12 bytes of an int3 block as a vector of 16: the 4 after it belong to
 * the next block, except after a row's last block, which is read under a
 * mask (masked-off bytes are never touched). */
static inline __m128i int3_load(const uint8_t *p, int last)
{
    if (last)
        return _mm_maskload_epi32((const int *)p, _mm_setr_epi32(-1, -1, -1, 0));
    return _mm_loadu_si128((const __m128i *)p);
}

/* The 32 codes of an int3 block (bytes 0..11 of `bytes`) as bytes in element
 * order. Code c occupies bits 3c..3c+2: a byte shuffle gives each 16-bit lane
 * the two bytes that hold its code, a multiplication by 2^(13 - 3c % 8) moves
 * the code to the top three bits and a shift brings it down. The low halves
 * take codes 0..7 and 16..23, the high halves 8..15 and 24..31, so that
 * packing the two to bytes puts them in order. */
static inline __m256i int3_codes32(__m128i bytes)
{
#define W(c) (char)(3 * (c) / 8), (char)(3 * (c) / 8 + 1)
    const __m256i lo_win = _mm256_setr_epi8(W(0), W(1), W(2), W(3), W(4), W(5), W(6), W(7),
                                            W(16), W(17), W(18), W(19), W(20), W(21), W(22), W(23));
    const __m256i hi_win = _mm256_setr_epi8(W(8), W(9), W(10), W(11), W(12), W(13), W(14), W(15),
                                            W(24), W(25), W(26), W(27), W(28), W(29), W(30), W(31));
#undef W
    /* 3c % 8 repeats every 8 codes: 0 3 6 1 4 7 2 5 */
    const __m256i up = _mm256_setr_epi16(1 << 13, 1 << 10, 1 << 7, 1 << 12, 1 << 9, 1 << 6, 1 << 11, 1 << 8,
                                         1 << 13, 1 << 10, 1 << 7, 1 << 12, 1 << 9, 1 << 6, 1 << 11, 1 << 8);
    __m256i v = _mm256_broadcastsi128_si256(bytes);
    __m256i lo = _mm256_srli_epi16(_mm256_mullo_epi16(_mm256_shuffle_epi8(v, lo_win), up), 13);
    __m256i hi = _mm256_srli_epi16(_mm256_mullo_epi16(_mm256_shuffle_epi8(v, hi_win), up), 13);
    return _mm256_packus_epi16(lo, hi);
}

/* The 32 codes of an int2 block (8 bytes at p) as bytes in element order.
 * Lane 0 gets bytes 0..3 in each 32-bit word, lane 1 bytes 4..7; word t
 * shifted right by 2t has code 4i + t in the low bits of its byte i, and a
 * byte shuffle (a 4 x 4 transpose in each lane) puts them in order. */
static inline __m256i int2_codes32(const uint8_t *p)
{
    const __m256i shift = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    const __m256i order = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                                           0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    __m256i v = _mm256_blend_epi32(_mm256_castps_si256(_mm256_broadcast_ss((const float *)p)),
                                   _mm256_castps_si256(_mm256_broadcast_ss((const float *)(p + 4))), 0xF0);
    v = _mm256_and_si256(_mm256_srlv_epi32(v, shift), _mm256_set1_epi8(3));
    return _mm256_shuffle_epi8(v, order);
}

/* Zero points up to this are folded into the codes as a second unsigned
 * operand of lq__dot_u8i8_32_diff, whose pair sums must stay below 2^15:
 * 2 * 7 * 127 + 2 * 120 * 127 < 2^15 (int3 codes are at most 7). Larger ones
 * (imported checkpoints hold any u8) are taken off as zero * sum(a). */
#define NARROW_ZERO_FOLD 120

/* A group's scale broadcast from memory (a broadcast from a register would
 * compete with the shuffles of the block kernels): an f32 scale in place,
 * an f16 one from its entry in lq__f16_table. Misaligned f32 scales are fine:
 * vbroadcastss takes any address. */
static inline __m256 narrow_scale8(const lq__lin_row *w, int64_t g)
{
    if (w->f32_scales)
        return _mm256_broadcast_ss((const float *)(w->scales + 4 * g));
    return lq__x86_bcast_f16(lq__ld_u16(w->scales + 2 * g));
}

/* acc + d * (the integer sum of block a against the codes at p), d = the
 * group scale s times a's scale. `last`: the row's last block (int3 reads it
 * under a mask); `big`: a zero point above NARROW_ZERO_FOLD, taken out as
 * zero * sum(a) with zc = zero. */
CODES_INLINE __m256 narrow_block(const uint8_t *p, const lq__blk_q8_0 *a, __m256 s, __m256i zb, __m256i zc,
                                 __m256 acc, int bits, int last, int big)
{
    __m256i q = bits == 3 ? int3_codes32(int3_load(p, last)) : int2_codes32(p);
    __m256i a8 = _mm256_loadu_si256((const __m256i *)a->qs);
    __m256i sum = lq__dot_u8i8_32_diff(q, zb, a8);
    if (big)
        sum = _mm256_sub_epi32(sum, _mm256_mullo_epi32(zc, lq__dot_u8i8_32(_mm256_set1_epi8(1), a8)));
    __m256 d = _mm256_mul_ps(s, lq__x86_bcast_f16(a->d));
    return _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sum), acc);
}

/* The n blocks of one group (codes at p, activations at a), two at a time
 * into two accumulators. `per`: n when that is a small constant (the loop
 * disappears), else 0. `tail`: the group ends the row (its last block is
 * read under a mask). */
CODES_INLINE void narrow_group(const uint8_t *p, const lq__blk_q8_0 *a, int64_t n, __m256 s, __m256i zb,
                               __m256i zc, __m256 acc[2], int bits, int per, int tail, int big)
{
    if (per)
        n = per;
    int64_t j = 0;
    for (; j + 2 <= n - tail; j += 2) {
        lq__prefetch(p + 4 * bits * j, 8 * (size_t)bits);
        acc[0] = narrow_block(p + 4 * bits * j, &a[j], s, zb, zc, acc[0], bits, 0, big);
        acc[1] = narrow_block(p + 4 * bits * (j + 1), &a[j + 1], s, zb, zc, acc[1], bits, 0, big);
    }
    if (j + 1 <= n - tail) {
        acc[0] = narrow_block(p + 4 * bits * j, &a[j], s, zb, zc, acc[0], bits, 0, big);
        j++;
    }
    if (tail)
        acc[1] = narrow_block(p + 4 * bits * j, &a[j], s, zb, zc, acc[1], bits, 1, big);
}

/* Group g, its zero point folded into the codes or taken off. */
CODES_INLINE void narrow_group_at(const lq__lin_row *w, const lq__blk_q8_0 *a, int64_t g, int64_t per_group,
                                  __m256 acc[2], int bits, int per, int tail)
{
    __m256 s = narrow_scale8(w, g);
    const uint8_t *p = w->codes + 4 * bits * g * per_group;
    a += g * per_group;
    int zero = w->zeros ? w->zeros[g] : 1 << (bits - 1);
    if (zero <= NARROW_ZERO_FOLD)
        narrow_group(p, a, per_group, s, _mm256_set1_epi8((char)zero), _mm256_setzero_si256(), acc, bits, per,
                     tail, 0);
    else
        narrow_group(p, a, per_group, s, _mm256_setzero_si256(), _mm256_set1_epi32(zero), acc, bits, per,
                     tail, 1);
}

/* The groups with `per` blocks each (0: any number): all but the last,
 * then the last one, whose last block ends the row. */
CODES_INLINE float narrow_dot_per(int64_t k, const lq__lin_row *w, const lq__blk_q8_0 *a, int bits, int per)
{
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    int64_t per_group = w->group / LQ__QK, ng = k / w->group;
    for (int64_t g = 0; g + 1 < ng; g++)
        narrow_group_at(w, a, g, per_group, acc, bits, per, 0);
    if (ng > 0)
        narrow_group_at(w, a, ng - 1, per_group, acc, bits, per, bits == 3);
    return lq__hsum256(_mm256_add_ps(acc[0], acc[1]));
}

/* Blocks of 32 against q8_0 activations (k and the group multiples of 32):
 * integer block sums, each scaled by the group scale times the activation
 * scale. Groups of one or two blocks (g32, g64) have loops of their own:
 * their set-up is paid as often as their blocks. */
CODES_INLINE float narrow_dot(int64_t k, const lq__lin_row *w, const void *va, int bits)
{
    switch (w->group / LQ__QK) {
    case 1: return narrow_dot_per(k, w, va, bits, 1);
    case 2: return narrow_dot_per(k, w, va, bits, 2);
    default: return narrow_dot_per(k, w, va, bits, 0);
    }
}

static void lin3_dequant(int64_t k, const lq__lin_row *w, float *y) { narrow_dequant(k, w, y, 3); }
static void lin2_dequant(int64_t k, const lq__lin_row *w, float *y) { narrow_dequant(k, w, y, 2); }
static float lin3_dot(int64_t k, const lq__lin_row *w, const void *a) { return narrow_dot(k, w, a, 3); }
static float lin2_dot(int64_t k, const lq__lin_row *w, const void *a) { return narrow_dot(k, w, a, 2); }

/* ---- nf4 / fp4 rows ------------------------------------------------------------ */

/* A block's 16 values, table[c] * scale (the reference's product), as codes
 * 0..7 and 8..15. */
static inline void code4_scaled_table(const float *table, float scale, __m256 t[2])
{
    __m256 s = _mm256_set1_ps(scale);
    t[0] = _mm256_mul_ps(_mm256_loadu_ps(table), s);
    t[1] = _mm256_mul_ps(_mm256_loadu_ps(table + 8), s);
}

/* The values of the eight codes in the 4 bytes at p (first element in the
 * high nibble): the bytes broadcast and shifted so that lane i holds code i
 * in its low 4 bits, looked up in both halves of the table by the low 3 bits
 * (the permutes ignore the rest), chosen by bit 3 (moved to the sign). */
static inline __m256 code4_values8(const uint8_t *p, const __m256 t[2])
{
    const __m256i shift = _mm256_setr_epi32(4, 0, 12, 8, 20, 16, 28, 24);
    __m256i c = _mm256_srlv_epi32(_mm256_castps_si256(_mm256_broadcast_ss((const float *)p)), shift);
    __m256 lo = _mm256_permutevar8x32_ps(t[0], c), hi = _mm256_permutevar8x32_ps(t[1], c);
    return _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(c, 28)));
}

static void code4_dequant(int64_t k, const lq__code_row *w, float *y)
{
    for (int64_t b = 0; b * w->block < k; b++) {
        __m256 t[2];
        code4_scaled_table(w->table, w->scales[b], t);
        for (int64_t j = b * w->block; j < (b + 1) * w->block; j += 8)
            _mm256_storeu_ps(y + j, code4_values8(w->codes + j / 2, t));
    }
}

/* The order code4_dot takes the activations in (code_act): per 8
 * elements, the 4 even ones, then the 4 odd ones (code4_fma32 says why). */
static void code4_act(const float *x, void *vy, int64_t n)
{
    const __m256i order = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    float *y = vy;
    for (int64_t j = 0; j < n; j += 8)
        _mm256_storeu_ps(y + j, _mm256_permutevar8x32_ps(_mm256_loadu_ps(x + j), order));
}

/* The table's 16 values as four byte planes: plane q holds byte q of the 16
 * values (value c at byte c), in both 128-bit lanes, so that a byte shuffle
 * by codes gives byte q of their values. Each half of the table has its
 * values' bytes gathered by plane within 128-bit lanes (a 4 x 4 transpose);
 * 64-bit unpacks and a permute then join the four pieces of each plane.
 * Built once per row: the block scales are applied to the blocks' sums
 * (code4_dot says why that is within the reference's error). */
static inline void code4_planes(const float *table, __m256i plane[4])
{
    const __m256i by_plane =
        _mm256_broadcastsi128_si256(_mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    const __m256i first = _mm256_setr_epi32(0, 4, 2, 6, 0, 4, 2, 6), second = _mm256_setr_epi32(1, 5, 3, 7, 1, 5, 3, 7);
    /* lane L of g[h]: values 8h + 4L .. 8h + 4L + 3, plane q in 32-bit word q */
    __m256i g0 = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)table), by_plane);
    __m256i g1 = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(table + 8)), by_plane);
    /* words of lo: planes 0 and 1 in turn, of values 0-3, 8-11, 4-7, 12-15
     * (hi: planes 2 and 3); first / second pick each pair's first / second */
    __m256i lo = _mm256_unpacklo_epi64(g0, g1), hi = _mm256_unpackhi_epi64(g0, g1);
    plane[0] = _mm256_permutevar8x32_epi32(lo, first);
    plane[1] = _mm256_permutevar8x32_epi32(lo, second);
    plane[2] = _mm256_permutevar8x32_epi32(hi, first);
    plane[3] = _mm256_permutevar8x32_epi32(hi, second);
}

/* acc[0..1] plus the table values of the 32 codes in the 16 bytes at p times
 * their activations a (in code4_act's order). One vector of 32 codes, the
 * high nibbles (even elements) in the low lane and the low nibbles (odd
 * ones) in the high lane (a shift by 4 of the low lane only, then a mask),
 * looked up in the four byte planes; byte, then 16-bit unpacks put the four
 * bytes of each value together. Unpacks work within 128-bit lanes: vector u
 * gets the values of bytes 4u..4u+3, their even elements in the low lane and
 * odd ones in the high lane, which is elements 8u..8u+7 in code4_act's
 * order. 12 in-lane shuffles for 32 codes, in place of 8 lane-crossing
 * permutes and 4 blends (two permutes of the table's halves and a blend by
 * the code's top bit, as code4_values8). */
static inline void code4_fma32(const uint8_t *p, const __m256i plane[4], const float *a, __m256 acc[2])
{
    __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p));
    __m256i c = _mm256_and_si256(_mm256_srlv_epi64(v, _mm256_setr_epi64x(4, 4, 0, 0)), _mm256_set1_epi8(0x0F));
    __m256i b0 = _mm256_shuffle_epi8(plane[0], c), b1 = _mm256_shuffle_epi8(plane[1], c);
    __m256i b2 = _mm256_shuffle_epi8(plane[2], c), b3 = _mm256_shuffle_epi8(plane[3], c);
    __m256i lo01 = _mm256_unpacklo_epi8(b0, b1), hi01 = _mm256_unpackhi_epi8(b0, b1);
    __m256i lo23 = _mm256_unpacklo_epi8(b2, b3), hi23 = _mm256_unpackhi_epi8(b2, b3);
    __m256i f[4] = {_mm256_unpacklo_epi16(lo01, lo23), _mm256_unpackhi_epi16(lo01, lo23),
                    _mm256_unpacklo_epi16(hi01, hi23), _mm256_unpackhi_epi16(hi01, hi23)};
    LQ__UNROLL
    for (int u = 0; u < 4; u++)
        acc[u % 2] = _mm256_fmadd_ps(_mm256_castsi256_ps(f[u]), _mm256_loadu_ps(a + 8 * u), acc[u % 2]);
}

/* Per block (a multiple of 32 elements): the sum of table value times
 * activation, 32 per step into two accumulators, then times the block's
 * scale into the row's total (one FMA). The reference multiplies each value
 * by the scale first, (table[c] * s) * a; this takes the scale out of the
 * block's sum, s * sum(table[c] * a), which saves the per-block scaled
 * table (10 operations, 8 of them shuffles, per block) and a multiplication
 * per element. The error stays within the reference's kind of bound: a
 * term is rounded at most block / 16 times in its accumulator (FMAs), once
 * where the two are added, once in the FMA with the scale, once per later
 * block and three times in the final 8-lane sum: block / 16 + k / block + 4
 * roundings, fewer than the reference's k + 1, on a sum whose terms' sizes
 * are those of |table[c] s a| (the kernel test's kt_sum_tol(k, 2) allows
 * twice the reference's bound). A non-finite scale still gives a non-finite
 * product, though it may be an infinity where the reference's is NaN. */
static float code4_dot(int64_t k, const lq__code_row *w, const float *a)
{
    __m256i plane[4];
    code4_planes(w->table, plane);
    __m256 total = _mm256_setzero_ps();
    const uint8_t *p = w->codes, *end = w->codes + k / 2;
    for (const float *s = w->scales; p < end; s++) {
        __m256 sum[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
        for (const uint8_t *block_end = p + w->block / 2; p < block_end; p += 16, a += 32) {
            lq__prefetch(p, 16);
            code4_fma32(p, plane, a, sum);
        }
        total = _mm256_fmadd_ps(_mm256_add_ps(sum[0], sum[1]), _mm256_broadcast_ss(s), total);
    }
    return lq__hsum256(total);
}

/* ---- fp8 rows ------------------------------------------------------------------- */

/* 16 fp8 codes as f16 bit patterns, codes 0..7 in h[0] and 8..15 in h[1].
 * E5M2: the code is the high byte of the f16 of the same value (infinities
 * and NaNs included): interleaved with zero bytes. E4M3: the code
 * sign-extended to 16 bits and shifted left by 7 holds the sign in bit 15, a
 * copy of it in bit 14 (cleared) and the exponent and mantissa in bits
 * 13..7: the f16 of the value / 256 (the exponent biases are 7 and 15;
 * subnormals alike), with the NaN codes 0x7f / 0xff at +-1.875, which no
 * finite code gives (the largest is 448 / 256). */
static inline void fp8_f16x16(__m128i b, int e4m3, __m128i h[2])
{
    if (e4m3) {
        __m256i w = _mm256_and_si256(_mm256_slli_epi16(_mm256_cvtepi8_epi16(b), 7),
                                     _mm256_set1_epi16((short)0xBF80));
        h[0] = _mm256_castsi256_si128(w), h[1] = _mm256_extracti128_si256(w, 1);
    } else {
        h[0] = _mm_unpacklo_epi8(_mm_setzero_si128(), b), h[1] = _mm_unpackhi_epi8(_mm_setzero_si128(), b);
    }
}

/* The exact E4M3 values from the f16 of their value / 256, NaN codes made
 * the reference's NaN (sign | 0x7fc00000). */
static inline __m256 e4m3_finish(__m256 v)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    v = _mm256_mul_ps(v, _mm256_set1_ps(256.0f));
    __m256 nan = _mm256_cmp_ps(_mm256_andnot_ps(sign, v), _mm256_set1_ps(480.0f), _CMP_EQ_OQ);
    __m256 qnan = _mm256_or_ps(_mm256_and_ps(v, sign), _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000)));
    return _mm256_blendv_ps(v, qnan, nan);
}

static inline float fp8_value(uint8_t c, int e4m3)
{
    return e4m3 ? lq__e4m3_to_f32(c) : lq__e5m2_to_f32(c);
}

/* Any block length: 16 codes per step, the rest one by one. */
CODES_INLINE void fp8_dequant(int64_t k, const lq__code_row *w, float *y, int e4m3)
{
    for (int64_t b = 0; b * w->block < k; b++) {
        float scale = w->scales[b];
        __m256 s = _mm256_set1_ps(scale);
        int64_t j = b * w->block, end = j + w->block;
        for (; j + 16 <= end; j += 16) {
            __m128i h[2];
            fp8_f16x16(_mm_loadu_si128((const __m128i *)(w->codes + j)), e4m3, h);
            for (int u = 0; u < 2; u++) {
                __m256 v = _mm256_cvtph_ps(h[u]);
                _mm256_storeu_ps(y + j + 8 * u, _mm256_mul_ps(e4m3 ? e4m3_finish(v) : v, s));
            }
        }
        for (; j < end; j++)
            y[j] = fp8_value(w->codes[j], e4m3) * scale;
    }
}

/* Per block: the values (E4M3: / 256) times the activations, 32 per step
 * into four accumulators, the rest one by one; then times the scale (E4M3:
 * times 256 first). E4M3 NaN codes would sum as +-1.875: the largest code
 * magnitude seen tells whether there was one, and the product is then NaN,
 * as in the reference. */
CODES_INLINE float fp8_dot(int64_t k, const lq__code_row *w, const float *a, int e4m3)
{
    float total = 0.0f;
    __m256i most = _mm256_setzero_si256();
    for (int64_t b = 0; b * w->block < k; b++) {
        __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        int64_t j = b * w->block, end = j + w->block;
        for (; j + 32 <= end; j += 32) {
            const uint8_t *p = w->codes + j;
            lq__prefetch(p, 32);
            if (e4m3)
                most = _mm256_max_epu8(most, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)p),
                                                              _mm256_set1_epi8(0x7f)));
            LQ__UNROLL
            for (int u = 0; u < 4; u += 2) {
                __m128i h[2];
                fp8_f16x16(_mm_loadu_si128((const __m128i *)(p + 8 * u)), e4m3, h);
                acc[u] = _mm256_fmadd_ps(_mm256_cvtph_ps(h[0]), _mm256_loadu_ps(a + j + 8 * u), acc[u]);
                acc[u + 1] = _mm256_fmadd_ps(_mm256_cvtph_ps(h[1]), _mm256_loadu_ps(a + j + 8 * u + 8),
                                             acc[u + 1]);
            }
        }
        float sum = lq__hsum256(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
        if (e4m3)
            sum *= 256.0f;
        for (; j < end; j++)
            sum += fp8_value(w->codes[j], e4m3) * a[j];
        total += sum * w->scales[b];
    }
    if (e4m3 && _mm256_movemask_epi8(_mm256_cmpeq_epi8(most, _mm256_set1_epi8(0x7f))))
        return lq__e4m3_to_f32(0x7f);
    return total;
}

static void e4m3_dequant(int64_t k, const lq__code_row *w, float *y) { fp8_dequant(k, w, y, 1); }
static void e5m2_dequant(int64_t k, const lq__code_row *w, float *y) { fp8_dequant(k, w, y, 0); }
static float e4m3_dot(int64_t k, const lq__code_row *w, const float *a) { return fp8_dot(k, w, a, 1); }
static float e5m2_dot(int64_t k, const lq__code_row *w, const float *a) { return fp8_dot(k, w, a, 0); }

/* Fill the int3 / int2 entries (integer kernels: the VNNI level recompiles
 * them) ... */
static inline void fill_256_narrow(lq__kernels *k)
{
    k->lin_dequant[lq__lin_slot(3)] = lin3_dequant;
    k->lin_dequant[lq__lin_slot(2)] = lin2_dequant;
    k->lin_dot[lq__lin_slot(3)] = lin3_dot;
    k->lin_dot[lq__lin_slot(2)] = lin2_dot;
}

/* ... and the code-table entries (float kernels: the AVX-512 level has its
 * own). */
static inline void fill_256_codes(lq__kernels *k)
{
    k->code_dequant[LQ__CODE_4BIT] = code4_dequant;
    k->code_dequant[LQ__CODE_E4M3] = e4m3_dequant;
    k->code_dequant[LQ__CODE_E5M2] = e5m2_dequant;
    /* fp4 takes nf4's kernel: its own, one 8-entry vpermps per 8 codes by the
     * magnitude with bit 3 XORed into the sign (codes 8..15 are 0..7 negated),
     * had 20 operations per 32 codes against the byte planes' 18 once these
     * lost the per-block table, and lane-crossing permutes are slow on Zen 1 */
    k->code_dot[LQ__CODE_4BIT] = code4_dot;
    k->code_act[LQ__CODE_4BIT] = code4_act;
    k->code_dot[LQ__CODE_E4M3] = e4m3_dot;
    k->code_dot[LQ__CODE_E5M2] = e5m2_dot;
}

#endif
