/* test_panels.c — the row-panel layout of a symmetric matrix
 * (libquant/calib/panels.h): every stored element at its own place, the
 * places filling the array exactly, a panel's rows one BLAS operand, the
 * panels of P rows counted from the end, the reversed array addressed as
 * lower row panels, and the size check. White-box. */
#include <stdint.h>

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

LQT_MAIN(places_fill_the_array, sizes_are_checked)
