/* panels.h — a symmetric n x n matrix kept as its upper triangle in row
 * panels, about n^2 / 2 floats: the calibration Hessian and GPTQ's inverse
 * factor (internal).
 *
 * The rows are grouped in panels of LQ__PANEL_ROWS counted from the end:
 * the last panel holds rows [n - P, n), the one before [n - 2P, n - P), ...,
 * the first the rest (1 to P rows). A panel of rows [k0, k1) holds columns
 * [k0, n), row-major with leading dimension n - k0, and the panels lie back
 * to back in order. So element (i, j) is stored for every j at or right of
 * its panel's first row: the upper triangle, and in each diagonal block the
 * part below the diagonal too (kept zero by the calibration set and by
 * GPTQ's order, never read as H). Any tile whose rows lie in one panel is a
 * plain BLAS operand (pointer, ld).
 *
 * Why from the end: reversing the whole array (both indices, i -> n - 1 - i)
 * gives the LOWER row panels of the reversed matrix, rows [r P, r P + P)
 * with columns [0, r P + P) (both cut at n) and ld the panel's width, with
 * boundaries at multiples of P from 0: the blocks of GPTQ's factorization,
 * which runs on the reversed matrix (methods/gptq_factor.c), so each of its
 * diagonal blocks lies in one panel. lq__lower_at addresses that view. */
#ifndef LQ_CALIB_PANELS_H
#define LQ_CALIB_PANELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LQ__PANEL_ROWS 256

/* The floats of the whole array for n >= 1 into *floats; false when that
 * many floats overflow a size_t. */
bool lq__panels_floats(int64_t n, size_t *floats);

static inline int64_t lq__panels_count(int64_t n)
{
    return (n + LQ__PANEL_ROWS - 1) / LQ__PANEL_ROWS;
}

/* The panel of row i. */
static inline int64_t lq__panel_of(int64_t n, int64_t i)
{
    return lq__panels_count(n) - 1 - (n - 1 - i) / LQ__PANEL_ROWS;
}

/* The first row of panel p (n for p == count). */
static inline int64_t lq__panel_first(int64_t n, int64_t p)
{
    int64_t k = n - (lq__panels_count(n) - p) * LQ__PANEL_ROWS;
    return k > 0 ? k : 0;
}

/* Floats before panel p (p == count: the whole array). Panel q >= 1 has P
 * rows of (count - q) P floats, the first f = n - (count - 1) P rows of n. */
static inline size_t lq__panel_offset(int64_t n, int64_t p)
{
    const int64_t P = LQ__PANEL_ROWS, m = lq__panels_count(n);
    if (p == 0)
        return 0;
    const int64_t f = n - (m - 1) * P, s = m - p; /* s: full panels from p on */
    return (size_t)(f * n + P * P * ((m - 1) * m / 2 - s * (s + 1) / 2));
}

/* The leading dimension of row i's panel. */
static inline int64_t lq__panels_ld(int64_t n, int64_t i)
{
    return n - lq__panel_first(n, lq__panel_of(n, i));
}

/* Element (i, j), j at or right of the first row of i's panel. */
static inline float *lq__panels_at(const float *a, int64_t n, int64_t i, int64_t j)
{
    const int64_t p = lq__panel_of(n, i), k0 = lq__panel_first(n, p);
    return (float *)a + lq__panel_offset(n, p) + (size_t)((i - k0) * (n - k0) + (j - k0));
}

/* The reversed array as lower row panels: element (i, j) of the reversed
 * matrix, j below the end of row i's panel (i / P + 1) P, and that
 * panel's ld. */
static inline int64_t lq__lower_ld(int64_t n, int64_t i)
{
    int64_t end = (i / LQ__PANEL_ROWS + 1) * LQ__PANEL_ROWS;
    return end < n ? end : n;
}

static inline float *lq__lower_at(const float *a, int64_t n, int64_t i, int64_t j)
{
    const int64_t r = i / LQ__PANEL_ROWS, m = lq__panels_count(n);
    size_t total = lq__panel_offset(n, m), before = total - lq__panel_offset(n, m - r);
    return (float *)a + before + (size_t)((i - r * LQ__PANEL_ROWS) * lq__lower_ld(n, i) + j);
}

#endif
