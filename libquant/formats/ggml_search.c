/* ggml_search.c — ggml's scale searches, scalar reference (see ggml_search.h).
 *
 * Every expression keeps ggml's operand order: a*b*c is (a*b)*c, sums run
 * from the first element to the last, ints are converted to float where ggml
 * converts them. Reordering any of it changes the last bits of the scales and
 * then, now and then, a quant. */
#include <math.h>

#include "../core/cpu.h"
#include "ggml_search.h"

static inline int clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

float lq__make_qx_quants(int n, int nmax, const float *x, int8_t *L, const float *w)
{
    float amax;
    float max = lq__signed_absmax(n, x, &amax);
    if (amax < LQ__GROUP_MAX_EPS) {
        memset(L, 0, (size_t)n);
        return 0.f;
    }
    float iscale = -nmax / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; i++) {
        int l = clamp_int(lq__nearest_int(iscale * x[i]), -nmax, nmax - 1);
        L[i] = (int8_t)(l + nmax);
        float wi = w ? w[i] : x[i] * x[i];
        sumlx += wi * x[i] * l;
        suml2 += wi * l * l;
    }
    float scale = suml2 ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; is++) {
        if (is == 0)
            continue;
        iscale = -(nmax + 0.1f * is) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp_int(lq__nearest_int(iscale * x[i]), -nmax, nmax - 1);
            float wi = w ? w[i] : x[i] * x[i];
            sumlx += wi * x[i] * l;
            suml2 += wi * l * l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; i++)
                L[i] = (int8_t)(nmax + clamp_int(lq__nearest_int(iscale * x[i]), -nmax, nmax - 1));
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

float lq__make_q3_quants(int n, int nmax, const float *x, int8_t *L)
{
    float amax;
    float max = lq__signed_absmax(n, x, &amax);
    if (amax < LQ__GROUP_MAX_EPS) {
        memset(L, 0, (size_t)n);
        return 0.f;
    }
    float iscale = -nmax / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; i++) {
        int l = clamp_int(lq__nearest_int(iscale * x[i]), -nmax, nmax - 1);
        L[i] = (int8_t)l;
        float w = x[i] * x[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    for (int pass = 0; pass < 5; pass++) {
        int changed = 0;
        for (int i = 0; i < n; i++) {
            float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * L[i];
            if (slx > 0) {
                float sl2 = suml2 - w * L[i] * L[i];
                int l = clamp_int(lq__nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
                if (l != L[i]) {
                    slx += w * x[i] * l;
                    sl2 += w * l * l;
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = (int8_t)l;
                        sumlx = slx;
                        suml2 = sl2;
                        changed++;
                    }
                }
            }
        }
        if (!changed)
            break;
    }
    for (int i = 0; i < n; i++)
        L[i] = (int8_t)(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

float lq__make_qkx_quants(int n, const lq__qkx_params *p, const float *x, const float *w,
                          uint8_t *L, float *the_min)
{
    const int nmax = p->nmax;
    float min = x[0], max = x[0];
    float sum_w = w[0], sum_x = sum_w * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < min)
            min = x[i];
        if (x[i] > max)
            max = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0)
        min = 0;
    if (max == min) {
        memset(L, 0, (size_t)n);
        *the_min = -min;
        return 0.f;
    }
    float iscale = nmax / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; i++) {
        L[i] = (uint8_t)clamp_int(lq__nearest_int(iscale * (x[i] - min)), 0, nmax);
        float diff = scale * L[i] + min - x[i];
        diff = p->use_mad ? fabsf(diff) : diff * diff;
        best_error += w[i] * diff;
    }
    uint8_t Laux[32];
    for (int is = 0; is <= p->nstep; is++) {
        /* min is the best one so far: later steps quantize against it */
        iscale = (p->rmin + p->rdelta * is + nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp_int(lq__nearest_int(iscale * (x[i] - min)), 0, nmax);
            Laux[i] = (uint8_t)l;
            sum_l += w[i] * l;
            sum_l2 += w[i] * l * l;
            sum_xl += w[i] * l * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float err = 0;
            for (int i = 0; i < n; i++) {
                float diff = this_scale * Laux[i] + this_min - x[i];
                diff = p->use_mad ? fabsf(diff) : diff * diff;
                err += w[i] * diff;
            }
            if (err < best_error) {
                memcpy(L, Laux, (size_t)n);
                best_error = err;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

void lq__qkx_ref_weights(int n, lq__qkx_weights kind, const float *x, float *w)
{
    const float av = kind == LQ__QKX_W_RMS_ABS ? sqrtf(lq__sum_squares(x, n) / n) : 0.f;
    for (int i = 0; i < n; i++)
        w[i] = kind == LQ__QKX_W_RMS_ABS ? av + fabsf(x[i]) : fabsf(x[i]);
}

float lq__make_qp_quants(int n, int nmax, const float *x, uint8_t *L, const float *w)
{
    float max = 0;
    for (int i = 0; i < n; i++)
        max = max > x[i] ? max : x[i];
    if (max < LQ__GROUP_MAX_EPS) {
        memset(L, 0, (size_t)n);
        return 0.f;
    }
    float iscale = nmax / max;
    for (int i = 0; i < n; i++)
        L[i] = (uint8_t)lq__nearest_int(iscale * x[i]);
    float scale = 1 / iscale;
    float best_mse = 0;
    for (int i = 0; i < n; i++) {
        float diff = x[i] - scale * L[i];
        best_mse += w[i] * diff * diff;
    }
    for (int is = -4; is <= 4; is++) {
        if (is == 0)
            continue;
        float iscale_is = (0.1f * is + nmax) / max;
        float scale_is = 1 / iscale_is;
        float mse = 0;
        for (int i = 0; i < n; i++) {
            int l = lq__nearest_int(iscale_is * x[i]);
            l = l < nmax ? l : nmax;
            float diff = x[i] - scale_is * l;
            mse += w[i] * diff * diff;
        }
        if (mse < best_mse) {
            best_mse = mse;
            iscale = iscale_is;
        }
    }
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; i++) {
        int l = lq__nearest_int(iscale * x[i]);
        l = l < nmax ? l : nmax;
        L[i] = (uint8_t)l; /* ggml stores it in a uint8_t too: a negative l wraps */
        sumlx += w[i] * x[i] * l;
        suml2 += w[i] * l * l;
    }
    for (int pass = 0; pass < 5; pass++) {
        int changed = 0;
        for (int i = 0; i < n; i++) {
            float slx = sumlx - w[i] * x[i] * L[i];
            float sl2 = suml2 - w[i] * L[i] * L[i];
            if (slx > 0 && sl2 > 0) {
                int l = lq__nearest_int(x[i] * sl2 / slx);
                l = l < nmax ? l : nmax;
                if (l != L[i]) {
                    slx += w[i] * x[i] * l;
                    sl2 += w[i] * l * l;
                    if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = (uint8_t)l;
                        sumlx = slx;
                        suml2 = sl2;
                        changed++;
                    }
                }
            }
        }
        if (!changed)
            break;
    }
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/* ggml's best_index_int8 as it is in the builds the goldens and the oracle
 * come from: the nearest level, ties to the upper one. The float
 * subtractions are exact here (|x| < 128, levels are integers), so this is
 * also "the number of midpoints between levels that are <= x", which the
 * AVX2 code computes. NaN gives 15. */
static int iq4_index(float x)
{
    const int8_t *v = lq__iq4_levels;
    if (x <= v[0])
        return 0;
    if (x >= v[15])
        return 15;
    int ml = 0, mu = 15;
    while (mu - ml > 1) {
        int mav = (ml + mu) / 2;
        if (x < v[mav])
            mu = mav;
        else
            ml = mav;
    }
    return x - v[mu - 1] < v[mu] - x ? mu - 1 : mu;
}

/* Weighted sums of the levels picked for x[0..32) with inverse scale id. */
static void iq4_sums(const float *x, const float *w, float id, float *sumqx, float *sumq2)
{
    float qx = 0, q2 = 0;
    for (int j = 0; j < 32; j++) {
        float q = lq__iq4_levels[iq4_index(id * x[j])];
        qx += w[j] * q * x[j];
        q2 += w[j] * q * q;
    }
    *sumqx = qx;
    *sumq2 = q2;
}

float lq__iq4_search(const float *x, const float *w)
{
    float amax;
    float max = lq__signed_absmax(32, x, &amax);
    if (amax < LQ__GROUP_MAX_EPS)
        return 0;
    float sumqx, sumq2;
    iq4_sums(x, w, 1 / (-max / lq__iq4_levels[0]), &sumqx, &sumq2);
    float d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
    float best = d * sumqx;
    for (int itry = -7; itry <= 7; itry++) {
        iq4_sums(x, w, (itry + lq__iq4_levels[0]) / max, &sumqx, &sumq2);
        if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
            d = sumqx / sumq2;
            best = d * sumqx;
        }
    }
    return d;
}

#ifdef LQ_GGML_AVX2
int lq__ggml_use_avx2(void)
{
    lq__arch a = lq__arch_selected();
    return a == LQ__ARCH_AVX2 || a == LQ__ARCH_AVX512;
}

/* Vectors of `width` groups the lane code takes in one call: up to 4. */
static int lanes(int left, int width)
{
    return left >= 4 * width ? 4 : left / width;
}
#endif

#ifdef LQ_GGML_AVX512
int lq__ggml_use_avx512(void)
{
    return lq__arch_selected() == LQ__ARCH_AVX512;
}
#endif

/* Runs CALL(nv, g) for the groups from g on that the widest lane code
 * selected takes (16 per AVX-512 vector, then 8 per AVX2 vector), moving g
 * past them; the scalar code does what is left. */
#ifdef LQ_GGML_AVX512
#define LANES_AVX512(CALL, count, g)                                             \
    if (lq__ggml_use_avx512())                                                   \
        for (int nv; (nv = lanes(count - g, 16)) > 0; g += 16 * nv)              \
            CALL(avx512, nv, g);
#else
#define LANES_AVX512(CALL, count, g)
#endif
#ifdef LQ_GGML_AVX2
#define LANES_SIMD(CALL, count, g)                                               \
    LANES_AVX512(CALL, count, g)                                                 \
    if (lq__ggml_use_avx2())                                                     \
        for (int nv; (nv = lanes(count - g, 8)) > 0; g += 8 * nv)                \
            CALL(avx2, nv, g);
#else
#define LANES_SIMD(CALL, count, g)
#endif

void lq__qkx_batch(int count, int n, const lq__qkx_params *p, const float *x, const float *w,
                   uint8_t *L, float *scales, float *the_mins)
{
    int g = 0;
    const bool given = p->weights == LQ__QKX_W_GIVEN;
#define QKX(isa, nv, g)                                                                        \
    lq__qkx_lanes_##isa(nv, n, p, x + g * n, given ? w + g * n : NULL, L + g * n, scales + g, \
                        the_mins + g)
    LANES_SIMD(QKX, count, g)
#undef QKX
    for (; g < count; g++) {
        float wg[32];
        if (!given)
            lq__qkx_ref_weights(n, p->weights, x + g * n, wg);
        scales[g] = lq__make_qkx_quants(n, p, x + g * n, given ? w + g * n : wg, L + g * n,
                                        &the_mins[g]);
    }
}

void lq__qx_batch(int count, int n, int nmax, const float *x, const float *w, int8_t *L,
                  float *scales)
{
    int g = 0;
#define QX(isa, nv, g) \
    lq__qx_lanes_##isa(nv, n, nmax, x + g * n, w ? w + g * n : NULL, L + g * n, scales + g)
    LANES_SIMD(QX, count, g)
#undef QX
    for (; g < count; g++)
        scales[g] = lq__make_qx_quants(n, nmax, x + g * n, L + g * n, w ? w + g * n : NULL);
}

void lq__q3_batch(int count, int n, int nmax, const float *x, int8_t *L, float *scales)
{
    int g = 0;
#define Q3(isa, nv, g) lq__q3_lanes_##isa(nv, n, nmax, x + g * n, L + g * n, scales + g)
    LANES_SIMD(Q3, count, g)
#undef Q3
    for (; g < count; g++)
        scales[g] = lq__make_q3_quants(n, nmax, x + g * n, L + g * n);
}

void lq__requantize(int nsub, int sub, const float *x, const float *m, const float *d, int lo,
                    int hi, int offset, uint8_t *L)
{
#ifdef LQ_GGML_AVX2
    if (lq__ggml_use_avx2()) {
        lq__requantize_avx2(nsub, sub, x, m, d, lo, hi, offset, L);
        return;
    }
#endif
    for (int j = 0; j < nsub; j++) {
        if (!d[j])
            continue;
        const float mj = m ? m[j] : 0.f;
        for (int i = j * sub; i < (j + 1) * sub; i++)
            L[i] = (uint8_t)(clamp_int(lq__nearest_int((x[i] + mj) / d[j]), lo, hi) + offset);
    }
}

void lq__iq4_batch(int count, const float *x, const float *w, float *scales)
{
    int g = 0;
#ifdef LQ_GGML_AVX2
    if (lq__ggml_use_avx2())
        for (int nv; (nv = lanes(count - g, 8)) > 0; g += 8 * nv)
            lq__iq4_lanes_avx2(nv, x + g * 32, w + g * 32, scales + g);
#endif
    for (; g < count; g++)
        scales[g] = lq__iq4_search(x + g * 32, w + g * 32);
}

void lq__iq4_codes(const float *x, float id, uint8_t qs[16])
{
#ifdef LQ_GGML_AVX2
    if (lq__ggml_use_avx2()) {
        lq__iq4_codes_avx2(x, id, qs);
        return;
    }
#endif
    for (int j = 0; j < 16; j++)
        qs[j] = (uint8_t)(iq4_index(id * x[j]) | iq4_index(id * x[j + 16]) << 4);
}
