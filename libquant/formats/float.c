/* float.c — codecs of the plain types. f32, f16 and bf16 also quantize (a
 * conversion, rounding to nearest even); the integer types and f64 only
 * decode, for files that hold them. */
#include <string.h>

#include "../core/alloc.h"
#include "../core/half.h"
#include "../core/pool.h"
#include "../core/type_info.h"
#include "codec.h"
#include "codecs_list.h"

static lq_status plain_check(const lq__qparams *qp, int64_t rows, int64_t cols)
{
    (void)qp, (void)rows, (void)cols;
    return LQ_OK;
}

static bool plain_layout(const lq__qparams *qp, int64_t rows, int64_t cols, lq__layout *out)
{
    size_t n, bytes;
    if (!lq__mul_size((size_t)rows, (size_t)cols, &n) ||
        !lq__mul_size(n, (size_t)lq__type(qp->type)->elem_bytes, &bytes))
        return false;
    return lq__layout_planes(out, 1, &bytes);
}

/* One element of each plain type as float. */
#define DECODER(name, ctype, expr)                                                  \
    static void name(const lq__qview *v, int64_t r0, int64_t r1, float *dst)       \
    {                                                                               \
        const uint8_t *p = v->data + (size_t)(r0 * v->cols) * sizeof(ctype);      \
        size_t n = (size_t)((r1 - r0) * v->cols);                                   \
        for (size_t i = 0; i < n; i++) {                                            \
            ctype x;                                                                \
            memcpy(&x, p + i * sizeof x, sizeof x);                                 \
            dst[i] = (expr);                                                        \
        }                                                                           \
    }

DECODER(dec_f32, float, x)
DECODER(dec_f16, uint16_t, lq__f16_to_f32(x))
DECODER(dec_bf16, uint16_t, lq__bf16_to_f32(x))
DECODER(dec_f64, double, (float)x)
DECODER(dec_i8, int8_t, (float)x)
DECODER(dec_u8, uint8_t, (float)x)
DECODER(dec_i16, int16_t, (float)x)
DECODER(dec_i32, int32_t, (float)x)
DECODER(dec_i64, int64_t, (float)x)

typedef struct {
    const lq__qjob *job;
    int bf16;
} half_q;

static void half_range(void *arg, int64_t b, int64_t e)
{
    const half_q *h = arg;
    uint16_t *d = (uint16_t *)h->job->dst;
    const float *s = h->job->src;
    for (int64_t i = b; i < e; i++)
        d[i] = h->bf16 ? lq__f32_to_bf16(s[i]) : lq__f32_to_f16(s[i]);
}

static lq_status half_quantize(const lq__qjob *job, int bf16)
{
    half_q h = {job, bf16};
    return lq__parallel_for(job->ctx, "quantize", job->rows * job->cols, 1 << 16, half_range, &h);
}

static lq_status q_f16(const lq__qjob *job) { return half_quantize(job, 0); }
static lq_status q_bf16(const lq__qjob *job) { return half_quantize(job, 1); }

static lq_status q_f32(const lq__qjob *job)
{
    if (job->layout->total) /* a zero-element tensor has no buffers: memcpy wants pointers */
        memcpy(job->dst, job->src, job->layout->total);
    return LQ_OK;
}

#define PLAIN_CODEC(name, q, d) \
    const lq__codec name = {.check = plain_check, .layout = plain_layout, .quantize = q, .dequantize = d}

PLAIN_CODEC(lq__codec_f32, q_f32, dec_f32);
PLAIN_CODEC(lq__codec_f16, q_f16, dec_f16);
PLAIN_CODEC(lq__codec_bf16, q_bf16, dec_bf16);
PLAIN_CODEC(lq__codec_f64, NULL, dec_f64);
PLAIN_CODEC(lq__codec_i8, NULL, dec_i8);
PLAIN_CODEC(lq__codec_u8, NULL, dec_u8);
PLAIN_CODEC(lq__codec_i16, NULL, dec_i16);
PLAIN_CODEC(lq__codec_i32, NULL, dec_i32);
PLAIN_CODEC(lq__codec_i64, NULL, dec_i64);
