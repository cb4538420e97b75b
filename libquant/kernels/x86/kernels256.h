/* kernels256.h — the 256-bit kernels, as static functions, for every x86
 * level: avx2.c compiles them with AVX2 + FMA + F16C, avx512_vnni.c again with
 * AVX-512 VL + VNNI, where x86.h's integer dot primitive becomes one vpdpbusd
 * (ggml builds its CPU variants the same way). Include once per file.
 *
 * Decoders compute each value with the same operations as the reference
 * decoders (ref/dequant.c and the codecs' dequantize_row in formats/ggml_*.c:
 * a multiply, then an add or subtract, never a fused multiply-add), so they
 * are bit-identical to them. Dot products compute the same integer block sums as
 * ref/dot.c and add the scaled sums in eight lanes. */
#ifndef LQ_KERNELS_X86_KERNELS256_H
#define LQ_KERNELS_X86_KERNELS256_H

#include <immintrin.h>
#include <stddef.h>

#include "../../core/type_list.h"
#include "../../formats/ggml_blocks.h"
#include "../kernels.h"
#include "../vexp.h"
#include "x86.h"

/* ---- plain floats ------------------------------------------------------- */

static float dot_f32(int64_t n, const void *vw, const void *va)
{
    const float *w = vw, *a = va;
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                     _mm256_setzero_ps()};
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        lq__prefetch(w + i, 128);
        for (int u = 0; u < 4; u++)
            acc[u] = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8 * u), _mm256_loadu_ps(a + i + 8 * u),
                                     acc[u]);
    }
    for (; i + 8 <= n; i += 8)
        acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(a + i), acc[0]);
    float s = lq__hsum256(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; i < n; i++)
        s += lq__ld_f32(w + i) * a[i];
    return s;
}

static void to_f16(const float *x, uint16_t *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++)
        y[i] = lq__f32_to_f16(x[i]);
}

static inline __m256 load8_f16(const uint8_t *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

static inline __m256 load8_bf16(const uint8_t *p)
{
    __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
}

static void dequant_f16(const void *x, float *y, int64_t n)
{
    const uint8_t *p = x;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, load8_f16(p + 2 * i));
    for (; i < n; i++)
        y[i] = lq__x86_ld_f16(p + 2 * i);
}

static void dequant_bf16(const void *x, float *y, int64_t n)
{
    const uint8_t *p = x;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, load8_bf16(p + 2 * i));
    for (; i < n; i++)
        y[i] = lq__bf16_to_f32(lq__ld_u16(p + 2 * i));
}

#define HALF_DOT(name, load, scalar)                                                     \
    static float name(int64_t n, const void *vw, const void *va)                         \
    {                                                                                    \
        const uint8_t *w = vw;                                                           \
        const float *a = va;                                                             \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                   \
        int64_t i = 0;                                                                   \
        for (; i + 16 <= n; i += 16) {                                                   \
            lq__prefetch(w + 2 * i, 32);                                                 \
            acc0 = _mm256_fmadd_ps(load(w + 2 * i), _mm256_loadu_ps(a + i), acc0);       \
            acc1 = _mm256_fmadd_ps(load(w + 2 * i + 16), _mm256_loadu_ps(a + i + 8), acc1); \
        }                                                                                \
        float s = lq__hsum256(_mm256_add_ps(acc0, acc1));                                \
        for (; i < n; i++)                                                               \
            s += scalar * a[i];                                                          \
        return s;                                                                        \
    }
HALF_DOT(dot_f16, load8_f16, lq__x86_ld_f16(w + 2 * i))
HALF_DOT(dot_bf16, load8_bf16, lq__bf16_to_f32(lq__ld_u16(w + 2 * i)))

/* ---- helpers for the block types ------------------------------------------ */

/* 32 values of 8 bits, sign-extended to four vectors of 8 floats, each times d
 * (the same single rounding as (float)q * d). */
static inline void store32_scaled(__m256i q, __m256 d, float *y)
{
    __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    _mm256_storeu_ps(y + 0, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), d));
    _mm256_storeu_ps(y + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))), d));
    _mm256_storeu_ps(y + 16, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), d));
    _mm256_storeu_ps(y + 24, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))), d));
}

/* The same, then minus m: (float)q * d - m, two roundings as in the reference. */
static inline void store32_scaled_sub(__m256i q, __m256 d, __m256 m, float *y)
{
    __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    __m128i part[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    for (int u = 0; u < 4; u++) {
        __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(part[u]));
        _mm256_storeu_ps(y + 8 * u, _mm256_sub_ps(_mm256_mul_ps(d, v), m));
    }
}

/* 16 packed bytes to 32 nibbles: low nibbles (elements 0..15) then high. */
static inline __m256i nibbles_split(const uint8_t *p)
{
    /* In 128-bit halves joined by one insert: on a Zen 1 EPYC (256-bit
     * operations split in two) this is 6 % faster in the q4_0 rows kernel
     * than both lanes from one broadcast load and a variable shift
     * (vpsrlvd), which that core runs slowly. */
    const __m128i x = _mm_loadu_si128((const __m128i *)p), m = _mm_set1_epi8(0x0F);
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_and_si128(x, m)),
                                   _mm_and_si128(_mm_srli_epi16(x, 4), m), 1);
}

/* The 32 nibbles of 16 packed bytes looked up in a table of 16 bytes: the
 * low nibbles' values in *lo, the high ones' in *hi. In 128-bit halves: on
 * CPUs that split 256-bit operations in two (measured on a Zen 1 EPYC) this
 * beats nibbles_split's variable shift and one 256-bit lookup, from 0.88-0.91x
 * ggml's vec_dot to 0.93x (mxfp4), 0.97-1.0x (iq4_nl, iq4_xs) and 1.02x
 * (nvfp4, whose reordering now stays within 128 bits too). */
static inline void nibbles_lookup_halves(const void *table, const uint8_t *p, __m128i *lo, __m128i *hi)
{
    const __m128i t = _mm_loadu_si128((const __m128i *)table), m4 = _mm_set1_epi8(0x0F);
    const __m128i q = _mm_loadu_si128((const __m128i *)p);
    *lo = _mm_shuffle_epi8(t, _mm_and_si128(q, m4));
    *hi = _mm_shuffle_epi8(t, _mm_and_si128(_mm_srli_epi16(q, 4), m4));
}

/* The same in nibbles_split's order: low nibbles (elements 0..15), then high. */
static inline __m256i nibbles_lookup(const void *table, const uint8_t *p)
{
    __m128i lo, hi;
    nibbles_lookup_halves(table, p, &lo, &hi);
    return _mm256_setr_m128i(lo, hi);
}

/* 16 packed bytes to 32 nibbles in stream order (element 2i low, 2i+1 high):
 * widen each byte b to 16 bits, then (b | b << 4) & 0x0F0F puts its low
 * nibble in the low byte and its high nibble in the high byte. */
static inline __m256i nibbles_interleaved(const uint8_t *p)
{
    __m256i w = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)p));
#ifdef __AVX512VL__
    /* (a | b) & c in one instruction, written over the shifted copy (the
     * first operand) rather than over a copy of the constant */
    return _mm256_ternarylogic_epi64(_mm256_slli_epi16(w, 4), w, _mm256_set1_epi16(0x0F0F), 0xA8);
#else
    return _mm256_and_si256(_mm256_or_si256(w, _mm256_slli_epi16(w, 4)), _mm256_set1_epi16(0x0F0F));
#endif
}

/* ---- activations ------------------------------------------------------------ */

/* X to q8_0 blocks (sums = 0) or q8_1 blocks (sums = 1: s = h(d * sum of
 * the codes) after d), bit-identical to the codecs' quantize_row: d = amax /
 * 127 and q = round(x / d) half away from zero, written as the scalar code
 * does it: truncate, then add the sign of a fraction of at least one half.
 * The scales of 8 blocks at a time: their divisions and f16 conversions (F16C
 * rounds to nearest even, as lq__f32_to_f16) in one vector each, instead of
 * two dependent scalar divisions per block (2.7 % of a Q8_0 prefill of the
 * fixture, waiting on them). The scalar q8_1 took 13.7 us of a 4096-wide
 * q4_1 product's row (a 4096 x 4096 one takes about 600 us on two threads,
 * and the second thread waits for it). */
static inline void quant_q8_blocks(const float *x, uint8_t *y, int64_t n, int sums)
{
    const size_t bytes = sums ? sizeof(lq__blk_q8_1) : sizeof(lq__blk_q8_0);
    const size_t qs = sums ? offsetof(lq__blk_q8_1, qs) : offsetof(lq__blk_q8_0, qs);
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const int64_t nb = n / LQ__QK;
    for (int64_t i0 = 0; i0 < nb; i0 += 8, x += 8 * LQ__QK) {
        const int g = nb - i0 < 8 ? (int)(nb - i0) : 8;
        float amax[8] = {0}, ids[8], qsum[8] = {0};
        uint16_t dh[8], sh[8];
        for (int j = 0; j < g; j++) {
            __m256 m = _mm256_setzero_ps();
            LQ__UNROLL
            for (int u = 0; u < 4; u++)
                m = _mm256_max_ps(m, _mm256_and_ps(_mm256_loadu_ps(x + LQ__QK * j + 8 * u), abs_mask));
            __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
            h = _mm_max_ps(h, _mm_movehl_ps(h, h));
            h = _mm_max_ss(h, _mm_movehdup_ps(h));
            amax[j] = _mm_cvtss_f32(h);
        }
        const __m256 d = _mm256_div_ps(_mm256_loadu_ps(amax), _mm256_set1_ps(127.0f));
        /* d ? 1 / d : 0, where NaN counts as nonzero */
        const __m256 id = _mm256_and_ps(_mm256_div_ps(_mm256_set1_ps(1.0f), d),
                                        _mm256_cmp_ps(d, _mm256_setzero_ps(), _CMP_NEQ_UQ));
        _mm256_storeu_ps(ids, id);
        _mm_storeu_si128((__m128i *)dh, _mm256_cvtps_ph(d, _MM_FROUND_TO_NEAREST_INT));
        for (int j = 0; j < g; j++) {
            uint8_t *b = y + (size_t)(i0 + j) * bytes;
            memcpy(b, &dh[j], sizeof dh[j]); /* d comes first in both */
            __m256i q[4];
            LQ__UNROLL
            for (int u = 0; u < 4; u++) {
                __m256 f = _mm256_mul_ps(_mm256_loadu_ps(x + LQ__QK * j + 8 * u), _mm256_set1_ps(ids[j]));
                __m256i t = _mm256_cvttps_epi32(f);
                __m256 frac = _mm256_sub_ps(f, _mm256_cvtepi32_ps(t));
                /* the comparisons are all-ones (-1) where true */
                t = _mm256_sub_epi32(t, _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ)));
                q[u] = _mm256_add_epi32(t, _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(-0.5f), _CMP_LE_OQ)));
            }
            if (sums) /* exact in int32, and as a float: |sum| <= 32 * 128 */
                qsum[j] = (float)lq__hsum256_i32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]),
                                                                 _mm256_add_epi32(q[2], q[3])));
            /* |q| <= 128 packs without saturating; the packs work per lane, the
             * permute puts the dwords back in order */
            __m256i c = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
            c = _mm256_permutevar8x32_epi32(c, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(b + qs), c);
        }
        if (sums) {
            /* the scalar form's sum * d: one rounding of the exact sum times d */
            _mm_storeu_si128((__m128i *)sh, _mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(qsum), d),
                                                            _MM_FROUND_TO_NEAREST_INT));
            for (int j = 0; j < g; j++)
                memcpy(y + (size_t)(i0 + j) * bytes + offsetof(lq__blk_q8_1, s), &sh[j], sizeof sh[j]);
        }
    }
}

static void quant_q8_0(const float *x, void *vy, int64_t n)
{
    quant_q8_blocks(x, vy, n, 0);
}

static void quant_q8_1(const float *x, void *vy, int64_t n)
{
    quant_q8_blocks(x, vy, n, 1);
}

/* e^x 8 lanes at a time: vexp.h's operations, the same bits as the
 * reference level's 4 */
typedef float v8f __attribute__((vector_size(32)));
typedef uint32_t v8u __attribute__((vector_size(32)));
LQ__VEXP_DEFINE(v8_exp, v8f, v8u)
LQ__VEXP_INPLACE_DEFINE(exp_f32, v8_exp, v8f, 8)

/* X to q8_K blocks, bit-identical to the codec's quantize_row (ggml's
 * quantize_row_q8_K_ref): the scale comes from the first element of largest
 * magnitude, with its sign (max ignores NaN lanes as fabsf(x) > a does:
 * _mm256_max_ps returns its second operand when either is NaN); each code is
 * the codec's nearest_int written the same way (add 1.5 * 2^23, keep the
 * mantissa bits, so any input, even NaN, gives the same int), capped at 127
 * and stored as its low byte; bsums are the sums of 16 codes. The scalar form
 * was 10 % of a Q4_K_M prefill on a 512-wide model. */
static void quant_q8_k(const float *x, void *vy, int64_t n)
{
    lq__blk_q8_k *y = vy;
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    for (int64_t i = 0; i < n / LQ__QK_K; i++, x += LQ__QK_K) {
        __m256 m = _mm256_setzero_ps();
        for (int u = 0; u < LQ__QK_K / 8; u++)
            m = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + 8 * u), abs_mask), m);
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        const float amax = _mm_cvtss_f32(h);
        if (!amax) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        float max = 0;
        for (int u = 0; u < LQ__QK_K / 8; u++) {
            const __m256 a = _mm256_and_ps(_mm256_loadu_ps(x + 8 * u), abs_mask);
            const int hit = _mm256_movemask_ps(_mm256_cmp_ps(a, _mm256_set1_ps(amax), _CMP_EQ_OQ));
            if (hit) {
                max = x[8 * u + __builtin_ctz((unsigned)hit)];
                break;
            }
        }
        const float iscale = -127.f / max; /* -127, not -128: -q never overflows */
        const __m256 vs = _mm256_set1_ps(iscale), magic = _mm256_set1_ps(12582912.f);
        const __m256i mant = _mm256_set1_epi32(0x007FFFFF), bias = _mm256_set1_epi32(0x00400000);
        const __m256i cap = _mm256_set1_epi32(127), low = _mm256_set1_epi32(0xFF);
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        int32_t sums[LQ__QK_K / 32][8];
        for (int c = 0; c < LQ__QK_K / 32; c++) {
            __m256i q[4];
            LQ__UNROLL
            for (int u = 0; u < 4; u++) {
                __m256 f = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(x + 32 * c + 8 * u), vs), magic);
                __m256i v = _mm256_sub_epi32(_mm256_and_si256(_mm256_castps_si256(f), mant), bias);
                q[u] = _mm256_and_si256(_mm256_min_epi32(v, cap), low);
            }
            /* 0..255 in every lane: the unsigned packs keep them as they are;
             * the permute puts the dwords back in order */
            __m256i b = _mm256_packus_epi16(_mm256_packus_epi32(q[0], q[1]), _mm256_packus_epi32(q[2], q[3]));
            b = _mm256_permutevar8x32_epi32(b, order);
            _mm256_storeu_si256((__m256i *)(y[i].qs + 32 * c), b);
            /* sums of 4 signed codes; lane 0 holds the first 16 codes, lane 1 the next */
            _mm256_storeu_si256((__m256i *)sums[c], _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), b),
                                                                      _mm256_set1_epi16(1)));
        }
        for (int c = 0; c < LQ__QK_K / 32; c++)
            for (int g = 0; g < 2; g++)
                y[i].bsums[2 * c + g] = (int16_t)(sums[c][4 * g] + sums[c][4 * g + 1] +
                                                  sums[c][4 * g + 2] + sums[c][4 * g + 3]);
        y[i].d = 1 / iscale;
    }
}

/* ---- q4_0, q4_1, q8_0, iq4_nl --------------------------------------------- */

static void dequant_q4_0(const void *x, float *y, int64_t n)
{
    const lq__blk_q4_0 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        __m256i q = _mm256_sub_epi8(nibbles_split(b->qs), _mm256_set1_epi8(8));
        store32_scaled(q, _mm256_set1_ps(lq__x86_f16(b->d)), y);
    }
}

/* One block's contribution: acc + d_w * d_a * (integer block sum), in 4
 * lanes of 128 bits. The low nibbles meet the first 16 activations and the
 * high ones the last 16, so no lane crossing is needed; the codes stay
 * unsigned and the offset 8 is subtracted as 8 times the activations' pair
 * sums, which are the same for every weight row (a many-row kernel computes
 * them once). Every operation is 128 bits wide: on CPUs that split 256-bit
 * operations in two (Zen 1) this is fewer operations than one 256-bit
 * block, and on others the same count. */
static inline __m128 q4_0_block(const lq__blk_q4_0 *w, const lq__blk_q8_0 *a, __m128 acc, __m128 *m)
{
    (void)m;
    const __m128i m4 = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
    const __m128i q = _mm_loadu_si128((const __m128i *)w->qs);
    const __m128i s0 = _mm_loadu_si128((const __m128i *)a->qs);
    const __m128i s1 = _mm_loadu_si128((const __m128i *)(a->qs + 16));
    /* pair sums within int16: |15 * 128 * 2| * 2 and 8 * 128 * 4 */
    __m128i p = _mm_add_epi16(_mm_maddubs_epi16(_mm_and_si128(q, m4), s0),
                              _mm_maddubs_epi16(_mm_and_si128(_mm_srli_epi16(q, 4), m4), s1));
    __m128i off = _mm_add_epi16(_mm_maddubs_epi16(eight, s0), _mm_maddubs_epi16(eight, s1));
    __m128i sum = _mm_madd_epi16(_mm_sub_epi16(p, off), _mm_set1_epi16(1));
    __m128 d = _mm_mul_ps(_mm_broadcast_ss(&lq__f16_table[w->d]), _mm_broadcast_ss(&lq__f16_table[a->d]));
    return _mm_fmadd_ps(d, _mm_cvtepi32_ps(sum), acc);
}

/* A dot product over 32-element blocks, two blocks per step into two
 * accumulators (one would wait on the FMA latency every block). block adds
 * d_w d_a (block sum) to acc and, for q5_1, m_w s_a to lane 0 of *m: a
 * chain of its own, apart from acc's (q4_1's goes into acc, see q4_1_block).
 * W: the accumulators' width in bits (256, or 128 for blocks computed in
 * 128-bit halves). */
#define BLOCK_DOT_W(name, wtype, atype, block, W)                                   \
    static float name(int64_t n, const void *vw, const void *va)              \
    {                                                                         \
        const wtype *w = vw;                                                  \
        const atype *a = va;                                                  \
        ACC_##W acc0 = ACC_ZERO_##W, acc1 = ACC_ZERO_##W;        \
        __m128 m0 = _mm_setzero_ps(), m1 = _mm_setzero_ps();                  \
        int64_t nb = n / LQ__QK, i = 0;                                       \
        for (; i + 2 <= nb; i += 2) {                                         \
            lq__prefetch(&w[i], 2 * sizeof *w);                               \
            acc0 = block(&w[i], &a[i], acc0, &m0);                            \
            acc1 = block(&w[i + 1], &a[i + 1], acc1, &m1);                    \
        }                                                                     \
        if (i < nb)                                                           \
            acc0 = block(&w[i], &a[i], acc0, &m0);                            \
        return ACC_HSUM_##W(acc0, acc1) + _mm_cvtss_f32(_mm_add_ss(m0, m1)); \
    }                                                                         \
    /* LQ__DOT_ROWS rows, each the same operations in the same order */       \
    static void name##_rows(int64_t n, const void *vw, size_t stride, const void *va, float *y) \
    {                                                                         \
        const atype *a = va;                                                  \
        const wtype *w[LQ__DOT_ROWS];                                         \
        ACC_##W acc0[LQ__DOT_ROWS], acc1[LQ__DOT_ROWS];                        \
        __m128 m0[LQ__DOT_ROWS], m1[LQ__DOT_ROWS];                            \
        LQ__UNROLL                                                            \
        for (int r = 0; r < LQ__DOT_ROWS; r++) {                              \
            w[r] = (const wtype *)((const uint8_t *)vw + (size_t)r * stride); \
            acc0[r] = acc1[r] = ACC_ZERO_##W;                          \
            m0[r] = m1[r] = _mm_setzero_ps();                                 \
        }                                                                     \
        int64_t nb = n / LQ__QK, i = 0;                                       \
        for (; i + 2 <= nb; i += 2) {                                         \
            LQ__UNROLL                                                        \
            for (int r = 0; r < LQ__DOT_ROWS; r++) {                          \
                lq__prefetch(&w[r][i], 2 * sizeof **w);                       \
                acc0[r] = block(&w[r][i], &a[i], acc0[r], &m0[r]);            \
                acc1[r] = block(&w[r][i + 1], &a[i + 1], acc1[r], &m1[r]);    \
            }                                                                 \
        }                                                                     \
        LQ__UNROLL                                                            \
        for (int r = 0; r < LQ__DOT_ROWS; r++) {                              \
            if (i < nb)                                                       \
                acc0[r] = block(&w[r][i], &a[i], acc0[r], &m0[r]);            \
            y[r] = ACC_HSUM_##W(acc0[r], acc1[r]) +             \
                   _mm_cvtss_f32(_mm_add_ss(m0[r], m1[r]));                   \
        }                                                                     \
    }

#define ACC_256 __m256
#define ACC_ZERO_256 _mm256_setzero_ps()
#define ACC_HSUM_256(a, b) lq__hsum256(_mm256_add_ps(a, b))
#define ACC_128 __m128
#define ACC_ZERO_128 _mm_setzero_ps()
#define ACC_HSUM_128(a, b) lq__hsum128(_mm_add_ps(a, b))
#define BLOCK_DOT(name, wtype, atype, block) BLOCK_DOT_W(name, wtype, atype, block, 256)

BLOCK_DOT_W(dot_q4_0, lq__blk_q4_0, lq__blk_q8_0, q4_0_block, 128)

static void dequant_q4_1(const void *x, float *y, int64_t n)
{
    const lq__blk_q4_1 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        __m256 d = _mm256_set1_ps(lq__x86_f16(b->d)), m = _mm256_set1_ps(lq__x86_f16(b->m));
        __m256i q = nibbles_split(b->qs);
        __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
        __m128i part[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
        for (int u = 0; u < 4; u++) {
            __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(part[u]));
            _mm256_storeu_ps(y + 8 * u, _mm256_add_ps(_mm256_mul_ps(v, d), m));
        }
    }
}

/* q4_1 / q5_1: acc + d_w d_a * (block sum), and m_w s_a into lane 0 of *m. */
static inline __m256 scale_min(uint16_t dw, uint16_t mw, uint16_t da, uint16_t sa, __m256i s, __m256 acc,
                               __m128 *m)
{
    *m = _mm_fmadd_ss(_mm_load_ss(&lq__f16_table[mw]), _mm_load_ss(&lq__f16_table[sa]), *m);
    return _mm256_fmadd_ps(lq__x86_f16_product(dw, da), _mm256_cvtepi32_ps(s), acc);
}

/* In 128-bit lanes as q4_0_block (the codes unsigned, no offset: the min
 * is m_w s_a), for the same reason: on this Intel core 128-bit operations
 * cost the same as 256-bit ones and save the lane insert; on Zen 1 they are
 * half the operations. The min goes into lane 0 of acc (zeros times zeros
 * in the others) rather than into a chain of its own in *m: the many-row
 * kernel then holds 8 accumulators instead of 16, which the 16 registers of
 * AVX2 keep without spilling them to the stack at every block. */
static inline __m128 q4_1_block(const lq__blk_q4_1 *w, const lq__blk_q8_1 *a, __m128 acc, __m128 *m)
{
    (void)m;
    const __m128i m4 = _mm_set1_epi8(0x0F);
    const __m128i q = _mm_loadu_si128((const __m128i *)w->qs);
    const __m128i s0 = _mm_loadu_si128((const __m128i *)a->qs);
    const __m128i s1 = _mm_loadu_si128((const __m128i *)(a->qs + 16));
    const __m128i lo = _mm_and_si128(q, m4), hi = _mm_and_si128(_mm_srli_epi16(q, 4), m4);
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    __m128i sum = _mm_dpbusd_epi32(_mm_dpbusd_epi32(_mm_setzero_si128(), lo, s0), hi, s1);
#else
    /* pair sums within int16: 15 * 128 * 2 * 2 */
    __m128i p = _mm_add_epi16(_mm_maddubs_epi16(lo, s0), _mm_maddubs_epi16(hi, s1));
    __m128i sum = _mm_madd_epi16(p, _mm_set1_epi16(1));
#endif
    acc = _mm_fmadd_ps(_mm_load_ss(&lq__f16_table[w->m]), _mm_load_ss(&lq__f16_table[a->s]), acc);
    __m128 d = _mm_mul_ps(_mm_broadcast_ss(&lq__f16_table[w->d]), _mm_broadcast_ss(&lq__f16_table[a->d]));
    return _mm_fmadd_ps(d, _mm_cvtepi32_ps(sum), acc);
}

BLOCK_DOT_W(dot_q4_1, lq__blk_q4_1, lq__blk_q8_1, q4_1_block, 128)

static void dequant_q8_0(const void *x, float *y, int64_t n)
{
    const lq__blk_q8_0 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK)
        store32_scaled(_mm256_loadu_si256((const __m256i *)b->qs), _mm256_set1_ps(lq__x86_f16(b->d)), y);
}

static inline __m256 q8_0_block(const lq__blk_q8_0 *w, const lq__blk_q8_0 *a, __m256 acc, __m128 *m)
{
    (void)m;
    __m256i s = lq__dot_i8_32(_mm256_loadu_si256((const __m256i *)w->qs),
                              _mm256_loadu_si256((const __m256i *)a->qs));
    return _mm256_fmadd_ps(lq__x86_f16_product(w->d, a->d), _mm256_cvtepi32_ps(s), acc);
}

BLOCK_DOT(dot_q8_0, lq__blk_q8_0, lq__blk_q8_0, q8_0_block)

static void dequant_iq4_nl(const void *x, float *y, int64_t n)
{
    const lq__blk_iq4_nl *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK)
        store32_scaled(nibbles_lookup(lq__iq4_levels, b->qs), _mm256_set1_ps(lq__x86_f16(b->d)), y);
}

static inline __m256 iq4_nl_block(const lq__blk_iq4_nl *w, const lq__blk_q8_0 *a, __m256 acc, __m128 *m)
{
    (void)m;
    __m256i s = lq__dot_act_i8_32(nibbles_lookup(lq__iq4_levels, w->qs),
                                  _mm256_loadu_si256((const __m256i *)a->qs));
    return _mm256_fmadd_ps(lq__x86_f16_product(w->d, a->d), _mm256_cvtepi32_ps(s), acc);
}

BLOCK_DOT(dot_iq4_nl, lq__blk_iq4_nl, lq__blk_q8_0, iq4_nl_block)

/* ---- q5_0, q5_1: the fifth bits --------------------------------------------- */

/* The 5-bit codes: nibbles, plus 0x10 in byte j when bit j of the
 * little-endian qh is set. */
static inline __m256i q5_codes(const uint8_t *qs, const uint8_t *qh4)
{
    uint32_t qh;
    memcpy(&qh, qh4, sizeof qh);
    __m256i q = nibbles_split(qs);
#if defined(__AVX512BW__) && defined(__AVX512VL__)
    return _mm256_mask_add_epi8(q, (__mmask32)qh, q, _mm256_set1_epi8(0x10));
#else
    const __m256i spread = _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL,
                                             0x0101010101010101LL, 0x0000000000000000LL);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh), spread);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    v = _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
    return _mm256_or_si256(q, _mm256_and_si256(v, _mm256_set1_epi8(0x10)));
#endif
}

static void dequant_q5_0(const void *x, float *y, int64_t n)
{
    const lq__blk_q5_0 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK)
        store32_scaled(_mm256_sub_epi8(q5_codes(b->qs, b->qh), _mm256_set1_epi8(16)),
                       _mm256_set1_ps(lq__x86_f16(b->d)), y);
}

static inline __m256 q5_0_block(const lq__blk_q5_0 *w, const lq__blk_q8_0 *a, __m256 acc, __m128 *m)
{
    (void)m;
    __m256i s = lq__dot_u8i8_32_diff(q5_codes(w->qs, w->qh), _mm256_set1_epi8(16),
                                     _mm256_loadu_si256((const __m256i *)a->qs));
    return _mm256_fmadd_ps(lq__x86_f16_product(w->d, a->d), _mm256_cvtepi32_ps(s), acc);
}

BLOCK_DOT(dot_q5_0, lq__blk_q5_0, lq__blk_q8_0, q5_0_block)

static void dequant_q5_1(const void *x, float *y, int64_t n)
{
    const lq__blk_q5_1 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK) {
        __m256 d = _mm256_set1_ps(lq__x86_f16(b->d)), m = _mm256_set1_ps(lq__x86_f16(b->m));
        __m256i q = q5_codes(b->qs, b->qh);
        __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
        __m128i part[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
        for (int u = 0; u < 4; u++) {
            __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(part[u]));
            _mm256_storeu_ps(y + 8 * u, _mm256_add_ps(_mm256_mul_ps(v, d), m));
        }
    }
}

static inline __m256 q5_1_block(const lq__blk_q5_1 *w, const lq__blk_q8_1 *a, __m256 acc, __m128 *m)
{
    __m256i s = lq__dot_u8i8_32(q5_codes(w->qs, w->qh), _mm256_loadu_si256((const __m256i *)a->qs));
    return scale_min(w->d, w->m, a->d, a->s, s, acc, m);
}

BLOCK_DOT(dot_q5_1, lq__blk_q5_1, lq__blk_q8_1, q5_1_block)

/* ---- k-quants --------------------------------------------------------------- */

/* Byte-shuffle controls that broadcast 16-bit element j to every lane. */
static inline __m256i broadcast_i16(__m256i v, int j)
{
    return _mm256_shuffle_epi8(v, _mm256_set1_epi16((short)(2 * j | (2 * j + 1) << 8)));
}

/* Byte j of v (unsigned) in every int16 lane: a shuffle whose high control
 * bytes (0x80) write zeros. */
static inline __m256i byte_to_i16(__m256i v, int j)
{
    return _mm256_shuffle_epi8(v, _mm256_set1_epi16((short)(j | 0x8000)));
}

/* A dot product over 256-element super-blocks into one accumulator (block
 * adds one super-block's scaled sums to it), and its LQ__DOT_ROWS-row form:
 * each row the same operations in the same order. */
#define SUPER_DOT(name, wtype, block)                                                       \
    static float name(int64_t n, const void *vw, const void *va)                            \
    {                                                                                       \
        const wtype *w = vw;                                                                \
        const lq__blk_q8_k *a = va;                                                         \
        __m256 acc = _mm256_setzero_ps();                                                   \
        for (int64_t i = 0; i < n / LQ__QK_K; i++)                                          \
            acc = block(&w[i], &a[i], acc);                                                 \
        return lq__hsum256(acc);                                                            \
    }                                                                                       \
    static void name##_rows(int64_t n, const void *vw, size_t stride, const void *va, float *y) \
    {                                                                                       \
        const lq__blk_q8_k *a = va;                                                         \
        const wtype *w[LQ__DOT_ROWS];                                                       \
        __m256 acc[LQ__DOT_ROWS];                                                           \
        LQ__UNROLL                                                                          \
        for (int r = 0; r < LQ__DOT_ROWS; r++) {                                            \
            w[r] = (const wtype *)((const uint8_t *)vw + (size_t)r * stride);               \
            acc[r] = _mm256_setzero_ps();                                                   \
        }                                                                                   \
        for (int64_t i = 0; i < n / LQ__QK_K; i++) {                                        \
            LQ__UNROLL                                                                      \
            for (int r = 0; r < LQ__DOT_ROWS; r++)                                          \
                acc[r] = block(&w[r][i], &a[i], acc[r]);                                    \
        }                                                                                   \
        LQ__UNROLL                                                                          \
        for (int r = 0; r < LQ__DOT_ROWS; r++)                                              \
            y[r] = lq__hsum256(acc[r]);                                                     \
    }

/* q4_K / q5_K: sum over the 4 chunks of sc * (codes . activations); lo/hi
 * give chunk c's two 32-code halves. The scales are spread from bytes
 * (unsigned, 6 bits) straight into int16 lanes; the mins, each repeated for
 * the two bsums of its 32 elements, go through lq__x86_bsums_dot. */
#define K4_DOT(name, btype, codes)                                                                 \
    static inline __attribute__((always_inline)) __m256 name##_block(const btype *w, const lq__blk_q8_k *a, __m256 acc) \
    {                                                                                              \
        lq__prefetch(w, sizeof *w);                                                                \
        __m128i sm = lq__x86_k4_scales_mins(w->scales);                                            \
        __m256i sc = _mm256_broadcastq_epi64(sm);                                                  \
        __m256i sumi0 = _mm256_setzero_si256(), sumi1 = _mm256_setzero_si256();                    \
        LQ__UNROLL                                                                                 \
        for (int c = 0; c < 4; c++) {                                                              \
            __m256i lo, hi;                                                                        \
            codes(w, c, &lo, &hi);                                                                 \
            const int8_t *q8 = a->qs + 64 * c;                                                     \
            __m256i plo = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)q8));       \
            __m256i phi = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(q8 + 32))); \
            sumi0 = lq__madd_acc(sumi0, plo, byte_to_i16(sc, 2 * c));                              \
            sumi1 = lq__madd_acc(sumi1, phi, byte_to_i16(sc, 2 * c + 1));                          \
        }                                                                                          \
        __m256i mins = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(sm, sm));                            \
        __m256i msum = lq__x86_bsums_dot(mins, a->bsums);                                          \
        __m256 isum = _mm256_cvtepi32_ps(_mm256_add_epi32(sumi0, sumi1));                          \
        acc = _mm256_fmadd_ps(lq__x86_k_scale(a, w->d), isum, acc);                                \
        return _mm256_fnmadd_ps(lq__x86_k_scale(a, w->dmin), _mm256_cvtepi32_ps(msum), acc);       \
    }                                                                                              \
    SUPER_DOT(name, btype, name##_block)

static inline void q4_k_codes(const lq__blk_q4_k *b, int c, __m256i *lo, __m256i *hi)
{
    __m256i q = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * c));
    *lo = _mm256_and_si256(q, _mm256_set1_epi8(0x0F));
    *hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), _mm256_set1_epi8(0x0F));
}

static inline void q5_k_codes(const lq__blk_q5_k *b, int c, __m256i *lo, __m256i *hi)
{
    __m256i q = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * c));
    __m256i qh = _mm256_loadu_si256((const __m256i *)b->qh);
    __m256i h0 = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), _mm256_set1_epi8(1));
    __m256i h1 = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), _mm256_set1_epi8(1));
    *lo = _mm256_or_si256(_mm256_and_si256(q, _mm256_set1_epi8(0x0F)), _mm256_slli_epi16(h0, 4));
    *hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), _mm256_set1_epi8(0x0F)),
                          _mm256_slli_epi16(h1, 4));
}

K4_DOT(dot_q4_k, lq__blk_q4_k, q4_k_codes)
K4_DOT(dot_q5_k, lq__blk_q5_k, q5_k_codes)

/* q4_K / q5_K decoding: (d * sc) * q - dmin * m per 32-element half. */
#define K4_DEQUANT(name, btype, codes)                                                          \
    static void name(const void *x, float *y, int64_t n)                                        \
    {                                                                                           \
        const btype *b = x;                                                                     \
        for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {                                       \
            float d = lq__x86_f16(b->d), dmin = lq__x86_f16(b->dmin);                     \
            uint8_t sm[16];                                                                     \
            _mm_storeu_si128((__m128i *)sm, lq__x86_k4_scales_mins(b->scales));                 \
            for (int c = 0; c < 4; c++, y += 64) {                                              \
                __m256i lo, hi;                                                                 \
                codes(b, c, &lo, &hi);                                                          \
                store32_scaled_sub(lo, _mm256_set1_ps(d * (float)sm[2 * c]),                    \
                                   _mm256_set1_ps(dmin * (float)sm[8 + 2 * c]), y);             \
                store32_scaled_sub(hi, _mm256_set1_ps(d * (float)sm[2 * c + 1]),                \
                                   _mm256_set1_ps(dmin * (float)sm[8 + 2 * c + 1]), y + 32);    \
            }                                                                                   \
        }                                                                                       \
    }

K4_DEQUANT(dequant_q4_k, lq__blk_q4_k, q4_k_codes)
K4_DEQUANT(dequant_q5_k, lq__blk_q5_k, q5_k_codes)

/* q6_K: the four 32-element groups of a 128 chunk as codes 0..63. */
static inline void q6_codes(const uint8_t *ql, const uint8_t *qh, __m256i q[4])
{
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x30);
    __m256i l0 = _mm256_loadu_si256((const __m256i *)ql);
    __m256i l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
    __m256i h = _mm256_loadu_si256((const __m256i *)qh);
    q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(h, 4), m2));
    q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(h, 2), m2));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(h, m2));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                           _mm256_and_si256(_mm256_srli_epi16(h, 2), m2));
}

static void dequant_q6_k(const void *x, float *y, int64_t n)
{
    const lq__blk_q6_k *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = lq__x86_f16(b->d);
        for (int h = 0; h < 2; h++, y += 128) {
            __m256i q[4];
            q6_codes(b->ql + 64 * h, b->qh + 32 * h, q);
            const int8_t *sc = b->scales + 8 * h;
            LQ__UNROLL
            for (int g = 0; g < 4; g++) {
                __m256i v = _mm256_sub_epi8(q[g], _mm256_set1_epi8(32));
                __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
                __m256 d0 = _mm256_set1_ps(d * (float)sc[2 * g]), d1 = _mm256_set1_ps(d * (float)sc[2 * g + 1]);
                float *o = y + 32 * g;
                _mm256_storeu_ps(o, _mm256_mul_ps(d0, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo))));
                _mm256_storeu_ps(o + 8, _mm256_mul_ps(d0, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)))));
                _mm256_storeu_ps(o + 16, _mm256_mul_ps(d1, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi))));
                _mm256_storeu_ps(o + 24, _mm256_mul_ps(d1, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)))));
            }
        }
    }
}

/* Sixteen int8 sub-block scales as int16: [0..7] and [8..15], each half
 * broadcast to both 128-bit lanes. */
static inline void scales16(__m128i s8, __m256i half[2])
{
    half[0] = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(s8));
    half[1] = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(_mm_srli_si128(s8, 8)));
}

/* [s[2g] x 8 | s[2g+1] x 8] from 8 int16 scales in both lanes: the scales of
 * the two 16-element sub-blocks of a 32-element group g. */
static inline __m256i pair_scales(__m256i v, int g)
{
    const short lo = (short)(4 * g | (4 * g + 1) << 8), hi = (short)((4 * g + 2) | (4 * g + 3) << 8);
    return _mm256_shuffle_epi8(v, _mm256_set_m128i(_mm_set1_epi16(hi), _mm_set1_epi16(lo)));
}

/* offset * sum_j scale_j * bsums_j in eight int32 lanes, for 16 int8
 * sub-block scales and offset 2^shift: the integer correction for codes
 * stored with an offset, (q - offset) . a = q . a - offset * sum(a). */
static inline __m256i offset_correction(__m128i s8, const void *bsums, int shift)
{
    return _mm256_slli_epi32(lq__x86_bsums_dot(_mm256_cvtepi8_epi16(s8), bsums), shift);
}

static inline __attribute__((always_inline)) __m256 q6_k_block(const lq__blk_q6_k *w, const lq__blk_q8_k *a, __m256 acc)
{
    lq__prefetch(w, sizeof *w);
    __m128i s8 = _mm_loadu_si128((const __m128i *)w->scales);
    __m256i sc[2];
    scales16(s8, sc);
    __m256i sumi0 = _mm256_setzero_si256(), sumi1 = _mm256_setzero_si256();
    LQ__UNROLL
    for (int h = 0; h < 2; h++) {
        __m256i q[4];
        q6_codes(w->ql + 64 * h, w->qh + 32 * h, q);
        LQ__UNROLL
        for (int g = 0; g < 4; g += 2) {
            const int8_t *q8 = a->qs + 128 * h + 32 * g;
            __m256i p0 = _mm256_maddubs_epi16(q[g], _mm256_loadu_si256((const __m256i *)q8));
            __m256i p1 = _mm256_maddubs_epi16(q[g + 1], _mm256_loadu_si256((const __m256i *)(q8 + 32)));
            sumi0 = lq__madd_acc(sumi0, p0, pair_scales(sc[h], g));
            sumi1 = lq__madd_acc(sumi1, p1, pair_scales(sc[h], g + 1));
        }
    }
    /* codes are q + 32 */
    __m256i sumi = _mm256_sub_epi32(_mm256_add_epi32(sumi0, sumi1), offset_correction(s8, a->bsums, 5));
    return _mm256_fmadd_ps(lq__x86_k_scale(a, w->d), _mm256_cvtepi32_ps(sumi), acc);
}

SUPER_DOT(dot_q6_k, lq__blk_q6_k, q6_k_block)

/* q2_K and q3_K: the four 32-element groups of a 128 chunk, 2-bit codes. */
static inline void k2_codes(const uint8_t *qs, __m256i q[4])
{
    __m256i v = _mm256_loadu_si256((const __m256i *)qs);
    const __m256i m3 = _mm256_set1_epi8(3);
    q[0] = _mm256_and_si256(v, m3);
    q[1] = _mm256_and_si256(_mm256_srli_epi16(v, 2), m3);
    q[2] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m3);
    q[3] = _mm256_and_si256(_mm256_srli_epi16(v, 6), m3);
}

static void dequant_q2_k(const void *x, float *y, int64_t n)
{
    const lq__blk_q2_k *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = lq__x86_f16(b->d), dmin = lq__x86_f16(b->dmin);
        LQ__UNROLL
        for (int h = 0; h < 2; h++) {
            __m256i q[4];
            k2_codes(b->qs + 32 * h, q);
            for (int g = 0; g < 4; g++, y += 32) {
                const uint8_t *sc = b->scales + 8 * h + 2 * g;
                __m128i lo = _mm256_castsi256_si128(q[g]), hi = _mm256_extracti128_si256(q[g], 1);
                __m256 d0 = _mm256_set1_ps(d * (float)(sc[0] & 0xF)), m0 = _mm256_set1_ps(dmin * (float)(sc[0] >> 4));
                __m256 d1 = _mm256_set1_ps(d * (float)(sc[1] & 0xF)), m1 = _mm256_set1_ps(dmin * (float)(sc[1] >> 4));
                __m128i part[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
                for (int u = 0; u < 4; u++) {
                    __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(part[u]));
                    _mm256_storeu_ps(y + 8 * u, _mm256_sub_ps(_mm256_mul_ps(u < 2 ? d0 : d1, v), u < 2 ? m0 : m1));
                }
            }
        }
    }
}

/* [v[j] x 8 | v[j+1] x 8] as int16 from unsigned bytes of v (in both lanes):
 * the scales of the two 16-element sub-blocks of a 32-element group. */
static inline __m256i pair_bytes(__m256i v, int j)
{
    return _mm256_shuffle_epi8(v, _mm256_set_m128i(_mm_set1_epi16((short)((j + 1) | 0x8000)),
                                                   _mm_set1_epi16((short)(j | 0x8000))));
}

static float dot_q2_k(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q2_k *w = vw;
    const lq__blk_q8_k *a = va;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        __m256i packed = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)w[i].scales));
        __m256i sc = _mm256_and_si256(packed, _mm256_set1_epi8(0x0F));
        __m128i m8 = _mm_and_si128(_mm_srli_epi16(_mm256_castsi256_si128(packed), 4), _mm_set1_epi8(0x0F));
        __m256i sumi0 = _mm256_setzero_si256(), sumi1 = _mm256_setzero_si256();
        LQ__UNROLL
        for (int h = 0; h < 2; h++) {
            __m256i q[4];
            k2_codes(w[i].qs + 32 * h, q);
            LQ__UNROLL
            for (int g = 0; g < 4; g += 2) {
                const int8_t *q8 = a[i].qs + 128 * h + 32 * g;
                __m256i p0 = _mm256_maddubs_epi16(q[g], _mm256_loadu_si256((const __m256i *)q8));
                __m256i p1 = _mm256_maddubs_epi16(q[g + 1], _mm256_loadu_si256((const __m256i *)(q8 + 32)));
                sumi0 = lq__madd_acc(sumi0, p0, pair_bytes(sc, 8 * h + 2 * g));
                sumi1 = lq__madd_acc(sumi1, p1, pair_bytes(sc, 8 * h + 2 * g + 2));
            }
        }
        __m256i msum = lq__x86_bsums_dot(_mm256_cvtepu8_epi16(m8), a[i].bsums);
        __m256 isum = _mm256_cvtepi32_ps(_mm256_add_epi32(sumi0, sumi1));
        acc = _mm256_fmadd_ps(lq__x86_k_scale(&a[i], w[i].d), isum, acc);
        acc = _mm256_fnmadd_ps(lq__x86_k_scale(&a[i], w[i].dmin), _mm256_cvtepi32_ps(msum), acc);
    }
    return lq__hsum256(acc);
}

/* q3_K codes as signed values: 2 low bits minus 4 where the hmask bit is clear. */
static inline void k3_codes(const uint8_t *qs, __m256i hmask, int h, __m256i q[4])
{
    k2_codes(qs, q);
    for (int g = 0; g < 4; g++) {
        __m256i bit = _mm256_set1_epi8((char)(1 << (4 * h + g)));
        __m256i clear = _mm256_cmpeq_epi8(_mm256_and_si256(hmask, bit), _mm256_setzero_si256());
        q[g] = _mm256_sub_epi8(q[g], _mm256_and_si256(clear, _mm256_set1_epi8(4)));
    }
}

static void dequant_q3_k(const void *x, float *y, int64_t n)
{
    const lq__blk_q3_k *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = lq__x86_f16(b->d);
        int8_t sc[16];
        lq__k3_scales(b->scales, sc);
        __m256i hm = _mm256_loadu_si256((const __m256i *)b->hmask);
        LQ__UNROLL
        for (int h = 0; h < 2; h++) {
            __m256i q[4];
            k3_codes(b->qs + 32 * h, hm, h, q);
            for (int g = 0; g < 4; g++, y += 32) {
                __m128i lo = _mm256_castsi256_si128(q[g]), hi = _mm256_extracti128_si256(q[g], 1);
                __m256 d0 = _mm256_set1_ps(d * (float)sc[8 * h + 2 * g]);
                __m256 d1 = _mm256_set1_ps(d * (float)sc[8 * h + 2 * g + 1]);
                __m128i part[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
                for (int u = 0; u < 4; u++)
                    _mm256_storeu_ps(y + 8 * u, _mm256_mul_ps(u < 2 ? d0 : d1,
                                                              _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(part[u]))));
            }
        }
    }
}

/* q3_K code 0..7: the 2 low bits, plus 4 where bit j of hmask is set. */
static inline __m256i k3_code(__m256i low, __m256i hm, int j)
{
#if defined(__AVX512BW__) && defined(__AVX512VL__)
    __mmask32 set = _mm256_test_epi8_mask(hm, _mm256_set1_epi8((char)(1 << j)));
    return _mm256_mask_add_epi8(low, set, low, _mm256_set1_epi8(4));
#else
    /* the bit alone in its byte, moved to bit 2 (16-bit shifts by at most 5
     * keep it in its byte) */
    __m256i b = _mm256_and_si256(hm, _mm256_set1_epi8((char)(1 << j)));
    b = j < 2 ? _mm256_slli_epi16(b, 2 - j) : j > 2 ? _mm256_srli_epi16(b, j - 2) : b;
    return _mm256_or_si256(low, b);
#endif
}

static float dot_q3_k(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q3_k *w = vw;
    const lq__blk_q8_k *a = va;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        __m128i s8 = lq__x86_k3_scales(w[i].scales);
        __m256i sc[2];
        scales16(s8, sc);
        __m256i hm = _mm256_loadu_si256((const __m256i *)w[i].hmask);
        __m256i sumi0 = _mm256_setzero_si256(), sumi1 = _mm256_setzero_si256();
        LQ__UNROLL
        for (int h = 0; h < 2; h++) {
            __m256i q[4];
            k2_codes(w[i].qs + 32 * h, q);
            LQ__UNROLL
            for (int g = 0; g < 4; g += 2) {
                const int8_t *q8 = a[i].qs + 128 * h + 32 * g;
                __m256i p0 = _mm256_maddubs_epi16(k3_code(q[g], hm, 4 * h + g),
                                                  _mm256_loadu_si256((const __m256i *)q8));
                __m256i p1 = _mm256_maddubs_epi16(k3_code(q[g + 1], hm, 4 * h + g + 1),
                                                  _mm256_loadu_si256((const __m256i *)(q8 + 32)));
                sumi0 = lq__madd_acc(sumi0, p0, pair_scales(sc[h], g));
                sumi1 = lq__madd_acc(sumi1, p1, pair_scales(sc[h], g + 1));
            }
        }
        /* the value is code - 4 */
        __m256i sumi = _mm256_sub_epi32(_mm256_add_epi32(sumi0, sumi1), offset_correction(s8, a[i].bsums, 2));
        acc = _mm256_fmadd_ps(lq__x86_k_scale(&a[i], w[i].d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return lq__hsum256(acc);
}

static void dequant_iq4_xs(const void *x, float *y, int64_t n)
{
    const lq__blk_iq4_xs *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        float d = lq__x86_f16(b->d);
        for (int j = 0; j < 8; j++, y += 32)
            store32_scaled(nibbles_lookup(lq__iq4_levels, b->qs + 16 * j),
                               _mm256_set1_ps(d * (float)lq__iq4xs_scale(b, j)), y);
    }
}

/* The 8 scales of an iq4_XS super-block minus 32, as int16 in both lanes:
 * nibbles of scales_l and 2-bit fields of scales_h spread to bytes with
 * 64-bit arithmetic (lq__iq4xs_scale is the reference). */
static inline __m256i iq4xs_scales(const lq__blk_iq4_xs *b)
{
    uint64_t lo, hi;
    uint32_t l;
    memcpy(&l, b->scales_l, 4);
    lo = l;
    lo = ((lo & 0xFFFF0000u) << 16) | (lo & 0xFFFFu);
    lo = ((lo & 0x0000FF000000FF00ULL) << 8) | (lo & 0x000000FF000000FFULL);
    lo = ((lo & 0x00F000F000F000F0ULL) << 4) | (lo & 0x000F000F000F000FULL);
    hi = b->scales_h;
    hi = ((hi & 0xFF00u) << 24) | (hi & 0xFFu);
    hi = ((hi & 0x000000F0000000F0ULL) << 12) | (hi & 0x0000000F0000000FULL);
    hi = ((hi & 0x000C000C000C000CULL) << 6) | (hi & 0x0003000300030003ULL);
    __m128i s8 = _mm_sub_epi8(_mm_cvtsi64_si128((long long)(lo | hi << 4)), _mm_set1_epi8(32));
    return _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(s8));
}

static float dot_iq4_xs(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq4_xs *w = vw;
    const lq__blk_q8_k *a = va;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        __m256i sc = iq4xs_scales(&w[i]);
        __m256i sumi0 = _mm256_setzero_si256(), sumi1 = _mm256_setzero_si256();
        LQ__UNROLL
        for (int j = 0; j < 8; j += 2) {
            __m256i q0 = nibbles_lookup(lq__iq4_levels, w[i].qs + 16 * j);
            __m256i q1 = nibbles_lookup(lq__iq4_levels, w[i].qs + 16 * j + 16);
            __m256i a0 = _mm256_loadu_si256((const __m256i *)(a[i].qs + 32 * j));
            __m256i a1 = _mm256_loadu_si256((const __m256i *)(a[i].qs + 32 * j + 32));
            __m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(q0), _mm256_sign_epi8(a0, q0));
            __m256i p1 = _mm256_maddubs_epi16(_mm256_abs_epi8(q1), _mm256_sign_epi8(a1, q1));
            sumi0 = _mm256_add_epi32(sumi0, _mm256_madd_epi16(p0, broadcast_i16(sc, j)));
            sumi1 = _mm256_add_epi32(sumi1, _mm256_madd_epi16(p1, broadcast_i16(sc, j + 1)));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[i].d * lq__x86_f16(w[i].d)),
                              _mm256_cvtepi32_ps(_mm256_add_epi32(sumi0, sumi1)), acc);
    }
    return lq__hsum256(acc);
}

/* ---- tq1_0, tq2_0, mxfp4, nvfp4 ---------------------------------------------- */

#include "kernels256_tq_fp4.h"

/* ---- iq2_xxs, iq2_xs, iq2_s ---------------------------------------------------- */

#include "kernels256_iq2.h"

/* ---- iq3_xxs, iq3_s (after iq2: the same sign helpers) ---------------------------- */

#include "kernels256_iq3.h"

/* ---- iq1_s, iq1_m --------------------------------------------------------------------- */

#include "kernels256_iq1.h"

/* ---- linear int8 / int4 rows ------------------------------------------------ */

static void lin_dequant(int64_t k, const lq__lin_row *w, float *y, int bits)
{
    for (int64_t g = 0; g * w->group < k; g++) {
        float scale = w->f32_scales ? lq__lin_scale(w, g) : lq__x86_ld_f16(w->scales + 2 * g);
        int zero = w->zeros ? w->zeros[g] : 1 << (bits - 1);
        __m256 s = _mm256_set1_ps(scale);
        __m256i z = _mm256_set1_epi32(zero);
        int64_t j = g * w->group, end = j + w->group;
        if (bits == 8) {
            for (; j + 8 <= end; j += 8) {
                __m256i q = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(w->codes + j)));
                _mm256_storeu_ps(y + j, _mm256_mul_ps(s, _mm256_cvtepi32_ps(_mm256_sub_epi32(q, z))));
            }
        } else {
            for (; j + 32 <= end && j % 2 == 0; j += 32) {
                __m256i q = nibbles_interleaved(w->codes + j / 2);
                __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
                __m128i part[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
                for (int u = 0; u < 4; u++) {
                    __m256i v = _mm256_sub_epi32(_mm256_cvtepu8_epi32(part[u]), z);
                    _mm256_storeu_ps(y + j + 8 * u, _mm256_mul_ps(s, _mm256_cvtepi32_ps(v)));
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

/* The blocks of 32 of a linear row, group by group: the scale and zero point
 * are read once per group, block gives acc + d_a * (block's integer sum) for
 * four blocks per step (LIN_QUAD) into two sums, and the group's scale
 * multiplies them into one of two accumulators (one would wait on its FMA
 * every group). name##_rows is instantiated for each kind of row (zero
 * points or not, f16 or f32 scales) so that the group step has no tests:
 * measured before that, it cost about a block. The scale and zero-point
 * planes are streams of their own (f16 scales of int4 in groups of 128 are
 * 1/32 of the code bytes), prefetched 256 groups ahead, beyond the codes'
 * 8 KiB. */
#define LIN_QUAD(block, bits)                                                                     \
    (lq__prefetch(c, 16 * bits), s0 = block(c, zero, a, s0), s1 = block(c + 4 * bits, zero, a + 1, s1), \
     s0 = block(c + 8 * bits, zero, a + 2, s0), s1 = block(c + 12 * bits, zero, a + 3, s1),       \
     c += 16 * bits, a += 4)
#define LIN_DOT(name, bits, block)                                                                \
    static inline __attribute__((always_inline)) float name##_rows(                               \
        int64_t k, const lq__lin_row *w, const lq__blk_q8_0 *a, const uint8_t *zeros, int f32)    \
    {                                                                                             \
        const uint8_t *c = w->codes, *scales = w->scales;                                         \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                            \
        int64_t per_group = w->group / LQ__QK, nb = k / LQ__QK;                                   \
        for (int64_t g = 0, b = 0; b < nb; g++, b += per_group) {                                 \
            const uint8_t *sc = scales + (f32 ? 4 : 2) * g;                                       \
            __builtin_prefetch(sc + (f32 ? 4 : 2) * 256);                                         \
            int zero = 1 << (bits - 1);                                                           \
            if (zeros) {                                                                          \
                __builtin_prefetch(zeros + g + 256);                                              \
                zero = zeros[g];                                                                  \
            }                                                                                     \
            __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();                            \
            int64_t j = 0;                                                                        \
            if (per_group == 4) /* groups of 128: straight code, 3-10 % faster */                 \
                LIN_QUAD(block, bits), j = 4;                                                     \
            for (; j + 4 <= per_group; j += 4)                                                    \
                LIN_QUAD(block, bits);                                                            \
            for (; j < per_group; j++, c += 4 * bits, a++) {                                      \
                lq__prefetch(c, 4 * bits);                                                        \
                s0 = block(c, zero, a, s0);                                                       \
            }                                                                                     \
            __m256 scale = f32 ? _mm256_broadcastss_ps(_mm_castsi128_ps(_mm_loadu_si32(sc)))      \
                               : lq__x86_bcast_f16(lq__ld_u16(sc));                               \
            if (g % 2)                                                                            \
                acc1 = _mm256_fmadd_ps(scale, _mm256_add_ps(s0, s1), acc1);                       \
            else                                                                                  \
                acc0 = _mm256_fmadd_ps(scale, _mm256_add_ps(s0, s1), acc0);                       \
        }                                                                                         \
        return lq__hsum256(_mm256_add_ps(acc0, acc1));                                            \
    }                                                                                             \
    static float name(int64_t k, const lq__lin_row *w, const void *va)                            \
    {                                                                                             \
        if (w->zeros)                                                                             \
            return w->f32_scales ? name##_rows(k, w, va, w->zeros, 1)                             \
                                 : name##_rows(k, w, va, w->zeros, 0);                            \
        return w->f32_scales ? name##_rows(k, w, va, NULL, 1) : name##_rows(k, w, va, NULL, 0);   \
    }

/* int8: codes as q - 128 (signed) with the sign trick; a zero point other
 * than 128 takes (zero - 128) * sum(a) off. */
static inline __m256 lin8_block(const uint8_t *codes, int zero, const lq__blk_q8_0 *a, __m256 acc)
{
    __m256i a8 = _mm256_loadu_si256((const __m256i *)a->qs);
    __m256i q = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)codes), _mm256_set1_epi8((char)0x80));
    __m256i s = lq__dot_i8_32(q, a8);
    if (zero != 128)
        s = _mm256_sub_epi32(s, _mm256_mullo_epi32(_mm256_set1_epi32(zero - 128),
                                                   lq__dot_u8i8_32(_mm256_set1_epi8(1), a8)));
    return _mm256_fmadd_ps(lq__x86_bcast_f16(a->d), _mm256_cvtepi32_ps(s), acc);
}

/* int4: the codes in stream order (element 2i in the low nibble of byte i),
 * unsigned. The zero point is any u8 (imported GPTQ v1 checkpoints hold
 * 2^bits): up to LIN4_ZERO_FOLD it is a second unsigned operand, whose pair
 * products and the codes' stay within int16 together; above, zero * sum(a)
 * is taken off in int32. */
#define LIN4_ZERO_FOLD 114 /* 2 * 15 * 127 + 2 * 114 * 127 < 2^15 */
static inline __m256 lin4_block(const uint8_t *codes, int zero, const lq__blk_q8_0 *a, __m256 acc)
{
    __m256i a8 = _mm256_loadu_si256((const __m256i *)a->qs), q = nibbles_interleaved(codes), s;
    if (zero <= LIN4_ZERO_FOLD)
        s = lq__dot_u8i8_32_diff(q, _mm256_set1_epi8((char)zero), a8);
    else
        s = _mm256_sub_epi32(lq__dot_u8i8_32(q, a8), _mm256_mullo_epi32(_mm256_set1_epi32(zero),
                                                                    lq__dot_u8i8_32(_mm256_set1_epi8(1), a8)));
    return _mm256_fmadd_ps(lq__x86_bcast_f16(a->d), _mm256_cvtepi32_ps(s), acc);
}

LIN_DOT(lin8_dot, 8, lin8_block)
LIN_DOT(lin4_dot, 4, lin4_block)

/* ---- W8A8 ------------------------------------------------------------------- */

/* 2 activation rows x 4 weight rows at a time, 32 products per step, with
 * the sign trick so that maddubs sees |w| (at most 128) and sign(x) (at most
 * 127 in magnitude): pair sums stay below 2^15. */
static void gemm_i8(int64_t m, int64_t n, int64_t k, const int8_t *x, const float *sx,
                    const int8_t *w, const float *sw, float *y, int64_t ldy)
{
    int64_t k32 = k / 32 * 32;
    for (int64_t j0 = 0; j0 < n; j0 += 4) {
        int nj = n - j0 < 4 ? (int)(n - j0) : 4;
        for (int64_t i0 = 0; i0 < m; i0 += 2) {
            int ni = m - i0 < 2 ? (int)(m - i0) : 2;
            __m256i acc[2][4];
            LQ__UNROLL
            for (int i = 0; i < 2; i++)
                LQ__UNROLL
                for (int j = 0; j < 4; j++)
                    acc[i][j] = _mm256_setzero_si256();
            for (int64_t t = 0; t < k32; t += 32) {
                __m256i xv[2];
                LQ__UNROLL
                for (int i = 0; i < 2; i++)
                    xv[i] = _mm256_loadu_si256((const __m256i *)(x + (i0 + (i < ni ? i : 0)) * k + t));
                LQ__UNROLL
                for (int j = 0; j < 4; j++) {
                    __m256i wv = _mm256_loadu_si256((const __m256i *)(w + (j0 + (j < nj ? j : 0)) * k + t));
                    __m256i aw = _mm256_abs_epi8(wv);
                    LQ__UNROLL
                    for (int i = 0; i < 2; i++) {
                        __m256i p = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(xv[i], wv));
                        acc[i][j] = _mm256_add_epi32(acc[i][j], _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
                    }
                }
            }
            int32_t sums[2][4]; /* out of the vectors first: acc stays in registers */
            LQ__UNROLL
            for (int i = 0; i < 2; i++)
                LQ__UNROLL
                for (int j = 0; j < 4; j++)
                    sums[i][j] = lq__hsum256_i32(acc[i][j]);
            lq__gemm_i8_tile_end(sums, ni, nj, i0, j0, k, k32, x, sx, w, sw, y, ldy);
        }
    }
}

/* The types whose dot product has a many-row form here. */
#define LQ__X86_DOT_ROWS_TYPES(X) \
    X(Q4_0, q4_0) X(Q4_1, q4_1) X(Q5_0, q5_0) X(Q5_1, q5_1) X(Q8_0, q8_0) X(IQ4_NL, iq4_nl) \
    X(MXFP4, mxfp4) X(Q4_K, q4_k) X(Q5_K, q5_k) X(Q6_K, q6_k)

/* Fill the entries of the block and integer kernels. */
static inline void fill_256_blocks(lq__kernels *k)
{
/* every ggml type whose row in core/type_list.h says SIMD */
#define SET(T, f, v, g, be, bb, bits, fl, act, kern, ...)                \
    LQ__IF_KERNELS_SIMD_##kern(k->t[LQ_TYPE_##T].dequant = dequant_##f, \
                               k->t[LQ_TYPE_##T].vec_dot = dot_##f;)
    LQ__GGML_TYPES(SET)
#undef SET
#define ROWS(T, f) k->t[LQ_TYPE_##T].vec_dot_rows = dot_##f##_rows;
    LQ__X86_DOT_ROWS_TYPES(ROWS)
#undef ROWS
    k->gemm_i8 = gemm_i8;
    k->lin_dequant[0] = lin8_dequant;
    k->lin_dequant[1] = lin4_dequant;
    k->lin_dot[0] = lin8_dot;
    k->lin_dot[1] = lin4_dot;
}

/* ... and of the float kernels. */
static inline void fill_256_floats(lq__kernels *k)
{
    k->t[LQ_TYPE_F16].dequant = dequant_f16;
    k->t[LQ_TYPE_F16].vec_dot = dot_f16;
    k->t[LQ_TYPE_BF16].dequant = dequant_bf16;
    k->t[LQ_TYPE_BF16].vec_dot = dot_bf16;
    k->t[LQ_TYPE_F32].vec_dot = dot_f32;
    k->dot_f32 = dot_f32;
    k->quant_q8_0 = quant_q8_0;
    k->quant_q8_1 = quant_q8_1;
    k->quant_q8_k = quant_q8_k;
    k->exp_f32 = exp_f32;
    k->to_f16 = to_f16;
}

#endif
