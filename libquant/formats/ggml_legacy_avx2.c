/* ggml_legacy_avx2.c — ggml's reference Q8_0 quantizer (quantize_row_q8_0_ref)
 * on AVX2, a block of 32 values in four vectors (compiled with -mavx2
 * -ffp-contract=off).
 *
 * The same operations as the scalar q8_block in ggml_legacy.c, lane for lane:
 * amax is a maximum, exact in any order; d = amax / 127 and id = 1 / d are
 * the same single divisions; each code is roundf(x * id), round half away
 * from zero. The vector rounding truncates and then corrects by the fraction,
 * which is exact for |v| < 2^23 (here |v| <= 127 and a bit: x * id is at most
 * amax * id, rounded once). Where d is subnormal, id may be huge or
 * infinite: the scalar code then stores the low byte of its int32 (of
 * INT32_MIN for infinity and NaN, as cvttss2si gives), so the vector code
 * keeps the low bytes too instead of packing with saturation. It was half of
 * a whole-model Q8_0 quantization as scalar code. */
#include <immintrin.h>

#include "ggml_blocks.h"
#include "ggml_search.h"

/* roundf on each lane, as int32 */
static inline __m256i round_away(__m256 v)
{
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 frac = _mm256_sub_ps(v, t);
    const __m256 up = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ),
                                    _mm256_set1_ps(1.0f));
    const __m256 down = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(-0.5f), _CMP_LE_OQ),
                                      _mm256_set1_ps(1.0f));
    return _mm256_cvttps_epi32(_mm256_sub_ps(_mm256_add_ps(t, up), down));
}

void lq__q8_0_blocks_avx2(const float *x, void *vy, int64_t nb)
{
    lq__blk_q8_0 *y = vy;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256i low = _mm256_set1_epi32(0xff);
    /* packs interleave the 128-bit halves; this puts the bytes back in order */
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int64_t i = 0; i < nb; i++, x += LQ__QK) {
        __m256 v[4];
        __m256 amax = _mm256_setzero_ps();
        for (int k = 0; k < 4; k++) {
            v[k] = _mm256_loadu_ps(x + 8 * k);
            amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[k]));
        }
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        const float d = _mm_cvtss_f32(m) / 127;
        const float id = d ? 1.0f / d : 0.0f;
        const __m256 vid = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; k++)
            q[k] = _mm256_and_si256(round_away(_mm256_mul_ps(v[k], vid)), low);
        /* 0..255 in every lane: the unsigned packs keep them as they are */
        const __m256i q16 = _mm256_packus_epi16(_mm256_packus_epi32(q[0], q[1]),
                                                _mm256_packus_epi32(q[2], q[3]));
        _mm256_storeu_si256((__m256i *)y[i].qs, _mm256_permutevar8x32_epi32(q16, order));
        y[i].d = lq__h(d);
    }
}
