/* kernels512_codes.h — the 512-bit kernels of the int2 linear rows (dot
 * product) and of the code-table rows (nf4 / fp4, fp8 E4M3 / E5M2:
 * decoding and dot products), as static functions, for the AVX-512 level
 * (F, BW, VL). avx512.c compiles them all; avx512_vnni.c compiles the integer
 * ones again, where their block sums become vpdpbusd. Include once per file.
 *
 * Where 512 bits pay: the int2 dot product takes two blocks of 32 per step,
 * so each integer and float operation serves both; the 16 values of a
 * 4-bit code table fit one vector, so a single permute looks sixteen codes up
 * (the 256-bit kernels need byte lookups and unpacks); the f16 conversion of
 * fp8 codes takes sixteen at a time. The int2 dot product computes the
 * integer block sums of ref/linear.c; code decoders are bit-identical to
 * ref/code.c (table value or exact fp8 value times the block scale, one
 * multiplication); the code dot products sum in f32 in their own order. */
#ifndef LQ_KERNELS_X86_KERNELS512_CODES_H
#define LQ_KERNELS_X86_KERNELS512_CODES_H

#include <immintrin.h>

#include "../../formats/fp8.h"
#include "../../formats/ggml_blocks.h"
#include "../kernels.h"
#include "x86.h"

/* The generic bodies below take flags (the fp8 kind, a block alone, ...) as
 * arguments: they are inlined where those are constants. */
#define CODES512_INLINE static inline __attribute__((always_inline))

/* ---- linear int2 rows: two blocks per step ---------------------------------- */

/* (int3 stays with the 256-bit kernel: its unpacking is byte shuffles, which
 * 512-bit vectors run on one port, and measured no faster in pairs.) */

/* The 64 codes of two int2 blocks (the 16 bytes of b) as bytes in element
 * order. 128-bit lane L gets bytes 4L..4L+3 (codes 16L..16L+15) in each of its
 * 32-bit words; word t shifted right by 2t holds code 4i + t in the low bits
 * of its byte i, and a byte shuffle (a 4 x 4 transpose) puts them in order. */
static inline __m512i int2_codes64(__m128i b)
{
    const __m512i spread = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    const __m512i shift = _mm512_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6, 0, 2, 4, 6, 0, 2, 4, 6);
    const __m512i order =
        _mm512_broadcast_i32x4(_mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    __m512i v = _mm512_permutexvar_epi32(spread, _mm512_castsi128_si512(b));
    v = _mm512_and_si512(_mm512_srlv_epi32(v, shift), _mm512_set1_epi8(3));
    return _mm512_shuffle_epi8(v, order);
}

/* Zero points up to this are folded into the codes as a second unsigned
 * operand, the pair sums of maddubs staying below 2^15 together:
 * 2 * 3 * 127 + 2 * 125 * 127 < 2^15. Larger ones (imported checkpoints hold
 * any u8) are taken off as zero * sum(a). */
#define INT2_ZERO_FOLD 125

/* Sixteen int32 partial sums of (q - zero) * a, eight per block, for
 * unsigned codes and zero points up to INT2_ZERO_FOLD. */
static inline __m512i int2_sum512(__m512i q, __m512i zero, __m512i a)
{
#if defined(__AVX512VNNI__)
    return _mm512_sub_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), q, a),
                            _mm512_dpbusd_epi32(_mm512_setzero_si512(), zero, a));
#else
    __m512i p = _mm512_sub_epi16(_mm512_maddubs_epi16(q, a), _mm512_maddubs_epi16(zero, a));
    return _mm512_madd_epi16(p, _mm512_set1_epi16(1));
#endif
}

/* A scale broadcast from memory (a broadcast from a register would compete
 * with the shuffles): an f32 scale in place (vbroadcastss takes any
 * alignment), an f16 one from its entry in lq__f16_table. */
static inline __m512 int2_scale512(const lq__lin_row *w, int64_t g)
{
    const float *s = w->f32_scales ? (const float *)(w->scales + 4 * g)
                                   : &lq__f16_table[lq__ld_u16(w->scales + 2 * g)];
    return _mm512_broadcastss_ps(_mm_load_ss(s));
}

/* acc + the blocks b, b + 1 (codes at p, activations at a) as d * (integer
 * sums), lanes 0..7 for block b and 8..15 for b + 1, d their activation
 * scales (the caller applies the weight scales). With `one`, block b alone:
 * nothing past it is read and its second half sums to 0. `big`: zero points
 * above INT2_ZERO_FOLD are in zc, taken out as zc * sum(a). */
CODES512_INLINE __m512 int2_pair512(const uint8_t *p, const lq__blk_q8_0 *a, __m512i zb, __m512i zc, __m512 acc,
                                    int one, int big)
{
    lq__prefetch(p, 16);
    __m512i q = int2_codes64(one ? _mm_loadl_epi64((const __m128i *)p) : _mm_loadu_si128((const __m128i *)p));
    __m512i a8 = _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)a[0].qs));
    if (!one) /* the second block's activations merged into the upper half; nothing below a[1].qs is read */
        a8 = _mm512_mask_loadu_epi8(a8, 0xFFFFFFFF00000000ull, a[1].qs - 32);
    __m512i sum = int2_sum512(q, zb, a8);
    if (big) {
        __m512i suma = _mm512_madd_epi16(_mm512_maddubs_epi16(_mm512_set1_epi8(1), a8), _mm512_set1_epi16(1));
        sum = _mm512_sub_epi32(sum, _mm512_mullo_epi32(zc, suma));
    }
    __m512 d = _mm512_broadcastss_ps(_mm_load_ss(&lq__f16_table[a[0].d]));
    if (!one)
        d = _mm512_mask_broadcastss_ps(d, 0xFF00, _mm_load_ss(&lq__f16_table[a[1].d]));
    return _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(sum), acc);
}

/* The n blocks of a group at p, a (n = per when that is a small constant):
 * pairs into two accumulators, then an odd block alone. */
CODES512_INLINE __m512 int2_group512(const uint8_t *p, const lq__blk_q8_0 *a, int64_t n, __m512i zb, __m512i zc,
                                     int per, int big)
{
    if (per)
        n = per;
    __m512 sum0 = _mm512_setzero_ps(), sum1 = _mm512_setzero_ps();
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        sum0 = int2_pair512(p + 8 * j, a + j, zb, zc, sum0, 0, big);
        sum1 = int2_pair512(p + 8 * j + 16, a + j + 2, zb, zc, sum1, 0, big);
    }
    if (j + 2 <= n) {
        sum0 = int2_pair512(p + 8 * j, a + j, zb, zc, sum0, 0, big);
        j += 2;
    }
    if (j < n)
        sum1 = int2_pair512(p + 8 * j, a + j, zb, zc, sum1, 1, big);
    return _mm512_add_ps(sum0, sum1);
}

/* acc + group g (n blocks) times its scale, its zero point folded into the
 * codes or taken off (INT2_ZERO_FOLD). */
CODES512_INLINE __m512 int2_group512_at(const lq__lin_row *w, const lq__blk_q8_0 *a, int64_t g, int64_t n,
                                        __m512 acc, int per)
{
    const uint8_t *p = w->codes + 8 * g * n;
    int zero = w->zeros ? w->zeros[g] : 2;
    __m512 sum = zero <= INT2_ZERO_FOLD
                     ? int2_group512(p, a + g * n, n, _mm512_set1_epi8((char)zero), _mm512_setzero_si512(), per, 0)
                     : int2_group512(p, a + g * n, n, _mm512_setzero_si512(), _mm512_set1_epi32(zero), per, 1);
    return _mm512_fmadd_ps(int2_scale512(w, g), sum, acc);
}

/* Groups of `per` blocks (0: any number but 1), two accumulators: short
 * groups would wait on the FMA. */
CODES512_INLINE float int2_dot512_groups(int64_t k, const lq__lin_row *w, const lq__blk_q8_0 *a, int per)
{
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t n = w->group / LQ__QK, ng = k / w->group, g = 0;
    for (; g + 2 <= ng; g += 2) {
        acc0 = int2_group512_at(w, a, g, n, acc0, per);
        acc1 = int2_group512_at(w, a, g + 1, n, acc1, per);
    }
    if (g < ng)
        acc0 = int2_group512_at(w, a, g, n, acc0, per);
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

/* Groups of one block (g32): pairs of groups, each half with its own scale
 * and zero point. */
static float int2_dot512_g32(int64_t k, const lq__lin_row *w, const lq__blk_q8_0 *a)
{
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t nb = k / LQ__QK;
    for (int64_t g = 0; g < nb; g += 2) {
        int one = g + 1 == nb;
        int z0 = w->zeros ? w->zeros[g] : 2, z1 = w->zeros && !one ? w->zeros[g + 1] : z0;
        int f0 = z0 <= INT2_ZERO_FOLD ? z0 : 0, f1 = z1 <= INT2_ZERO_FOLD ? z1 : 0;
        __m512 s = int2_scale512(w, g);
        if (!one)
            s = _mm512_mask_mov_ps(s, 0xFF00, int2_scale512(w, g + 1));
        __m512i zb = _mm512_mask_set1_epi8(_mm512_set1_epi8((char)f0), 0xFFFFFFFF00000000ull, (char)f1);
        __m512 sum;
        if (z0 == f0 && z1 == f1)
            sum = int2_pair512(w->codes + 8 * g, a + g, zb, _mm512_setzero_si512(), _mm512_setzero_ps(), one, 0);
        else
            sum = int2_pair512(w->codes + 8 * g, a + g, zb,
                               _mm512_mask_set1_epi32(_mm512_set1_epi32(z0 - f0), 0xFF00, z1 - f1),
                               _mm512_setzero_ps(), one, 1);
        if (g % 4)
            acc1 = _mm512_fmadd_ps(s, sum, acc1);
        else
            acc0 = _mm512_fmadd_ps(s, sum, acc0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

/* int2 blocks of 32 against q8_0 activations (k and the group multiples of
 * 32): the integer block sums of ref/linear.c, two blocks per vector. Groups
 * of two and four blocks (g64, g128) have loops of their own. */
static float int2_dot512(int64_t k, const lq__lin_row *w, const void *va)
{
    switch (w->group / LQ__QK) {
    case 1: return int2_dot512_g32(k, w, va);
    case 2: return int2_dot512_groups(k, w, va, 2);
    case 4: return int2_dot512_groups(k, w, va, 4);
    default: return int2_dot512_groups(k, w, va, 0);
    }
}

/* ---- nf4 / fp4 rows ------------------------------------------------------------ */

/* A block's 16 values, table[c] * scale (the reference's product). */
static inline __m512 code4_table512(const float *table, float scale)
{
    return _mm512_mul_ps(_mm512_loadu_ps(table), _mm512_set1_ps(scale));
}

/* The values of the sixteen codes in the 8 bytes at p (first element in the
 * high nibble). The bytes are broadcast as a 64-bit word; 64-bit lane m,
 * rotated right by 8m + 4, has the high nibble of byte m at the bottom of its
 * low half (element 2m) and the low nibble at the top of its high half, which
 * a shift by 28 brings down (element 2m + 1). The permute reads only the low
 * 4 bits of each index. */
static inline __m512 code4_values16(const uint8_t *p, __m512 table)
{
    const __m512i rot = _mm512_setr_epi64(4, 12, 20, 28, 36, 44, 52, 60);
    const __m512i down = _mm512_setr_epi32(0, 28, 0, 28, 0, 28, 0, 28, 0, 28, 0, 28, 0, 28, 0, 28);
    uint64_t v;
    memcpy(&v, p, sizeof v);
    __m512i c = _mm512_srlv_epi32(_mm512_rorv_epi64(_mm512_set1_epi64((long long)v), rot), down);
    return _mm512_permutexvar_ps(c, table);
}

static void code4_dequant512(int64_t k, const lq__code_row *w, float *y)
{
    for (int64_t b = 0; b * w->block < k; b++) {
        __m512 t = code4_table512(w->table, w->scales[b]);
        for (int64_t j = b * w->block; j < (b + 1) * w->block; j += 16)
            _mm512_storeu_ps(y + j, code4_values16(w->codes + j / 2, t));
    }
}

/* The order code4_dot512 takes the activations in (code_act): per 32
 * elements, the 16 even ones, then the 16 odd ones, as the high and the low
 * nibbles of 16 code bytes come. */
static void code4_act512(const float *x, void *vy, int64_t n)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    float *y = vy;
    for (int64_t j = 0; j < n; j += 32) {
        __m512 lo = _mm512_loadu_ps(x + j), hi = _mm512_loadu_ps(x + j + 16);
        _mm512_storeu_ps(y + j, _mm512_permutex2var_ps(lo, even, hi));
        _mm512_storeu_ps(y + j + 16, _mm512_permutex2var_ps(lo, odd, hi));
    }
}

/* acc[0], acc[1] plus the values of the 32 codes in the 16 bytes at p times
 * their activations a0, a1 (in code4_act512's order). The bytes widened to
 * 32-bit lanes index the table by their low nibbles (the permute reads only
 * the low 4 bits: the odd elements) and, shifted down, by their high nibbles
 * (the even ones): two permutes for 32 codes, where code4_values16 takes a
 * broadcast, two shifts and a permute for 16. */
static inline void code4_fma512(const uint8_t *p, __m512 table, __m512 a0, __m512 a1, __m512 acc[2])
{
    __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p));
    acc[0] = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(c, 4), table), a0, acc[0]);
    acc[1] = _mm512_fmadd_ps(_mm512_permutexvar_ps(c, table), a1, acc[1]);
}

/* The dot products of nr rows w[0..] with a, into y[0..]: each row's sums in
 * the same order whatever nr, the rows sharing each load of the activations.
 * Blocks are multiples of 32 elements: 64 per step into four accumulators a
 * row, then a last 32 into two; the row loops unrolled, so that the
 * accumulators stay in registers (rolled, they lived on the stack).
 * Pointers step through codes and activations (at one step per 64-element
 * block, index arithmetic cost as much as the lookups). */
CODES512_INLINE void code4_dot512_n(int64_t k, const lq__code_row *w, const float *a, float *y, int nr)
{
    __m512 acc[LQ__DOT_ROWS][2][2], t[LQ__DOT_ROWS];
    const uint8_t *p[LQ__DOT_ROWS];
    LQ__UNROLL
    for (int r = 0; r < nr; r++) {
        acc[r][0][0] = acc[r][0][1] = acc[r][1][0] = acc[r][1][1] = _mm512_setzero_ps();
        p[r] = w[r].codes;
    }
    for (int64_t b = 0, nb = k / w->block; b < nb; b++) {
        LQ__UNROLL
        for (int r = 0; r < nr; r++)
            t[r] = code4_table512(w[r].table, w[r].scales[b]);
        const float *block_end = a + w->block;
        for (; a + 64 <= block_end; a += 64) {
            __m512 a0 = _mm512_loadu_ps(a), a1 = _mm512_loadu_ps(a + 16);
            __m512 a2 = _mm512_loadu_ps(a + 32), a3 = _mm512_loadu_ps(a + 48);
            LQ__UNROLL
            for (int r = 0; r < nr; r++) {
                lq__prefetch(p[r], 32);
                code4_fma512(p[r], t[r], a0, a1, acc[r][0]);
                code4_fma512(p[r] + 16, t[r], a2, a3, acc[r][1]);
                p[r] += 32;
            }
        }
        if (a < block_end) {
            __m512 a0 = _mm512_loadu_ps(a), a1 = _mm512_loadu_ps(a + 16);
            LQ__UNROLL
            for (int r = 0; r < nr; r++) {
                code4_fma512(p[r], t[r], a0, a1, acc[r][0]);
                p[r] += 16;
            }
            a += 32;
        }
    }
    LQ__UNROLL
    for (int r = 0; r < nr; r++)
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[r][0][0], acc[r][0][1]),
                                                  _mm512_add_ps(acc[r][1][0], acc[r][1][1])));
}

static float code4_dot512(int64_t k, const lq__code_row *w, const float *a)
{
    float y;
    code4_dot512_n(k, w, a, &y, 1);
    return y;
}

/* Four rows at once (a row of X of 14336 floats no longer fits L1). */
static void code4_dot512_rows(int64_t k, const lq__code_row *w, const float *a, float *y)
{
    code4_dot512_n(k, w, a, y, LQ__DOT_ROWS);
}

/* ---- fp8 rows ------------------------------------------------------------------- */

/* 32 fp8 codes as f16 bit patterns, in the 16-bit lanes of a vector (E4M3
 * as the f16 of value / 256: see fp8_f16x16 in kernels256_codes.h). */
static inline __m512i fp8_f16x32(__m256i b, int e4m3)
{
    if (e4m3)
        return _mm512_and_si512(_mm512_slli_epi16(_mm512_cvtepi8_epi16(b), 7),
                                _mm512_set1_epi16((short)0xBF80));
    return _mm512_slli_epi16(_mm512_cvtepu8_epi16(b), 8);
}

/* The E4M3 NaN codes (0x7f, 0xff) among 32 or 64 bytes. */
static inline __mmask32 e4m3_nans32(__m256i c)
{
    return _mm256_cmpeq_epi8_mask(_mm256_and_si256(c, _mm256_set1_epi8(0x7f)), _mm256_set1_epi8(0x7f));
}

static inline __mmask64 e4m3_nans64(__m512i c)
{
    return _mm512_cmpeq_epi8_mask(_mm512_and_si512(c, _mm512_set1_epi8(0x7f)), _mm512_set1_epi8(0x7f));
}

/* The values of the 32 codes of h (fp8_f16x32) in two vectors. E4M3: the
 * converted f16 times 256 (exact), the NaN codes (found in the bytes c)
 * made the reference's NaN, sign | 0x7fc00000. */
CODES512_INLINE void fp8_values32(__m256i c, int e4m3, __m512 v[2])
{
    __m512i h = fp8_f16x32(c, e4m3);
    v[0] = _mm512_cvtph_ps(_mm512_castsi512_si256(h));
    v[1] = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1));
    if (e4m3) {
        const __m512i sign = _mm512_set1_epi32((int)0x80000000u), qnan = _mm512_set1_epi32(0x7fc00000);
        __mmask32 nan = e4m3_nans32(c);
        for (int u = 0; u < 2; u++) {
            __m512i vi = _mm512_castps_si512(_mm512_mul_ps(v[u], _mm512_set1_ps(256.0f)));
            /* (v & sign) | qnan where nan is set */
            vi = _mm512_mask_ternarylogic_epi32(vi, (__mmask16)(nan >> 16 * u), sign, qnan, 0xEA);
            v[u] = _mm512_castsi512_ps(vi);
        }
    }
}

/* Any block length: 32 codes per step, the rest under a mask. */
CODES512_INLINE void fp8_dequant512(int64_t k, const lq__code_row *w, float *y, int e4m3)
{
    for (int64_t b = 0; b * w->block < k; b++) {
        __m512 s = _mm512_set1_ps(w->scales[b]), v[2];
        int64_t j = b * w->block, end = j + w->block;
        for (; j + 32 <= end; j += 32) {
            fp8_values32(_mm256_loadu_si256((const __m256i *)(w->codes + j)), e4m3, v);
            _mm512_storeu_ps(y + j, _mm512_mul_ps(v[0], s));
            _mm512_storeu_ps(y + j + 16, _mm512_mul_ps(v[1], s));
        }
        if (j < end) {
            __mmask32 m = (__mmask32)((1ull << (end - j)) - 1u);
            fp8_values32(_mm256_maskz_loadu_epi8(m, w->codes + j), e4m3, v);
            _mm512_mask_storeu_ps(y + j, (__mmask16)m, _mm512_mul_ps(v[0], s));
            _mm512_mask_storeu_ps(y + j + 16, (__mmask16)(m >> 16), _mm512_mul_ps(v[1], s));
        }
    }
}

/* The products of 32 codes (values / 256 for E4M3) with their activations,
 * added to acc[0], acc[1]; under the mask m (codes and activations past it
 * read as 0). */
CODES512_INLINE void fp8_fma32(__m256i c, const float *a, __mmask32 m, __m512 acc[2], int e4m3)
{
    __m512i h = fp8_f16x32(c, e4m3);
    acc[0] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm512_castsi512_si256(h)), _mm512_maskz_loadu_ps((__mmask16)m, a),
                             acc[0]);
    acc[1] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1)),
                             _mm512_maskz_loadu_ps((__mmask16)(m >> 16), a + 16), acc[1]);
}

/* Per block: the values (E4M3: / 256) times the activations, 64 per step
 * into four accumulators, the rest under a mask; then times the scale
 * (E4M3: times 256 first). E4M3 NaN codes would sum as +-1.875: a mask of the
 * NaN bytes seen makes the product NaN, as in the reference. */
CODES512_INLINE float fp8_dot512(int64_t k, const lq__code_row *w, const float *a, int e4m3)
{
    float total = 0.0f;
    __mmask64 nan = 0;
    for (int64_t b = 0; b * w->block < k; b++) {
        __m512 acc[2][2] = {{_mm512_setzero_ps(), _mm512_setzero_ps()},
                            {_mm512_setzero_ps(), _mm512_setzero_ps()}};
        int64_t j = b * w->block, end = j + w->block;
        for (; j + 64 <= end; j += 64) {
            const uint8_t *p = w->codes + j;
            lq__prefetch(p, 64);
            if (e4m3) /* one test for 64 codes; loads are cheaper than extracting halves */
                nan |= e4m3_nans64(_mm512_loadu_si512(p));
            fp8_fma32(_mm256_loadu_si256((const __m256i *)p), a + j, ~0u, acc[0], e4m3);
            fp8_fma32(_mm256_loadu_si256((const __m256i *)(p + 32)), a + j + 32, ~0u, acc[1], e4m3);
        }
        LQ__UNROLL
        for (int u = 0; u < 2 && j < end; u++, j += 32) { /* fewer than 64 left */
            __mmask32 m = end - j >= 32 ? ~0u : (__mmask32)((1u << (end - j)) - 1u);
            __m256i c = _mm256_maskz_loadu_epi8(m, w->codes + j);
            if (e4m3)
                nan |= e4m3_nans32(c);
            fp8_fma32(c, a + j, m, acc[u], e4m3);
        }
        float sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0][0], acc[0][1]),
                                                       _mm512_add_ps(acc[1][0], acc[1][1])));
        total += (e4m3 ? sum * 256.0f : sum) * w->scales[b];
    }
    return nan ? lq__e4m3_to_f32(0x7f) : total;
}

static void e4m3_dequant512(int64_t k, const lq__code_row *w, float *y) { fp8_dequant512(k, w, y, 1); }
static void e5m2_dequant512(int64_t k, const lq__code_row *w, float *y) { fp8_dequant512(k, w, y, 0); }
static float e4m3_dot512(int64_t k, const lq__code_row *w, const float *a) { return fp8_dot512(k, w, a, 1); }
static float e5m2_dot512(int64_t k, const lq__code_row *w, const float *a) { return fp8_dot512(k, w, a, 0); }

/* Fill the int2 dot product (an integer kernel: the VNNI level recompiles
 * it) ... */
static inline void fill_512_int2(lq__kernels *k)
{
    k->lin_dot[lq__lin_slot(2)] = int2_dot512;
}

/* ... and the code-table entries. */
static inline void fill_512_codes(lq__kernels *k)
{
    /* fp4 takes nf4's kernels: a 16-entry permute needs no sign trick */
    k->code_dequant[LQ__CODE_4BIT] = code4_dequant512;
    k->code_dequant[LQ__CODE_E4M3] = e4m3_dequant512;
    k->code_dequant[LQ__CODE_E5M2] = e5m2_dequant512;
    k->code_dot[LQ__CODE_4BIT] = code4_dot512;
    k->code_act[LQ__CODE_4BIT] = code4_act512;
    k->code_dot_rows[LQ__CODE_4BIT] = code4_dot512_rows;
    k->code_dot[LQ__CODE_E4M3] = e4m3_dot512;
    k->code_dot[LQ__CODE_E5M2] = e5m2_dot512;
}

#endif
