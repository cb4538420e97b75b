/* finite.c — lq__codec_first_nonfinite: the one check, for every format, that
 * a quantized tensor decodes to finite values. A scale that overflows its
 * storage (1e30 in an f16 scale, or about 1e5 for Q5_1's min times 31) makes
 * a whole block inf or NaN; llama.cpp writes such blocks silently, libquant
 * reports them instead. Checking the decoded rows, not each codec's scale
 * fields, keeps this one function for every layout. */
#include <math.h>
#include <stdatomic.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "codec.h"

typedef struct {
    const lq__qview *view;
    _Atomic int64_t first;   /* lowest bad row found so far; rows when none */
    _Atomic int nomem;
} scan;

static void scan_range(void *arg, int64_t r0, int64_t r1)
{
    scan *s = arg;
    const lq__qview *v = s->view;
    float *row = lq__malloc((size_t)v->cols * sizeof *row);
    if (!row) {
        s->nomem = 1;
        return;
    }
    const lq__codec *c = lq__codec_for(v->qp->type);
    for (int64_t r = r0; r < r1 && r < s->first; r++) {
        c->dequantize(v, r, r + 1, row);
        int64_t j = 0;
        while (j < v->cols && isfinite(row[j]))
            j++;
        if (j < v->cols) {
            int64_t cur = s->first;
            while (r < cur && !atomic_compare_exchange_weak(&s->first, &cur, r))
                ;
            break;
        }
    }
    lq__free(row);
}

lq_status lq__codec_first_nonfinite(const lq_ctx *ctx, const char *fn, const lq__qview *v,
                                     int64_t *row)
{
    *row = -1;
    if (v->rows == 0 || v->cols == 0)
        return LQ_OK;
    scan s = {.view = v, .first = v->rows};
    /* the threads of ctx, without its progress: the quantization reported 1 already */
    lq_ctx quiet = {0};
    if (ctx)
        quiet.threads = ctx->threads;
    lq_status st = lq__parallel_for(&quiet, "check", v->rows, lq__grain_for(v->cols, 1 << 16),
                                    scan_range, &s);
    if (st != LQ_OK)
        return st;
    if (s.nomem)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (s.first < v->rows)
        *row = s.first;
    return LQ_OK;
}
