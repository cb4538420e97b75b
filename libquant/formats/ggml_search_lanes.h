/* ggml_search_lanes.h — ggml's sub-block searches (make_qkx2/3_quants,
 * make_qx_quants, make_q3_quants) with one group per vector lane, written
 * once for any vector width. Included by ggml_search_avx2.c (8 lanes) and
 * ggml_search_avx512.c (16 lanes), which define before including it:
 *   V, M      a float vector and its lane mask (what a comparison gives)
 *   W         lanes per vector
 *   LANES(f)  the name of entry point f at this width (lq__f_avx2, ...)
 *   splat add sub mul dvd vsqrt vmin vmax vabs vneg vround setzero store:
 *             IEEE single lane operations (vround: to nearest even; vmin,
 *             vmax: x86's, the second operand where either is NaN)
 *   nearest:  lq__nearest_int on each lane, clamped, as floats
 *   gt lt ge eq neq_o neq_u: C's <, >, >=, == (ordered), != (ordered,
 *             and unordered as C's)
 *   mand mor mandnot(a, b) = ~a & b, mtrue mfalse any all, vblend(a, b, m)
 *   transpose_in, transpose_out: groups to lanes and codes back to bytes
 * (and INLINE, NVMAX, EACH from ggml_search_x86.h).
 *
 * Each lane runs exactly the arithmetic of the scalar reference in
 * ggml_search.c: the same IEEE single operations (no FMA, no reassociation),
 * in the same order, so the width changes nothing in the results. Where the
 * reference branches per group, the vector code computes both sides and
 * blends by lane masks; the comparisons are the ordered predicates that
 * match C's <, >, ==, and the unordered one for C's "x != 0", so NaN lanes
 * go the way they go in the scalar code. The per-group early exits
 * (all-zero groups, max == min) are blended in at the end.
 *
 * The searches are chains of dependent float operations (running sums, and
 * for make_q3_quants a coordinate descent through the group), so a call
 * takes up to four vectors (4 W groups) and interleaves them: each step of
 * the loops below does the same thing for nv independent vectors. */
#ifndef LQ_FORMATS_GGML_SEARCH_LANES_H
#define LQ_FORMATS_GGML_SEARCH_LANES_H

/* ---- make_qkx2/3_quants ---- */

/* One step's codes of x - min for inverse scales iscale, and their
 * weighted sums. With `small` every |iscale * (x - min)| is below 2^21, so
 * plain rounding gives nearest_int's codes, and clamp_lo, clamp_hi say
 * whether any code can fall below 0 or above nmax (without `small` the
 * clamps are always made). All three are constants once inlined. */
static INLINE void qkx_codes(int nv, int n, int nmax, int small, int clamp_lo, int clamp_hi,
                      const V *iscale, const V *min, V xt[][NVMAX], V wt[][NVMAX],
                      V Lq[][NVMAX], V *sum_l, V *sum_l2, V *sum_xl)
{
    EACH(v) sum_l[v] = sum_l2[v] = sum_xl[v] = setzero();
    for (int i = 0; i < n; i++) {
        EACH(v) {
            V f = mul(iscale[v], sub(xt[i][v], min[v]));
            V l;
            if (small) {
                l = vround(f);
                if (clamp_lo)
                    l = vmax(l, setzero());
                if (clamp_hi)
                    l = vmin(l, splat((float)nmax));
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

/* lq__qkx_ref_weights in each lane: the same operations in the same order
 * (the squares summed from the first value on, / n, IEEE sqrt) */
static void ref_weights(int nv, int n, lq__qkx_weights kind, V xt[][NVMAX], V wt[][NVMAX])
{
    V av[NVMAX];
    EACH(v) av[v] = setzero();
    if (kind == LQ__QKX_W_RMS_ABS) {
        for (int i = 0; i < n; i++)
            EACH(v) av[v] = add(av[v], mul(xt[i][v], xt[i][v]));
        EACH(v) av[v] = vsqrt(dvd(av[v], splat((float)n)));
    }
    for (int i = 0; i < n; i++)
        EACH(v) wt[i][v] = kind == LQ__QKX_W_RMS_ABS ? add(av[v], vabs(xt[i][v])) : vabs(xt[i][v]);
}

/* use_mad is p->use_mad, a constant once inlined (a test of it in the
 * error loops cost a few percent) */
static INLINE void qkx_lanes(int nv, int n, int use_mad, const lq__qkx_params *p, const float *x,
                      const float *w, uint8_t *L, float *scales, float *the_mins)
{
    V xt[32][NVMAX], wt[32][NVMAX], Lt[32][NVMAX], Laux[32][NVMAX];
    V min[NVMAX], max[NVMAX], xmin[NVMAX], sum_w[NVMAX], sum_x[NVMAX];
    V first_min[NVMAX], scale[NVMAX], best[NVMAX], iscale[NVMAX];
    M degenerate[NVMAX];
    /* The codes kept are those of the last step taken, iscale * (x - min)
     * with that step's iscale and the min it started from: rather than
     * copying each taken step's codes, its two factors are kept and the
     * codes made again at the end (the same operations, so the same codes). */
    V code_iscale[NVMAX], code_min[NVMAX];
    const V zero = setzero();
    const int nmax = p->nmax;
    transpose_in(n, nv, x, xt);
    if (w)
        transpose_in(n, nv, w, wt);
    else
        ref_weights(nv, n, p->weights, xt, wt);

    EACH(v) {
        min[v] = max[v] = xt[0][v];
        sum_w[v] = wt[0][v];
        sum_x[v] = mul(sum_w[v], xt[0][v]);
    }
    for (int i = 1; i < n; i++) {
        EACH(v) {
            min[v] = vmin(xt[i][v], min[v]); /* x < min ? x : min */
            max[v] = vmax(xt[i][v], max[v]);
            sum_w[v] = add(sum_w[v], wt[i][v]);
            sum_x[v] = add(sum_x[v], mul(wt[i][v], xt[i][v]));
        }
    }
    EACH(v) {
        xmin[v] = min[v];
        min[v] = vblend(min[v], zero, gt(min[v], zero)); /* keeps -0, as "if (min > 0) min = 0" */
        degenerate[v] = eq(max[v], min[v]);
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
            diff = use_mad ? vabs(diff) : mul(diff, diff);
            best[v] = add(best[v], mul(wt[i][v], diff));
        }
    }
    for (int is = 0; is <= p->nstep; is++) {
        const V num = splat(p->rmin + p->rdelta * is + nmax);
        V sum_l[NVMAX], sum_l2[NVMAX], sum_xl[NVMAX];
        M ok[NVMAX], take[NVMAX];
        /* iscale * (x - min) is monotonic in x, so its extremes bound every
         * code's argument; degenerate lanes are thrown away at the end */
        M small = mtrue(), below = mfalse(), above = mfalse();
        EACH(v) {
            iscale[v] = dvd(num, sub(max[v], min[v]));
            V a = mul(iscale[v], sub(max[v], min[v]));
            V b = mul(iscale[v], sub(xmin[v], min[v]));
            M in = mand(lt(vabs(a), splat(0x1p21f)), lt(vabs(b), splat(0x1p21f)));
            small = mand(small, mor(in, degenerate[v]));
            /* the clamps were a sixth of the search. A code below 0 needs
             * an argument below -0.5 (-0.5 rounds to -0, which the sums and
             * the error take as 0), one above nmax an argument of nmax + 0.5
             * or more */
            V lo = vmin(a, b), hi = vmax(a, b);
            below = mor(below, mandnot(degenerate[v], lt(lo, splat(-0.5f))));
            above = mor(above, mandnot(degenerate[v], ge(hi, splat(nmax + 0.5f))));
        }
        const int clamp = (any(below) ? 1 : 0) | (any(above) ? 2 : 0);
#define CODES(sm, lo, hi) \
    qkx_codes(nv, n, nmax, sm, lo, hi, iscale, min, xt, wt, Laux, sum_l, sum_l2, sum_xl)
        if (!all(small))
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
        M any_ok = mfalse();
        EACH(v) {
            V D = sub(mul(sum_w[v], sum_l2[v]), mul(sum_l[v], sum_l[v]));
            ok[v] = gt(D, zero);
            any_ok = mor(any_ok, ok[v]);
            this_scale[v] = dvd(sub(mul(sum_w[v], sum_xl[v]), mul(sum_x[v], sum_l[v])), D);
            this_min[v] = dvd(sub(mul(sum_l2[v], sum_x[v]), mul(sum_l[v], sum_xl[v])), D);
            M pos = gt(this_min[v], zero);
            this_min[v] = vblend(this_min[v], zero, pos);
            this_scale[v] = vblend(this_scale[v], dvd(sum_xl[v], sum_l2[v]), pos);
            err[v] = zero;
        }
        if (!any(any_ok))
            continue;
        for (int i = 0; i < n; i++) {
            EACH(v) {
                V diff = sub(add(mul(this_scale[v], Laux[i][v]), this_min[v]), xt[i][v]);
                diff = use_mad ? vabs(diff) : mul(diff, diff);
                err[v] = add(err[v], mul(wt[i][v], diff));
            }
        }
        EACH(v) {
            take[v] = mand(ok[v], lt(err[v], best[v]));
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
        store(scales + W * v, vblend(scale[v], zero, degenerate[v]));
        store(the_mins + W * v, vneg(min[v]));
    }
    transpose_out(n, nv, Lt, 0, degenerate, L);
}

/* ---- make_qx_quants (rmse_type 1) ---- */

/* max of |x| per lane with its signed value (first one on ties) */
static INLINE void signed_absmax(int nv, int n, V xt[][NVMAX], V *max, V *amax)
{
    EACH(v) max[v] = amax[v] = setzero();
    for (int i = 0; i < n; i++) {
        EACH(v) {
            V ax = vabs(xt[i][v]);
            M bigger = gt(ax, amax[v]);
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
static INLINE void qx_sums(int nv, int n, int nmax, int clamp_lo, int clamp_hi, float num,
                    V xt[][NVMAX], V wt[][NVMAX], V wx[][NVMAX], const V *max, V *iscale,
                    V *sumlx, V *suml2)
{
    EACH(v) {
        iscale[v] = dvd(splat(num), max[v]);
        sumlx[v] = suml2[v] = setzero();
    }
    for (int i = 0; i < n; i++) {
        EACH(v) {
            V l = vround(mul(iscale[v], xt[i][v]));
            if (clamp_lo)
                l = vmax(l, splat((float)-nmax));
            if (clamp_hi)
                l = vmin(l, splat((float)(nmax - 1)));
            sumlx[v] = add(sumlx[v], mul(wx[i][v], l));
            suml2[v] = add(suml2[v], mul(mul(wt[i][v], l), l));
        }
    }
}

/* qx_sums without the clamps no code can reach: the clamps were a quarter of
 * Q6_K's search, and most of its tries need one or none. A code below -nmax
 * needs |num| (1 + 2^-22) > nmax + 0.5, one above nmax - 1 needs it >=
 * nmax - 0.5 (a tie may round up); `reach` is above that bound. */
static INLINE void qx_try(int nv, int n, int nmax, float num, V xt[][NVMAX], V wt[][NVMAX],
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

static INLINE void qx_lanes(int nv, int n, int nmax, const float *x, const float *w, int8_t *L,
                     float *scales)
{
    V xt[32][NVMAX], wt[32][NVMAX], wx[32][NVMAX], Lt[32][NVMAX];
    V max[NVMAX], amax[NVMAX], scale[NVMAX], best[NVMAX];
    V sumlx[NVMAX], suml2[NVMAX], iscale[NVMAX], code_iscale[NVMAX];
    M all_zero[NVMAX];
    const V zero = setzero();
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
        scale[v] = vblend(zero, dvd(sumlx[v], suml2[v]), neq_u(suml2[v], zero));
        best[v] = mul(scale[v], sumlx[v]);
        code_iscale[v] = iscale[v];
    }
    for (int is = -9; is <= 9; is++) {
        if (is == 0)
            continue;
        qx_try(nv, n, nmax, -(nmax + 0.1f * is), xt, wt, wx, max, iscale, sumlx, suml2);
        EACH(v) {
            M take = mand(gt(suml2[v], zero), gt(mul(sumlx[v], sumlx[v]), mul(best[v], suml2[v])));
            V s = dvd(sumlx[v], suml2[v]);
            scale[v] = vblend(scale[v], s, take);
            best[v] = vblend(best[v], mul(s, sumlx[v]), take);
            code_iscale[v] = vblend(code_iscale[v], iscale[v], take);
        }
    }
    /* the codes of the try each lane kept, made again from its inverse
     * scale rather than copied at every try taken (the same operations) */
    for (int i = 0; i < n; i++)
        EACH(v) Lt[i][v] = vmin(vmax(vround(mul(code_iscale[v], xt[i][v])), splat((float)-nmax)),
                                splat((float)(nmax - 1)));
    EACH(v) store(scales + W * v, vblend(scale[v], zero, all_zero[v]));
    transpose_out(n, nv, Lt, nmax, all_zero, (uint8_t *)L);
}

/* ---- make_q3_quants (do_rmse) ---- */

static INLINE void q3_lanes(int nv, int n, int nmax, const float *x, int8_t *L, float *scales)
{
    V xt[32][NVMAX], wt[32][NVMAX], wx[32][NVMAX], Lt[32][NVMAX];
    V max[NVMAX], amax[NVMAX], iscale[NVMAX], sumlx[NVMAX], suml2[NVMAX];
    M all_zero[NVMAX];
    const V zero = setzero();
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
            Lt[i][v] = vmin(vmax(vround(mul(iscale[v], xt[i][v])), splat((float)-nmax)),
                            splat((float)(nmax - 1)));
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
        M changed[NVMAX];
        EACH(v) changed[v] = mfalse();
        for (int i = 0; i < n; i++) {
            EACH(v) {
                if (!active[v])
                    continue;
                V slx = sub(sumlx[v], mul(wx[i][v], Lt[i][v]));
                V sl2 = sub(suml2[v], mul(mul(wt[i][v], Lt[i][v]), Lt[i][v]));
                V l = nearest(dvd(mul(xt[i][v], sl2), slx), -nmax, nmax - 1);
                M try_it = mand(gt(slx, zero), neq_o(l, Lt[i][v]));
                slx = add(slx, mul(wx[i][v], l));
                sl2 = add(sl2, mul(mul(wt[i][v], l), l));
                M better = gt(mul(mul(slx, slx), suml2[v]), mul(mul(sumlx[v], sumlx[v]), sl2));
                M take = mand(try_it, mand(gt(sl2, zero), better));
                Lt[i][v] = vblend(Lt[i][v], l, take);
                sumlx[v] = vblend(sumlx[v], slx, take);
                suml2[v] = vblend(suml2[v], sl2, take);
                changed[v] = mor(changed[v], take);
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
        store(scales + W * v, vblend(s, zero, all_zero[v]));
    }
    transpose_out(n, nv, Lt, nmax, all_zero, (uint8_t *)L);
}

/* ---- entry points: nv vectors of W groups, nv in 1..4 ---- */

#define BY_NV(call)       \
    switch (nv) {         \
    case 1: call(1); break; \
    case 2: call(2); break; \
    case 3: call(3); break; \
    default: call(4); break; \
    }

void LANES(qkx)(int nv, int n, const lq__qkx_params *p, const float *x, const float *w,
                uint8_t *L, float *scales, float *the_mins)
{
#define QKX(k) qkx_lanes(k, n, 0, p, x, w, L, scales, the_mins)
#define QKX_MAD(k) qkx_lanes(k, n, 1, p, x, w, L, scales, the_mins)
    if (p->use_mad)
        BY_NV(QKX_MAD)
    else
        BY_NV(QKX)
#undef QKX
#undef QKX_MAD
}

void LANES(qx)(int nv, int n, int nmax, const float *x, const float *w, int8_t *L, float *scales)
{
#define QX(k) qx_lanes(k, n, nmax, x, w, L, scales)
    BY_NV(QX)
#undef QX
}

void LANES(q3)(int nv, int n, int nmax, const float *x, int8_t *L, float *scales)
{
#define Q3(k) q3_lanes(k, n, nmax, x, L, scales)
    BY_NV(Q3)
#undef Q3
}

#endif
