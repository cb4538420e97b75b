/* kernels256_iq1.h — the 256-bit kernels of the 1-bit lattice type iq1_s
 * (q8_K activations). Part of kernels256.h, which includes it before its
 * fill function; layouts in formats/ggml_grids_iq3_iq1.h.
 *
 * 32 values at a time: their four grid points (eight values -1, 0, 1 each)
 * gathered with scalar 64-bit loads. The dot products move the grid's signs
 * onto the activations (sign_epi8: a times -1, 0 or 1) and add byte pairs
 * with maddubs against ones, then weight each 32 by its odd scale in int32;
 * the shift (+-1/8 per 32) multiplies the activations' sums, q8_K's bsums,
 * in scalar integers beside. */
#ifndef LQ_KERNELS_X86_KERNELS256_IQ1_H
#define LQ_KERNELS_X86_KERNELS256_IQ1_H

#include "../../formats/ggml_grids_iq3_iq1.h"

/* The grid points of values 32 ib .. 32 ib + 31 of an iq1_s block. */
static inline __m256i iq1_s_points(const lq__blk_iq1_s *b, int ib)
{
    const unsigned qh = b->qh[ib];
    const uint8_t *q = b->qs + 4 * ib;
    return _mm256_setr_epi64x((long long)lq__iq1s_grid[q[0] | (qh << 8 & 0x700)],
                              (long long)lq__iq1s_grid[q[1] | (qh << 5 & 0x700)],
                              (long long)lq__iq1s_grid[q[2] | (qh << 2 & 0x700)],
                              (long long)lq__iq1s_grid[q[3] | (qh >> 1 & 0x700)]);
}

/* 32 grid values plus `delta`, times dl: one rounding per value, as the
 * reference ((float)v + delta is exact). */
static inline void iq1_store32(__m256i v, float delta, float dl, float *y)
{
    const __m128i half[2] = {_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)};
    const __m256 dv = _mm256_set1_ps(delta), s = _mm256_set1_ps(dl);
    for (int h = 0; h < 2; h++)
        for (int u = 0; u < 2; u++) {
            const __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(half[h], 8 * u)));
            _mm256_storeu_ps(y + 16 * h + 8 * u, _mm256_mul_ps(_mm256_add_ps(f, dv), s));
        }
}

static void dequant_iq1_s(const void *x, float *y, int64_t n)
{
    const lq__blk_iq1_s *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const float d = lq__x86_f16(b->d);
        for (int ib = 0; ib < 8; ib++, y += 32) {
            const unsigned qh = b->qh[ib];
            iq1_store32(iq1_s_points(b, ib), qh & 0x8000 ? -LQ__IQ1_DELTA : LQ__IQ1_DELTA,
                        d * (float)(2 * ((qh >> 12) & 7) + 1), y);
        }
    }
}

/* Pairwise int16 sums of grid values g times activations a. */
static inline __m256i iq1_dot16(__m256i g, const int8_t *a)
{
    return _mm256_maddubs_epi16(_mm256_set1_epi8(1),
                                _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)a), g));
}

/* Per block: the int32 sums of grid times activation weighted by the odd
 * scales (two 32s per step into two chains), and the scalar sum of shift
 * signs times scales times activation sums; then s = d a.d (sum + sum1 / 8),
 * ggml's factoring. */
static float dot_iq1_s(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq1_s *w = vw;
    const lq__blk_q8_k *a = va;
    __m256 acc = _mm256_setzero_ps();
    float acc1 = 0;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        __m256i sum0 = _mm256_setzero_si256(), sum1 = _mm256_setzero_si256();
        int shifted = 0;
        LQ__UNROLL
        for (int ib = 0; ib < 8; ib += 2) {
            const unsigned h0 = w[i].qh[ib], h1 = w[i].qh[ib + 1];
            const int s0 = 2 * ((h0 >> 12) & 7) + 1, s1 = 2 * ((h1 >> 12) & 7) + 1;
            sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(iq1_dot16(iq1_s_points(&w[i], ib),
                                                                      a[i].qs + 32 * ib),
                                                            _mm256_set1_epi16((short)s0)));
            sum1 = _mm256_add_epi32(sum1, _mm256_madd_epi16(iq1_dot16(iq1_s_points(&w[i], ib + 1),
                                                                      a[i].qs + 32 * ib + 32),
                                                            _mm256_set1_epi16((short)s1)));
            shifted += (h0 & 0x8000 ? -s0 : s0) * (a[i].bsums[2 * ib] + a[i].bsums[2 * ib + 1]) +
                       (h1 & 0x8000 ? -s1 : s1) * (a[i].bsums[2 * ib + 2] + a[i].bsums[2 * ib + 3]);
        }
        const float d = lq__x86_f16(w[i].d) * a[i].d;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_add_epi32(sum0, sum1)),
                              acc);
        acc1 += d * (float)shifted;
    }
    return lq__hsum256(acc) + LQ__IQ1_DELTA * acc1;
}

#endif
