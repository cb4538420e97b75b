/* ggml_search_avx2.c — ggml's sub-block searches with one group per AVX2
 * lane (ggml_search_lanes.h at 8 lanes: make_qkx2/3_quants, make_qx_quants,
 * make_q3_quants), the IQ4 scale search, and the re-pick of quants against
 * rounded scales (compiled with -mavx2 -mfma -ffp-contract=off). Each lane
 * runs exactly the scalar reference's arithmetic (ggml_search.c). */
#include <immintrin.h>
#include <math.h>

#include "ggml_search.h"
#include "ggml_search_x86.h"

#define V __m256
#define VI __m256i
#define M __m256 /* a lane mask: all bits set or clear, as comparisons give */
#define W 8
#define LANES(f) lq__##f##_lanes_avx2

static INLINE V splat(float f) { return _mm256_set1_ps(f); }
static INLINE V setzero(void) { return _mm256_setzero_ps(); }
static INLINE void store(float *p, V v) { _mm256_storeu_ps(p, v); }
static INLINE V vblend(V a, V b, M mask) { return _mm256_blendv_ps(a, b, mask); }
static INLINE M gt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static INLINE M lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static INLINE M ge(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
static INLINE M eq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
static INLINE M neq_o(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_NEQ_OQ); }
static INLINE M neq_u(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_NEQ_UQ); }
static INLINE M mand(M a, M b) { return _mm256_and_ps(a, b); }
static INLINE M mor(M a, M b) { return _mm256_or_ps(a, b); }
static INLINE M mandnot(M a, M b) { return _mm256_andnot_ps(a, b); }
static INLINE M mtrue(void) { return _mm256_castsi256_ps(_mm256_set1_epi32(-1)); }
static INLINE M mfalse(void) { return _mm256_setzero_ps(); }
static INLINE int any(M m) { return !_mm256_testz_ps(m, m); }
static INLINE int all(M m) { return _mm256_movemask_ps(m) == 0xff; }
static INLINE V vabs(V v) { return _mm256_andnot_ps(splat(-0.0f), v); }
static INLINE V vneg(V v) { return _mm256_xor_ps(v, splat(-0.0f)); }
static INLINE V vmin(V a, V b) { return _mm256_min_ps(a, b); }
static INLINE V vmax(V a, V b) { return _mm256_max_ps(a, b); }
static INLINE V add(V a, V b) { return _mm256_add_ps(a, b); }
static INLINE V sub(V a, V b) { return _mm256_sub_ps(a, b); }
static INLINE V mul(V a, V b) { return _mm256_mul_ps(a, b); }
static INLINE V dvd(V a, V b) { return _mm256_div_ps(a, b); }
static INLINE V vsqrt(V a) { return _mm256_sqrt_ps(a); }
static INLINE V vround(V f) { return _mm256_round_ps(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }

/* lq__nearest_int on each lane, clamped to [lo, hi] */
static INLINE VI nearest_i(V f, int lo, int hi)
{
    VI i = _mm256_castps_si256(add(f, splat(12582912.f)));
    i = _mm256_sub_epi32(_mm256_and_si256(i, _mm256_set1_epi32(0x007fffff)),
                         _mm256_set1_epi32(0x00400000));
    return _mm256_min_epi32(_mm256_max_epi32(i, _mm256_set1_epi32(lo)), _mm256_set1_epi32(hi));
}

static INLINE V nearest(V f, int lo, int hi) { return _mm256_cvtepi32_ps(nearest_i(f, lo, hi)); }

/* xt[i][v] = the i-th value of groups 8v .. 8v+7 (group g at src + g*n). */
static void transpose_in(int n, int nv, const float *src, V xt[][NVMAX])
{
    for (int v = 0; v < nv; v++) {
        for (int i0 = 0; i0 < n; i0 += 8) {
            V r[8];
            for (int g = 0; g < 8; g++)
                r[g] = _mm256_loadu_ps(src + (8 * v + g) * n + i0);
            lq__transpose8(r);
            for (int k = 0; k < 8; k++)
                xt[i0 + k][v] = r[k];
        }
    }
}

/* out[g*n + i] = lane g of Lt[i] (small integers held as floats) + offset,
 * or 0 for the lanes set in zero[]. */
static void transpose_out(int n, int nv, V Lt[][NVMAX], int offset, const M *zero, uint8_t *out)
{
    const VI off = _mm256_set1_epi32(offset);
    for (int v = 0; v < nv; v++) {
        const VI keep = _mm256_xor_si256(_mm256_castps_si256(zero[v]), _mm256_set1_epi32(-1));
        for (int i0 = 0; i0 < n; i0 += 8) {
            V r[8];
            for (int k = 0; k < 8; k++) {
                VI q = _mm256_add_epi32(_mm256_cvtps_epi32(Lt[i0 + k][v]), off);
                r[k] = _mm256_castsi256_ps(_mm256_and_si256(q, keep));
            }
            lq__transpose8(r); /* r[g] = codes i0 .. i0+7 of group 8v+g */
            for (int g = 0; g < 8; g++) {
                VI q = _mm256_castps_si256(r[g]);
                __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
                _mm_storel_epi64((__m128i *)(out + (8 * v + g) * n + i0), _mm_packus_epi16(w16, w16));
            }
        }
    }
}

#include "ggml_search_lanes.h"

void lq__requantize_avx2(int nsub, int sub, const float *x, const float *m, const float *d,
                         int lo, int hi, int offset, uint8_t *L)
{
    const VI off = _mm256_set1_epi32(offset);
    for (int j = 0; j < nsub; j++) {
        if (!d[j])
            continue;
        const V vm = splat(m ? m[j] : 0.f), vd = splat(d[j]);
        for (int i = j * sub; i < (j + 1) * sub; i += 8) {
            VI q = _mm256_add_epi32(nearest_i(dvd(add(_mm256_loadu_ps(x + i), vm), vd), lo, hi), off);
            __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
            _mm_storel_epi64((__m128i *)(L + i), _mm_packus_epi16(w16, w16));
        }
    }
}

/* ---- IQ4_NL levels ---- */

/* The levels and the midpoints between them (mid[k] between levels k-1 and
 * k; mid[0] unused) as float vectors of 8. */
typedef struct {
    V level[2], mid[2], mid8;
} iq4_tables;

static void iq4_tables_init(iq4_tables *t)
{
    float level[16], mid[16];
    for (int k = 0; k < 16; k++) {
        level[k] = lq__iq4_levels[k];
        mid[k] = k ? (lq__iq4_levels[k - 1] + lq__iq4_levels[k]) * 0.5f : 0.f; /* exact */
    }
    for (int h = 0; h < 2; h++) {
        t->level[h] = _mm256_loadu_ps(level + 8 * h);
        t->mid[h] = _mm256_loadu_ps(mid + 8 * h);
    }
    t->mid8 = splat(mid[8]);
}

/* table[idx] per lane, idx in 0..15 */
static INLINE V lookup16(const V *table, VI idx)
{
    V a = _mm256_permutevar8x32_ps(table[0], idx), b = _mm256_permutevar8x32_ps(table[1], idx);
    return vblend(a, b, _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28))); /* bit 3 */
}

/* ggml's best_index_int8 per lane for finite x: the number of midpoints
 * <= x (see iq4_index in ggml_search.c), by binary search. */
static INLINE VI iq4_index(const iq4_tables *t, V x)
{
    VI c = _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(x, t->mid8, _CMP_GE_OQ)),
                            _mm256_set1_epi32(8));
    for (int s = 4; s > 0; s >>= 1) {
        V m = lookup16(t->mid, _mm256_add_epi32(c, _mm256_set1_epi32(s)));
        c = _mm256_add_epi32(c, _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(x, m, _CMP_GE_OQ)),
                                                 _mm256_set1_epi32(s)));
    }
    return c;
}

/* The weighted sums of the levels picked with inverse scales id. No lane
 * that counts sees a NaN: |id * x| <= 134. */
static INLINE void iq4_sums(int nv, const iq4_tables *t, const V *id, V xt[][NVMAX], V wt[][NVMAX],
                     V *sumqx, V *sumq2)
{
    EACH(v) sumqx[v] = sumq2[v] = _mm256_setzero_ps();
    for (int i = 0; i < 32; i++) {
        EACH(v) {
            V q = lookup16(t->level, iq4_index(t, mul(id[v], xt[i][v])));
            V wq = mul(wt[i][v], q);
            sumqx[v] = add(sumqx[v], mul(wq, xt[i][v]));
            sumq2[v] = add(sumq2[v], mul(wq, q));
        }
    }
}

static INLINE void iq4_lanes(int nv, const float *x, const float *w, float *scales)
{
    V xt[32][NVMAX], wt[32][NVMAX];
    V max[NVMAX], amax[NVMAX], id[NVMAX], sumqx[NVMAX], sumq2[NVMAX], d[NVMAX], best[NVMAX];
    const V zero = _mm256_setzero_ps();
    iq4_tables t;
    iq4_tables_init(&t);
    transpose_in(32, nv, x, xt);
    transpose_in(32, nv, w, wt);
    signed_absmax(nv, 32, xt, max, amax);
    const V level0 = splat((float)lq__iq4_levels[0]);
    EACH(v) id[v] = dvd(splat(1.f), dvd(_mm256_xor_ps(max[v], splat(-0.0f)), level0));
    iq4_sums(nv, &t, id, xt, wt, sumqx, sumq2);
    EACH(v) {
        d[v] = vblend(zero, dvd(sumqx[v], sumq2[v]), gt(sumq2[v], zero));
        best[v] = mul(d[v], sumqx[v]);
    }
    for (int itry = -7; itry <= 7; itry++) {
        EACH(v) id[v] = dvd(splat((float)(itry + lq__iq4_levels[0])), max[v]);
        iq4_sums(nv, &t, id, xt, wt, sumqx, sumq2);
        EACH(v) {
            V take = _mm256_and_ps(gt(sumq2[v], zero),
                                   gt(mul(sumqx[v], sumqx[v]), mul(best[v], sumq2[v])));
            V dn = dvd(sumqx[v], sumq2[v]);
            d[v] = vblend(d[v], dn, take);
            best[v] = vblend(best[v], mul(dn, sumqx[v]), take);
        }
    }
    EACH(v) _mm256_storeu_ps(scales + 8 * v,
                             vblend(d[v], zero, lt(amax[v], splat(LQ__GROUP_MAX_EPS))));
}

void lq__iq4_lanes_avx2(int nv, const float *x, const float *w, float *scales)
{
#define IQ4(k) iq4_lanes(k, x, w, scales)
    BY_NV(IQ4)
}

void lq__iq4_codes_avx2(const float *x, float id, uint8_t qs[16])
{
    iq4_tables t;
    iq4_tables_init(&t);
    const V vid = splat(id);
    for (int h = 0; h < 2; h++) {
        VI c[2];
        for (int k = 0; k < 2; k++) {
            V a = mul(vid, _mm256_loadu_ps(x + 8 * h + 16 * k));
            /* id can be infinite, and inf * 0 is NaN: ggml gives NaN level 15 */
            V nan = _mm256_cmp_ps(a, a, _CMP_UNORD_Q);
            c[k] = _mm256_castps_si256(vblend(_mm256_castsi256_ps(iq4_index(&t, a)),
                                              _mm256_castsi256_ps(_mm256_set1_epi32(15)), nan));
        }
        VI b = _mm256_or_si256(c[0], _mm256_slli_epi32(c[1], 4));
        __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
        _mm_storel_epi64((__m128i *)(qs + 8 * h), _mm_packus_epi16(w16, w16));
    }
}
