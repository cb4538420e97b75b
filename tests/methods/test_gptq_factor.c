/* test_gptq_factor.c — GPTQ's blocked inverse factor (methods/gptq_factor.c)
 * on row panels (calib/panels.h) against the reference's three steps in
 * double (chol(H), H^-1, chol(H^-1)) with the entries below the diagonal not
 * read, the same bytes on 1, 2 and 3 threads, and a matrix that is not
 * positive definite; the Hessian put in processing order
 * (methods/gptq_order.c), from memory, in place and from a set's file,
 * against a permuted copy. White-box. */
#include <unistd.h>

#include "libquant/calib/panels.h"
#include "libquant/core/tempfile.h"
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

static size_t floats(void)
{
    size_t f = 0;
    CHECK(lq__panels_floats(N, &f));
    return f;
}

/* h (N x N) into row panels, the entries below the diagonal set to fill. */
static float *to_panels(const float *h, float fill)
{
    float *a = malloc(sizeof(float) * floats());
    for (int i = 0; i < N; i++)
        for (int j = (int)lq__panel_first(N, lq__panel_of(N, i)); j < N; j++)
            *lq__panels_at(a, N, i, j) = j < i ? fill : h[i * N + j];
    return a;
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
    float *h = hessian(), *u = to_panels(h, NAN); /* H is read from the upper triangle only */
    double *ref = reference_u(h);
    bool ok = false;
    CHECK_OK(lq__gptq_inverse_factor(1, u, N, &ok));
    CHECK(ok);
    double err = 0, scale = 0;
    for (int i = 0; i < N; i++)
        for (int j = i; j < N; j++) {
            err = fmax(err, fabs(*lq__panels_at(u, N, i, j) - ref[i * N + j]));
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
        u[k] = to_panels(h, 0.0f);
        CHECK_OK(lq__gptq_inverse_factor(k + 1, u[k], N, &ok));
        CHECK(ok);
    }
    for (int k = 1; k < 3; k++) /* the upper triangle is the result */
        for (int i = 0; i < N; i++)
            CHECK(memcmp(lq__panels_at(u[0], N, i, i), lq__panels_at(u[k], N, i, i),
                         sizeof(float) * (N - i)) == 0);
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
    float *a = to_panels(h, 0.0f);
    CHECK_OK(lq__gptq_inverse_factor(2, a, N, &ok));
    CHECK(!ok);
    free(a);
    free(h);
}

/* Every entry of the upper triangle is H[perm[i], perm[j]] read from H's
 * upper triangle (below the diagonal: garbage, which a set never holds, to
 * show it is not read), the diagonal is diag[perm[i]] and the entries below
 * it zero: the same floats as a permuted copy, for a permutation of several
 * cycles with a fixed point, and the identity; H read from memory, from the
 * destination itself (H there already) and from a set's file. */
static void order_checked(void)
{
    float *h = hessian();
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++)
            h[i * N + j] = 1e30f;
    float *src = to_panels(h, 1e30f), *a = malloc(sizeof(float) * floats());
    int32_t *perm = malloc(sizeof *perm * N);
    double *diag = malloc(sizeof *diag * N);
    lq_calib *c = lq__calib_new(N, 0);
    int fd = -1;
    CHECK(c != NULL);
    CHECK_OK(lq__temp_file("test", "a Hessian", &fd));
    memcpy(c->h, src, sizeof(float) * floats());
    lq__calib_spill_to(c, fd, 0);
    CHECK_OK(lq__calib_park(c));
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
        for (int from = 0; from < 3; from++) { /* memory, a itself, the file */
            if (from == 1)
                memcpy(a, src, sizeof(float) * floats());
            else
                memset(a, 0x7f, sizeof(float) * floats());
            CHECK_OK(lq__gptq_order_hessian(a, N, from == 0 ? src : from == 1 ? a : NULL, c,
                                            perm, diag));
            int bad = 0;
            for (int i = 0; i < N; i++)
                for (int j = (int)lq__panel_first(N, lq__panel_of(N, i)); j < N; j++) {
                    int p = perm[i], q = perm[j];
                    float want = j < i    ? 0.0f
                                 : j == i ? (float)diag[p]
                                 : p < q  ? h[p * N + q]
                                          : h[q * N + p];
                    bad += *lq__panels_at(a, N, i, j) != want;
                }
            CHECKF(bad == 0, "%s, from %d: %d entries differ", pass ? "identity" : "shuffled", from,
                   bad);
        }
    }
    lq_calib_free(c);
    close(fd);
    free(a);
    free(src);
    free(diag);
    free(perm);
    free(h);
}

LQT_MAIN(matches_reference, threads_agree, not_positive_definite, order_checked)
