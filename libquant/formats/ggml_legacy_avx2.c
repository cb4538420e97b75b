/* ggml_legacy_avx2.c — ggml's reference Q8_0 quantizer (quantize_row_q8_0_ref)
 * on AVX2: a block of 32 values in four vectors, and the scales of eight
 * blocks at once (compiled with -mavx2 -ffp-contract=off).
 *
 * The same operations as the scalar q8_block in ggml_legacy.c, lane for lane:
 * amax is a maximum, exact in any order; d = amax / 127 and id = 1 / d are
 * the same single divisions, eight in one instruction; each code is
 * roundf(x * id), round half away from zero. The vector rounding takes
 * t = trunc(v) and adds trunc(2 * (v - t)), which is +-1 exactly when the
 * fraction is at least one half: v - t and its double are exact for any
 * float. Where d is subnormal, id may be huge or infinite: the scalar code
 * then stores the low byte of its int32 (INT32_MIN for infinity and NaN, as
 * cvttss2si gives), and so does this (NaN and out-of-range lanes convert to
 * INT32_MIN here too), instead of packing with saturation. The scalar code
 * was half of a whole-model Q8_0 quantization. */
#include <immintrin.h>

#include "ggml_blocks.h"
#include "ggml_search.h"

/* roundf on each lane, as int32 (INT32_MIN where it does not fit) */
static inline __m256i round_away(__m256 v)
{
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 f = _mm256_sub_ps(v, t);
    const __m256 half = _mm256_round_ps(_mm256_add_ps(f, f), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    return _mm256_cvttps_epi32(_mm256_add_ps(t, half));
}

/* The largest |x| of a block of 32, broadcast to every lane */
static inline __m256 block_amax(const float *x)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 m = _mm256_max_ps(
        _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x)),
                      _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8))),
        _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + 16)),
                      _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 24))));
    __m256 s = _mm256_max_ps(m, _mm256_permute2f128_ps(m, m, 1));
    s = _mm256_max_ps(s, _mm256_shuffle_ps(s, s, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm256_max_ps(s, _mm256_shuffle_ps(s, s, _MM_SHUFFLE(2, 3, 0, 1)));
}

/* Codes of one block with inverse scale id (all lanes) */
static inline void block_codes(const float *x, __m256 id, int8_t qs[32])
{
    const __m256i low = _mm256_set1_epi32(0xff);
    /* packs interleave the 128-bit halves; this puts the bytes back in order */
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256i q0 = _mm256_and_si256(round_away(_mm256_mul_ps(_mm256_loadu_ps(x), id)), low);
    __m256i q1 = _mm256_and_si256(round_away(_mm256_mul_ps(_mm256_loadu_ps(x + 8), id)), low);
    __m256i q2 = _mm256_and_si256(round_away(_mm256_mul_ps(_mm256_loadu_ps(x + 16), id)), low);
    __m256i q3 = _mm256_and_si256(round_away(_mm256_mul_ps(_mm256_loadu_ps(x + 24), id)), low);
    /* 0..255 in every lane: the unsigned packs keep them as they are */
    const __m256i q = _mm256_packus_epi16(_mm256_packus_epi32(q0, q1), _mm256_packus_epi32(q2, q3));
    _mm256_storeu_si256((__m256i *)qs, _mm256_permutevar8x32_epi32(q, order));
}

void lq__q8_0_blocks_avx2(const float *x, void *vy, int64_t nb)
{
    lq__blk_q8_0 *y = vy;
    for (int64_t i0 = 0; i0 < nb; i0 += 8) {
        const int n = nb - i0 < 8 ? (int)(nb - i0) : 8;
        const float *xb = x + i0 * LQ__QK;
        float am[8] = {0}, d[8], id[8];
        for (int b = 0; b < n; b++)
            am[b] = _mm256_cvtss_f32(block_amax(xb + b * LQ__QK));
        const __m256 vd = _mm256_div_ps(_mm256_loadu_ps(am), _mm256_set1_ps(127));
        const __m256 zero = _mm256_cmp_ps(vd, _mm256_setzero_ps(), _CMP_EQ_OQ);
        const __m256 vid = _mm256_andnot_ps(zero, _mm256_div_ps(_mm256_set1_ps(1), vd));
        _mm256_storeu_ps(d, vd);
        _mm256_storeu_ps(id, vid);
        for (int b = 0; b < n; b++) {
            block_codes(xb + b * LQ__QK, _mm256_set1_ps(id[b]), y[i0 + b].qs);
            y[i0 + b].d = lq__h(d[b]);
        }
    }
}
