/* test_gptq_factor.c — GPTQ's blocked inverse factor (methods/gptq_factor.c)
 * against the reference's three steps in double (chol(H), H^-1,
 * chol(H^-1)) with the lower triangle not read, the same bytes on 1, 2 and
 * 3 threads, and a matrix that is not positive definite. White-box. */
#include "libquant/methods/gptq_factor.h"
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

LQT_MAIN(matches_reference, threads_agree, not_positive_definite)
