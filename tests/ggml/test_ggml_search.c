/* test_ggml_search.c — the batched sub-block searches (ggml_search.h
 * lq__qkx_batch, lq__qx_batch, lq__q3_batch) against their scalar
 * single-group functions, bit for bit (the qkx weights the batches make
 * themselves against lq__qkx_ref_weights'), for every group count from 1 to 72:
 * that count crosses each way a batch is split (AVX-512 calls of 1 to 4
 * vectors of 16 groups, AVX2 calls of 8 for the rest, the scalar code for
 * the last few). Run at each SIMD level (meson.build sets LQ_ARCH). The
 * groups are a mix of the row kinds the oracle test finds hard: scales
 * from 1e-20 to 1e20, all-zero, constant, huge, subnormal, exact ties,
 * signed zeros, one sign only. */
#include "../harness.h"
#include "libquant/formats/ggml_search.h"

enum { MAXG = 72, MAXN = 32, KINDS = 10 };

/* Group g of n values, its kind chosen by g and the seed. */
static void make_group(lqt_rng *r, int kind, int n, float *x)
{
    const float s = powf(10.f, (float)((int)(lqt_next(r) % 41) - 20));
    for (int i = 0; i < n; i++) {
        const float z = lqt_normal(r);
        switch (kind) {
        case 0: x[i] = z; break;
        case 1: x[i] = s * z; break;
        case 2: x[i] = 0.f; break;
        case 3: x[i] = i ? x[0] : z; break;
        case 4: x[i] = 1e36f * z; break;
        case 5: x[i] = 1e-39f * z; break;
        case 6: x[i] = 0.25f * (float)((int)(lqt_next(r) % 9) - 4); break;
        case 7: x[i] = lqt_next(r) % 4 ? -0.f : fabsf(z); break;
        case 8: x[i] = (float)lqt_uniform(r); break;
        default: x[i] = -(float)lqt_uniform(r) - 0.5f; break;
        }
    }
}

/* Bits equal, or both NaN (which NaN a sum keeps is the compiler's choice). */
static int same(float a, float b)
{
    return !memcmp(&a, &b, sizeof a) || (isnan(a) && isnan(b));
}

typedef struct {
    float x[MAXG * MAXN], w[MAXG * MAXN];
} groups;

/* count groups of n values and positive weights (w NULL when !weights) */
static void make_groups(unsigned long long seed, int count, int n, groups *d)
{
    lqt_rng r = {seed * 0x9E3779B97F4A7C15ull + 1};
    for (int g = 0; g < count; g++) {
        make_group(&r, (int)((g * 7 + seed) % KINDS), n, d->x + g * n);
        for (int i = 0; i < n; i++)
            d->w[g * n + i] = (float)lqt_uniform(&r) + fabsf(d->x[g * n + i]);
    }
}

static void check_qkx(const lq__qkx_params *p, int n)
{
    static groups d;
    for (int count = 1; count <= MAXG; count++) {
        make_groups((unsigned long long)count, count, n, &d);
        uint8_t L[MAXG * MAXN], Lref[MAXN];
        float scales[MAXG], mins[MAXG];
        lq__qkx_batch(count, n, p, d.x, d.w, L, scales, mins);
        for (int g = 0; g < count; g++) {
            float min, wref[MAXN];
            const float *wg = d.w + g * n;
            if (p->weights != LQ__QKX_W_GIVEN) {
                lq__qkx_ref_weights(n, p->weights, d.x + g * n, wref);
                wg = wref;
            }
            const float scale = lq__make_qkx_quants(n, p, d.x + g * n, wg, Lref, &min);
            CHECKF(same(scales[g], scale) && same(mins[g], min) && !memcmp(L + g * n, Lref, (size_t)n),
                   "nmax %d, n %d: group %d of %d: scale %a min %a, want %a %a", p->nmax, n, g,
                   count, scales[g], mins[g], scale, min);
        }
    }
}

static void check_qx(int n, int nmax, int weights)
{
    static groups d;
    for (int count = 1; count <= MAXG; count++) {
        make_groups((unsigned long long)count + 100, count, n, &d);
        const float *w = weights ? d.w : NULL;
        int8_t L[MAXG * MAXN], Lref[MAXN];
        float scales[MAXG];
        lq__qx_batch(count, n, nmax, d.x, w, L, scales);
        for (int g = 0; g < count; g++) {
            const float scale = lq__make_qx_quants(n, nmax, d.x + g * n, Lref, w ? w + g * n : NULL);
            CHECKF(same(scales[g], scale) && !memcmp(L + g * n, Lref, (size_t)n),
                   "nmax %d, weights %d: group %d of %d: scale %a, want %a", nmax, weights, g,
                   count, scales[g], scale);
        }
    }
}

static void q2_k_searches(void)
{
    const lq__qkx_params ref = {3, -0.5f, 0.1f, 15, true, LQ__QKX_W_ABS},
                         imat = {3, -0.9f, 0.05f, 36, false, LQ__QKX_W_GIVEN};
    check_qkx(&ref, 16);
    check_qkx(&imat, 16);
}

static void q4_q5_k_searches(void)
{
    const lq__qkx_params q4 = {15, -1.f, 0.1f, 20, false, LQ__QKX_W_RMS_ABS},
                         q5 = {31, -0.5f, 0.1f, 15, false, LQ__QKX_W_GIVEN};
    check_qkx(&q4, 32);
    check_qkx(&q5, 32);
}

static void q6_k_q3_k_searches(void)
{
    check_qx(16, 32, 0); /* Q6_K */
    check_qx(16, 32, 1); /* Q6_K with an importance matrix */
    check_qx(16, 4, 1);  /* Q3_K with one */
}

static void q3_k_search(void)
{
    static groups d;
    for (int count = 1; count <= MAXG; count++) {
        make_groups((unsigned long long)count + 200, count, 16, &d);
        int8_t L[MAXG * 16], Lref[16];
        float scales[MAXG];
        lq__q3_batch(count, 16, 4, d.x, L, scales);
        for (int g = 0; g < count; g++) {
            const float scale = lq__make_q3_quants(16, 4, d.x + g * 16, Lref);
            CHECKF(same(scales[g], scale) && !memcmp(L + g * 16, Lref, 16),
                   "group %d of %d: scale %a, want %a", g, count, scales[g], scale);
        }
    }
}

LQT_MAIN(q2_k_searches, q4_q5_k_searches, q6_k_q3_k_searches, q3_k_search)
