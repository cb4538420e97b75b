/* ggml_search_avx512.c — ggml's sub-block searches with one group per
 * AVX-512 lane (ggml_search_lanes.h at 16 lanes: make_qkx2/3_quants,
 * make_qx_quants, make_q3_quants; compiled with -mavx512f -mavx512bw
 * -mavx512vl -ffp-contract=off). Each lane runs exactly the scalar
 * reference's arithmetic (ggml_search.c), as the AVX2 code's eight do; twice
 * the lanes halve the instructions per group. */
#include <immintrin.h>
#include <math.h>

#include "ggml_search.h"
#include "ggml_search_x86.h"

#define V __m512
#define VI __m512i
#define M __mmask16
#define W 16
#define LANES(f) lq__##f##_lanes_avx512

static INLINE V splat(float f) { return _mm512_set1_ps(f); }
static INLINE V setzero(void) { return _mm512_setzero_ps(); }
static INLINE void store(float *p, V v) { _mm512_storeu_ps(p, v); }
static INLINE V vblend(V a, V b, M mask) { return _mm512_mask_blend_ps(mask, a, b); }
static INLINE M gt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static INLINE M lt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static INLINE M ge(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
static INLINE M eq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
static INLINE M neq_o(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_NEQ_OQ); }
static INLINE M neq_u(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_NEQ_UQ); }
static INLINE M mand(M a, M b) { return (M)(a & b); }
static INLINE M mor(M a, M b) { return (M)(a | b); }
static INLINE M mandnot(M a, M b) { return (M)(~a & b); }
static INLINE M mtrue(void) { return (M)0xffff; }
static INLINE M mfalse(void) { return 0; }
static INLINE int any(M m) { return m != 0; }
static INLINE int all(M m) { return m == 0xffff; }
static INLINE V vabs(V v) { return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(0x7fffffff))); }
static INLINE V vneg(V v) { return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(v), _mm512_set1_epi32(INT32_MIN))); }
static INLINE V vmin(V a, V b) { return _mm512_min_ps(a, b); }
static INLINE V vmax(V a, V b) { return _mm512_max_ps(a, b); }
static INLINE V add(V a, V b) { return _mm512_add_ps(a, b); }
static INLINE V sub(V a, V b) { return _mm512_sub_ps(a, b); }
static INLINE V mul(V a, V b) { return _mm512_mul_ps(a, b); }
static INLINE V dvd(V a, V b) { return _mm512_div_ps(a, b); }
static INLINE V vsqrt(V a) { return _mm512_sqrt_ps(a); }
static INLINE V vround(V f) { return _mm512_roundscale_ps(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }

/* lq__nearest_int on each lane, clamped to [lo, hi], as floats */
static INLINE V nearest(V f, int lo, int hi)
{
    VI i = _mm512_castps_si512(add(f, splat(12582912.f)));
    i = _mm512_sub_epi32(_mm512_and_si512(i, _mm512_set1_epi32(0x007fffff)),
                         _mm512_set1_epi32(0x00400000));
    i = _mm512_min_epi32(_mm512_max_epi32(i, _mm512_set1_epi32(lo)), _mm512_set1_epi32(hi));
    return _mm512_cvtepi32_ps(i);
}

/* xt[i][v] = the i-th value of groups 16v .. 16v+15 (group g at src + g*n):
 * two 8 x 8 transposes, groups 16v.. in the low halves, 16v+8.. high. */
static void transpose_in(int n, int nv, const float *src, V xt[][NVMAX])
{
    for (int v = 0; v < nv; v++) {
        for (int i0 = 0; i0 < n; i0 += 8) {
            __m256 lo[8], hi[8];
            for (int g = 0; g < 8; g++) {
                lo[g] = _mm256_loadu_ps(src + (16 * v + g) * n + i0);
                hi[g] = _mm256_loadu_ps(src + (16 * v + 8 + g) * n + i0);
            }
            lq__transpose8(lo);
            lq__transpose8(hi);
            for (int k = 0; k < 8; k++)
                xt[i0 + k][v] = _mm512_castpd_ps(_mm512_insertf64x4(
                    _mm512_castps_pd(_mm512_castps256_ps512(lo[k])), _mm256_castps_pd(hi[k]), 1));
        }
    }
}

/* The 16 x 16 bytes r[0..15] transposed: four rounds of interleaving rows
 * 2k and 2k+1 into k and k+8, at 1, 2, 4, 8 bytes, leave column j in row
 * rev4(j), its index's four bits reversed (see transpose_out). */
static INLINE void transpose16_epi8(__m128i r[16])
{
    __m128i t[16];
    for (int k = 0; k < 8; k++) {
        t[k] = _mm_unpacklo_epi8(r[2 * k], r[2 * k + 1]);
        t[k + 8] = _mm_unpackhi_epi8(r[2 * k], r[2 * k + 1]);
    }
    for (int k = 0; k < 8; k++) {
        r[k] = _mm_unpacklo_epi16(t[2 * k], t[2 * k + 1]);
        r[k + 8] = _mm_unpackhi_epi16(t[2 * k], t[2 * k + 1]);
    }
    for (int k = 0; k < 8; k++) {
        t[k] = _mm_unpacklo_epi32(r[2 * k], r[2 * k + 1]);
        t[k + 8] = _mm_unpackhi_epi32(r[2 * k], r[2 * k + 1]);
    }
    for (int k = 0; k < 8; k++) {
        r[k] = _mm_unpacklo_epi64(t[2 * k], t[2 * k + 1]);
        r[k + 8] = _mm_unpackhi_epi64(t[2 * k], t[2 * k + 1]);
    }
}

/* out[g*n + i] = lane g of Lt[i] (small integers held as floats) + offset,
 * or 0 for the lanes set in zero[]: each code vector narrowed to 16 bytes,
 * then 16 x 16 byte blocks transposed. */
static void transpose_out(int n, int nv, V Lt[][NVMAX], int offset, const M *zero, uint8_t *out)
{
    static const uint8_t rev4[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
    const VI off = _mm512_set1_epi32(offset);
    for (int v = 0; v < nv; v++) {
        for (int i0 = 0; i0 < n; i0 += 16) {
            __m128i r[16];
            for (int k = 0; k < 16; k++)
                r[k] = _mm512_cvtepi32_epi8(
                    _mm512_maskz_add_epi32((M)~zero[v], _mm512_cvtps_epi32(Lt[i0 + k][v]), off));
            transpose16_epi8(r); /* r[rev4(g)] = codes i0 .. i0+15 of group 16v+g */
            for (int k = 0; k < 16; k++)
                _mm_storeu_si128((__m128i *)(out + (16 * v + rev4[k]) * n + i0), r[k]);
        }
    }
}

#include "ggml_search_lanes.h"
