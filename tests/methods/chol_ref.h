/* chol_ref.h — the GPTQ tests' reference for the factor GPTQ sweeps with:
 * the upper Cholesky factor of H^-1, from first principles in double
 * (chol(H), its inverse, chol(H^-1)), as the torch reference computes it. */
#ifndef LQ_TESTS_CHOL_REF_H
#define LQ_TESTS_CHOL_REF_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* In-place lower Cholesky of a (n x n); 0 when not positive definite. */
static inline int lqt_cholesky(double *a, int n)
{
    for (int j = 0; j < n; j++) {
        double d = a[j * n + j];
        for (int k = 0; k < j; k++)
            d -= a[j * n + k] * a[j * n + k];
        if (!(d > 0))
            return 0;
        a[j * n + j] = sqrt(d);
        for (int i = j + 1; i < n; i++) {
            double s = a[i * n + j];
            for (int k = 0; k < j; k++)
                s -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = s / a[j * n + j];
        }
        for (int k = j + 1; k < n; k++)
            a[j * n + k] = 0;
    }
    return 1;
}

/* u = upper Cholesky factor of h^-1, from first principles. */
static inline int lqt_inverse_upper(const double *h, int n, double *u)
{
    double *l = malloc(sizeof(double) * n * n), *li = calloc((size_t)n * n, sizeof(double));
    memcpy(l, h, sizeof(double) * n * n);
    int ok = lqt_cholesky(l, n);
    for (int c = 0; ok && c < n; c++) /* li = l^-1, column by column */
        for (int i = c; i < n; i++) {
            double s = i == c ? 1.0 : 0.0;
            for (int k = c; k < i; k++)
                s -= l[i * n + k] * li[k * n + c];
            li[i * n + c] = s / l[i * n + i];
        }
    for (int i = 0; ok && i < n; i++) /* h^-1 = li^T li */
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = i > j ? i : j; k < n; k++)
                s += li[k * n + i] * li[k * n + j];
            u[i * n + j] = s;
        }
    ok = ok && lqt_cholesky(u, n);
    for (int i = 0; ok && i < n; i++) /* transpose the lower factor to the upper one */
        for (int j = i + 1; j < n; j++) {
            u[i * n + j] = u[j * n + i];
            u[j * n + i] = 0;
        }
    free(l);
    free(li);
    return ok;
}

#endif
