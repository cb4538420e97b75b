/* kernels256_iq2.h — the 256-bit kernels of the 2-bit i-quants (iq2_xxs,
 * iq2_xs, iq2_s; q8_K activations). Part of kernels256.h, which includes it
 * after its block helpers (store32_scaled) and before its fill function;
 * layouts in formats/ggml_blocks.h.
 *
 * 32 values are four codebook points (8 unsigned bytes each) and four sign
 * bytes. Decoding negates the bytes under the signs; the dot products move
 * the signs onto the activations instead (q8_K values are in -127..127, as
 * its quantizer makes them, so their negations fit a byte) and multiply the
 * unsigned points by them with maddubs.
 *
 * The three types differ only in how a group of 32 stores its points and
 * signs (name_group) and how a block stores its scales (name_scales); one
 * decoder body and one dot body (IQ2_DEQUANT, IQ2_DOT) serve all three. */
#ifndef LQ_KERNELS_X86_KERNELS256_IQ2_H
#define LQ_KERNELS_X86_KERNELS256_IQ2_H

/* Four points as 32 bytes. */
static inline __m256i iq2_points(uint64_t p0, uint64_t p1, uint64_t p2, uint64_t p3)
{
    return _mm256_set_epi64x((long long)p3, (long long)p2, (long long)p1, (long long)p0);
}

/* +1 or -1 in every byte, -1 where its sign bit is set: byte k of `signs`
 * holds the bits of values 8k..8k+7. */
static inline __m256i iq2_sign_bytes(uint32_t signs)
{
    const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                            2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bits = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)signs), spread);
    return _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_and_si256(v, bits), bits), _mm256_set1_epi8(1));
}

/* The signs of four 7-bit codes (lq__iq2_code_signs). */
static inline __m256i iq2_code_signs(unsigned c0, unsigned c1, unsigned c2, unsigned c3)
{
    return _mm256_set_epi64x((long long)lq__iq2_code_signs[c3 & 127], (long long)lq__iq2_code_signs[c2 & 127],
                             (long long)lq__iq2_code_signs[c1 & 127], (long long)lq__iq2_code_signs[c0 & 127]);
}

/* 32 decoded values, points u with signs s: the first 16 times d0, the
 * others times d1. */
static inline void iq2_store32(__m256i u, __m256i s, float d0, float d1, float *y)
{
    const __m256i q = _mm256_sign_epi8(u, s);
    const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    const __m256 s0 = _mm256_set1_ps(d0), s1 = _mm256_set1_ps(d1);
    _mm256_storeu_ps(y + 0, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), s0));
    _mm256_storeu_ps(y + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))), s0));
    _mm256_storeu_ps(y + 16, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), s1));
    _mm256_storeu_ps(y + 24, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))), s1));
}

/* The 4-bit scale codes of a block's 16 halves of 16 values, in the order
 * name_scales gives them: the first halves of the eight groups of 32 in
 * bytes 0..7, the second halves in bytes 8..15. Those of iq2_xs and iq2_s
 * (low nibble: the first half). */
static inline __m128i iq2_nibble_scales(const uint8_t *scales)
{
    uint64_t s;
    memcpy(&s, scales, sizeof s);
    return _mm_and_si128(_mm_set_epi64x((long long)(s >> 4), (long long)s), _mm_set1_epi8(15));
}

static inline float iq2_db(float d, unsigned code)
{
    return d * (0.5f + (float)code) * 0.25f;
}

/* ---- per type: the points and signs of group ib, the block's scales ------------ */

static inline void iq2_xxs_group(const lq__blk_iq2_xxs *b, int ib, __m256i *u, __m256i *sg)
{
    /* the four index bytes read one by one (loads, not shifts) */
    const uint8_t *idx = (const uint8_t *)(b->qs + 4 * ib);
    uint32_t aux;
    memcpy(&aux, idx + 4, sizeof aux);
    *u = iq2_points(lq__iq2xxs_grid[idx[0]], lq__iq2xxs_grid[idx[1]], lq__iq2xxs_grid[idx[2]],
                    lq__iq2xxs_grid[idx[3]]);
    *sg = iq2_code_signs(aux, aux >> 7, aux >> 14, aux >> 21);
}

/* One scale per group (the top 4 bits of its second word) for both halves. */
static inline __m128i iq2_xxs_scales(const lq__blk_iq2_xxs *b)
{
    const __m256i w0 = _mm256_loadu_si256((const __m256i *)b->qs);
    const __m256i w1 = _mm256_loadu_si256((const __m256i *)(b->qs + 16));
    /* the second words of groups 0, 4, 1, 5 | 2, 6, 3, 7, shifted to their scales */
    const __m256i sw = _mm256_srli_epi32(_mm256_blend_epi32(_mm256_srli_epi64(w0, 32), w1, 0xAA), 28);
    /* each lane puts its four scales at their groups' bytes, twice */
    const __m256i place = _mm256_setr_epi8(0, 8, -1, -1, 4, 12, -1, -1, 0, 8, -1, -1, 4, 12, -1, -1,
                                           -1, -1, 0, 8, -1, -1, 4, 12, -1, -1, 0, 8, -1, -1, 4, 12);
    const __m256i t = _mm256_shuffle_epi8(sw, place);
    return _mm_or_si128(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
}

static inline void iq2_xs_group(const lq__blk_iq2_xs *b, int ib, __m256i *u, __m256i *sg)
{
    const uint16_t *q = b->qs + 4 * ib;
    *u = iq2_points(lq__iq2xs_grid[q[0] & 511], lq__iq2xs_grid[q[1] & 511], lq__iq2xs_grid[q[2] & 511],
                    lq__iq2xs_grid[q[3] & 511]);
    *sg = iq2_code_signs(q[0] >> 9, q[1] >> 9, q[2] >> 9, q[3] >> 9);
}

static inline __m128i iq2_xs_scales(const lq__blk_iq2_xs *b)
{
    return iq2_nibble_scales(b->scales);
}

static inline void iq2_s_group(const lq__blk_iq2_s *b, int ib, __m256i *u, __m256i *sg)
{
    const uint8_t *q = b->qs + 4 * ib;
    const unsigned h = b->qh[ib];
    *u = iq2_points(lq__iq2s_grid[q[0] | (h << 8 & 0x300)], lq__iq2s_grid[q[1] | (h << 6 & 0x300)],
                    lq__iq2s_grid[q[2] | (h << 4 & 0x300)], lq__iq2s_grid[q[3] | (h << 2 & 0x300)]);
    uint32_t signs;
    memcpy(&signs, b->qs + 32 + 4 * ib, sizeof signs);
    *sg = iq2_sign_bytes(signs);
}

static inline __m128i iq2_s_scales(const lq__blk_iq2_s *b)
{
    return iq2_nibble_scales(b->scales);
}

/* ---- per type: the dot products' factors 2 s + 1 of group ib, as int16 -------- */

/* iq2_xs and iq2_s: the block's 16 factors, the first halves' in the low
 * lane (name_factors, once per block), then element ib of each lane picked
 * by a byte shuffle (iq2_nibble_factor). */
static inline __m256i iq2_nibble_factors(__m128i s)
{
    return _mm256_cvtepi8_epi16(_mm_add_epi8(_mm_add_epi8(s, s), _mm_set1_epi8(1)));
}

static inline __m256i iq2_nibble_factor(__m256i f, int ib)
{
    return _mm256_shuffle_epi8(f, _mm256_set1_epi16((short)((2 * ib + 1) << 8 | 2 * ib)));
}

/* iq2_xxs: one factor for the whole group, from the top 4 bits of its second
 * word, a scalar shift and a broadcast (cheaper than iq2_xxs_scales'
 * shuffles for the whole block plus a shuffle per group); nothing per block. */
static inline __m256i iq2_xxs_factors(const lq__blk_iq2_xxs *b)
{
    (void)b;
    return _mm256_setzero_si256();
}

static inline __m256i iq2_xxs_factor(const lq__blk_iq2_xxs *b, __m256i f, int ib)
{
    (void)f;
    uint32_t aux;
    memcpy(&aux, b->qs + 4 * ib + 2, sizeof aux);
    return _mm256_set1_epi16((short)(2 * (aux >> 28) + 1));
}

static inline __m256i iq2_xs_factors(const lq__blk_iq2_xs *b)
{
    return iq2_nibble_factors(iq2_xs_scales(b));
}

static inline __m256i iq2_xs_factor(const lq__blk_iq2_xs *b, __m256i f, int ib)
{
    (void)b;
    return iq2_nibble_factor(f, ib);
}

static inline __m256i iq2_s_factors(const lq__blk_iq2_s *b)
{
    return iq2_nibble_factors(iq2_s_scales(b));
}

static inline __m256i iq2_s_factor(const lq__blk_iq2_s *b, __m256i f, int ib)
{
    (void)b;
    return iq2_nibble_factor(f, ib);
}

/* ---- the bodies ----------------------------------------------------------------- */

#define IQ2_DEQUANT(name, blk)                                                                    \
    static void dequant_##name(const void *x, float *y, int64_t n)                                \
    {                                                                                             \
        const blk *b = x;                                                                         \
        for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {                                         \
            const float d = lq__x86_f16(b->d);                                                    \
            uint8_t sc[16];                                                                       \
            _mm_storeu_si128((__m128i *)sc, name##_scales(b));                                    \
            for (int ib = 0; ib < 8; ib++, y += 32) {                                             \
                __m256i u, sg;                                                                    \
                name##_group(b, ib, &u, &sg);                                                     \
                iq2_store32(u, sg, iq2_db(d, sc[ib]), iq2_db(d, sc[8 + ib]), y);                  \
            }                                                                                     \
        }                                                                                         \
    }

/* Per group of 32: the points times the activations under their signs,
 * summed in pairs (int16; at most 2 * 43 * 127 in magnitude), then times the
 * halves' factors 2 s + 1 (name_factor: int16, those of the group's first
 * half in the low lane). */
#define IQ2_DOT(name, blk)                                                                        \
    static float dot_##name(int64_t n, const void *vw, const void *va)                            \
    {                                                                                             \
        const blk *w = vw;                                                                        \
        const lq__blk_q8_k *a = va;                                                               \
        __m256 acc = _mm256_setzero_ps();                                                         \
        for (int64_t i = 0; i < n / LQ__QK_K; i++) {                                              \
            lq__prefetch(&w[i], sizeof *w);                                                       \
            const __m256i f = name##_factors(&w[i]);                                              \
            __m256i sumi[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};                   \
            LQ__UNROLL                                                                            \
            for (int ib = 0; ib < 8; ib++) {                                                      \
                __m256i u, sg;                                                                    \
                name##_group(&w[i], ib, &u, &sg);                                                 \
                const __m256i act = _mm256_loadu_si256((const __m256i *)(a[i].qs + 32 * ib));      \
                const __m256i p = _mm256_maddubs_epi16(u, _mm256_sign_epi8(act, sg));             \
                sumi[ib % 2] = _mm256_add_epi32(sumi[ib % 2], _mm256_madd_epi16(p, name##_factor(&w[i], f, ib))); \
            }                                                                                     \
            acc = _mm256_fmadd_ps(lq__x86_k_scale(&a[i], w[i].d),                                 \
                                  _mm256_cvtepi32_ps(_mm256_add_epi32(sumi[0], sumi[1])), acc);   \
        }                                                                                         \
        return 0.125f * lq__hsum256(acc);                                                         \
    }

IQ2_DEQUANT(iq2_xxs, lq__blk_iq2_xxs)
IQ2_DOT(iq2_xxs, lq__blk_iq2_xxs)
IQ2_DEQUANT(iq2_xs, lq__blk_iq2_xs)
IQ2_DOT(iq2_xs, lq__blk_iq2_xs)
IQ2_DEQUANT(iq2_s, lq__blk_iq2_s)
IQ2_DOT(iq2_s, lq__blk_iq2_s)

#undef IQ2_DOT
#undef IQ2_DEQUANT

#endif
