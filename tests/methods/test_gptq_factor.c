/* test_gptq_factor.c — GPTQ's blocked inverse factor (methods/gptq_factor.c)
 * against the reference's three steps in double (chol(H), H^-1,
 * chol(H^-1)) with the lower triangle not read, the same bytes on 1, 2 and
 * 3 threads, and a matrix that is not positive definite; the Hessian put in
 * processing order in place (methods/gptq_order.c) against a permuted copy.
 * White-box. */
#include "libquant/methods/gptq_factor.h"
#include "libquant/methods/gptq_order.h"
#include "chol_ref.h"
#include "synth.h"

/* Not a multiple of the 256-column blocks, so the last block is partial, and
 * a few blocks, so every step of both algorithms runs on tiles. */
enum { N = 700, T = 2 * N };

/* H = X^T X / T + 0.01 I for Gaussian X of T x N: a condition number near
 * ((1 + sqrt(N/T)) / (1 - sqrt(N/T)))^2, about 34. */
static float *hessian(void)
{
    lqt_rng r = {12345};
    float *x = malloc(sizeof(float) * T * N), *h = malloc(sizeof(float) * N * N);
    for (int i = 0; i < T * N; i++)
        x[i] = lqt_normal(&r);
    for (int i = 0; i < N; i++)
        for (int j = i; j < N; j++) {
            double s = 0;
            for (int t = 0; t < T; t++)
                s += (double)x[t * N + i] * x[t * N + j];
            h[i * N + j] = h[j * N + i] = (float)(s / T + (i == j ? 0.01 : 0.0));
        }
    free(x);
    return h;
}

/* The reference's U (chol_ref.h), upper triangle, from H in float. */
static double *reference_u(const float *h)
{
    double *hd = malloc(sizeof(double) * N * N), *u = malloc(sizeof(double) * N * N);
    for (int i = 0; i < N * N; i++)
        hd[i] = h[i];
    CHECK(lqt_inverse_upper(hd, N, u));
    free(hd);
    return u;
}

static void matches_reference(void)
{
    float *h = hessian(), *u = malloc(sizeof(float) * N * N);
    double *ref = reference_u(h);
    bool ok = false;
    memcpy(u, h, sizeof(float) * N * N);
    for (int i = 0; i < N; i++) /* H is read from the upper triangle only */
        for (int j = 0; j < i; j++)
            u[i * N + j] = NAN;
    CHECK_OK(lq__gptq_inverse_factor(1, u, N, &ok));
    CHECK(ok);
    double err = 0, scale = 0;
    for (int i = 0; i < N; i++)
        for (int j = i; j < N; j++) {
            err = fmax(err, fabs(u[i * N + j] - ref[i * N + j]));
            scale = fmax(scale, fabs(ref[i * N + j]));
        }
    /* float rounding of two O(n^3) factorizations: at most about eps x
     * sqrt(N) x the condition number (6e-8 x 26 x 34 = 5e-5) of the largest
     * entry (1.7e-7 with OpenBLAS on AVX2); a wrong block or tile is off by
     * O(1) */
    CHECK(err <= 5e-5 * scale);
    free(h);
    free(u);
    free(ref);
}

static void threads_agree(void)
{
    float *h = hessian(), *u[3];
    for (int k = 0; k < 3; k++) {
        bool ok = false;
        u[k] = malloc(sizeof(float) * N * N);
        memcpy(u[k], h, sizeof(float) * N * N);
        CHECK_OK(lq__gptq_inverse_factor(k + 1, u[k], N, &ok));
        CHECK(ok);
    }
    for (int k = 1; k < 3; k++) /* the upper triangle is the result */
        for (int i = 0; i < N; i++)
            CHECK(memcmp(u[0] + i * N + i, u[k] + i * N + i, sizeof(float) * (N - i)) == 0);
    for (int k = 0; k < 3; k++)
        free(u[k]);
    free(h);
}

/* A negative diagonal entry at column 2, which the reversal moves into the
 * last block: the first blocks factor, and the failure comes from a block
 * after trailing updates. */
static void not_positive_definite(void)
{
    float *h = hessian();
    bool ok = true;
    h[2 * N + 2] = -1.0f;
    CHECK_OK(lq__gptq_inverse_factor(2, h, N, &ok));
    CHECK(!ok);
    free(h);
}

/* In place, every entry of the upper triangle is H[perm[i], perm[j]] read
 * from H's upper triangle (the lower one holds garbage, as in a set), the
 * diagonal is diag[perm[i]] and the lower triangle zero: the same floats as a
 * permuted copy, for a permutation of several cycles, a fixed point, and
 * the identity. */
static void order_in_place(void)
{
    float *h = hessian();
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++)
            h[i * N + j] = 1e30f; /* garbage below the diagonal */
    int32_t *perm = malloc(sizeof *perm * N);
    double *diag = malloc(sizeof *diag * N);
    float *a = malloc(sizeof(float) * N * N);
    lqt_rng r = {777};
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < N; i++) {
            perm[i] = i;
            diag[i] = 2.0 + i;
        }
        for (int i = N - 1; pass == 0 && i > 1; i--) { /* Fisher-Yates, perm[0] fixed */
            int j = 1 + (int)(lqt_uniform(&r) * i);
            int32_t t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        memcpy(a, h, sizeof(float) * N * N);
        CHECK_OK(lq__gptq_order_hessian(a, N, perm, diag));
        int bad = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                int p = perm[i], q = perm[j];
                float want = j < i    ? 0.0f
                             : j == i ? (float)diag[p]
                             : p < q  ? h[p * N + q]
                                      : h[q * N + p];
                bad += a[i * N + j] != want;
            }
        CHECKF(bad == 0, "%s: %d entries differ", pass ? "identity" : "shuffled", bad);
    }
    free(a);
    free(diag);
    free(perm);
    free(h);
}

LQT_MAIN(matches_reference, threads_agree, not_positive_definite, order_in_place)
