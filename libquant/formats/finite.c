/* finite.c — lq__codec_first_nonfinite: the one check, for every format, that
 * a quantized tensor decodes to finite values. A scale that overflows its
 * storage (1e30 in an f16 scale, or about 1e5 for Q5_1's min times 31) makes
 * a whole block inf or NaN; llama.cpp writes such blocks silently, libquant
 * reports them instead. The decoded rows are checked, for every layout; a
 * ggml type whose codec names its f16 scale fields (lq__codec) has those
 * read instead, which says the same at a fraction of the cost (decoding was
 * a tenth of a whole-model quantization). */
#include <math.h>
#include <stdatomic.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../core/type_info.h"
#include "codec.h"

typedef struct {
    const lq__qview *view;
    _Atomic int64_t first;   /* lowest bad row found so far; rows when none */
    _Atomic int nomem;
} scan;

/* Lower s->first to row r. */
static void found(scan *s, int64_t r)
{
    int64_t cur = s->first;
    while (r < cur && !atomic_compare_exchange_weak(&s->first, &cur, r))
        ;
}

/* Rows [r0, r1) by their blocks' f16 scale fields. */
static void scan_scales(scan *s, const lq__codec *c, int64_t r0, int64_t r1)
{
    const lq__qview *v = s->view;
    const lq__type_info *ti = lq__type(v->qp->type);
    const int64_t blocks = v->cols / ti->block_elems;
    const size_t row_bytes = (size_t)blocks * (size_t)ti->block_bytes;
    for (int64_t r = r0; r < r1 && r < s->first; r++) {
        const uint8_t *row = v->data + (size_t)r * row_bytes;
        for (int64_t b = 0; b < blocks; b++)
            for (int f = 0; f < c->n_f16_scales; f++) {
                const uint8_t *h = row + (size_t)b * (size_t)ti->block_bytes + c->f16_scale_at[f];
                if ((h[1] & 0x7C) == 0x7C) { /* f16 exponent all ones: inf or NaN */
                    found(s, r);
                    return;
                }
            }
    }
}

static void scan_range(void *arg, int64_t r0, int64_t r1)
{
    scan *s = arg;
    const lq__qview *v = s->view;
    const lq__codec *c = lq__codec_for(v->qp->type);
    if (c->n_f16_scales > 0) {
        scan_scales(s, c, r0, r1);
        return;
    }
    float *row = lq__malloc((size_t)v->cols * sizeof *row);
    if (!row) {
        s->nomem = 1;
        return;
    }
    for (int64_t r = r0; r < r1 && r < s->first; r++) {
        c->dequantize(v, r, r + 1, row);
        int64_t j = 0;
        while (j < v->cols && isfinite(row[j]))
            j++;
        if (j < v->cols) {
            found(s, r);
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
