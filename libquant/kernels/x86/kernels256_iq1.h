/* kernels256_iq1.h — the 256-bit kernels of the 1-bit lattice types iq1_s
 * and iq1_m (q8_K activations). Part of kernels256.h, which includes it
 * before its fill function; layouts in formats/ggml_grids_iq3_iq1.h.
 *
 * 32 values at a time: their four grid points (eight values -1, 0, 1 each)
 * gathered with scalar 64-bit loads. The dot products move the grid's signs
 * onto the activations (sign_epi8: a times -1, 0 or 1) and add byte pairs
 * with maddubs against ones, then weight each 32 (iq1_s) or 16 (iq1_m) by
 * its odd scale in int32. iq1_s's shift (+-1/8 per 32) multiplies the
 * activations' sums, q8_K's bsums, in scalar integers beside; iq1_m's
 * (per 8, finer than the bsums) goes through the same maddubs as a vector
 * of +-1 per 8 values. The two types differ only in where the grid
 * indices' high bits, the shifts' signs and the scales sit. */
#ifndef LQ_KERNELS_X86_KERNELS256_IQ1_H
#define LQ_KERNELS_X86_KERNELS256_IQ1_H

#include "../../formats/ggml_grids_iq3_iq1.h"

/* The grid points of four groups: low index bytes q[0..3], high bits
 * hi[0..3] (the 3 bits above the byte, already shifted by 8). */
static inline __m256i iq1_points(const uint8_t *q, const unsigned hi[4])
{
    return _mm256_setr_epi64x((long long)lq__iq1s_grid[q[0] | hi[0]], (long long)lq__iq1s_grid[q[1] | hi[1]],
                              (long long)lq__iq1s_grid[q[2] | hi[2]], (long long)lq__iq1s_grid[q[3] | hi[3]]);
}

/* The grid points of values 32 ib .. 32 ib + 31 of an iq1_s block. */
static inline __m256i iq1_s_points(const lq__blk_iq1_s *b, int ib)
{
    const unsigned qh = b->qh[ib];
    const unsigned hi[4] = {qh << 8 & 0x700, qh << 5 & 0x700, qh << 2 & 0x700, qh >> 1 & 0x700};
    return iq1_points(b->qs + 4 * ib, hi);
}

/* ... and of an iq1_m block. */
static inline __m256i iq1_m_points(const lq__blk_iq1_m *b, int ib)
{
    const unsigned h0 = b->qh[2 * ib], h1 = b->qh[2 * ib + 1];
    const unsigned hi[4] = {h0 << 8 & 0x700, h0 << 4 & 0x700, h1 << 8 & 0x700, h1 << 4 & 0x700};
    return iq1_points(b->qs + 4 * ib, hi);
}

/* The shifts' signs of those 32 iq1_m values, +-1 per byte (bit 3 of each
 * nibble of the two qh bytes set: -1). */
static inline __m256i iq1_m_shifts(const lq__blk_iq1_m *b, int ib)
{
    const unsigned h = b->qh[2 * ib] | (unsigned)b->qh[2 * ib + 1] << 8;
    long long s[4];
    for (int l = 0; l < 4; l++)
        s[l] = h >> (4 * l + 3) & 1 ? -1LL : 0x0101010101010101LL;
    return _mm256_setr_epi64x(s[0], s[1], s[2], s[3]);
}

/* The odd scales of an iq1_m block's 16s: sc[j] for values 16 j.. */
static inline void iq1_m_scales(const lq__blk_iq1_m *b, int sc[16])
{
    uint16_t w[4];
    memcpy(w, b->scales, sizeof w);
    for (int j = 0; j < 16; j++)
        sc[j] = 2 * ((w[j / 4] >> 3 * (j % 4)) & 7) + 1;
}

/* 32 grid values plus the shift delta[l] of each 8, times dl[h] of each 16:
 * one rounding per value, as the reference ((float)v + delta is exact). */
static inline void iq1_store32(__m256i v, const float delta[4], const float dl[2], float *y)
{
    const __m128i half[2] = {_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)};
    for (int h = 0; h < 2; h++)
        for (int u = 0; u < 2; u++) {
            /* the second 8 bytes moved down (a byte shift wants a literal count) */
            const __m128i part = u ? _mm_unpackhi_epi64(half[h], half[h]) : half[h];
            const __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(part));
            _mm256_storeu_ps(y + 16 * h + 8 * u,
                             _mm256_mul_ps(_mm256_add_ps(f, _mm256_set1_ps(delta[2 * h + u])),
                                           _mm256_set1_ps(dl[h])));
        }
}

static void dequant_iq1_s(const void *x, float *y, int64_t n)
{
    const lq__blk_iq1_s *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const float d = lq__x86_f16(b->d);
        for (int ib = 0; ib < 8; ib++, y += 32) {
            const unsigned qh = b->qh[ib];
            const float delta = qh & 0x8000 ? -LQ__IQ1_DELTA : LQ__IQ1_DELTA;
            const float dl = d * (float)(2 * ((qh >> 12) & 7) + 1);
            iq1_store32(iq1_s_points(b, ib), (const float[4]){delta, delta, delta, delta},
                        (const float[2]){dl, dl}, y);
        }
    }
}

static void dequant_iq1_m(const void *x, float *y, int64_t n)
{
    const lq__blk_iq1_m *b = x;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {
        const float d = lq__x86_f16(lq__iq1m_d(b));
        int sc[16];
        iq1_m_scales(b, sc);
        for (int ib = 0; ib < 8; ib++, y += 32) {
            float delta[4];
            for (int l = 0; l < 4; l++)
                delta[l] = b->qh[2 * ib + l / 2] >> (4 * (l % 2) + 3) & 1 ? -LQ__IQ1_DELTA : LQ__IQ1_DELTA;
            iq1_store32(iq1_m_points(b, ib), delta,
                        (const float[2]){d * (float)sc[2 * ib], d * (float)sc[2 * ib + 1]}, y);
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

/* Per block: the int16 pair sums of grid times activation, times 8, plus
 * those of shift sign times activation (at most 8 * 254 + 254 in size),
 * weighted by the 16s' odd scales in int32: 8 (sumi1 + sumi2 / 8) of the
 * reference, so s = d a.d / 8 times it, the 1/8 exact. */
static float dot_iq1_m(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq1_m *w = vw;
    const lq__blk_q8_k *a = va;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        lq__prefetch(&w[i], sizeof *w);
        int sc[16];
        iq1_m_scales(&w[i], sc);
        __m256i sum = _mm256_setzero_si256();
        LQ__UNROLL
        for (int ib = 0; ib < 8; ib++) {
            const int8_t *q8 = a[i].qs + 32 * ib;
            const __m256i t = _mm256_add_epi16(_mm256_slli_epi16(iq1_dot16(iq1_m_points(&w[i], ib), q8), 3),
                                               iq1_dot16(iq1_m_shifts(&w[i], ib), q8));
            const __m256i scale = _mm256_setr_m128i(_mm_set1_epi16((short)sc[2 * ib]),
                                                    _mm_set1_epi16((short)sc[2 * ib + 1]));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(t, scale));
        }
        const float d = lq__x86_f16(lq__iq1m_d(&w[i])) * a[i].d * LQ__IQ1_DELTA;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);
    }
    return lq__hsum256(acc);
}

#endif
