/* avx512.c — the AVX-512 level (F, BW, VL), on top of the AVX2 kernels: 512-bit
 * float dot products and conversions, the W8A8 product with 64 bytes per
 * step, and the int2 and code-table rows (kernels512_codes.h). Compiled with
 * -mavx512f -mavx512bw -mavx512vl (and the AVX2 flags). */
#include <immintrin.h>

#include "../../formats/ggml_blocks.h"
#include "../kernels.h"
#include "kernels512_codes.h"
#include "kernels512.h"
#include "x86.h"

static inline float hsum512(__m512 v)
{
    return _mm512_reduce_add_ps(v);
}

static float dot_f32(int64_t n, const void *vw, const void *va)
{
    const float *w = vw, *a = va;
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        lq__prefetch(w + i, 256);
        for (int u = 0; u < 4; u++)
            acc[u] = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16 * u), _mm512_loadu_ps(a + i + 16 * u), acc[u]);
    }
    for (; i + 16 <= n; i += 16)
        acc[0] = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(a + i), acc[0]);
    if (i < n) { /* the tail under a mask */
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        acc[1] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w + i), _mm512_maskz_loadu_ps(m, a + i), acc[1]);
    }
    return hsum512(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

static void to_f16(const float *x, uint16_t *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(y + i),
                            _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++)
        y[i] = lq__f32_to_f16(x[i]);
}

static inline __m512 load16_f16(const uint8_t *p)
{
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}

static inline __m512 load16_bf16(const uint8_t *p)
{
    __m512i h = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(h, 16));
}

#define HALF_KERNELS(t, load, scalar)                                                       \
    static void dequant_##t(const void *x, float *y, int64_t n)                             \
    {                                                                                       \
        const uint8_t *w = x;                                                               \
        int64_t i = 0;                                                                      \
        for (; i + 16 <= n; i += 16)                                                        \
            _mm512_storeu_ps(y + i, load(w + 2 * i));                                       \
        for (; i < n; i++)                                                                  \
            y[i] = scalar;                                                                  \
    }                                                                                       \
    static float dot_##t(int64_t n, const void *vw, const void *va)                         \
    {                                                                                       \
        const uint8_t *w = vw;                                                              \
        const float *a = va;                                                                \
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();                      \
        int64_t i = 0;                                                                      \
        for (; i + 32 <= n; i += 32) {                                                      \
            lq__prefetch(w + 2 * i, 64);                                                    \
            acc0 = _mm512_fmadd_ps(load(w + 2 * i), _mm512_loadu_ps(a + i), acc0);          \
            acc1 = _mm512_fmadd_ps(load(w + 2 * i + 32), _mm512_loadu_ps(a + i + 16), acc1); \
        }                                                                                   \
        float s = hsum512(_mm512_add_ps(acc0, acc1));                                       \
        for (; i < n; i++)                                                                  \
            s += scalar * a[i];                                                             \
        return s;                                                                           \
    }
HALF_KERNELS(f16, load16_f16, lq__x86_ld_f16(w + 2 * i))
HALF_KERNELS(bf16, load16_bf16, lq__bf16_to_f32(lq__ld_u16(w + 2 * i)))

/* W8A8 without VNNI: 4 weight rows x 2 activation rows, 64 products per step
 * through maddubs with the sign trick (|w| <= 128, |x| <= 127). */
static void gemm_i8(int64_t m, int64_t n, int64_t k, const int8_t *x, const float *sx,
                    const int8_t *w, const float *sw, float *y, int64_t ldy)
{
    int64_t k64 = k / 64 * 64;
    const __m512i ones = _mm512_set1_epi16(1);
    for (int64_t j0 = 0; j0 < n; j0 += 4) {
        int nj = n - j0 < 4 ? (int)(n - j0) : 4;
        for (int64_t i0 = 0; i0 < m; i0 += 2) {
            int ni = m - i0 < 2 ? (int)(m - i0) : 2;
            __m512i acc[2][4];
            LQ__UNROLL
            for (int i = 0; i < 2; i++)
                LQ__UNROLL
                for (int j = 0; j < 4; j++)
                    acc[i][j] = _mm512_setzero_si512();
            for (int64_t t = 0; t < k64; t += 64) {
                __m512i xv[2];
                LQ__UNROLL
                for (int i = 0; i < 2; i++)
                    xv[i] = _mm512_loadu_si512(x + (i0 + (i < ni ? i : 0)) * k + t);
                LQ__UNROLL
                for (int j = 0; j < 4; j++) {
                    __m512i wv = _mm512_loadu_si512(w + (j0 + (j < nj ? j : 0)) * k + t);
                    __m512i aw = _mm512_abs_epi8(wv);
                    __mmask64 neg = _mm512_movepi8_mask(wv);
                    LQ__UNROLL
                    for (int i = 0; i < 2; i++) {
                        /* x with w's sign: negate where w < 0 (w = 0 gives |w| = 0 anyway) */
                        __m512i sx8 = _mm512_mask_sub_epi8(xv[i], neg, _mm512_setzero_si512(), xv[i]);
                        __m512i p = _mm512_maddubs_epi16(aw, sx8);
                        acc[i][j] = _mm512_add_epi32(acc[i][j], _mm512_madd_epi16(p, ones));
                    }
                }
            }
            int32_t sums[2][4]; /* out of the vectors first: acc stays in registers */
            LQ__UNROLL
            for (int i = 0; i < 2; i++)
                LQ__UNROLL
                for (int j = 0; j < 4; j++)
                    sums[i][j] = _mm512_reduce_add_epi32(acc[i][j]);
            lq__gemm_i8_tile_end(sums, ni, nj, i0, j0, k, k64, x, sx, w, sw, y, ldy);
        }
    }
}

void lq__kernels_fill_avx512(lq__kernels *k)
{
    k->t[LQ_TYPE_F32].vec_dot = dot_f32;
    k->t[LQ_TYPE_F16].dequant = dequant_f16;
    k->t[LQ_TYPE_F16].vec_dot = dot_f16;
    k->t[LQ_TYPE_BF16].dequant = dequant_bf16;
    k->t[LQ_TYPE_BF16].vec_dot = dot_bf16;
    k->dot_f32 = dot_f32;
    k->to_f16 = to_f16;
    k->gemm_i8 = gemm_i8;
    fill_512_int2(k);
    fill_512_codes(k);
    fill_512_blocks(k);
    /* the tile kernels are avx2.c's here: from 64 rows of X on, decoding and
     * OpenBLAS's AVX-512 sgemm are faster (measured with `lq bench` on the
     * AVX2 level under OPENBLAS_CORETYPE=SkylakeX: q4_0 94 vs 95 GFLOP/s at
     * 64 rows, 106 vs 138 at 512); avx512_vnni.c resets this */
    k->tile_f32_rows = 64;
}
