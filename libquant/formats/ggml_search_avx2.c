/* ggml_search_avx2.c — ggml's sub-block searches (make_qkx2/3_quants,
 * make_qx_quants, make_q3_quants, the IQ4 scale search) with one group per
 * AVX2 lane, and the re-pick of quants against rounded scales (compiled with
 * -mavx2 -mfma -ffp-contract=off).
 *
 * Each lane runs exactly the arithmetic of the scalar reference in
 * ggml_search.c: the same IEEE single operations (no FMA, no reassociation),
 * in the same order. Where the reference branches per group, the vector code
 * computes both sides and blends by lane masks; the comparisons are the
 * ordered predicates that match C's <, >, ==, and the unordered one for C's
 * "x != 0", so NaN lanes go the way they go in the scalar code. The per-group
 * early exits (all-zero groups, max == min) are blended in at the end.
 *
 * The searches are chains of dependent float operations (running sums, and
 * for make_q3_quants a coordinate descent through the group), so a call
 * takes up to four vectors (32 groups) and interleaves them: each step of the
 * loops below does the same thing for nv independent vectors. */
#include <immintrin.h>
#include <math.h>

#include "ggml_search.h"

#define V __m256
#define VI __m256i
#define NVMAX 4
#define INLINE static inline __attribute__((always_inline))
/* for (v = 0; v < nv; v++), unrolled once nv is a constant */
#define EACH(v) _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++)

INLINE V splat(float f) { return _mm256_set1_ps(f); }
INLINE V vblend(V a, V b, V mask) { return _mm256_blendv_ps(a, b, mask); }
INLINE V gt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
INLINE V lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
INLINE V vabs(V v) { return _mm256_andnot_ps(splat(-0.0f), v); }
INLINE V add(V a, V b) { return _mm256_add_ps(a, b); }
INLINE V sub(V a, V b) { return _mm256_sub_ps(a, b); }
INLINE V mul(V a, V b) { return _mm256_mul_ps(a, b); }
INLINE V dvd(V a, V b) { return _mm256_div_ps(a, b); }

/* lq__nearest_int on each lane, clamped to [lo, hi] */
INLINE VI nearest_i(V f, int lo, int hi)
{
    VI i = _mm256_castps_si256(add(f, splat(12582912.f)));
    i = _mm256_sub_epi32(_mm256_and_si256(i, _mm256_set1_epi32(0x007fffff)),
                         _mm256_set1_epi32(0x00400000));
    return _mm256_min_epi32(_mm256_max_epi32(i, _mm256_set1_epi32(lo)), _mm256_set1_epi32(hi));
}

INLINE V nearest(V f, int lo, int hi) { return _mm256_cvtepi32_ps(nearest_i(f, lo, hi)); }

/* The same for |f| < 2^21, where nearest_int is plain rounding to nearest
 * even. It can give -0 for 0, which is harmless: the sums start at +0 and
 * never become -0, and -0 == 0 in comparisons and conversions. */
INLINE V nearest_small(V f, int lo, int hi)
{
    V r = _mm256_round_ps(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    return _mm256_min_ps(_mm256_max_ps(r, splat((float)lo)), splat((float)hi));
}

static int any(V mask) { return !_mm256_testz_ps(mask, mask); }

/* Transpose the 8 x 8 block r[0..7] in place. */
INLINE void transpose8(V r[8])
{
    V t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    V t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    V t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    V t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    V u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
    V u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
    V u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
    V u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* xt[i][v] = the i-th value of groups 8v .. 8v+7 (group g at src + g*n). */
static void transpose_in(int n, int nv, const float *src, V xt[][NVMAX])
{
    for (int v = 0; v < nv; v++) {
        for (int i0 = 0; i0 < n; i0 += 8) {
            V r[8];
            for (int g = 0; g < 8; g++)
                r[g] = _mm256_loadu_ps(src + (8 * v + g) * n + i0);
            transpose8(r);
            for (int k = 0; k < 8; k++)
                xt[i0 + k][v] = r[k];
        }
    }
}

/* out[g*n + i] = lane g of Lt[i] (small integers held as floats) + offset,
 * or 0 for the lanes set in zero[]. */
static void transpose_out(int n, int nv, V Lt[][NVMAX], int offset, const V *zero, uint8_t *out)
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
            transpose8(r); /* r[g] = codes i0 .. i0+7 of group 8v+g */
            for (int g = 0; g < 8; g++) {
                VI q = _mm256_castps_si256(r[g]);
                __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
                _mm_storel_epi64((__m128i *)(out + (8 * v + g) * n + i0), _mm_packus_epi16(w16, w16));
            }
        }
    }
}

/* ---- make_qkx2/3_quants ---- */

/* One step's codes of x - min for inverse scales iscale, and their
 * weighted sums. With `small` every |iscale * (x - min)| is below 2^21, so
 * plain rounding gives nearest_int's codes, and clamp_lo, clamp_hi say
 * whether any code can fall below 0 or above nmax (without `small` the
 * clamps are always made). All three are constants once inlined. */
INLINE void qkx_codes(int nv, int n, int nmax, int small, int clamp_lo, int clamp_hi,
                      const V *iscale, const V *min, V xt[][NVMAX], V wt[][NVMAX],
                      V Lq[][NVMAX], V *sum_l, V *sum_l2, V *sum_xl)
{
    EACH(v) sum_l[v] = sum_l2[v] = sum_xl[v] = _mm256_setzero_ps();
    for (int i = 0; i < n; i++) {
        EACH(v) {
            V f = mul(iscale[v], sub(xt[i][v], min[v]));
            V l;
            if (small) {
                l = _mm256_round_ps(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                if (clamp_lo)
                    l = _mm256_max_ps(l, _mm256_setzero_ps());
                if (clamp_hi)
                    l = _mm256_min_ps(l, splat((float)nmax));
            } else {
                l = nearest(f, 0, nmax);
            }
            Lq[i][v] = l;
            V wl = mul(wt[i][v], l);
            sum_l[v] = add(sum_l[v], wl);
            sum_l2[v] = add(sum_l2[v], mul(wl, l));
            sum_xl[v] = add(sum_xl[v], mul(wl, xt[i][v]));
        }
    }
}

INLINE void qkx_lanes(int nv, int n, const lq__qkx_params *p, const float *x, const float *w,
                      uint8_t *L, float *scales, float *the_mins)
{
    V xt[32][NVMAX], wt[32][NVMAX], Lt[32][NVMAX], Laux[32][NVMAX];
    V min[NVMAX], max[NVMAX], xmin[NVMAX], sum_w[NVMAX], sum_x[NVMAX], degenerate[NVMAX];
    V first_min[NVMAX], scale[NVMAX], best[NVMAX], iscale[NVMAX];
    /* The codes kept are those of the last step taken, iscale * (x - min)
     * with that step's iscale and the min it started from: rather than
     * copying each taken step's codes, its two factors are kept and the
     * codes made again at the end (the same operations, so the same codes). */
    V code_iscale[NVMAX], code_min[NVMAX];
    const V zero = _mm256_setzero_ps();
    const int nmax = p->nmax;
    transpose_in(n, nv, x, xt);
    transpose_in(n, nv, w, wt);

    EACH(v) {
        min[v] = max[v] = xt[0][v];
        sum_w[v] = wt[0][v];
        sum_x[v] = mul(sum_w[v], xt[0][v]);
    }
    for (int i = 1; i < n; i++) {
        EACH(v) {
            min[v] = _mm256_min_ps(xt[i][v], min[v]); /* x < min ? x : min */
            max[v] = _mm256_max_ps(xt[i][v], max[v]);
            sum_w[v] = add(sum_w[v], wt[i][v]);
            sum_x[v] = add(sum_x[v], mul(wt[i][v], xt[i][v]));
        }
    }
    EACH(v) {
        xmin[v] = min[v];
        min[v] = vblend(min[v], zero, gt(min[v], zero)); /* keeps -0, as "if (min > 0) min = 0" */
        degenerate[v] = _mm256_cmp_ps(max[v], min[v], _CMP_EQ_OQ);
        first_min[v] = min[v];
        iscale[v] = dvd(splat((float)nmax), sub(max[v], min[v]));
        scale[v] = dvd(splat(1.f), iscale[v]);
        best[v] = zero;
        code_iscale[v] = iscale[v];
        code_min[v] = min[v];
    }
    for (int i = 0; i < n; i++) {
        EACH(v) {
            V l = nearest(mul(iscale[v], sub(xt[i][v], min[v])), 0, nmax);
            V diff = sub(add(mul(scale[v], l), min[v]), xt[i][v]);
            diff = p->use_mad ? vabs(diff) : mul(diff, diff);
            best[v] = add(best[v], mul(wt[i][v], diff));
        }
    }
    for (int is = 0; is <= p->nstep; is++) {
        const V num = splat(p->rmin + p->rdelta * is + nmax);
        V sum_l[NVMAX], sum_l2[NVMAX], sum_xl[NVMAX], ok[NVMAX], take[NVMAX];
        /* iscale * (x - min) is monotonic in x, so its extremes bound every
         * code's argument; degenerate lanes are thrown away at the end */
        V small = _mm256_castsi256_ps(_mm256_set1_epi32(-1)), below = zero, above = zero;
        EACH(v) {
            iscale[v] = dvd(num, sub(max[v], min[v]));
            V a = mul(iscale[v], sub(max[v], min[v]));
            V b = mul(iscale[v], sub(xmin[v], min[v]));
            V in = _mm256_and_ps(lt(vabs(a), splat(0x1p21f)), lt(vabs(b), splat(0x1p21f)));
            small = _mm256_and_ps(small, _mm256_or_ps(in, degenerate[v]));
            /* the clamps were a sixth of the search. A code below 0 needs
             * an argument below -0.5 (-0.5 rounds to -0, which the sums and
             * the error take as 0), one above nmax an argument of nmax + 0.5
             * or more */
            V lo = _mm256_min_ps(a, b), hi = _mm256_max_ps(a, b);
            V ge_top = _mm256_cmp_ps(hi, splat(nmax + 0.5f), _CMP_GE_OQ);
            below = _mm256_or_ps(below, _mm256_andnot_ps(degenerate[v], lt(lo, splat(-0.5f))));
            above = _mm256_or_ps(above, _mm256_andnot_ps(degenerate[v], ge_top));
        }
        const int clamp = (any(below) ? 1 : 0) | (any(above) ? 2 : 0);
#define CODES(sm, lo, hi) \
    qkx_codes(nv, n, nmax, sm, lo, hi, iscale, min, xt, wt, Laux, sum_l, sum_l2, sum_xl)
        if (_mm256_movemask_ps(small) != 0xff)
            CODES(0, 1, 1);
        else if (clamp == 0)
            CODES(1, 0, 0);
        else if (clamp == 1)
            CODES(1, 1, 0);
        else if (clamp == 2)
            CODES(1, 0, 1);
        else
            CODES(1, 1, 1);
#undef CODES
        V this_scale[NVMAX], this_min[NVMAX], err[NVMAX];
        V any_ok = zero;
        EACH(v) {
            V D = sub(mul(sum_w[v], sum_l2[v]), mul(sum_l[v], sum_l[v]));
            ok[v] = gt(D, zero);
            any_ok = _mm256_or_ps(any_ok, ok[v]);
            this_scale[v] = dvd(sub(mul(sum_w[v], sum_xl[v]), mul(sum_x[v], sum_l[v])), D);
            this_min[v] = dvd(sub(mul(sum_l2[v], sum_x[v]), mul(sum_l[v], sum_xl[v])), D);
            V pos = gt(this_min[v], zero);
            this_min[v] = vblend(this_min[v], zero, pos);
            this_scale[v] = vblend(this_scale[v], dvd(sum_xl[v], sum_l2[v]), pos);
            err[v] = zero;
        }
        if (!any(any_ok))
            continue;
        for (int i = 0; i < n; i++) {
            EACH(v) {
                V diff = sub(add(mul(this_scale[v], Laux[i][v]), this_min[v]), xt[i][v]);
                diff = p->use_mad ? vabs(diff) : mul(diff, diff);
                err[v] = add(err[v], mul(wt[i][v], diff));
            }
        }
        EACH(v) {
            take[v] = _mm256_and_ps(ok[v], lt(err[v], best[v]));
            best[v] = vblend(best[v], err[v], take[v]);
            scale[v] = vblend(scale[v], this_scale[v], take[v]);
            code_iscale[v] = vblend(code_iscale[v], iscale[v], take[v]);
            code_min[v] = vblend(code_min[v], min[v], take[v]);
            min[v] = vblend(min[v], this_min[v], take[v]);
        }
    }
    for (int i = 0; i < n; i++)
        EACH(v) Lt[i][v] = nearest(mul(code_iscale[v], sub(xt[i][v], code_min[v])), 0, nmax);
    EACH(v) {
        min[v] = vblend(min[v], first_min[v], degenerate[v]);
        _mm256_storeu_ps(scales + 8 * v, vblend(scale[v], zero, degenerate[v]));
        _mm256_storeu_ps(the_mins + 8 * v, _mm256_xor_ps(min[v], splat(-0.0f))); /* -min */
    }
    transpose_out(n, nv, Lt, 0, degenerate, L);
}

/* ---- make_qx_quants (rmse_type 1) ---- */

/* max of |x| per lane with its signed value (first one on ties) */
INLINE void signed_absmax(int nv, int n, V xt[][NVMAX], V *max, V *amax)
{
    EACH(v) max[v] = amax[v] = _mm256_setzero_ps();
    for (int i = 0; i < n; i++) {
        EACH(v) {
            V ax = vabs(xt[i][v]);
            V bigger = gt(ax, amax[v]);
            amax[v] = vblend(amax[v], ax, bigger);
            max[v] = vblend(max[v], xt[i][v], bigger);
        }
    }
}

/* The weighted sums of the codes for the inverse scales num / max (into
 * iscale). The codes are rounded to nearest even, which is nearest_int here:
 * |num / max * x| <= |num| (1 + 2^-22) (two roundings, |x| <= |max|), and
 * max is not tiny in the lanes that count (amax >= 1e-15; all-zero lanes get
 * NaN sums and are replaced at the end). clamp_lo, clamp_hi (constants once
 * inlined): whether to clamp to -nmax, nmax - 1 at all. */
INLINE void qx_sums(int nv, int n, int nmax, int clamp_lo, int clamp_hi, float num,
                    V xt[][NVMAX], V wt[][NVMAX], V wx[][NVMAX], const V *max, V *iscale,
                    V *sumlx, V *suml2)
{
    EACH(v) {
        iscale[v] = dvd(splat(num), max[v]);
        sumlx[v] = suml2[v] = _mm256_setzero_ps();
    }
    for (int i = 0; i < n; i++) {
        EACH(v) {
            V l = _mm256_round_ps(mul(iscale[v], xt[i][v]),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            if (clamp_lo)
                l = _mm256_max_ps(l, splat((float)-nmax));
            if (clamp_hi)
                l = _mm256_min_ps(l, splat((float)(nmax - 1)));
            sumlx[v] = add(sumlx[v], mul(wx[i][v], l));
            suml2[v] = add(suml2[v], mul(mul(wt[i][v], l), l));
        }
    }
}

/* qx_sums without the clamps no code can reach: the clamps were a quarter of
 * Q6_K's search, and most of its tries need one or none. A code below -nmax
 * needs |num| (1 + 2^-22) > nmax + 0.5, one above nmax - 1 needs it >=
 * nmax - 0.5 (a tie may round up); `reach` is above that bound. */
INLINE void qx_try(int nv, int n, int nmax, float num, V xt[][NVMAX], V wt[][NVMAX],
                   V wx[][NVMAX], const V *max, V *iscale, V *sumlx, V *suml2)
{
    const float reach = fabsf(num) * (1 + 0x1p-21f);
    if (reach > nmax + 0.5f)
        qx_sums(nv, n, nmax, 1, 1, num, xt, wt, wx, max, iscale, sumlx, suml2);
    else if (reach >= nmax - 0.5f)
        qx_sums(nv, n, nmax, 0, 1, num, xt, wt, wx, max, iscale, sumlx, suml2);
    else
        qx_sums(nv, n, nmax, 0, 0, num, xt, wt, wx, max, iscale, sumlx, suml2);
}

INLINE void qx_lanes(int nv, int n, int nmax, const float *x, const float *w, int8_t *L,
                     float *scales)
{
    V xt[32][NVMAX], wt[32][NVMAX], wx[32][NVMAX], Lt[32][NVMAX];
    V max[NVMAX], amax[NVMAX], all_zero[NVMAX], scale[NVMAX], best[NVMAX];
    V sumlx[NVMAX], suml2[NVMAX], iscale[NVMAX], code_iscale[NVMAX];
    const V zero = _mm256_setzero_ps();
    transpose_in(n, nv, x, xt);
    if (w)
        transpose_in(n, nv, w, wt);
    for (int i = 0; i < n; i++) {
        EACH(v) {
            if (!w)
                wt[i][v] = mul(xt[i][v], xt[i][v]);
            wx[i][v] = mul(wt[i][v], xt[i][v]);
        }
    }
    signed_absmax(nv, n, xt, max, amax);
    qx_try(nv, n, nmax, (float)-nmax, xt, wt, wx, max, iscale, sumlx, suml2);
    EACH(v) {
        all_zero[v] = lt(amax[v], splat(LQ__GROUP_MAX_EPS));
        scale[v] = vblend(zero, dvd(sumlx[v], suml2[v]), _mm256_cmp_ps(suml2[v], zero, _CMP_NEQ_UQ));
        best[v] = mul(scale[v], sumlx[v]);
        code_iscale[v] = iscale[v];
    }
    for (int is = -9; is <= 9; is++) {
        if (is == 0)
            continue;
        qx_try(nv, n, nmax, -(nmax + 0.1f * is), xt, wt, wx, max, iscale, sumlx, suml2);
        EACH(v) {
            V take = _mm256_and_ps(gt(suml2[v], zero),
                                   gt(mul(sumlx[v], sumlx[v]), mul(best[v], suml2[v])));
            V s = dvd(sumlx[v], suml2[v]);
            scale[v] = vblend(scale[v], s, take);
            best[v] = vblend(best[v], mul(s, sumlx[v]), take);
            code_iscale[v] = vblend(code_iscale[v], iscale[v], take);
        }
    }
    /* the codes of the try each lane kept, made again from its inverse
     * scale rather than copied at every try taken (the same operations) */
    for (int i = 0; i < n; i++)
        EACH(v) Lt[i][v] = nearest_small(mul(code_iscale[v], xt[i][v]), -nmax, nmax - 1);
    EACH(v) _mm256_storeu_ps(scales + 8 * v, vblend(scale[v], zero, all_zero[v]));
    transpose_out(n, nv, Lt, nmax, all_zero, (uint8_t *)L);
}

/* ---- make_q3_quants (do_rmse) ---- */

INLINE void q3_lanes(int nv, int n, int nmax, const float *x, int8_t *L, float *scales)
{
    V xt[32][NVMAX], wt[32][NVMAX], wx[32][NVMAX], Lt[32][NVMAX];
    V max[NVMAX], amax[NVMAX], all_zero[NVMAX], iscale[NVMAX], sumlx[NVMAX], suml2[NVMAX];
    const V zero = _mm256_setzero_ps();
    transpose_in(n, nv, x, xt);
    signed_absmax(nv, n, xt, max, amax);
    EACH(v) {
        all_zero[v] = lt(amax[v], splat(LQ__GROUP_MAX_EPS));
        iscale[v] = dvd(splat((float)-nmax), max[v]);
        sumlx[v] = suml2[v] = zero;
    }
    for (int i = 0; i < n; i++) {
        EACH(v) {
            wt[i][v] = mul(xt[i][v], xt[i][v]);
            wx[i][v] = mul(wt[i][v], xt[i][v]);
            /* |nmax / max * x| <= nmax (1 + 2^-22), as in qx_sums */
            Lt[i][v] = nearest_small(mul(iscale[v], xt[i][v]), -nmax, nmax - 1);
            sumlx[v] = add(sumlx[v], mul(wx[i][v], Lt[i][v]));
            suml2[v] = add(suml2[v], mul(mul(wt[i][v], Lt[i][v]), Lt[i][v]));
        }
    }
    /* A pass that changes nothing in a lane leaves it as it was, so running
     * more passes on lanes the reference would have stopped is harmless; a
     * vector none of whose lanes changed in a pass is done. */
    int active[NVMAX], left = nv;
    EACH(v) active[v] = 1;
    for (int pass = 0; pass < 5 && left; pass++) {
        V changed[NVMAX];
        EACH(v) changed[v] = zero;
        for (int i = 0; i < n; i++) {
            EACH(v) {
                if (!active[v])
                    continue;
                V slx = sub(sumlx[v], mul(wx[i][v], Lt[i][v]));
                V sl2 = sub(suml2[v], mul(mul(wt[i][v], Lt[i][v]), Lt[i][v]));
                V l = nearest(dvd(mul(xt[i][v], sl2), slx), -nmax, nmax - 1);
                V try_it = _mm256_and_ps(gt(slx, zero), _mm256_cmp_ps(l, Lt[i][v], _CMP_NEQ_OQ));
                slx = add(slx, mul(wx[i][v], l));
                sl2 = add(sl2, mul(mul(wt[i][v], l), l));
                V better = gt(mul(mul(slx, slx), suml2[v]), mul(mul(sumlx[v], sumlx[v]), sl2));
                V take = _mm256_and_ps(try_it, _mm256_and_ps(gt(sl2, zero), better));
                Lt[i][v] = vblend(Lt[i][v], l, take);
                sumlx[v] = vblend(sumlx[v], slx, take);
                suml2[v] = vblend(suml2[v], sl2, take);
                changed[v] = _mm256_or_ps(changed[v], take);
            }
        }
        EACH(v) {
            if (active[v] && !any(changed[v])) {
                active[v] = 0;
                left--;
            }
        }
    }
    EACH(v) {
        V s = vblend(zero, dvd(sumlx[v], suml2[v]), gt(suml2[v], zero));
        _mm256_storeu_ps(scales + 8 * v, vblend(s, zero, all_zero[v]));
    }
    transpose_out(n, nv, Lt, nmax, all_zero, (uint8_t *)L);
}

/* ---- entry points: 8, 16, 24 or 32 groups ---- */

#define BY_NV(call)       \
    switch (nv) {         \
    case 1: call(1); break; \
    case 2: call(2); break; \
    case 3: call(3); break; \
    default: call(4); break; \
    }

void lq__qkx_lanes_avx2(int nv, int n, const lq__qkx_params *p, const float *x, const float *w,
                        uint8_t *L, float *scales, float *the_mins)
{
#define QKX(k) qkx_lanes(k, n, p, x, w, L, scales, the_mins)
    BY_NV(QKX)
}

void lq__qx_lanes_avx2(int nv, int n, int nmax, const float *x, const float *w, int8_t *L,
                       float *scales)
{
#define QX(k) qx_lanes(k, n, nmax, x, w, L, scales)
    BY_NV(QX)
}

void lq__q3_lanes_avx2(int nv, int n, int nmax, const float *x, int8_t *L, float *scales)
{
#define Q3(k) q3_lanes(k, n, nmax, x, L, scales)
    BY_NV(Q3)
}

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
INLINE V lookup16(const V *table, VI idx)
{
    V a = _mm256_permutevar8x32_ps(table[0], idx), b = _mm256_permutevar8x32_ps(table[1], idx);
    return vblend(a, b, _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28))); /* bit 3 */
}

/* ggml's best_index_int8 per lane for finite x: the number of midpoints
 * <= x (see iq4_index in ggml_search.c), by binary search. */
INLINE VI iq4_index(const iq4_tables *t, V x)
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
INLINE void iq4_sums(int nv, const iq4_tables *t, const V *id, V xt[][NVMAX], V wt[][NVMAX],
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

INLINE void iq4_lanes(int nv, const float *x, const float *w, float *scales)
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
