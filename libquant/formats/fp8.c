/* fp8.c — fp8_e4m3 and fp8_e5m2 with a per-tensor or per-row f32 scale, as
 * compressed-tensors and vLLM store them: scale = amax / max_finite (at
 * least FLT_EPSILON, compressed-tensors' clamp), code = fp8(clamp(x / scale,
 * -max, max)) rounded to nearest even, decoded as fp8 * scale. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../core/type_info.h"
#include "codecs_fp8.h"
#include "fp8.h"

typedef struct {
    float max; /* largest finite value */
    uint8_t (*encode)(float f, int saturate);
    float (*decode)(uint8_t c);
} fp8_format;

static const fp8_format e4m3 = {448.0f, lq__f32_to_e4m3, lq__e4m3_to_f32};
static const fp8_format e5m2 = {57344.0f, lq__f32_to_e5m2, lq__e5m2_to_f32};

static const fp8_format *format_of(lq_type type)
{
    return type == LQ_TYPE_FP8_E5M2 ? &e5m2 : &e4m3;
}

static lq_status fp8_check(const lq__qparams *qp, int64_t rows, int64_t cols)
{
    (void)rows, (void)cols;
    const char *name = lq__type(qp->type)->name;
    if (qp->group != LQ_GROUP_TENSOR && qp->group != LQ_GROUP_CHANNEL)
        return lq__fail(LQ_ERR_INVALID, "%s scales are per tensor or per channel, not per group",
                        name);
    if (qp->scale_type != LQ_TYPE_F32)
        return lq__fail(LQ_ERR_INVALID, "%s scales are f32", name);
    return LQ_OK;
}

static bool fp8_layout(const lq__qparams *qp, int64_t rows, int64_t cols, lq__layout *out)
{
    size_t bytes[2];
    if (!lq__mul_size((size_t)rows, (size_t)cols, &bytes[0]) ||
        !lq__mul_size(qp->group == LQ_GROUP_TENSOR ? 1 : (size_t)rows, 4, &bytes[1]))
        return false;
    return lq__layout_planes(out, 2, bytes);
}

static float absmax(const float *x, int64_t n)
{
    float m = 0.0f;
    for (int64_t i = 0; i < n; i++)
        m = fmaxf(m, fabsf(x[i]));
    return m;
}

static float scale_for(const fp8_format *f, float amax)
{
    return fmaxf(amax / f->max, FLT_EPSILON);
}

typedef struct {
    const lq__qjob *job;
    const fp8_format *f;
    int per_tensor;
    float tensor_scale;
} fp8_q;

static void quantize_range(void *arg, int64_t r0, int64_t r1)
{
    const fp8_q *q = arg;
    const lq__qjob *j = q->job;
    uint8_t *scales = j->dst + j->layout->offset[1]; /* f32, not necessarily aligned */
    for (int64_t r = r0; r < r1; r++) {
        const float *x = j->src + r * j->cols;
        uint8_t *codes = j->dst + (size_t)(r * j->cols);
        float scale = q->tensor_scale;
        if (!q->per_tensor) {
            scale = scale_for(q->f, absmax(x, j->cols));
            memcpy(scales + 4 * (size_t)r, &scale, 4);
        }
        for (int64_t c = 0; c < j->cols; c++) {
            float v = fminf(fmaxf(x[c] / scale, -q->f->max), q->f->max);
            codes[c] = q->f->encode(v, 1);
        }
    }
}

static lq_status fp8_quantize(const lq__qjob *job)
{
    fp8_q q = {job, format_of(job->qp->type), job->qp->group == LQ_GROUP_TENSOR, 0.0f};
    if (q.per_tensor) {
        q.tensor_scale = scale_for(q.f, absmax(job->src, job->rows * job->cols));
        memcpy(job->dst + job->layout->offset[1], &q.tensor_scale, 4);
    }
    return lq__parallel_for(job->ctx, "quantize", job->rows, lq__grain_for(job->cols, 1 << 16),
                            quantize_range, &q);
}

float lq__fp8_row_scale(const lq__qview *v, int64_t r)
{
    float scale;
    size_t at = v->qp->group == LQ_GROUP_TENSOR ? 0 : 4 * (size_t)r;
    memcpy(&scale, v->data + v->layout.offset[1] + at, 4);
    return scale;
}

static void fp8_dequantize(const lq__qview *v, int64_t r0, int64_t r1, float *dst)
{
    const fp8_format *f = format_of(v->qp->type);
    for (int64_t r = r0; r < r1; r++) {
        float scale = lq__fp8_row_scale(v, r);
        const uint8_t *codes = v->data + (size_t)(r * v->cols);
        float *y = dst + (r - r0) * v->cols;
        for (int64_t c = 0; c < v->cols; c++)
            y[c] = f->decode(codes[c]) * scale;
    }
}

/* One row serves both formats: the format comes from the type. */
const lq__codec lq__codec_fp8 = {.check = fp8_check, .layout = fp8_layout, .quantize = fp8_quantize,
                                 .dequantize = fp8_dequantize};
