/* dot.c — scalar reference dot products: a weight row against an activation
 * row. For the ggml types the activation is quantized (q8_0, q8_1, q8_K) and
 * each block's products are summed as integers, then scaled and added to a
 * float total in block order. SIMD levels compute the same integer block sums
 * and differ only in the order the scaled sums are added. */
#include "../../formats/ggml_blocks.h"
#include "../kernels.h"
#include "ref.h"

float lq__ref_dot_f32(int64_t n, const void *vw, const void *va)
{
    const float *w = vw, *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++)
        s += lq__ld_f32(w + i) * a[i];
    return s;
}

float lq__ref_dot_f16(int64_t n, const void *vw, const void *va)
{
    const uint8_t *w = vw;
    const float *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++)
        s += lq__ld_f16(w + 2 * i) * a[i];
    return s;
}

float lq__ref_dot_bf16(int64_t n, const void *vw, const void *va)
{
    const uint8_t *w = vw;
    const float *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++)
        s += lq__bf16_to_f32(lq__ld_u16(w + 2 * i)) * a[i];
    return s;
}

float lq__ref_dot_q4_0(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q4_0 *w = vw;
    const lq__blk_q8_0 *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK; i++) {
        int sum = 0;
        for (int j = 0; j < 16; j++)
            sum += ((w[i].qs[j] & 0xF) - 8) * a[i].qs[j] + ((w[i].qs[j] >> 4) - 8) * a[i].qs[j + 16];
        s += lq__f16_to_f32(w[i].d) * lq__f16_to_f32(a[i].d) * (float)sum;
    }
    return s;
}

float lq__ref_dot_q4_1(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q4_1 *w = vw;
    const lq__blk_q8_1 *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK; i++) {
        int sum = 0;
        for (int j = 0; j < 16; j++)
            sum += (w[i].qs[j] & 0xF) * a[i].qs[j] + (w[i].qs[j] >> 4) * a[i].qs[j + 16];
        s += lq__f16_to_f32(w[i].d) * lq__f16_to_f32(a[i].d) * (float)sum +
             lq__f16_to_f32(w[i].m) * lq__f16_to_f32(a[i].s);
    }
    return s;
}

/* The 32 five-bit codes of a q5_0 / q5_1 block, in element order. */
static void q5_codes(const uint8_t *qs, const uint8_t *qh4, int q[32])
{
    uint32_t qh = (uint32_t)qh4[0] | (uint32_t)qh4[1] << 8 | (uint32_t)qh4[2] << 16 |
                  (uint32_t)qh4[3] << 24;
    for (int j = 0; j < 16; j++) {
        q[j] = (qs[j] & 0xF) | (int)((qh >> j) & 1) << 4;
        q[j + 16] = (qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
    }
}

float lq__ref_dot_q5_0(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q5_0 *w = vw;
    const lq__blk_q8_0 *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK; i++) {
        int q[32], sum = 0;
        q5_codes(w[i].qs, w[i].qh, q);
        for (int j = 0; j < 32; j++)
            sum += (q[j] - 16) * a[i].qs[j];
        s += lq__f16_to_f32(w[i].d) * lq__f16_to_f32(a[i].d) * (float)sum;
    }
    return s;
}

float lq__ref_dot_q5_1(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q5_1 *w = vw;
    const lq__blk_q8_1 *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK; i++) {
        int q[32], sum = 0;
        q5_codes(w[i].qs, w[i].qh, q);
        for (int j = 0; j < 32; j++)
            sum += q[j] * a[i].qs[j];
        s += lq__f16_to_f32(w[i].d) * lq__f16_to_f32(a[i].d) * (float)sum +
             lq__f16_to_f32(w[i].m) * lq__f16_to_f32(a[i].s);
    }
    return s;
}

float lq__ref_dot_q8_0(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q8_0 *w = vw;
    const lq__blk_q8_0 *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK; i++) {
        int sum = 0;
        for (int j = 0; j < 32; j++)
            sum += w[i].qs[j] * a[i].qs[j];
        s += lq__f16_to_f32(w[i].d) * lq__f16_to_f32(a[i].d) * (float)sum;
    }
    return s;
}

float lq__ref_dot_iq4_nl(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq4_nl *w = vw;
    const lq__blk_q8_0 *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK; i++) {
        int sum = 0;
        for (int j = 0; j < 16; j++)
            sum += lq__iq4_levels[w[i].qs[j] & 0xF] * a[i].qs[j] +
                   lq__iq4_levels[w[i].qs[j] >> 4] * a[i].qs[j + 16];
        s += lq__f16_to_f32(w[i].d) * lq__f16_to_f32(a[i].d) * (float)sum;
    }
    return s;
}

/* MXFP4 and NVFP4 against q8_0: one NVFP4 block spans two q8_0 blocks, and
 * each sub-block of 16 gets its own scaled sum, as in ggml. */
float lq__ref_dot_mxfp4(int64_t n, const void *vw, const void *va)
{
    const lq__blk_mxfp4 *w = vw;
    const lq__blk_q8_0 *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK; i++) {
        int sum = 0;
        for (int j = 0; j < 16; j++)
            sum += lq__fp4_levels[w[i].qs[j] & 0xF] * a[i].qs[j] +
                   lq__fp4_levels[w[i].qs[j] >> 4] * a[i].qs[j + 16];
        s += lq__f16_to_f32(a[i].d) * lq__e8m0_half(w[i].e) * (float)sum;
    }
    return s;
}

float lq__ref_dot_nvfp4(int64_t n, const void *vw, const void *va)
{
    const lq__blk_nvfp4 *w = vw;
    const lq__blk_q8_0 *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / 64; i++) {
        for (int sb = 0; sb < 4; sb++) {
            const lq__blk_q8_0 *ab = &a[2 * i + sb / 2];
            const int8_t *aq = ab->qs + 16 * (sb % 2);
            const uint8_t *q = w[i].qs + 8 * sb;
            int sum = 0;
            for (int j = 0; j < 8; j++)
                sum += lq__fp4_levels[q[j] & 0xF] * aq[j] + lq__fp4_levels[q[j] >> 4] * aq[j + 8];
            s += lq__f16_to_f32(ab->d) * lq__ue4m3_half(w[i].d[sb]) * (float)sum;
        }
    }
    return s;
}

/* The ternary types against q8_K: the integer sum of trits times codes, then
 * s += (d * a.d) * sum. */
float lq__ref_dot_tq1_0(int64_t n, const void *vw, const void *va)
{
    const lq__blk_tq1_0 *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const int8_t *aq = a[i].qs;
        int sum = 0;
        for (int t = 0; t < 5; t++) {
            for (int m = 0; m < 32; m++)
                sum += lq__tq1_value(w[i].qs[m], t) * aq[32 * t + m];
            for (int m = 0; m < 16; m++)
                sum += lq__tq1_value(w[i].qs[32 + m], t) * aq[160 + 16 * t + m];
        }
        for (int t = 0; t < 4; t++)
            for (int m = 0; m < 4; m++)
                sum += lq__tq1_value(w[i].qh[m], t) * aq[240 + 4 * t + m];
        s += (float)sum * (lq__f16_to_f32(w[i].d) * a[i].d);
    }
    return s;
}

float lq__ref_dot_tq2_0(int64_t n, const void *vw, const void *va)
{
    const lq__blk_tq2_0 *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        int sum = 0;
        for (int e = 0; e < LQ__QK_K; e++) {
            const int h = e / 128, l = (e % 128) / 32, m = e % 32;
            sum += (((w[i].qs[32 * h + m] >> (2 * l)) & 3) - 1) * a[i].qs[e];
        }
        s += (float)sum * (lq__f16_to_f32(w[i].d) * a[i].d);
    }
    return s;
}

/* K types: per super-block, isum = sum over sub-blocks of scale * (codes . activations)
 * and, for the types with mins, msum = sum of min * (activation sums); then
 * s += a.d * (d * isum - dmin * msum). */
float lq__ref_dot_q2_k(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q2_k *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        int isum = 0, msum = 0;
        for (int e = 0; e < LQ__QK_K; e++) {
            int h = e / 128, j = (e % 128) / 32, l = e % 32;
            int q = (w[i].qs[32 * h + l] >> (2 * j)) & 3;
            isum += (w[i].scales[e / 16] & 0xF) * q * a[i].qs[e];
        }
        for (int j = 0; j < 16; j++)
            msum += (w[i].scales[j] >> 4) * a[i].bsums[j];
        s += a[i].d * (lq__f16_to_f32(w[i].d) * (float)isum - lq__f16_to_f32(w[i].dmin) * (float)msum);
    }
    return s;
}

float lq__ref_dot_q3_k(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q3_k *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        int8_t sc[16];
        int isum = 0;
        lq__k3_scales(w[i].scales, sc);
        for (int e = 0; e < LQ__QK_K; e++) {
            int h = e / 128, j = (e % 128) / 32, l = e % 32;
            int q = (w[i].qs[32 * h + l] >> (2 * j)) & 3;
            int high = (w[i].hmask[l] >> (e / 32)) & 1;
            isum += sc[e / 16] * (q - (high ? 0 : 4)) * a[i].qs[e];
        }
        s += a[i].d * (lq__f16_to_f32(w[i].d) * (float)isum);
    }
    return s;
}

float lq__ref_dot_q4_k(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q4_k *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        int isum = 0, msum = 0;
        for (int c = 0; c < 4; c++) {
            uint8_t sc0, m0, sc1, m1;
            lq__k4_scale_min(2 * c, w[i].scales, &sc0, &m0);
            lq__k4_scale_min(2 * c + 1, w[i].scales, &sc1, &m1);
            int s0 = 0, s1 = 0;
            for (int l = 0; l < 32; l++) {
                s0 += (w[i].qs[32 * c + l] & 0xF) * a[i].qs[64 * c + l];
                s1 += (w[i].qs[32 * c + l] >> 4) * a[i].qs[64 * c + 32 + l];
            }
            isum += sc0 * s0 + sc1 * s1;
            msum += m0 * (a[i].bsums[4 * c] + a[i].bsums[4 * c + 1]) +
                    m1 * (a[i].bsums[4 * c + 2] + a[i].bsums[4 * c + 3]);
        }
        s += a[i].d * (lq__f16_to_f32(w[i].d) * (float)isum - lq__f16_to_f32(w[i].dmin) * (float)msum);
    }
    return s;
}

float lq__ref_dot_q5_k(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q5_k *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        int isum = 0, msum = 0;
        for (int c = 0; c < 4; c++) {
            uint8_t sc0, m0, sc1, m1;
            lq__k4_scale_min(2 * c, w[i].scales, &sc0, &m0);
            lq__k4_scale_min(2 * c + 1, w[i].scales, &sc1, &m1);
            int s0 = 0, s1 = 0;
            for (int l = 0; l < 32; l++) {
                int lo = (w[i].qs[32 * c + l] & 0xF) | ((w[i].qh[l] >> (2 * c)) & 1) << 4;
                int hi = (w[i].qs[32 * c + l] >> 4) | ((w[i].qh[l] >> (2 * c + 1)) & 1) << 4;
                s0 += lo * a[i].qs[64 * c + l];
                s1 += hi * a[i].qs[64 * c + 32 + l];
            }
            isum += sc0 * s0 + sc1 * s1;
            msum += m0 * (a[i].bsums[4 * c] + a[i].bsums[4 * c + 1]) +
                    m1 * (a[i].bsums[4 * c + 2] + a[i].bsums[4 * c + 3]);
        }
        s += a[i].d * (lq__f16_to_f32(w[i].d) * (float)isum - lq__f16_to_f32(w[i].dmin) * (float)msum);
    }
    return s;
}

float lq__ref_dot_q6_k(int64_t n, const void *vw, const void *va)
{
    const lq__blk_q6_k *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        int isum = 0;
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = w[i].ql + 64 * h, *qh = w[i].qh + 32 * h;
            const int8_t *sc = w[i].scales + 8 * h, *q8 = a[i].qs + 128 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q0 = ((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32;
                int q1 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32;
                int q2 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
                int q3 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
                isum += sc[is] * q0 * q8[l] + sc[is + 2] * q1 * q8[l + 32] +
                        sc[is + 4] * q2 * q8[l + 64] + sc[is + 6] * q3 * q8[l + 96];
            }
        }
        s += a[i].d * (lq__f16_to_f32(w[i].d) * (float)isum);
    }
    return s;
}

float lq__ref_dot_iq4_xs(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq4_xs *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        int isum = 0;
        for (int j = 0; j < 8; j++) {
            const uint8_t *q = w[i].qs + 16 * j;
            const int8_t *q8 = a[i].qs + 32 * j;
            int sum = 0;
            for (int l = 0; l < 16; l++)
                sum += lq__iq4_levels[q[l] & 0xF] * q8[l] + lq__iq4_levels[q[l] >> 4] * q8[l + 16];
            isum += lq__iq4xs_scale(&w[i], j) * sum;
        }
        s += a[i].d * (lq__f16_to_f32(w[i].d) * (float)isum);
    }
    return s;
}

void lq__ref_gemm_i8(int64_t m, int64_t n, int64_t k, const int8_t *x, const float *sx,
                     const int8_t *w, const float *sw, float *y, int64_t ldy)
{
    for (int64_t i = 0; i < m; i++) {
        for (int64_t j = 0; j < n; j++) {
            int32_t sum = 0;
            for (int64_t t = 0; t < k; t++)
                sum += x[i * k + t] * w[j * k + t];
            y[i * ldy + j] = sx[i] * sw[j] * (float)sum;
        }
    }
}

void lq__ref_to_f16(const float *x, uint16_t *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = lq__f32_to_f16(x[i]);
}
