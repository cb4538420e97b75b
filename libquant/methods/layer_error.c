/* layer_error.c — output errors from the calibration Hessian (layer_error.h). */
#include "../calib/calib.h"
#include "../calib/hessian_mul.h"
#include "../calib/panels.h"
#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../kernels/slots.h"
#include "layer_error.h"

/* Rows per BLAS call: bounds each thread's temporaries to ~8 MB. */
static int64_t row_block(int64_t n)
{
    int64_t b = ((int64_t)1 << 20) / n;
    return b < 1 ? 1 : b;
}

typedef struct {
    const lq_calib *c;
    const float *a, *b; /* b may be NULL */
    int64_t rows, rb;
    double *partial;    /* one sum per block of rb rows */
    lq__slots buf;      /* d and t of a block, one pair per running block */
    int64_t half;       /* floats from d to t: rb n rounded up to 64 bytes (both aligned) */
} quad_job;

static void quad_blocks(void *arg, int64_t b0, int64_t b1)
{
    quad_job *j = arg;
    const int64_t n = j->c->n;
    int slot;
    float *d = lq__slot_take(&j->buf, &slot), *t = d + j->half;
    for (int64_t blk = b0; blk < b1; blk++) {
        int64_t r0 = blk * j->rb, m = j->rows - r0 < j->rb ? j->rows - r0 : j->rb;
        for (int64_t i = 0; i < m * n; i++)
            t[i] = d[i] = j->b ? j->a[r0 * n + i] - j->b[r0 * n + i] : j->a[r0 * n + i];
        /* d H d^T = 2 d U d^T - sum_i d_i^2 H_ii with U H's upper triangle
         * (the triangle stored): t = d U is a triangular product, half the
         * work of the symmetric one. BLAS runs serially in each of the
         * pool's threads. */
        lq__hessian_upper_mul(j->c, d, m, t);
        double sum = 0;
        for (int64_t r = 0; r < m; r++)
            for (int64_t i = 0; i < n; i++) {
                double v = d[r * n + i];
                sum += 2 * v * t[r * n + i] - v * v * *lq__panels_at(j->c->h, n, i, i);
            }
        j->partial[blk] = sum;
    }
    lq__slot_give(&j->buf, slot);
}

/* The blocks run on ctx's threads; their sums are added onto *sum in block
 * order, so the result does not depend on the thread count. The blocks'
 * buffers are allocated here, on the calling thread, one d and t pair per
 * thread in one piece: allocated by each block in the pool's workers, the
 * pairs (4.19 MB each for 5632 features, just under the lq tool's 4 MiB
 * mmap threshold) came from the workers' malloc arenas, which kept up to
 * 81 MB of them freed but resident after AWQ's ffn_down searches on the
 * calib_mem model, under every later step (AWQ --max-memory 1 peaked at
 * 229 MB in the next layer's calibration walk; 147 MB now). */
static lq_status quadratic(const lq_ctx *ctx, const lq_calib *c, const float *a, const float *b,
                           int64_t rows, double *sum)
{
    const int64_t rb = row_block(c->n), blocks = (rows + rb - 1) / rb;
    if (blocks == 0)
        return LQ_OK;
    lq_ctx quiet = {.threads = ctx ? ctx->threads : 0}; /* the caller reports progress */
    const int64_t threads = lq__ctx_threads(&quiet);
    size_t pair;
    quad_job j = {c, a, b, rows, rb, lq__calloc((size_t)(blocks + 1), sizeof(double)), {0},
                  (rb * c->n + 15) / 16 * 16};
    if (!j.partial || !lq__mul_size((size_t)(2 * j.half), sizeof(float), &pair) ||
        !lq__slots_init(&j.buf, (int)(threads < blocks ? threads : blocks), pair)) {
        lq__free(j.partial);
        return lq__fail(LQ_ERR_NOMEM, "output error: out of memory");
    }
    lq_status st = lq__parallel_for(&quiet, "error", blocks, 1, quad_blocks, &j);
    for (int64_t i = 0; i < blocks; i++)
        *sum += j.partial[i];
    lq__free(j.partial);
    lq__slots_free(&j.buf);
    return st;
}

lq_status lq__hessian_error(const lq_ctx *ctx, const lq_calib *c, const float *d, int64_t rows,
                            double *out)
{
    *out = 0;
    return quadratic(ctx, c, d, NULL, rows, out);
}

lq_status lq__hessian_error_add(const lq_ctx *ctx, const lq_calib *c, const float *d,
                                int64_t rows, double *sum)
{
    return quadratic(ctx, c, d, NULL, rows, sum);
}

lq_status lq__hessian_error_diff(const lq_ctx *ctx, const lq_calib *c, const float *a,
                                 const float *b, int64_t rows, double *out)
{
    *out = 0;
    return quadratic(ctx, c, a, b, rows, out);
}

int64_t lq__hessian_chunk_rows(const lq_ctx *ctx, const lq_calib *c, int64_t rows)
{
    if (!ctx || !ctx->small_buffers)
        return rows;
    /* a block per thread, so that each call still spreads over them (two
     * per thread held AWQ's three chunk buffers at 50 MB on ffn_down of the
     * calib_mem model, 25 MB now) */
    int64_t chunk = row_block(c->n) * lq__ctx_threads(ctx);
    return chunk < rows ? chunk : rows;
}
