/* test_panels.c — the row-panel layout of a symmetric matrix
 * (libquant/calib/panels.h): every stored element at its own place, the
 * places filling the array exactly, a panel's rows one BLAS operand, the
 * panels of P rows counted from the end, the reversed array addressed as
 * lower row panels, and the size check; the products with a set's Hessian
 * on its panels (calib/hessian_mul.h) against the full matrix in double.
 * White-box. */
#include <math.h>
#include <stdint.h>

#include "libquant/calib/hessian_mul.h"
#include "libquant/calib/panels.h"
#include "synth.h"

/* Sizes below, at and around the panel height, a partial first panel, and
 * multiples of it. */
static const int64_t sizes[] = {1, 2, 100, 255, 256, 257, 511, 700, 1024, 1100};

static void places_fill_the_array(void)
{
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        const int64_t n = sizes[k], m = lq__panels_count(n);
        size_t total = 0;
        CHECK(lq__panels_floats(n, &total));
        /* the closed form against the rows summed one by one */
        size_t sum = 0;
        for (int64_t i = 0; i < n; i++)
            sum += (size_t)lq__panels_ld(n, i);
        CHECKF(total == sum, "n %lld: %zu floats, the rows sum to %zu", (long long)n, total, sum);
        unsigned char *seen = calloc(total, 1);
        const float *a = NULL;
        int bad = 0;
        for (int64_t i = 0; i < n; i++) {
            const int64_t p = lq__panel_of(n, i), k0 = lq__panel_first(n, p);
            bad += k0 > i || lq__panel_first(n, p + 1) <= i;
            bad += p > 0 && lq__panel_first(n, p + 1) - k0 != LQ__PANEL_ROWS;
            for (int64_t j = k0; j < n; j++) {
                size_t at = (size_t)(lq__panels_at(a, n, i, j) - a);
                bad += at >= total || seen[at]++;
                /* a panel's rows: pointer + ld */
                bad += lq__panels_at(a, n, i, j) !=
                       lq__panels_at(a, n, k0, k0) + (i - k0) * lq__panels_ld(n, i) + (j - k0);
                /* reversed: the lower panels of the reversed matrix */
                const int64_t ri = n - 1 - i, rj = n - 1 - j;
                bad += rj >= lq__lower_ld(n, ri) ||
                       (size_t)(lq__lower_at(a, n, ri, rj) - a) != total - 1 - at;
            }
        }
        bad += lq__panel_first(n, 0) != 0 || lq__panel_first(n, m) != n;
        bad += lq__panel_offset(n, m) != total;
        for (int64_t i = 0; i < n; i++) /* reversed panels start at multiples of P */
            bad += lq__lower_ld(n, i) != ((i / LQ__PANEL_ROWS + 1) * LQ__PANEL_ROWS < n
                                              ? (i / LQ__PANEL_ROWS + 1) * LQ__PANEL_ROWS : n);
        CHECKF(bad == 0, "n %lld: %d misplaced", (long long)n, bad);
        free(seen);
    }
}

static void sizes_are_checked(void)
{
    size_t f = 0;
    CHECK(!lq__panels_floats(0, &f));
    CHECK(!lq__panels_floats(-1, &f));
    CHECK(!lq__panels_floats(INT64_MAX, &f));
    CHECK(lq__panels_floats(65536, &f) && f == lq__panel_offset(65536, 256));
    /* about half of n^2 and never less */
    CHECK(f >= (size_t)65536 * 65537 / 2 && f <= (size_t)65536 * (65536 + LQ__PANEL_ROWS) / 2);
}

/* t = d U (U: H's upper triangle) and t = d H[c0.., c0..] for blocks inside
 * one panel and across several, against sums in double over the full
 * symmetric matrix from lq_calib_get. */
static void products_match_the_full_matrix(void)
{
    enum { N = 700, M = 3, TOK = 64 };
    lqt_rng r = {99};
    float *x = malloc(sizeof(float) * TOK * N), *h = malloc(sizeof(float) * N * N);
    float *d = malloc(sizeof(float) * M * N), *t = malloc(sizeof(float) * M * N);
    for (int i = 0; i < TOK * N; i++)
        x[i] = lqt_normal(&r);
    for (int i = 0; i < M * N; i++)
        d[i] = lqt_normal(&r);
    lq_calib *c = NULL;
    CHECK_OK(lq_calib_create(N, &c));
    CHECK_OK(lq_calib_add(c, x, TOK));
    CHECK_OK(lq_calib_get(c, LQ_CALIB_HESSIAN, h, (int64_t)N * N));
    /* float products of length <= N of O(1) terms against double: a few
     * eps x sqrt(N) x the terms' size; a misplaced block is off by O(1) */
    const double tol = 1e-4;
    double worst = 0;
    lq__hessian_upper_mul(c, d, M, t);
    for (int k = 0; k < M; k++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int i = 0; i <= j; i++)
                s += (double)d[k * N + i] * h[i * N + j];
            worst = fmax(worst, fabs(s - t[k * N + j]) / (1 + fabs(s)));
        }
    CHECKF(worst < tol, "upper product: relative error %g", worst);
    /* inside the last panel, across the first two, the whole matrix */
    static const int blocks[][2] = {{N - 128, 64}, {100, 400}, {0, N}};
    for (int b = 0; b < 3; b++) {
        const int c0 = blocks[b][0], len = blocks[b][1];
        float *db = malloc(sizeof(float) * M * len), *tb = malloc(sizeof(float) * M * len);
        for (int k = 0; k < M; k++)
            memcpy(db + k * len, d + k * N + c0, sizeof(float) * len);
        lq__hessian_block_mul(c, c0, len, db, M, tb);
        worst = 0;
        for (int k = 0; k < M; k++)
            for (int j = 0; j < len; j++) {
                double s = 0;
                for (int i = 0; i < len; i++)
                    s += (double)db[k * len + i] * h[(c0 + i) * N + c0 + j];
                worst = fmax(worst, fabs(s - tb[k * len + j]) / (1 + fabs(s)));
            }
        CHECKF(worst < tol, "block at %d of %d: relative error %g", c0, len, worst);
        free(db);
        free(tb);
    }
    lq_calib_free(c);
    free(x);
    free(h);
    free(d);
    free(t);
}

LQT_MAIN(places_fill_the_array, sizes_are_checked, products_match_the_full_matrix)
