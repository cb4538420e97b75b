/* bnb4.c — nf4 and fp4, bit-compatible with bitsandbytes' 4-bit format: the
 * tensor flattened row-major, blocks of qp->block elements with an f32
 * absmax each, codes packed two per byte (first element in the high nibble),
 * and optionally the absmax itself quantized to 8 bits ("double quant").
 * doc/formats.md has the layout; the code values are from bitsandbytes'
 * get_4bit_type and create_dynamic_map. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../core/type_info.h"
#include "codecs_bnb4.h"

/* The dynamic map and the double-quant absmax must round like bitsandbytes'
 * separate f32 operations: no a*b+c may become an fma. GCC does not contract
 * in ISO C mode; clang must be told. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define DQ_BLOCK 256 /* absmax values per nested block */

/* NF4, index = code, sorted (bitsandbytes' create_normal_map(0.9677083, True)). */
static const float nf4_code[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
};

/* FP4 in bit-pattern order: bit 3 is the sign, bits 0-2 a 2-bit exponent and
 * 1-bit mantissa in bitsandbytes' own assignment; divided by the largest
 * magnitude, 12, in f32 as bitsandbytes does. Code 8 is +0, not -0:
 * bitsandbytes lists it as the Python integer -0, which is 0, and the
 * quant_map its checkpoints store must be this table bit for bit. */
#define FP4(v) ((float)(v) / 12.0f)
static const float fp4_code[16] = {
    FP4(0.0f), FP4(0.0625f), FP4(8.0f), FP4(12.0f), FP4(4.0f), FP4(6.0f), FP4(2.0f), FP4(3.0f),
    FP4(0.0f), FP4(-0.0625f), FP4(-8.0f), FP4(-12.0f), FP4(-4.0f), FP4(-6.0f), FP4(-2.0f), FP4(-3.0f),
};

/* A code table prepared for encoding: its distinct values in increasing
 * order, each with the lowest code that has it. */
typedef struct {
    float value[256];
    uint8_t code[256];
    int n;
} codebook;

static struct {
    float dynamic[256];
    codebook nf4, fp4, dyn;
} tables;

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* torch.linspace(0.1, 1, steps) in f32, as PyTorch's portable CPU kernel
 * computes it: element i is 0.1 + step*i below steps/2 and 1 - step*(steps-1-i)
 * from there, except that each full run of 16 is computed as two vectors of
 * 8 lanes, lane k being the vector's first element + k*step. (PyTorch's AVX2
 * and AVX-512 kernels round a few elements differently; see doc/formats.md.) */
static void linspace_tenth_to_one(int steps, float *out)
{
    const float start = 0.1f, end = 1.0f, step = (end - start) / (float)(steps - 1);
    int vector_end = steps / 16 * 16;
    for (int i = 0; i < steps; i++) {
        int first = i < vector_end ? i / 8 * 8 : i;
        float v = first < steps / 2 ? start + step * (float)first
                                    : end - step * (float)(steps - 1 - first);
        out[i] = first == i ? v : v + (float)(i - first) * step;
    }
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* bitsandbytes' create_dynamic_map(signed=True, max_exponent_bits=7,
 * total_bits=8): for i = 0..6 the means of adjacent points of
 * linspace(0.1, 1, 2^i + 1), times 10^(i-6) in f32, with both signs; then 0
 * and 1; sorted. 2 * 127 + 2 = 256 values in [-0.99296875, 1]. */
static void build_dynamic_map(float *map)
{
    int n = 0;
    float bounds[65];
    for (int i = 0; i < 7; i++) {
        int steps = (1 << i) + 1;
        float decade = (float)pow(10.0, i - 6); /* Python's 10 ** (i-6), then f32 */
        linspace_tenth_to_one(steps, bounds);
        for (int k = 0; k + 1 < steps; k++) {
            float mean = (bounds[k] + bounds[k + 1]) / 2.0f;
            map[n++] = decade * mean;
            map[n++] = -decade * mean;
        }
    }
    map[n++] = 0.0f;
    map[n++] = 1.0f;
    qsort(map, (size_t)n, sizeof *map, cmp_float);
}

static void build_codebook(codebook *cb, const float *values, int n)
{
    cb->n = 0;
    for (int code = 0; code < n; code++) {
        float v = values[code];
        int pos = 0, dup = 0;
        for (int i = 0; i < cb->n; i++) {
            dup |= cb->value[i] == v; /* -0 == +0: fp4 keeps code 0 only */
            pos += cb->value[i] < v;
        }
        if (dup)
            continue;
        memmove(cb->value + pos + 1, cb->value + pos, (size_t)(cb->n - pos) * sizeof(float));
        memmove(cb->code + pos + 1, cb->code + pos, (size_t)(cb->n - pos));
        cb->value[pos] = v;
        cb->code[pos] = (uint8_t)code;
        cb->n++;
    }
}

static void build_tables(void)
{
    build_dynamic_map(tables.dynamic);
    build_codebook(&tables.nf4, nf4_code, 16);
    build_codebook(&tables.fp4, fp4_code, 16);
    build_codebook(&tables.dyn, tables.dynamic, 256);
}

const float *lq__bnb4_code(lq_type type)
{
    return type == LQ_TYPE_FP4 ? fp4_code : nf4_code;
}

const float *lq__bnb_dynamic_map(void)
{
    pthread_once(&tables_once, build_tables);
    return tables.dynamic;
}

/* The code whose value is nearest to s, as bitsandbytes' argmin(|s - code|)
 * picks it: distances in f32, ties to the lowest code (for nf4 and the
 * dynamic map, the lower value). Only the two values around s can be
 * nearest, so a binary search finds them. */
static uint8_t nearest(const codebook *cb, float s)
{
    int lo = 0, hi = cb->n - 1;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (cb->value[mid] <= s)
            lo = mid;
        else
            hi = mid;
    }
    float dlo = fabsf(s - cb->value[lo]), dhi = fabsf(s - cb->value[hi]);
    if (dlo != dhi)
        return dlo < dhi ? cb->code[lo] : cb->code[hi];
    return cb->code[lo] < cb->code[hi] ? cb->code[lo] : cb->code[hi];
}

/* One block: returns absmax of x[0..n) and writes the code of each
 * clamp(x * (1/absmax), -1, 1) to q (bitsandbytes multiplies by the
 * reciprocal). An all-zero block gets code 0 everywhere, as in bitsandbytes,
 * where 0 * (1/0) is NaN and NaN picks code 0; it decodes to zero. */
static float quantize_block(const float *x, int64_t n, const codebook *cb, uint8_t *q)
{
    float amax = 0.0f;
    for (int64_t i = 0; i < n; i++)
        amax = fmaxf(amax, fabsf(x[i]));
    float inv = 1.0f / amax;
    for (int64_t i = 0; i < n; i++)
        q[i] = amax == 0.0f ? 0 : nearest(cb, fminf(fmaxf(x[i] * inv, -1.0f), 1.0f));
    return amax;
}

static int64_t block_count(int64_t n, int64_t block) { return n / block + (n % block != 0); }

static lq_status bnb4_check(const lq__qparams *qp, int64_t rows, int64_t cols)
{
    (void)rows, (void)cols;
    int b = qp->block;
    if (b < 32 || b > 4096 || (b & (b - 1)))
        return lq__fail(LQ_ERR_INVALID, "%s: block size %d is not a power of two from 32 to 4096",
                        lq__type(qp->type)->name, b);
    return LQ_OK;
}

static bool bnb4_layout(const lq__qparams *qp, int64_t rows, int64_t cols, lq__layout *out)
{
    size_t n;
    if (!lq__mul_size((size_t)rows, (size_t)cols, &n) || n > (size_t)INT64_MAX)
        return false;
    size_t nblocks = (size_t)block_count((int64_t)n, qp->block);
    if (qp->double_quant) {
        size_t bytes[4] = {n / 2 + n % 2, nblocks, 4 * (size_t)block_count((int64_t)nblocks, DQ_BLOCK), 4};
        return lq__layout_planes(out, 4, bytes);
    }
    size_t bytes[2] = {n / 2 + n % 2, 4 * nblocks};
    return lq__layout_planes(out, 2, bytes);
}

typedef struct {
    const lq__qjob *job;
    const codebook *cb;
    int64_t n;
    float *absmax; /* one per block */
} bnb4_q;

static void quantize_range(void *arg, int64_t b0, int64_t b1)
{
    const bnb4_q *q = arg;
    int64_t block = q->job->qp->block;
    uint8_t codes[4096 + 1]; /* a block (at most 4096, see bnb4_check) and a padding code */
    for (int64_t b = b0; b < b1; b++) {
        int64_t start = b * block, len = q->n - start < block ? q->n - start : block;
        q->absmax[b] = quantize_block(q->job->src + start, len, q->cb, codes);
        if (len % 2)
            codes[len] = 0; /* the padding nibble of an odd-length tensor */
        uint8_t *packed = q->job->dst + start / 2; /* blocks are even: no shared byte */
        for (int64_t i = 0; i < len; i += 2)
            packed[i / 2] = (uint8_t)(codes[i] << 4 | codes[i + 1]);
    }
}

/* Double quantization, as bitsandbytes' compress_statistics: offset =
 * mean(absmax) (summed in double here), then absmax - offset quantized in
 * blocks of 256 with the dynamic map, each with its own f32 absmax. */
static void double_quantize(const bnb4_q *q, int64_t nblocks)
{
    const lq__layout *l = q->job->layout;
    uint8_t *dst = q->job->dst;
    double sum = 0.0;
    for (int64_t b = 0; b < nblocks; b++)
        sum += q->absmax[b];
    float offset = nblocks ? (float)(sum / (double)nblocks) : 0.0f;
    memcpy(dst + l->offset[3], &offset, 4);
    for (int64_t b = 0; b < nblocks; b++)
        q->absmax[b] -= offset;
    for (int64_t c = 0; c * DQ_BLOCK < nblocks; c++) {
        int64_t start = c * DQ_BLOCK, len = nblocks - start < DQ_BLOCK ? nblocks - start : DQ_BLOCK;
        float nested = quantize_block(q->absmax + start, len, &tables.dyn, dst + l->offset[1] + start);
        memcpy(dst + l->offset[2] + 4 * (size_t)c, &nested, 4);
    }
}

static lq_status bnb4_quantize(const lq__qjob *job)
{
    pthread_once(&tables_once, build_tables);
    bnb4_q q = {job, job->qp->type == LQ_TYPE_FP4 ? &tables.fp4 : &tables.nf4,
                job->rows * job->cols, NULL};
    int64_t nblocks = block_count(q.n, job->qp->block);
    q.absmax = lq__calloc((size_t)(nblocks ? nblocks : 1), sizeof(float));
    if (!q.absmax)
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate %lld block scales",
                        lq__type(job->qp->type)->name, (long long)nblocks);
    lq_status st = lq__parallel_for(job->ctx, "quantize", nblocks,
                                    lq__grain_for(job->qp->block, 1 << 16), quantize_range, &q);
    if (st == LQ_OK) {
        if (job->qp->double_quant)
            double_quantize(&q, nblocks);
        else
            memcpy(job->dst + job->layout->offset[1], q.absmax, 4 * (size_t)nblocks);
    }
    lq__free(q.absmax);
    return st;
}

/* The absmax of block b as decoding uses it (tables built). */
static float block_absmax(const lq__qview *v, int64_t b)
{
    const uint8_t *d = v->data;
    const size_t *off = v->layout.offset;
    float f;
    if (!v->qp->double_quant) {
        memcpy(&f, d + off[1] + 4 * (size_t)b, 4);
        return f;
    }
    float nested, offset;
    memcpy(&nested, d + off[2] + 4 * (size_t)(b / DQ_BLOCK), 4);
    memcpy(&offset, d + off[3], 4);
    return tables.dynamic[d[off[1] + (size_t)b]] * nested + offset;
}

/* Rows [r0, r1) are a run of the flattened tensor; blocks may start in an
 * earlier row and end in a later one. */
static void bnb4_dequantize(const lq__qview *v, int64_t r0, int64_t r1, float *dst)
{
    pthread_once(&tables_once, build_tables);
    const float *code = lq__bnb4_code(v->qp->type);
    int64_t block = v->qp->block, i0 = r0 * v->cols, i1 = r1 * v->cols;
    for (int64_t i = i0; i < i1;) {
        int64_t b = i / block, end = (b + 1) * block < i1 ? (b + 1) * block : i1;
        float amax = block_absmax(v, b);
        for (; i < end; i++) {
            uint8_t byte = v->data[i / 2];
            dst[i - i0] = code[i % 2 ? byte & 15 : byte >> 4] * amax;
        }
    }
}

void lq__bnb4_absmax(const lq__qview *v, int64_t first, int64_t count, float *out)
{
    if (!v->qp->double_quant) { /* the stored f32 values, in one copy */
        memcpy(out, v->data + v->layout.offset[1] + 4 * (size_t)first, 4 * (size_t)count);
        return;
    }
    pthread_once(&tables_once, build_tables);
    const uint8_t *d = v->data;
    const size_t *off = v->layout.offset;
    float offset, nested;
    memcpy(&offset, d + off[3], 4);
    for (int64_t b = first, end = first + count; b < end;) {
        /* the blocks that share one nested absmax: block_absmax's arithmetic */
        int64_t stop = (b / DQ_BLOCK + 1) * DQ_BLOCK < end ? (b / DQ_BLOCK + 1) * DQ_BLOCK : end;
        memcpy(&nested, d + off[2] + 4 * (size_t)(b / DQ_BLOCK), 4);
        for (; b < stop; b++)
            out[b - first] = tables.dynamic[d[off[1] + (size_t)b]] * nested + offset;
    }
}

/* One row serves both code tables: the table comes from the type. */
const lq__codec lq__codec_bnb4 = {.check = bnb4_check, .layout = bnb4_layout,
                                  .quantize = bnb4_quantize, .dequantize = bnb4_dequantize};
