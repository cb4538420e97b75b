/* quantize.c — lq_quantize and lq_scheme_tensor_bytes: from a float tensor
 * and a scheme to a quantized tensor. Each method other than rtn lives in its
 * own file and registers here. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../calib/calib.h"
#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../core/tensor.h"
#include "../core/type_info.h"
#include "../kernels/dequantize.h"
#include "../kernels/matmul.h"
#include "methods.h"
#include "quantize.h"
#include "../core/scheme_names.h"

static lq_status rtn_run(const lq__method_job *job)
{
    const lq__codec *c = lq__codec_for(job->q.qp->type);
    if (!c->quantize)
        return lq__fail(LQ_ERR_UNSUPPORTED, "type %s cannot be quantized to",
                        lq_type_name(job->q.qp->type));
    return c->quantize(&job->q);
}

static const lq__method rtn = {0, rtn_run, 0};

const lq__method *lq__method_for(int method)
{
    switch (method) {
    case LQ_METHOD_RTN: return &rtn;
    case LQ_METHOD_GPTQ: return &lq__method_gptq;
    case LQ_METHOD_AWQ: return &lq__method_awq;
    case LQ_METHOD_HQQ: return &lq__method_hqq;
    case LQ_METHOD_SMOOTHQUANT: return &lq__method_smoothquant;
    case LQ_METHOD_LLM_INT8: return &lq__method_llm_int8;
    default: return NULL;
    }
}

typedef struct {
    const float *x;
    int64_t cols;
    _Atomic int64_t first; /* lowest row with a non-finite value; rows when none */
} finite_scan;

static void finite_range(void *arg, int64_t r0, int64_t r1)
{
    finite_scan *s = arg;
    for (int64_t r = r0; r < r1 && r < s->first; r++) {
        if (lq__first_nonfinite(s->x + r * s->cols, s->cols) < s->cols) {
            int64_t cur = s->first;
            while (r < cur && !atomic_compare_exchange_weak(&s->first, &cur, r))
                ;
            return;
        }
    }
}

/* The first non-finite value of x (rows x cols), as its row plus row0 and
 * its column, for the message, to be prefixed with the function and the
 * tensor. The scan runs on the threads of ctx: on a single pass over a whole
 * model it was a tenth of the time for the cheap types (Q8_0), serial. */
static lq_status check_finite(const lq_ctx *ctx, const float *x, int64_t rows, int64_t cols,
                              int64_t row0)
{
    if (rows == 0 || cols == 0)
        return LQ_OK;
    finite_scan s = {x, cols, rows};
    /* without ctx's progress: it reports the quantization */
    lq_ctx quiet = {.threads = ctx ? ctx->threads : 0};
    lq_status st = lq__parallel_for(&quiet, "check", rows, lq__grain_for(cols, 1 << 16),
                                    finite_range, &s);
    if (st != LQ_OK || s.first == rows)
        return st;
    const float *row = x + s.first * cols;
    int64_t c = 0;
    while (isfinite(row[c]))
        c++;
    return lq__fail(LQ_ERR_NONFINITE, "%s at row %lld, column %lld",
                    isnan(row[c]) ? "NaN" : "infinity", (long long)(row0 + s.first),
                    (long long)c);
}

lq_status lq__method_rows(const lq__method_job *job, int64_t r0, int64_t r1, float *dst)
{
    /* without ctx's progress: the method reports its own */
    lq_ctx quiet = {.threads = lq__ctx_threads(job->q.ctx)};
    lq_status st = lq__decode_rows_f32(&quiet, job->fn, job->src, r0, r1, dst);
    /* read: a source in a file map gives its pages back now rather than when
     * the whole weight is done (70 B's ffn_down: 470 MB of F16 pages beside
     * GPTQ's 1.64 GB Hessian factor); a second read of the rows (a per-tensor
     * grid's pass) maps them again */
    lq__tensor_release_rows(job->src, r0, r1);
    return st == LQ_OK ? check_finite(&quiet, dst, r1 - r0, job->q.cols, r0) : st;
}

/* Finite input can still give a non-finite result, when a row's values are
 * too large for the type's scales (1e30 for an f16 scale or F16 itself, about
 * 1e5 for Q5_1). llama.cpp writes the infinities; libquant refuses, for every
 * type and method alike, naming the first such row and its largest magnitude
 * (read again from src, which a method that reads rows has nowhere whole). */
static lq_status check_result(const char *fn, const lq_ctx *ctx, const lq_tensor *src,
                              const lq_tensor *q, const lq__layout *layout)
{
    lq__qview v = {q->data, lq__tensor_rows(q), lq__tensor_cols(q), &q->scheme->qp, *layout};
    int64_t row;
    lq_status st = lq__codec_first_nonfinite(ctx, fn, &v, &row);
    if (st != LQ_OK || row < 0)
        return st;
    float *x = lq__malloc((size_t)v.cols * sizeof *x);
    if (!x)
        return lq__fail(LQ_ERR_NOMEM, "%s: tensor '%s': out of memory", fn, src->name);
    lq_ctx quiet = {.threads = 1};
    st = lq__decode_rows_f32(&quiet, fn, src, row, row + 1, x);
    float big = 0;
    for (int64_t c = 0; st == LQ_OK && c < v.cols; c++)
        big = fmaxf(big, fabsf(x[c]));
    lq__free(x);
    if (st != LQ_OK)
        return st;
    return lq__fail(LQ_ERR_NONFINITE, "%s: tensor '%s': row %lld does not fit %s: its largest "
                    "magnitude %g overflows the type's scales, so the result would be infinite "
                    "or NaN", fn, src->name, (long long)row, lq_type_name(q->type), big);
}

/* "fn: tensor 'name': " before the message of a failure below this level. */
static void prefix_error(const char *fn, const char *name)
{
    char prefix[LQ_MAX_NAME + 32];
    snprintf(prefix, sizeof prefix, "%s: tensor '%s'", fn, name);
    lq__error_prefix(prefix);
}

lq_status lq__quantize_with(const char *fn, lq_ctx *ctx, const lq_tensor *src,
                            const lq_scheme *scheme, const lq_calib *calib, const float *imatrix,
                            lq_status (*run)(const lq__method_job *job, void *arg), void *arg,
                            lq_tensor **out)
{
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!src || !scheme)
        return lq__fail(LQ_ERR_INVALID, "%s: %s is NULL", fn, src ? "scheme" : "src");
    if (src->type != LQ_TYPE_F32 && src->type != LQ_TYPE_F16 && src->type != LQ_TYPE_BF16)
        return lq__fail(LQ_ERR_INVALID, "%s: tensor '%s' is %s; quantize takes f32, f16 or bf16",
                        fn, src->name, lq_type_name(src->type));
    const lq__method *m = lq__method_for(scheme->method);
    if (!m)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: method %s is not available in this build", fn,
                        lq__method_name(scheme->method));
    if (m->needs_calib && !calib)
        return lq__fail(LQ_ERR_INVALID, "%s: tensor '%s': %s needs a calibration set", fn,
                        src->name, lq__method_name(scheme->method));

    int64_t rows = lq__tensor_rows(src), cols = lq__tensor_cols(src);
    if (m->needs_calib && calib->n != cols)
        return lq__fail(LQ_ERR_INVALID, "%s: tensor '%s' has %lld columns, the calibration set "
                        "%lld features", fn, src->name, (long long)cols, (long long)calib->n);
    lq__layout layout;
    lq_status st = lq__codec_layout(fn, &scheme->qp, rows, cols, &layout);
    if (st != LQ_OK)
        return st;

    float *tmp = NULL;
    const float *x = (const float *)src->data;
    if (m->reads_rows) {
        x = NULL; /* read by the method, a chunk at a time */
    } else if (src->type != LQ_TYPE_F32) {
        st = lq__to_f32(ctx, fn, src, &tmp);
        if (st != LQ_OK)
            return st;
        x = tmp;
    } else if ((uintptr_t)src->data % _Alignof(float) != 0 && rows * cols > 0) {
        /* a tensor borrowed from a file with general.alignment 2 (legal) may
         * start anywhere even: every codec loads floats, so give them an
         * aligned copy, as the other source types get one */
        size_t bytes = (size_t)(rows * cols) * sizeof(float);
        if (!(tmp = lq__malloc(bytes)))
            return lq__fail(LQ_ERR_NOMEM, "%s: tensor '%s': out of memory", fn, src->name);
        memcpy(tmp, src->data, bytes);
        x = tmp;
    }
    if (x && (st = check_finite(ctx, x, rows, cols, 0)) != LQ_OK)
        prefix_error(fn, src->name);
    if (st == LQ_OK && imatrix) {
        for (int64_t c = 0; c < cols; c++) {
            if (!isfinite(imatrix[c]) || imatrix[c] < 0) {
                st = lq__fail(LQ_ERR_INVALID, "%s: tensor '%s': imatrix[%lld] = %g is not a finite "
                              "non-negative weight", fn, src->name, (long long)c, imatrix[c]);
                break;
            }
        }
    }
    lq_tensor *q = NULL;
    if (st == LQ_OK)
        st = lq__tensor_alloc(fn, scheme->qp.type, src->ndim, src->shape, src->name, layout.total,
                              scheme, &q);
    if (st == LQ_OK) {
        lq__method_job job = {{ctx, x, rows, cols, &q->scheme->qp, imatrix, q->data, &layout},
                              q->scheme, calib, src->name, src, fn};
        st = run ? run(&job, arg) : m->run(&job);
        if (st == LQ_OK)
            st = check_result(fn, ctx, src, q, &layout);
        else if (st != LQ_ERR_CANCELLED)
            prefix_error(fn, src->name);
    }
    lq__free(tmp);
    if (st != LQ_OK) {
        lq_tensor_free(q);
        return st;
    }
    *out = q;
    return LQ_OK;
}

lq_status lq_quantize(lq_ctx *ctx, const lq_tensor *src, const lq_scheme *scheme,
                      const lq_calib *calib, const float *imatrix, lq_tensor **out)
{
    return lq__quantize_with("lq_quantize", ctx, src, scheme, calib, imatrix, NULL, NULL, out);
}

lq_status lq_scheme_tensor_bytes(const lq_scheme *s, int64_t rows, int64_t cols, uint64_t *out)
{
    static const char fn[] = "lq_scheme_tensor_bytes";
    if (!s || !out)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (rows < 0 || cols < 0)
        return lq__fail(LQ_ERR_INVALID, "%s: negative shape", fn);
    lq__layout layout;
    lq_status st = lq__codec_layout(fn, &s->qp, rows, cols, &layout);
    if (st == LQ_OK)
        *out = layout.total;
    return st;
}
