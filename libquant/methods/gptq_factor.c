/* gptq_factor.c — GPTQ's inverse factor U (H^-1 = U^T U), blocked over the
 * pool.
 *
 * The reference computes chol(H), then H^-1, then chol(H^-1); the same U (the
 * factor is unique) comes from half the work: with P the index reversal,
 * P H P = L L^T gives H = (P L P)(P L P)^T with P L P upper, so
 * U = (P L P)^-1 = P L^-1 P. Reversing both indices of a row-major matrix
 * reverses its array.
 *
 * LAPACK's spotrf and strtri on the whole matrix ran on one thread: libquant
 * sets OpenBLAS to one thread for the process (kernels/blas.h), a setting
 * it cannot change per call, and OpenBLAS splits its threaded work by the
 * thread count, so nothing would promise the same rounding on 1 and N
 * threads. So both steps are blocked here,
 * in blocks of FACTOR_BLOCK columns, with the diagonal blocks factored and
 * inverted by LAPACK on the calling thread and the O(n^3) rest (panel
 * solves, trailing updates, triangular products) cut into tiles of
 * FACTOR_ROWS rows, one single-threaded BLAS call each, on the pool. The
 * tiles are fixed by n alone, so the bytes do not depend on the thread
 * count. L is kept in the lower triangle of the row-major array, which
 * LAPACK (column-major) sees as an upper one. */
#include <cblas.h>
#include <lapacke.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../kernels/blas.h"
#include "gptq_factor.h"

/* Columns per block: LAPACK's serial share is n x FACTOR_BLOCK^2 / 3 of the
 * n^3 / 3 of each step, and the trailing products' inner dimension is this
 * wide, enough for sgemm to run near its peak. */
#define FACTOR_BLOCK 256
/* Rows per tile: enough tiles to keep two or more threads busy down to the
 * last blocks, each a product large enough to amortise its packing. */
#define FACTOR_ROWS 128

static void reverse(float *a, int64_t len)
{
    for (int64_t i = 0, j = len - 1; i < j; i++, j--) {
        float t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* One step of either algorithm: block [k0, k1) of a (n x n, row-major), the
 * rows from k1 on split into tiles; t: the panel (rows after k1 x block). */
typedef struct {
    float *a, *t;
    int64_t n, k0, k1;
} step;

/* Cholesky, panel: L21 = A21 L11^-T. */
static void chol_panel(void *arg, int64_t r0, int64_t r1)
{
    const step *s = arg;
    const int n = (int)s->n, b = (int)(s->k1 - s->k0);
    cblas_strsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, (int)(r1 - r0),
                b, 1.0f, s->a + s->k0 * s->n + s->k0, n, s->a + (s->k1 + r0) * s->n + s->k0, n);
}

/* Cholesky, trailing update of rows [R0, R1): A22 -= L21 L21^T on the lower
 * triangle, the rectangle left of the tile's diagonal block by sgemm, the
 * block by ssyrk. */
static void chol_update(void *arg, int64_t r0, int64_t r1)
{
    const step *s = arg;
    const int n = (int)s->n, b = (int)(s->k1 - s->k0);
    const int64_t R0 = s->k1 + r0, R1 = s->k1 + r1;
    float *a = s->a;
    if (R0 > s->k1)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(R1 - R0), (int)(R0 - s->k1),
                    b, -1.0f, a + R0 * s->n + s->k0, n, a + s->k1 * s->n + s->k0, n, 1.0f,
                    a + R0 * s->n + s->k1, n);
    cblas_ssyrk(CblasRowMajor, CblasLower, CblasNoTrans, (int)(R1 - R0), b, -1.0f,
                a + R0 * s->n + s->k0, n, 1.0f, a + R0 * s->n + R0, n);
}

/* In place: the lower Cholesky factor L of a; false when a is not positive
 * definite. Right-looking: each block's diagonal is factored, the panel
 * below it solved, and the rest updated. */
static bool cholesky(const lq_ctx *threads, float *a, int64_t n)
{
    for (int64_t k0 = 0; k0 < n; k0 += FACTOR_BLOCK) {
        int64_t k1 = k0 + FACTOR_BLOCK < n ? k0 + FACTOR_BLOCK : n;
        if (LAPACKE_spotrf_work(LAPACK_COL_MAJOR, 'U', (int)(k1 - k0), a + k0 * n + k0, (int)n) !=
            0)
            return false;
        step s = {a, NULL, n, k0, k1};
        /* no progress callback: these cannot fail */
        (void)lq__parallel_for(threads, "gptq", n - k1, FACTOR_ROWS, chol_panel, &s);
        (void)lq__parallel_for(threads, "gptq", n - k1, FACTOR_ROWS, chol_update, &s);
    }
    return true;
}

/* Inverse, first half: T = X22 L21 for rows [R0, R1), where X22 (the
 * inverse of L's trailing part, already in place) is lower triangular: its
 * diagonal tile by strmm on a copy of L21's rows, the rectangle left of it
 * by sgemm. */
static void inv_product(void *arg, int64_t r0, int64_t r1)
{
    const step *s = arg;
    const int n = (int)s->n, b = (int)(s->k1 - s->k0);
    const int64_t R0 = s->k1 + r0, R1 = s->k1 + r1;
    const float *a = s->a;
    float *t = s->t + r0 * b;
    for (int64_t r = R0; r < R1; r++)
        memcpy(t + (r - R0) * b, a + r * s->n + s->k0, (size_t)b * sizeof *t);
    cblas_strmm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)(R1 - R0),
                b, 1.0f, a + R0 * s->n + R0, n, t, b);
    if (R0 > s->k1)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(R1 - R0), b,
                    (int)(R0 - s->k1), 1.0f, a + R0 * s->n + s->k1, n, a + s->k1 * s->n + s->k0,
                    n, 1.0f, t, b);
}

/* Inverse, second half: X21 = -T L11^-1 into L21's place. */
static void inv_panel(void *arg, int64_t r0, int64_t r1)
{
    const step *s = arg;
    const int n = (int)s->n, b = (int)(s->k1 - s->k0);
    float *t = s->t + r0 * b;
    cblas_strsm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, (int)(r1 - r0),
                b, -1.0f, s->a + s->k0 * s->n + s->k0, n, t, b);
    for (int64_t r = r0; r < r1; r++)
        memcpy(s->a + (s->k1 + r) * s->n + s->k0, t + (r - r0) * b, (size_t)b * sizeof *t);
}

/* In place: L^-1 of the lower triangular a, blocks from the last to the
 * first: with L = [L11 0; L21 L22] and X22 = L22^-1 known,
 * L^-1 = [L11^-1 0; -X22 L21 L11^-1 X22]. t: (n - 1) x FACTOR_BLOCK floats.
 * False on a zero diagonal. */
static bool inverse(const lq_ctx *threads, float *a, int64_t n, float *t)
{
    for (int64_t k0 = (n - 1) / FACTOR_BLOCK * FACTOR_BLOCK; k0 >= 0; k0 -= FACTOR_BLOCK) {
        int64_t k1 = k0 + FACTOR_BLOCK < n ? k0 + FACTOR_BLOCK : n;
        step s = {a, t, n, k0, k1};
        (void)lq__parallel_for(threads, "gptq", n - k1, FACTOR_ROWS, inv_product, &s);
        (void)lq__parallel_for(threads, "gptq", n - k1, FACTOR_ROWS, inv_panel, &s);
        if (LAPACKE_strtri_work(LAPACK_COL_MAJOR, 'U', 'N', (int)(k1 - k0), a + k0 * n + k0,
                                (int)n) != 0)
            return false;
    }
    return true;
}

lq_status lq__gptq_inverse_factor(int threads, float *h, int64_t n, bool *ok)
{
    *ok = false;
    float *t = lq__malloc((size_t)(n > FACTOR_BLOCK ? n - 1 : 1) * FACTOR_BLOCK * sizeof *t);
    if (!t)
        return lq__fail(LQ_ERR_NOMEM, "gptq: cannot allocate a %lld x %d panel",
                        (long long)n, FACTOR_BLOCK);
    lq_ctx ctx = {.threads = threads};
    lq__blas_serial(); /* the tiles are split over the pool */
    reverse(h, n * n);
    *ok = cholesky(&ctx, h, n) && inverse(&ctx, h, n, t);
    if (*ok)
        reverse(h, n * n);
    lq__free(t);
    return LQ_OK;
}
