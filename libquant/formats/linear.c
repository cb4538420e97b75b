/* linear.c — int8/int4/int3/int2: round-to-nearest quantization into the
 * linear layout of linear.h, and its decoder. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../core/type_info.h"
#include "codecs_linear.h"
#include "linear.h"

int lq__linear_bits(lq_type type)
{
    switch (type) {
    case LQ_TYPE_INT8: return 8;
    case LQ_TYPE_INT4: return 4;
    case LQ_TYPE_INT3: return 3;
    case LQ_TYPE_INT2: return 2;
    default: return 0;
    }
}

/* Scales per row (group > 0) and in all (every granularity). */
static int64_t params_per_row(const lq__qparams *qp, int64_t cols)
{
    return qp->group > 0 ? cols / qp->group : 1;
}

void lq__linear_map_init(lq__linear_map *m, const lq__qparams *qp, int64_t rows, int64_t cols,
                         const lq__layout *layout)
{
    m->bits = lq__linear_bits(qp->type);
    m->maxq = (1 << m->bits) - 1;
    m->sym = qp->sym;
    m->scale_type = qp->scale_type;
    m->rows = rows;
    m->cols = cols;
    m->per_tensor = qp->group == LQ_GROUP_TENSOR;
    m->group = qp->group > 0 ? qp->group : (cols > 0 ? cols : 1);
    m->row_params = params_per_row(qp, cols);
    m->row_bytes = (size_t)((cols * m->bits + 7) / 8);
    m->codes = layout->offset[0];
    m->scales = layout->offset[1];
    m->zeros = qp->sym ? 0 : layout->offset[2];
}

static const char *scale_type_name(lq_type t)
{
    return t == LQ_TYPE_F32 ? "f32" : "f16";
}

lq_status lq__linear_param_for_range(float lo, float hi, int bits, int sym, lq_type scale_type,
                                     lq__linear_param *out)
{
    int maxq = (1 << bits) - 1;
    lo = fminf(lo, 0.0f);
    hi = fmaxf(hi, 0.0f);
    float scale;
    if (sym) /* = 2*amax/maxq exactly (both correctly rounded), without overflowing 2*amax */
        scale = fmaxf(-lo, hi) / ((float)maxq * 0.5f);
    else
        scale = (hi - lo) / (float)maxq;
    float stored = lq__scale_round(scale_type, scale);
    if (!isfinite(stored))
        return lq__fail(LQ_ERR_NUMERIC, "values in [%g, %g] need a scale of %g, which %s cannot "
                        "hold%s", lo, hi, (double)scale, scale_type_name(scale_type),
                        scale_type == LQ_TYPE_F16 ? "; use scale=f32" : "");
    out->scale = stored;
    if (sym) {
        out->zero = 1 << (bits - 1);
    } else if (stored == 0.0f) {
        out->zero = 0;
    } else {
        float z = nearbyintf(-lo / stored);
        out->zero = z < 0.0f ? 0 : z > (float)maxq ? maxq : (int)z;
    }
    return LQ_OK;
}

lq_status lq__linear_param_for(const float *x, int64_t n, int bits, int sym, lq_type scale_type,
                               lq__linear_param *out)
{
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        lo = fminf(lo, x[i]);
        hi = fmaxf(hi, x[i]);
    }
    return lq__linear_param_for_range(lo, hi, bits, sym, scale_type, out);
}

void lq__linear_pack_row(const uint8_t *codes, int64_t n, int bits, uint8_t *row)
{
    memset(row, 0, (size_t)((n * bits + 7) / 8));
    for (int64_t j = 0; j < n; j++)
        lq__linear_put_code(row, j, bits, codes[j]);
}

void lq__linear_unpack_row(const uint8_t *row, int64_t n, int bits, uint8_t *codes)
{
    for (int64_t j = 0; j < n; j++)
        codes[j] = (uint8_t)lq__linear_get_code(row, j, bits);
}

void lq__linear_store_param(uint8_t *data, const lq__linear_map *m, size_t index,
                            lq__linear_param p)
{
    lq__scale_store(data + m->scales, m->scale_type, index, p.scale);
    if (!m->sym)
        data[m->zeros + index] = (uint8_t)p.zero;
}

lq__linear_param lq__linear_load_param(const uint8_t *data, const lq__linear_map *m,
                                       size_t index)
{
    lq__linear_param p;
    p.scale = lq__scale_load(data + m->scales, m->scale_type, index);
    p.zero = m->sym ? 1 << (m->bits - 1) : data[m->zeros + index];
    return p;
}

/* ---- the codec ---------------------------------------------------------- */

static lq_status linear_check(const lq__qparams *qp, int64_t rows, int64_t cols)
{
    (void)rows;
    const char *name = lq__type(qp->type)->name;
    if (qp->scale_type != LQ_TYPE_F16 && qp->scale_type != LQ_TYPE_F32)
        return lq__fail(LQ_ERR_INVALID, "%s scales must be f16 or f32", name);
    if (qp->group < LQ_GROUP_TENSOR)
        return lq__fail(LQ_ERR_INVALID, "%s: group size %lld is not valid", name,
                        (long long)qp->group);
    if (qp->group > 0 && cols % qp->group != 0)
        return lq__fail(LQ_ERR_SHAPE, "%s: rows of %lld elements (cols) cannot be split into "
                        "groups of %lld; the group must divide cols", name, (long long)cols,
                        (long long)qp->group);
    return LQ_OK;
}

static bool linear_layout(const lq__qparams *qp, int64_t rows, int64_t cols, lq__layout *out)
{
    size_t bits, row_bytes, codes, nparams, scales;
    if (!lq__mul_size((size_t)cols, (size_t)lq__linear_bits(qp->type), &bits) ||
        !lq__add_size(bits, 7, &bits))
        return false;
    row_bytes = bits / 8;
    if (!lq__mul_size(row_bytes, (size_t)rows, &codes))
        return false;
    if (qp->group == LQ_GROUP_TENSOR)
        nparams = 1;
    else if (!lq__mul_size((size_t)rows, (size_t)params_per_row(qp, cols), &nparams))
        return false;
    if (!lq__mul_size(nparams, qp->scale_type == LQ_TYPE_F32 ? 4 : 2, &scales))
        return false;
    size_t bytes[3] = {codes, scales, nparams};
    return lq__layout_planes(out, qp->sym ? 2 : 3, bytes);
}

typedef struct {
    const lq__qjob *job;
    lq__linear_map m;
    lq__linear_param tensor_param; /* per-tensor granularity only */
    atomic_llong first_bad_row;    /* lowest row whose scale overflowed, or rows */
} linear_q;

/* Quantize row r; false when a group's scale does not fit. This may run on a
 * pool worker, whose error message the caller never sees: linear_quantize
 * makes it again on its own thread. */
static bool quantize_row(const linear_q *lq, int64_t r)
{
    const lq__linear_map *m = &lq->m;
    const float *x = lq->job->src + r * m->cols;
    uint8_t *dst = lq->job->dst;
    uint8_t *codes = dst + m->codes + (size_t)r * m->row_bytes;
    for (int64_t c0 = 0; c0 < m->cols; c0 += m->group) {
        lq__linear_param p = lq->tensor_param;
        if (!m->per_tensor) {
            if (lq__linear_param_for(x + c0, m->group, m->bits, m->sym, m->scale_type, &p) !=
                LQ_OK)
                return false;
            lq__linear_store_param(dst, m, lq__linear_param_index(m, r, c0), p);
        }
        for (int64_t j = c0; j < c0 + m->group; j++)
            lq__linear_put_code(codes, j, m->bits, lq__linear_quantize_value(x[j], p, m->maxq));
    }
    return true;
}

static void quantize_range(void *arg, int64_t r0, int64_t r1)
{
    linear_q *lq = arg;
    for (int64_t r = r0; r < r1; r++) {
        if (!quantize_row(lq, r)) {
            long long seen = atomic_load(&lq->first_bad_row);
            while (r < seen && !atomic_compare_exchange_weak(&lq->first_bad_row, &seen, r))
                ;
            return;
        }
    }
}

static lq_status linear_quantize(const lq__qjob *job)
{
    linear_q lq;
    lq.job = job;
    lq__linear_map_init(&lq.m, job->qp, job->rows, job->cols, job->layout);
    atomic_init(&lq.first_bad_row, (long long)job->rows);
    const char *name = lq__type(job->qp->type)->name;
    if (lq.m.per_tensor) {
        lq_status st = lq__linear_param_for(job->src, job->rows * job->cols, lq.m.bits, lq.m.sym,
                                            lq.m.scale_type, &lq.tensor_param);
        if (st != LQ_OK) {
            lq__error_prefix(name);
            return st;
        }
        lq__linear_store_param(job->dst, &lq.m, 0, lq.tensor_param);
    }
    lq_status st = lq__parallel_for(job->ctx, "quantize", job->rows,
                                    lq__grain_for(job->cols, 1 << 16), quantize_range, &lq);
    int64_t bad = atomic_load(&lq.first_bad_row);
    if (st != LQ_OK || bad == job->rows)
        return st;
    /* Say which group failed, with the message made on this thread. */
    const float *x = job->src + bad * job->cols;
    for (int64_t c0 = 0; c0 < job->cols; c0 += lq.m.group) {
        lq__linear_param p;
        if (lq__linear_param_for(x + c0, lq.m.group, lq.m.bits, lq.m.sym, lq.m.scale_type, &p) !=
            LQ_OK) {
            char where[96];
            snprintf(where, sizeof where, "%s row %lld, columns %lld..%lld", name, (long long)bad,
                     (long long)c0, (long long)(c0 + lq.m.group - 1));
            lq__error_prefix(where);
            return LQ_ERR_NUMERIC;
        }
    }
    return lq__fail(LQ_ERR_INTERNAL, "%s: row %lld failed to quantize", name, (long long)bad);
}

static void linear_dequantize(const lq__qview *v, int64_t r0, int64_t r1, float *dst)
{
    lq__linear_map m;
    lq__linear_map_init(&m, v->qp, v->rows, v->cols, &v->layout);
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *codes = v->data + m.codes + (size_t)r * m.row_bytes;
        float *y = dst + (r - r0) * m.cols;
        for (int64_t c0 = 0; c0 < m.cols; c0 += m.group) {
            lq__linear_param p = lq__linear_load_param(v->data, &m, lq__linear_param_index(&m, r, c0));
            for (int64_t j = c0; j < c0 + m.group; j++)
                y[j] = lq__linear_dequantize_value(lq__linear_get_code(codes, j, m.bits), p);
        }
    }
}

/* One row serves all four types: the bit width comes from the type. */
const lq__codec lq__codec_linear = {.check = linear_check, .layout = linear_layout,
                                    .quantize = linear_quantize, .dequantize = linear_dequantize};
