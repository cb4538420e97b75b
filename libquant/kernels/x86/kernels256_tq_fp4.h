/* kernels256_tq_fp4.h — the 256-bit kernels of the ternary types (tq1_0,
 * tq2_0; q8_K activations) and the E2M1 types (mxfp4, nvfp4; q8_0
 * activations). Part of kernels256.h, which includes it after its block
 * helpers (store32_scaled, nibbles_split, BLOCK_DOT) and before its fill
 * function; layouts in formats/ggml_blocks.h. */
#ifndef LQ_KERNELS_X86_KERNELS256_TQ_FP4_H
#define LQ_KERNELS_X86_KERNELS256_TQ_FP4_H

/* ---- tq1_0, tq2_0 ------------------------------------------------------------ */

/* b * 3 mod 256 in every byte (tq1_0's trit t of b is the top of b 3^t). */
static inline __m256i times3(__m256i b)
{
    return _mm256_add_epi8(b, _mm256_add_epi8(b, b));
}

static inline __m128i times3_128(__m128i b)
{
    return _mm_add_epi8(b, _mm_add_epi8(b, b));
}

/* The leading trit (0, 1, 2) of every byte m, given as s = m ^ 0x80 (m - 128
 * as a signed byte): (m * 3) >> 8, which is [m >= 86] + [m >= 171], the
 * compares s > lo (lo = -43 in every byte, from the caller: see tq1_codes)
 * and s > 42, each -1 where true. Since 3 (m - 128) + 128 is 3 m - 256, the
 * next trit's s is 3 s mod 256: the bias is applied once per load, not per
 * trit. */
static inline __m256i top_trit(__m256i s, __m256i lo)
{
    const __m256i c = _mm256_add_epi8(_mm256_cmpgt_epi8(s, lo), _mm256_cmpgt_epi8(s, _mm256_set1_epi8(42)));
    return _mm256_sub_epi8(_mm256_setzero_si256(), c);
}

/* The 256 trits of a tq1_0 block, in element order, 32 per vector:
 * qs[0..31] trit t for t < 5; qs[32..47] trits t and t + 1 (one per lane)
 * for t = 0, 2; qs[32..47] trit 4 with the four trits of qh's 4 bytes. */
static inline __attribute__((always_inline)) void tq1_codes(const lq__blk_tq1_0 *b, __m256i q[8])
{
    /* top_trit's bound -43 passed through an empty asm, so the compiler
     * sees no constant: GCC 12 rewrites s > -43 as s >= -42 and builds that
     * from a min and an equality, two instructions for each of the 8
     * vectors instead of one (0.93x ggml's vec_dot in cycles per block with
     * it, 1.0x without). always_inline: the asm would otherwise keep this
     * function out of line, its 8 vectors passed through memory. */
    __m256i lo = _mm256_set1_epi8(-43);
    __asm__("" : "+x"(lo));
    __m256i x = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)b->qs), _mm256_set1_epi8((char)0x80));
    LQ__UNROLL
    for (int t = 0; t < 5; t++, x = times3(x))
        q[t] = top_trit(x, lo);
    const __m128i bias = _mm_set1_epi8((char)0x80);
    __m128i y[5];
    y[0] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(b->qs + 32)), bias);
    for (int t = 1; t < 5; t++)
        y[t] = times3_128(y[t - 1]);
    uint32_t h;
    memcpy(&h, b->qh, sizeof h);
    /* qh's 4 bytes times 3^t in dword t */
    const __m128i h0 = _mm_xor_si128(_mm_set1_epi32((int)h), bias), h1 = times3_128(h0),
                  h2 = times3_128(h1), h3 = times3_128(h2);
    const __m128i hq = _mm_blend_epi32(_mm_blend_epi32(h0, h1, 0x2), _mm_blend_epi32(h2, h3, 0x8), 0xC);
    q[5] = top_trit(_mm256_setr_m128i(y[0], y[1]), lo);
    q[6] = top_trit(_mm256_setr_m128i(y[2], y[3]), lo);
    q[7] = top_trit(_mm256_setr_m128i(y[4], hq), lo);
}

static void dequant_tq1_0(const void *x, float *y, int64_t n)
{
    const lq__blk_tq1_0 *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const __m256 d = _mm256_set1_ps(lq__x86_f16(b->d));
        __m256i q[8];
        tq1_codes(b, q);
        for (int g = 0; g < 8; g++, y += 32)
            store32_scaled(_mm256_sub_epi8(q[g], _mm256_set1_epi8(1)), d, y);
    }
}

/* The integer sum of codes (0..3) times activations, minus the
 * activations' sum (the codes' offset 1), over a block's 8 vectors: the
 * products summed in int16 (8 pair sums of at most 2 * 3 * 127, less the
 * 16 bsums of at most 16 * 127 in magnitude, stay far inside int16), then
 * once into int32. The bsums come off in int16, lane j of the vector taking
 * bsums[j]: only the total matters, and it saves a second madd per block. */
static inline __m256i ternary_sum(const __m256i q[8], const lq__blk_q8_k *a)
{
    __m256i s16[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    LQ__UNROLL
    for (int g = 0; g < 8; g++)
        s16[g % 2] = _mm256_add_epi16(s16[g % 2], _mm256_maddubs_epi16(q[g], _mm256_loadu_si256((const __m256i *)(a->qs + 32 * g))));
    const __m256i s = _mm256_sub_epi16(_mm256_add_epi16(s16[0], s16[1]), _mm256_loadu_si256((const __m256i *)a->bsums));
    return _mm256_madd_epi16(s, _mm256_set1_epi16(1));
}

static float dot_tq1_0(int64_t n, const void *vw, const void *va)
{
    const lq__blk_tq1_0 *w = vw;
    const lq__blk_q8_k *a = va;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        __m256i q[8];
        tq1_codes(&w[i], q);
        acc = _mm256_fmadd_ps(lq__x86_k_scale(&a[i], w[i].d), _mm256_cvtepi32_ps(ternary_sum(q, &a[i])), acc);
    }
    return lq__hsum256(acc);
}

static void dequant_tq2_0(const void *x, float *y, int64_t n)
{
    const lq__blk_tq2_0 *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const __m256 d = _mm256_set1_ps(lq__x86_f16(b->d));
        for (int h = 0; h < 2; h++) {
            __m256i q[4];
            k2_codes(b->qs + 32 * h, q);
            for (int g = 0; g < 4; g++, y += 32)
                store32_scaled(_mm256_sub_epi8(q[g], _mm256_set1_epi8(1)), d, y);
        }
    }
}

static float dot_tq2_0(int64_t n, const void *vw, const void *va)
{
    const lq__blk_tq2_0 *w = vw;
    const lq__blk_q8_k *a = va;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        __m256i q[8];
        k2_codes(w[i].qs, q);
        k2_codes(w[i].qs + 32, q + 4);
        acc = _mm256_fmadd_ps(lq__x86_k_scale(&a[i], w[i].d), _mm256_cvtepi32_ps(ternary_sum(q, &a[i])), acc);
    }
    return lq__hsum256(acc);
}

/* ---- mxfp4, nvfp4 ------------------------------------------------------------ */

static void dequant_mxfp4(const void *x, float *y, int64_t n)
{
    const lq__blk_mxfp4 *b = x;
    for (int64_t i = 0; i < n / LQ__QK; i++, b++, y += LQ__QK)
        store32_scaled(nibbles_lookup(lq__fp4_levels, b->qs), _mm256_broadcast_ss(&lq__e8m0_table[b->e]), y);
}

static inline __m256 mxfp4_block(const lq__blk_mxfp4 *w, const lq__blk_q8_0 *a, __m256 acc, __m128 *m)
{
    (void)m;
    __m256i s = lq__dot_i8_32(nibbles_lookup(lq__fp4_levels, w->qs), _mm256_loadu_si256((const __m256i *)a->qs));
    const __m256 d = _mm256_mul_ps(lq__x86_bcast_f16(a->d), _mm256_broadcast_ss(&lq__e8m0_table[w->e]));
    return _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(s), acc);
}

BLOCK_DOT(dot_mxfp4, lq__blk_mxfp4, lq__blk_q8_0, mxfp4_block)

/* The levels (lq__fp4_levels) of sub-blocks 2h and 2h + 1 of an nvfp4 block,
 * 32 elements in order: a sub-block's 8 bytes hold its low nibbles' and its
 * high nibbles' elements, so the halves interleave in 8-byte runs. */
static inline __m256i nvfp4_levels(const uint8_t *qs16)
{
    __m128i lo, hi;
    nibbles_lookup_halves(lq__fp4_levels, qs16, &lo, &hi);
    return _mm256_setr_m128i(_mm_unpacklo_epi64(lo, hi), _mm_unpackhi_epi64(lo, hi));
}

/* Sub-block scales s0, s1 of 16 elements each, in the two halves of a vector. */
static inline __m256 halves(float s0, float s1)
{
    return _mm256_setr_m128(_mm_set1_ps(s0), _mm_set1_ps(s1));
}

static void dequant_nvfp4(const void *x, float *y, int64_t n)
{
    const lq__blk_nvfp4 *b = x;
    for (int64_t i = 0; i < n / 64; i++, b++) {
        for (int h = 0; h < 2; h++, y += 32) {
            __m256i q = nvfp4_levels(b->qs + 16 * h);
            __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
            __m128i part[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
            const __m256 d0 = _mm256_set1_ps(lq__ue4m3_table[b->d[2 * h]]);
            const __m256 d1 = _mm256_set1_ps(lq__ue4m3_table[b->d[2 * h + 1]]);
            for (int u = 0; u < 4; u++)
                _mm256_storeu_ps(y + 8 * u, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(part[u])), u < 2 ? d0 : d1));
        }
    }
}

/* One nvfp4 block against two q8_0 blocks: the dot's lanes 0..3 sum the
 * first sub-block of each pair, lanes 4..7 the second, each with its scale. */
static float dot_nvfp4(int64_t n, const void *vw, const void *va)
{
    const lq__blk_nvfp4 *w = vw;
    const lq__blk_q8_0 *a = va;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / 64; i++) {
        lq__prefetch(&w[i], sizeof *w);
        const lq__blk_q8_0 *a0 = &a[2 * i], *a1 = &a[2 * i + 1];
        __m256i s0 = lq__dot_i8_32(nvfp4_levels(w[i].qs), _mm256_loadu_si256((const __m256i *)a0->qs));
        __m256i s1 = lq__dot_i8_32(nvfp4_levels(w[i].qs + 16), _mm256_loadu_si256((const __m256i *)a1->qs));
        const float da0 = lq__x86_f16(a0->d), da1 = lq__x86_f16(a1->d);
        acc0 = _mm256_fmadd_ps(halves(da0 * lq__ue4m3_table[w[i].d[0]], da0 * lq__ue4m3_table[w[i].d[1]]),
                               _mm256_cvtepi32_ps(s0), acc0);
        acc1 = _mm256_fmadd_ps(halves(da1 * lq__ue4m3_table[w[i].d[2]], da1 * lq__ue4m3_table[w[i].d[3]]),
                               _mm256_cvtepi32_ps(s1), acc1);
    }
    return lq__hsum256(_mm256_add_ps(acc0, acc1));
}

#endif
