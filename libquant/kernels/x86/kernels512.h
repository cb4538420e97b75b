/* kernels512.h — 512-bit dot products of the k-quants q2_K .. q5_K, whose
 * integer work dominates a matrix-vector product. A zmm holds 64 codes
 * against 64 contiguous activations, so a step does the work of two 256-bit
 * ones, and mask registers put in the high code bits (q3_K, q5_K); the
 * per-super-block scales and float sums stay 256-bit. Static functions,
 * included once per file by avx512.c (F/BW/VL: int16 pairs summed with
 * vpmaddwd) and avx512_vnni.c (vpdpwssd); fill_512_blocks overwrites the
 * 256-bit entries. Measured here against the VNNI 256-bit kernels: q3_K
 * +17 %, q5_K +10 %, q2_K +3 %, q4_K +1 % (int4 rows were 6 % slower in 512
 * bits and stay 256-bit: AVX-512 has two vector ports to AVX2's three).
 *
 * The integer block sums are those of ref/dot.c (partial sums in int32
 * lanes, all exact); only the order of the float additions differs. Every
 * maddubs pair stays below 2^15: codes are at most 31. */
#ifndef LQ_KERNELS_X86_KERNELS512_H
#define LQ_KERNELS_X86_KERNELS512_H

#include <immintrin.h>

#include "../../formats/ggml_blocks.h"
#include "../kernels.h"
#include "x86.h"

/* 32 bytes in both halves of a zmm: a load, no shuffle. */
static inline __m512i bcast32_512(const void *p)
{
    return _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)p));
}

/* v shifted right by lo bits in its low half and by hi bits in its high
 * half (64-bit lanes: the caller masks the bits that cross bytes). */
static inline __m512i srl_halves512(__m512i v, int lo, int hi)
{
    return _mm512_srlv_epi64(v, _mm512_set_epi64(hi, hi, hi, hi, lo, lo, lo, lo));
}

/* Constant vectors, as tables (built with instructions they would cost
 * every call):
 *   CTL4: int16 byte-shuffle controls, one byte index per 128-bit lane; each
 *     word takes that byte and zeroes its high byte (0x80), so one shuffle
 *     spreads sub-block scales straight into int16 lanes;
 *   IDX4: vpermw indices, word index per 128-bit lane;
 *   BITS2: a byte in the low half, another in the high half. */
#define REP8(x) x, x, x, x, x, x, x, x
#define REP32(x) REP8(x), REP8(x), REP8(x), REP8(x)
#define CTL_LANE(i) REP8(i | 0x8000)
#define CTL4(a, b, c, d) {CTL_LANE(a), CTL_LANE(b), CTL_LANE(c), CTL_LANE(d)}
#define IDX4(j) {REP8(4 * (j)), REP8(4 * (j) + 1), REP8(4 * (j) + 2), REP8(4 * (j) + 3)}
#define BITS2(lo, hi) {REP32(lo), REP32(hi)}

static inline __m512i load512(const void *p)
{
    return _mm512_loadu_si512(p);
}

/* The sum of the two 256-bit halves of 16 int32 lanes. */
static inline __m256i fold512(__m512i v)
{
    return _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
}

/* ---- q4_K, q5_K --------------------------------------------------------------- */

/* Chunk c (64 elements): its 32 code bytes in both halves, the low nibbles
 * (elements 64c .. 64c+31, scale 2c) in the low half and the high nibbles
 * (scale 2c+1) in the high half; q5_K adds bit 2c / 2c+1 of qh as 16. */
static _Alignas(64) const uint16_t k4_scale_ctl[4][32] = {CTL4(0, 0, 1, 1), CTL4(2, 2, 3, 3),
                                                         CTL4(4, 4, 5, 5), CTL4(6, 6, 7, 7)};
/* Bits 2i (low half) and 2i+1 (high half): the high-bit planes of q5_K
 * (qh, chunk i) and q3_K (hmask, zmm i) */
static _Alignas(64) const uint8_t bit_pair_sel[4][64] = {BITS2(1, 2), BITS2(4, 8), BITS2(16, 32),
                                                         BITS2(64, 128)};

#define K4_DOT512(name, btype, high)                                                              \
    static float name(int64_t n, const void *vw, const void *va)                                  \
    {                                                                                             \
        const btype *w = vw;                                                                      \
        const lq__blk_q8_k *a = va;                                                               \
        __m256 acc = _mm256_setzero_ps();                                                         \
        for (int64_t i = 0; i < n / LQ__QK_K; i++) {                                              \
            lq__prefetch(&w[i], sizeof *w);                                                       \
            __m128i sm = lq__x86_k4_scales_mins(w[i].scales);                                     \
            __m512i sc = _mm512_broadcastq_epi64(sm);                                             \
            __m512i sumi0 = _mm512_setzero_si512(), sumi1 = _mm512_setzero_si512();               \
            LQ__UNROLL                                                                            \
            for (int c = 0; c < 4; c++) {                                                         \
                __m512i q = _mm512_and_si512(srl_halves512(bcast32_512(w[i].qs + 32 * c), 0, 4),  \
                                             _mm512_set1_epi8(0x0F));                             \
                high;                                                                             \
                __m512i p = _mm512_maddubs_epi16(q, load512(a[i].qs + 64 * c));                  \
                __m512i s = _mm512_shuffle_epi8(sc, load512(k4_scale_ctl[c]));                   \
                if (c % 2)                                                                        \
                    sumi1 = lq__madd_acc512(sumi1, p, s);                                         \
                else                                                                              \
                    sumi0 = lq__madd_acc512(sumi0, p, s);                                         \
            }                                                                                     \
            __m256i sumi = fold512(_mm512_add_epi32(sumi0, sumi1));                               \
            __m256i mins = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(sm, sm));                       \
            acc = _mm256_fmadd_ps(lq__x86_k_scale(&a[i], w[i].d), _mm256_cvtepi32_ps(sumi), acc); \
            acc = _mm256_fnmadd_ps(lq__x86_k_scale(&a[i], w[i].dmin),                             \
                                   _mm256_cvtepi32_ps(lq__x86_bsums_dot(mins, a[i].bsums)), acc); \
        }                                                                                         \
        return lq__hsum256(acc);                                                                  \
    }

K4_DOT512(q4_k_dot512, lq__blk_q4_k, (void)0)
/* the fifth bit: 16 where bit 2c (low half) / 2c+1 (high half) of qh is set */
K4_DOT512(q5_k_dot512, lq__blk_q5_k,
          __mmask64 set = _mm512_test_epi8_mask(bcast32_512(w[i].qh), load512(bit_pair_sel[c]));
          q = _mm512_mask_add_epi8(q, set, q, _mm512_set1_epi8(16)))

/* ---- q2_K, q3_K --------------------------------------------------------------- */

/* zmm j (j = 0..3) holds elements 64j .. 64j+63: 2-bit groups 2(j%2) and
 * 2(j%2)+1 of the 32 bytes of half j/2; its 128-bit lane l is sub-block
 * 4j + l. */
static inline __m512i k2_codes512(const uint8_t *qs, int j)
{
    int shift = 4 * (j % 2);
    return _mm512_and_si512(srl_halves512(bcast32_512(qs + 32 * (j / 2)), shift, shift + 2),
                            _mm512_set1_epi8(3));
}

static _Alignas(64) const uint16_t k2_scale_ctl[4][32] = {CTL4(0, 1, 2, 3), CTL4(4, 5, 6, 7),
                                                         CTL4(8, 9, 10, 11), CTL4(12, 13, 14, 15)};
static _Alignas(64) const uint16_t k3_scale_idx[4][32] = {IDX4(0), IDX4(1), IDX4(2), IDX4(3)};

static float q2_k_dot512(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q2_k *w = vw;
    const lq__blk_q8_k *a = va;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        __m128i packed = _mm_loadu_si128((const __m128i *)w[i].scales);
        __m512i sc = _mm512_and_si512(_mm512_broadcast_i32x4(packed), _mm512_set1_epi8(0x0F));
        __m512i sumi0 = _mm512_setzero_si512(), sumi1 = _mm512_setzero_si512();
        LQ__UNROLL
        for (int j = 0; j < 4; j++) {
            __m512i p = _mm512_maddubs_epi16(k2_codes512(w[i].qs, j), load512(a[i].qs + 64 * j));
            __m512i s = _mm512_shuffle_epi8(sc, load512(k2_scale_ctl[j]));
            if (j % 2)
                sumi1 = lq__madd_acc512(sumi1, p, s);
            else
                sumi0 = lq__madd_acc512(sumi0, p, s);
        }
        __m128i m8 = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F));
        __m256i msum = lq__x86_bsums_dot(_mm256_cvtepu8_epi16(m8), a[i].bsums);
        __m256i sumi = fold512(_mm512_add_epi32(sumi0, sumi1));
        acc = _mm256_fmadd_ps(lq__x86_k_scale(&a[i], w[i].d), _mm256_cvtepi32_ps(sumi), acc);
        acc = _mm256_fnmadd_ps(lq__x86_k_scale(&a[i], w[i].dmin), _mm256_cvtepi32_ps(msum), acc);
    }
    return lq__hsum256(acc);
}

/* q3_K: the 2-bit codes plus 4 where the hmask bit of their group is set
 * (group 4h+g of element l is bit 4h+g of hmask[l]: zmm j's two groups are
 * bits 2j and 2j+1); the value is code - 4,
 * taken off once per super-block through the bsums. The signed scales are
 * widened to int16 once and spread by vpermw. */
static float q3_k_dot512(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q3_k *w = vw;
    const lq__blk_q8_k *a = va;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        __m256i sc16 = _mm256_cvtepi8_epi16(lq__x86_k3_scales(w[i].scales));
        __m512i sc = _mm512_castsi256_si512(sc16);
        __m512i hm = bcast32_512(w[i].hmask);
        __m512i sumi0 = _mm512_setzero_si512(), sumi1 = _mm512_setzero_si512();
        LQ__UNROLL
        for (int j = 0; j < 4; j++) {
            __mmask64 set = _mm512_test_epi8_mask(hm, load512(bit_pair_sel[j]));
            __m512i q = k2_codes512(w[i].qs, j);
            q = _mm512_mask_add_epi8(q, set, q, _mm512_set1_epi8(4));
            __m512i p = _mm512_maddubs_epi16(q, load512(a[i].qs + 64 * j));
            __m512i s = _mm512_permutexvar_epi16(load512(k3_scale_idx[j]), sc);
            if (j % 2)
                sumi1 = lq__madd_acc512(sumi1, p, s);
            else
                sumi0 = lq__madd_acc512(sumi0, p, s);
        }
        __m256i corr = _mm256_slli_epi32(lq__x86_bsums_dot(sc16, a[i].bsums), 2);
        __m256i sumi = _mm256_sub_epi32(fold512(_mm512_add_epi32(sumi0, sumi1)), corr);
        acc = _mm256_fmadd_ps(lq__x86_k_scale(&a[i], w[i].d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return lq__hsum256(acc);
}

/* ---- q4_1 rows, two to a ymm ------------------------------------------------ */

/* The many-row q4_1 kernel with two weight rows in the halves of each
 * 256-bit operation: row 2p's block in the low half, row 2p+1's in the high
 * one, each half the operations of kernels256.h's q4_1_block (its int32 lanes
 * the same exact integers, then the same min, scale and multiply-add), so
 * every row's sum is bit-identical to the one-row dot_q4_1. The activations
 * are broadcast to both halves by their loads, and the integer and float
 * work per block of a row is about half the instructions of two 128-bit
 * blocks (an insert per weight block, and per scale, instead); this core
 * runs 256-bit operations at the 128-bit rate. Not at the AVX2 level: CPUs
 * that split 256-bit operations in two (Zen 1) would do more. */
static inline __m256 q4_1_block_pair(const lq__blk_q4_1 *w0, const lq__blk_q4_1 *w1, const lq__blk_q8_1 *a,
                                     __m256 acc)
{
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i s0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)a->qs));
    const __m256i s1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(a->qs + 16)));
    const __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)w0->qs)),
                                              _mm_loadu_si128((const __m128i *)w1->qs), 1);
    const __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
#ifdef __AVX512VNNI__
    __m256i sum = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), lo, s0), hi, s1);
#else
    /* pair sums within int16: 15 * 128 * 2 * 2 */
    __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, s0), _mm256_maddubs_epi16(hi, s1));
    __m256i sum = _mm256_madd_epi16(p, _mm256_set1_epi16(1));
#endif
    /* the min in lane 0 of each half, zeros times zeros in the others */
    const __m128 sa = _mm_load_ss(&lq__f16_table[a->s]);
    acc = _mm256_fmadd_ps(_mm256_set_m128(_mm_load_ss(&lq__f16_table[w1->m]), _mm_load_ss(&lq__f16_table[w0->m])),
                          _mm256_set_m128(sa, sa), acc);
    __m256 dw = _mm256_set_m128(_mm_broadcast_ss(&lq__f16_table[w1->d]), _mm_broadcast_ss(&lq__f16_table[w0->d]));
    __m256 d = _mm256_mul_ps(dw, _mm256_broadcast_ss(&lq__f16_table[a->d]));
    return _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sum), acc);
}

/* LQ__DOT_ROWS rows as dot_q4_1's vec_dot_rows: even blocks into acc0, odd
 * ones into acc1, and the same final sum (with the one-row kernel's zero
 * min sums added). */
static void q4_1_dot_rows_pairs(int64_t n, const void *vw, size_t stride, const void *va, float *y)
{
    _Static_assert(LQ__DOT_ROWS == 4, "two pairs of rows");
    const lq__blk_q8_1 *a = va;
    const lq__blk_q4_1 *w[4];
    __m256 acc0[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()}, acc1[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int r = 0; r < 4; r++)
        w[r] = (const lq__blk_q4_1 *)((const uint8_t *)vw + (size_t)r * stride);
    int64_t nb = n / LQ__QK, i = 0;
    for (; i + 2 <= nb; i += 2) {
        LQ__UNROLL
        for (int r = 0; r < 4; r++)
            lq__prefetch(&w[r][i], 2 * sizeof **w);
        LQ__UNROLL
        for (int p = 0; p < 2; p++) {
            acc0[p] = q4_1_block_pair(&w[2 * p][i], &w[2 * p + 1][i], &a[i], acc0[p]);
            acc1[p] = q4_1_block_pair(&w[2 * p][i + 1], &w[2 * p + 1][i + 1], &a[i + 1], acc1[p]);
        }
    }
    for (int p = 0; p < 2; p++) {
        if (i < nb)
            acc0[p] = q4_1_block_pair(&w[2 * p][i], &w[2 * p + 1][i], &a[i], acc0[p]);
        __m128 lo = _mm_add_ps(_mm256_castps256_ps128(acc0[p]), _mm256_castps256_ps128(acc1[p]));
        __m128 hi = _mm_add_ps(_mm256_extractf128_ps(acc0[p], 1), _mm256_extractf128_ps(acc1[p], 1));
        y[2 * p] = lq__hsum128(lo) + 0.0f;
        y[2 * p + 1] = lq__hsum128(hi) + 0.0f;
    }
}

/* Overwrite the entries these kernels implement. */
static inline void fill_512_blocks(lq__kernels *k)
{
    k->t[LQ_TYPE_Q2_K].vec_dot = q2_k_dot512;
    k->t[LQ_TYPE_Q3_K].vec_dot = q3_k_dot512;
    k->t[LQ_TYPE_Q4_K].vec_dot = q4_k_dot512;
    k->t[LQ_TYPE_Q5_K].vec_dot = q5_k_dot512;
    k->t[LQ_TYPE_Q4_1].vec_dot_rows = q4_1_dot_rows_pairs;
    /* the many-row forms of the 256-bit dot products would not match these */
    k->t[LQ_TYPE_Q2_K].vec_dot_rows = NULL;
    k->t[LQ_TYPE_Q3_K].vec_dot_rows = NULL;
    k->t[LQ_TYPE_Q4_K].vec_dot_rows = NULL;
    k->t[LQ_TYPE_Q5_K].vec_dot_rows = NULL;
}

#endif
