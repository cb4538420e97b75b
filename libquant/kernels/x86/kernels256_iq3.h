/* kernels256_iq3.h — the 256-bit kernels of the lattice types iq3_xxs and
 * iq3_s (q8_K activations). Part of kernels256.h, which includes it after
 * its block helpers (store32_scaled) and the iq2 kernels, whose sign helpers
 * it shares; layouts in formats/ggml_grids_iq3_iq1.h.
 *
 * 32 values at a time: their eight grid points are gathered with scalar
 * loads (one 32-bit word each: four magnitudes), the signs spread to +1 or
 * -1 per byte (iq3_xxs's 7-bit fields by table, iq2_code_signs, as iq2_xxs's;
 * iq3_s's whole bytes by shuffles, iq2_sign_bytes), applied with one
 * vpsignb. The dot products multiply the unsigned magnitudes (at most 62)
 * by the activations with the signs moved onto them, so pairs stay far
 * inside int16 (q8_K values are -127..127), then weight each 32 by its odd
 * scale 2s + 1 in int32. */
#ifndef LQ_KERNELS_X86_KERNELS256_IQ3_H
#define LQ_KERNELS_X86_KERNELS256_IQ3_H

#include "../../formats/ggml_grids_iq3_iq1.h"

/* The four magnitudes of each of eight grid points, in value order. */
static inline __m256i iq3_points(const uint32_t *grid, const int idx[8])
{
    return _mm256_setr_epi32((int)grid[idx[0]], (int)grid[idx[1]], (int)grid[idx[2]],
                             (int)grid[idx[3]], (int)grid[idx[4]], (int)grid[idx[5]],
                             (int)grid[idx[6]], (int)grid[idx[7]]);
}

/* Magnitudes of values 32 ib .. 32 ib + 31, their signs (+1 or -1 per
 * byte) and odd scale. */
static inline __m256i iq3_xxs_group(const lq__blk_iq3_xxs *b, int ib, __m256i *sign, int *scale)
{
    uint32_t aux;
    memcpy(&aux, b->qs + 64 + 4 * ib, 4);
    *sign = iq2_code_signs(aux, aux >> 7, aux >> 14, aux >> 21);
    *scale = (int)(2 * (aux >> 28) + 1);
    const uint8_t *q = b->qs + 8 * ib;
    return _mm256_setr_epi32((int)lq__iq3xxs_grid[q[0]], (int)lq__iq3xxs_grid[q[1]],
                             (int)lq__iq3xxs_grid[q[2]], (int)lq__iq3xxs_grid[q[3]],
                             (int)lq__iq3xxs_grid[q[4]], (int)lq__iq3xxs_grid[q[5]],
                             (int)lq__iq3xxs_grid[q[6]], (int)lq__iq3xxs_grid[q[7]]);
}

static inline __m256i iq3_s_group(const lq__blk_iq3_s *b, int ib, __m256i *sign, int *scale)
{
    uint32_t s;
    memcpy(&s, b->signs + 4 * ib, 4);
    *sign = iq2_sign_bytes(s);
    *scale = 2 * ((b->scales[ib / 2] >> (4 * (ib % 2))) & 0xF) + 1;
    /* index g: qs[8 ib + g], plus bit g of qh[ib] moved to bit 8 */
    const __m256i lo = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b->qs + 8 * ib)));
    const __m256i hi = _mm256_and_si256(
        _mm256_sllv_epi32(_mm256_set1_epi32(b->qh[ib]), _mm256_setr_epi32(8, 7, 6, 5, 4, 3, 2, 1)),
        _mm256_set1_epi32(256));
    int idx[8];
    _mm256_storeu_si256((__m256i *)idx, _mm256_or_si256(lo, hi));
    return iq3_points(lq__iq3s_grid, idx);
}

/* Decoders: the magnitudes with their signs, times d (0.5 + s) / 2 or
 * d (1 + 2s), one rounding per value as in the reference. */
static void dequant_iq3_xxs(const void *x, float *y, int64_t n)
{
    const lq__blk_iq3_xxs *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const float d = lq__x86_f16(b->d);
        for (int ib = 0; ib < 8; ib++, y += 32) {
            __m256i m;
            int scale;
            const __m256i q = iq3_xxs_group(b, ib, &m, &scale);
            const float db = d * (0.5f + (float)((scale - 1) / 2)) * 0.5f;
            store32_scaled(_mm256_sign_epi8(q, m), _mm256_set1_ps(db), y);
        }
    }
}

static void dequant_iq3_s(const void *x, float *y, int64_t n)
{
    const lq__blk_iq3_s *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const float d = lq__x86_f16(b->d);
        for (int ib = 0; ib < 8; ib++, y += 32) {
            __m256i m;
            int scale;
            const __m256i q = iq3_s_group(b, ib, &m, &scale);
            store32_scaled(_mm256_sign_epi8(q, m), _mm256_set1_ps(d * (float)scale), y);
        }
    }
}

/* The int32 sums of 32 magnitudes q times activations a under signs sg,
 * times the scale. */
static inline __m256i iq3_sum32(__m256i q, __m256i sg, int scale, const int8_t *a)
{
    const __m256i av = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)a), sg);
    return _mm256_madd_epi16(_mm256_maddubs_epi16(q, av), _mm256_set1_epi16((short)scale));
}

/* Two 32s per step into two sums, for independent chains. */
#define IQ3_DOT(name, btype, group, final)                                            \
    static float name(int64_t n, const void *vw, const void *va)                    \
    {                                                                                \
        const btype *w = vw;                                                         \
        const lq__blk_q8_k *a = va;                                                  \
        __m256 acc = _mm256_setzero_ps();                                            \
        for (int64_t i = 0; i < n / LQ__QK_K; i++) {                                 \
            lq__prefetch(&w[i], sizeof *w);                                          \
            __m256i sum0 = _mm256_setzero_si256(), sum1 = _mm256_setzero_si256();    \
            LQ__UNROLL                                                               \
            for (int ib = 0; ib < 8; ib += 2) {                                      \
                __m256i m0, m1;                                                      \
                int s0, s1;                                                          \
                const __m256i q0 = group(&w[i], ib, &m0, &s0);                       \
                const __m256i q1 = group(&w[i], ib + 1, &m1, &s1);                   \
                sum0 = _mm256_add_epi32(sum0, iq3_sum32(q0, m0, s0, a[i].qs + 32 * ib)); \
                sum1 = _mm256_add_epi32(sum1, iq3_sum32(q1, m1, s1, a[i].qs + 32 * ib + 32)); \
            }                                                                        \
            acc = _mm256_fmadd_ps(_mm256_set1_ps(lq__x86_f16(w[i].d) * a[i].d),      \
                                  _mm256_cvtepi32_ps(_mm256_add_epi32(sum0, sum1)), acc); \
        }                                                                            \
        return (final) * lq__hsum256(acc);                                           \
    }

IQ3_DOT(dot_iq3_xxs, lq__blk_iq3_xxs, iq3_xxs_group, 0.25f)
IQ3_DOT(dot_iq3_s, lq__blk_iq3_s, iq3_s_group, 1.0f)

#undef IQ3_DOT

#endif
