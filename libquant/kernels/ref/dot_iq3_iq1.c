/* dot_iq3_iq1.c — scalar reference dot products of the lattice types
 * IQ3_XXS, IQ3_S, IQ1_S and IQ1_M against q8_K. IQ3: per 32 values the
 * integer sum of grid magnitude times sign times activation, times the odd
 * scale 2s + 1, summed over the block as integers; then s += d * a.d * sum,
 * and IQ3_XXS's extra factor 1/4 (its scales are d (0.5 + s) / 2) once at
 * the end, as ggml. */
#include <string.h>

#include "../../formats/ggml_grids_iq3_iq1.h"
#include "../kernels.h"
#include "ref.h"

/* sum of the four values of a grid point p times a[0..3], sign bit j of s
 * (from bit `shift`) negating value j. */
static int point_dot(uint32_t p, unsigned s, int shift, const int8_t *a)
{
    int sum = 0;
    for (int j = 0; j < 4; j++) {
        const int v = (int)((p >> (8 * j)) & 0xFF) * a[j];
        sum += (s >> (shift + j)) & 1 ? -v : v;
    }
    return sum;
}

float lq__ref_dot_iq3_xxs(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq3_xxs *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const int8_t *q8 = a[i].qs;
        int32_t bsum = 0;
        for (int ib = 0; ib < 8; ib++) {
            uint32_t aux;
            memcpy(&aux, w[i].qs + 64 + 4 * ib, 4);
            int32_t sum = 0;
            for (int g = 0; g < 8; g++, q8 += 4)
                sum += point_dot(lq__iq3xxs_grid[w[i].qs[8 * ib + g]],
                                 lq__iq_signs((aux >> (7 * (g / 2))) & 127), 4 * (g % 2), q8);
            bsum += sum * (int32_t)(2 * (aux >> 28) + 1);
        }
        s += lq__f16_to_f32(w[i].d) * a[i].d * (float)bsum;
    }
    return 0.25f * s;
}

float lq__ref_dot_iq3_s(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq3_s *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const int8_t *q8 = a[i].qs;
        int32_t bsum = 0;
        for (int ib = 0; ib < 8; ib++) {
            int32_t sum = 0;
            for (int g = 0; g < 8; g++, q8 += 4) {
                const int k = 8 * ib + g;
                const int index = w[i].qs[k] | ((w[i].qh[ib] >> g) & 1) << 8;
                sum += point_dot(lq__iq3s_grid[index], w[i].signs[k / 2], 4 * (g % 2), q8);
            }
            bsum += sum * (2 * ((w[i].scales[ib / 2] >> (4 * (ib % 2))) & 0xF) + 1);
        }
        s += lq__f16_to_f32(w[i].d) * a[i].d * (float)bsum;
    }
    return s;
}

/* IQ1_S: per 32 values the integer sum of grid value times activation, and
 * the shift's sign times the activations' sum (q8_K's bsums), both times
 * the odd scale; the shift, 1/8, applied to the second sum once per block,
 * as ggml. */
float lq__ref_dot_iq1_s(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq1_s *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const int8_t *q8 = a[i].qs;
        int32_t sumi = 0, sumi1 = 0;
        for (int ib = 0; ib < 8; ib++) {
            const unsigned qh = w[i].qh[ib];
            const int ls = 2 * ((qh >> 12) & 7) + 1, delta = qh & 0x8000 ? -1 : 1;
            int32_t lsum = 0;
            for (int l = 0; l < 4; l++, q8 += 8) {
                const uint64_t p = lq__iq1s_grid[w[i].qs[4 * ib + l] | ((qh >> 3 * l) & 7) << 8];
                for (int j = 0; j < 8; j++)
                    lsum += q8[j] * (int8_t)(p >> 8 * j);
            }
            sumi += ls * lsum;
            sumi1 += ls * delta * (a[i].bsums[2 * ib] + a[i].bsums[2 * ib + 1]);
        }
        s += lq__f16_to_f32(w[i].d) * a[i].d * ((float)sumi + LQ__IQ1_DELTA * (float)sumi1);
    }
    return s;
}

/* IQ1_M: the same per 8 values, the shift's sign per 8 and the odd scales
 * per 16 (sums of the first and second 16 of each 32 kept apart), as
 * ggml. */
float lq__ref_dot_iq1_m(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq1_m *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const int8_t *q8 = a[i].qs;
        uint16_t sc[4];
        memcpy(sc, w[i].scales, sizeof sc);
        int32_t sumi1 = 0, sumi2 = 0;
        for (int ib = 0; ib < 8; ib++) {
            int32_t sum1[2] = {0, 0}, sum2[2] = {0, 0};
            for (int l = 0; l < 4; l++, q8 += 8) {
                const unsigned qh = w[i].qh[2 * ib + l / 2] >> 4 * (l % 2);
                const uint64_t p = lq__iq1s_grid[w[i].qs[4 * ib + l] | (qh & 7) << 8];
                int32_t lsum1 = 0, lsum2 = 0;
                for (int j = 0; j < 8; j++) {
                    lsum1 += q8[j] * (int8_t)(p >> 8 * j);
                    lsum2 += q8[j];
                }
                sum1[l / 2] += lsum1;
                sum2[l / 2] += qh & 8 ? -lsum2 : lsum2;
            }
            const int ls1 = 2 * ((sc[ib / 2] >> (6 * (ib % 2))) & 7) + 1;
            const int ls2 = 2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 7) + 1;
            sumi1 += sum1[0] * ls1 + sum1[1] * ls2;
            sumi2 += sum2[0] * ls1 + sum2[1] * ls2;
        }
        s += lq__f16_to_f32(lq__iq1m_d(&w[i])) * a[i].d *
             ((float)sumi1 + LQ__IQ1_DELTA * (float)sumi2);
    }
    return s;
}
