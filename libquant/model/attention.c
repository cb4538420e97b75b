/* attention.c — causal attention of a run of tokens as batched products
 * (attention.h). */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "../core/pool.h"
#include "../kernels/blas.h"
#include "../kernels/vexp.h"
#include "attention.h"

typedef struct {
    const lq__hparams *hp;
    const float *q, *keys, *vals;
    float *scores, *out;
    int64_t n, pos;
} job;

/* Softmax of row s[0 .. len-1] in place (scores already scaled), and zeros
 * in s[len .. width-1], the positions the causal mask hides: e^x through the
 * kernel table (vexp.h), the rest four lanes at a time, the sum in double. */
static void softmax_masked(float *s, int64_t len, int64_t width)
{
    const int64_t full = len / 4 * 4;
    lq__v4f v, m = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    for (int64_t p = 0; p < full; p += 4) {
        memcpy(&v, s + p, sizeof v);
        lq__v4i gt = v > m;
        m = (lq__v4f)(((lq__v4i)m & ~gt) | ((lq__v4i)v & gt));
    }
    float max = m[0];
    for (int i = 1; i < 4; i++)
        max = m[i] > max ? m[i] : max; /* fmaxf is a libm call here */
    for (int64_t p = full; p < len; p++)
        max = s[p] > max ? s[p] : max;
    for (int64_t p = 0; p < full; p += 4) {
        memcpy(&v, s + p, sizeof v);
        v -= max;
        memcpy(s + p, &v, sizeof v);
    }
    for (int64_t p = full; p < len; p++)
        s[p] -= max;
    lq__exp_f32(s, len);
    lq__v2d sum0 = {0, 0}, sum1 = {0, 0};
    for (int64_t p = 0; p < full; p += 4) {
        memcpy(&v, s + p, sizeof v);
        sum0 += __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1), lq__v2d);
        sum1 += __builtin_convertvector(__builtin_shufflevector(v, v, 2, 3), lq__v2d);
    }
    double sum = (sum0[0] + sum1[0]) + (sum0[1] + sum1[1]);
    for (int64_t p = full; p < len; p++)
        sum += s[p];
    float inv = (float)(1.0 / sum);
    const lq__v4f vinv = {inv, inv, inv, inv};
    for (int64_t p = 0; p < full; p += 4) { /* the scalar loop's products, 4 at once */
        memcpy(&v, s + p, sizeof v);
        v *= vinv;
        memcpy(s + p, &v, sizeof v);
    }
    for (int64_t p = full; p < len; p++)
        s[p] *= inv;
    for (int64_t p = len; p < width; p++)
        s[p] = 0.0f;
}

/* One query row of a head attending to positions [0, t) of KV head g: two
 * matrix-vector products around the softmax (packing for a matrix product
 * costs more than the product itself here). */
static void one_row(const job *j, const float *q, int64_t g, int64_t t, float scale, float *s,
                    float *out)
{
    int64_t d = j->hp->head_dim, kvd = j->hp->n_head_kv * d;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)t, (int)d, scale, j->keys + g * d, (int)kvd, q,
                1, 0.0f, s, 1);
    softmax_masked(s, t, t);
    cblas_sgemv(CblasRowMajor, CblasTrans, (int)t, (int)d, 1.0f, j->vals + g * d, (int)kvd, s, 1,
                0.0f, out, 1);
}

/* Query heads [h0, h1): for each block of query rows, the scores of every
 * position the block's last row sees, S = Q K^T / sqrt(d), masked softmax per
 * row, then O = S V. */
static void heads(void *arg, int64_t h0, int64_t h1)
{
    const job *j = arg;
    const lq__hparams *hp = j->hp;
    int64_t d = hp->head_dim, group = hp->n_head / hp->n_head_kv;
    int64_t qd = hp->n_head * d, kvd = hp->n_head_kv * d;
    float scale = 1.0f / sqrtf((float)d);
    for (int64_t h = h0; h < h1; h++) {
        int64_t g = h / group; /* the KV head this query head reads, as ggml broadcasts */
        float *s = j->scores + h * (j->n < LQ__ATTN_BLOCK ? j->n : LQ__ATTN_BLOCK) * (j->pos + j->n);
        for (int64_t i0 = 0; i0 < j->n; i0 += LQ__ATTN_BLOCK) {
            int64_t rows = j->n - i0 < LQ__ATTN_BLOCK ? j->n - i0 : LQ__ATTN_BLOCK;
            int64_t t = j->pos + i0 + rows; /* positions the block's last row sees */
            if (rows == 1) { /* decoding */
                one_row(j, j->q + i0 * qd + h * d, g, t, scale, s, j->out + i0 * qd + h * d);
                continue;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)t, (int)d, scale,
                        j->q + i0 * qd + h * d, (int)qd, j->keys + g * d, (int)kvd, 0.0f, s,
                        (int)t);
            for (int64_t i = 0; i < rows; i++)
                softmax_masked(s + i * t, j->pos + i0 + i + 1, t);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)d, (int)t, 1.0f,
                        s, (int)t, j->vals + g * d, (int)kvd, 0.0f, j->out + i0 * qd + h * d,
                        (int)qd);
        }
    }
}

lq_status lq__attention(lq_ctx *ctx, const lq__hparams *hp, const float *q, const float *keys,
                        const float *vals, int64_t n, int64_t pos, float *scores, float *out)
{
    job j = {hp, q, keys, vals, scores, out, n, pos};
    lq__blas_serial(); /* our threads split the heads; the BLAS must not split again */
    return lq__parallel_for(ctx, "attention", hp->n_head, 1, heads, &j);
}
