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
 * LAPACK (column-major) sees as an upper one.
 *
 * H and U are in row panels (calib/panels.h); reversed, the array is the
 * lower row panels of P H P, each block of FACTOR_BLOCK rows one panel, so
 * a diagonal block and a tile of rows (FACTOR_ROWS divides FACTOR_BLOCK)
 * are plain BLAS operands. The one operand that spans panels, L21 (the rows
 * below the current block, read by every tile of the trailing update and of
 * the inverse's product), is first copied into a contiguous buffer: the same
 * numbers, so the same BLAS calls give the same bytes as on a full n x n
 * array. */
#include <cblas.h>
#include <lapacke.h>
#include <string.h>

#include "../calib/panels.h"
#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../kernels/blas.h"
#include "gptq_factor.h"

/* Columns per block: one panel (LAPACK's serial share is n x
 * FACTOR_BLOCK^2 / 3 of the n^3 / 3 of each step, and the trailing
 * products' inner dimension is this wide, enough for sgemm to run near its
 * peak). */
#define FACTOR_BLOCK LQ__PANEL_ROWS
/* Rows per tile: enough tiles to keep two or more threads busy down to the
 * last blocks, each a product large enough to amortise its packing; a
 * divisor of FACTOR_BLOCK, so that a tile lies in one panel. */
#define FACTOR_ROWS 128

static void reverse(float *a, size_t len)
{
    for (size_t i = 0, j = len - 1; i < j; i++, j--) {
        float t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* One step of either algorithm: block [k0, k1) of a (the reversed panels),
 * the rows from k1 on split into tiles; l: L21, rows after k1 x block,
 * contiguous. */
typedef struct {
    float *a, *l;
    int64_t n, k0, k1;
} step;

static float *at(const step *s, int64_t i, int64_t j)
{
    return lq__lower_at(s->a, s->n, i, j);
}

static int ld(const step *s, int64_t i)
{
    return (int)lq__lower_ld(s->n, i);
}

/* Rows [r0, r1) after k1 of L21 into l. */
static void copy_l21(const step *s, int64_t r0, int64_t r1)
{
    const int64_t b = s->k1 - s->k0;
    for (int64_t r = r0; r < r1; r++)
        memcpy(s->l + r * b, at(s, s->k1 + r, s->k0), (size_t)b * sizeof *s->l);
}

/* Cholesky, panel: L21 = A21 L11^-T, then copied into l. */
static void chol_panel(void *arg, int64_t r0, int64_t r1)
{
    const step *s = arg;
    const int b = (int)(s->k1 - s->k0);
    const int64_t R0 = s->k1 + r0;
    cblas_strsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, (int)(r1 - r0),
                b, 1.0f, at(s, s->k0, s->k0), ld(s, s->k0), at(s, R0, s->k0), ld(s, R0));
    copy_l21(s, r0, r1);
}

/* Cholesky, trailing update of rows [R0, R1): A22 -= L21 L21^T on the lower
 * triangle, the rectangle left of the tile's diagonal block by sgemm, the
 * block by ssyrk. */
static void chol_update(void *arg, int64_t r0, int64_t r1)
{
    const step *s = arg;
    const int b = (int)(s->k1 - s->k0);
    const int64_t R0 = s->k1 + r0;
    const float *l = s->l + r0 * b;
    if (r0 > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(r1 - r0), (int)r0, b, -1.0f,
                    l, b, s->l, b, 1.0f, at(s, R0, s->k1), ld(s, R0));
    cblas_ssyrk(CblasRowMajor, CblasLower, CblasNoTrans, (int)(r1 - r0), b, -1.0f, l, b, 1.0f,
                at(s, R0, R0), ld(s, R0));
}

/* In place: the lower Cholesky factor L of a; false when a is not positive
 * definite. Right-looking: each block's diagonal is factored, the panel
 * below it solved, and the rest updated. */
static bool cholesky(const lq_ctx *threads, float *a, int64_t n, float *l)
{
    for (int64_t k0 = 0; k0 < n; k0 += FACTOR_BLOCK) {
        int64_t k1 = k0 + FACTOR_BLOCK < n ? k0 + FACTOR_BLOCK : n;
        step s = {a, l, n, k0, k1};
        if (LAPACKE_spotrf_work(LAPACK_COL_MAJOR, 'U', (int)(k1 - k0), at(&s, k0, k0),
                                ld(&s, k0)) != 0)
            return false;
        /* no progress callback: these cannot fail */
        (void)lq__parallel_for(threads, "gptq", n - k1, FACTOR_ROWS, chol_panel, &s);
        (void)lq__parallel_for(threads, "gptq", n - k1, FACTOR_ROWS, chol_update, &s);
    }
    return true;
}

static void copy_tiles(void *arg, int64_t r0, int64_t r1)
{
    copy_l21(arg, r0, r1);
}

/* Inverse, rows [R0, R1) of X21 = -X22 L21 L11^-1 in L21's place: T = X22
 * L21, where X22 (the inverse of L's trailing part, already in place) is
 * lower triangular, its diagonal tile by strmm on the rows themselves, the
 * rectangle left of it by sgemm with L21's earlier rows from l (the copy,
 * since other tiles overwrite theirs), then the solve by L11. */
static void inv_rows(void *arg, int64_t r0, int64_t r1)
{
    const step *s = arg;
    const int b = (int)(s->k1 - s->k0), m = (int)(r1 - r0);
    const int64_t R0 = s->k1 + r0;
    float *t = at(s, R0, s->k0);
    cblas_strmm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, m, b, 1.0f,
                at(s, R0, R0), ld(s, R0), t, ld(s, R0));
    if (r0 > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, b, (int)r0, 1.0f,
                    at(s, R0, s->k1), ld(s, R0), s->l, b, 1.0f, t, ld(s, R0));
    cblas_strsm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, m, b, -1.0f,
                at(s, s->k0, s->k0), ld(s, s->k0), t, ld(s, R0));
}

/* In place: L^-1 of the lower triangular a, blocks from the last to the
 * first: with L = [L11 0; L21 L22] and X22 = L22^-1 known,
 * L^-1 = [L11^-1 0; -X22 L21 L11^-1 X22]. l: (n - 1) x FACTOR_BLOCK floats.
 * False on a zero diagonal. */
static bool inverse(const lq_ctx *threads, float *a, int64_t n, float *l)
{
    for (int64_t k0 = (n - 1) / FACTOR_BLOCK * FACTOR_BLOCK; k0 >= 0; k0 -= FACTOR_BLOCK) {
        int64_t k1 = k0 + FACTOR_BLOCK < n ? k0 + FACTOR_BLOCK : n;
        step s = {a, l, n, k0, k1};
        (void)lq__parallel_for(threads, "gptq", n - k1, FACTOR_ROWS, copy_tiles, &s);
        (void)lq__parallel_for(threads, "gptq", n - k1, FACTOR_ROWS, inv_rows, &s);
        if (LAPACKE_strtri_work(LAPACK_COL_MAJOR, 'U', 'N', (int)(k1 - k0), at(&s, k0, k0),
                                ld(&s, k0)) != 0)
            return false;
    }
    return true;
}

lq_status lq__gptq_inverse_factor(int threads, float *h, int64_t n, bool *ok)
{
    *ok = false;
    float *l = lq__malloc((size_t)(n > FACTOR_BLOCK ? n - 1 : 1) * FACTOR_BLOCK * sizeof *l);
    if (!l)
        return lq__fail(LQ_ERR_NOMEM, "gptq: cannot allocate a %lld x %d panel", (long long)n,
                        FACTOR_BLOCK);
    size_t floats = lq__panel_offset(n, lq__panels_count(n));
    lq_ctx ctx = {.threads = threads};
    lq__blas_serial(); /* the tiles are split over the pool */
    reverse(h, floats);
    *ok = cholesky(&ctx, h, n, l) && inverse(&ctx, h, n, l);
    if (*ok)
        reverse(h, floats);
    lq__free(l);
    return LQ_OK;
}
