/* codec.h — how a type's elements are encoded and decoded (internal).
 *
 * Every type has one lq__codec row in codecs.c. A quantized tensor's bytes
 * are 1 to 4 "planes" laid out back to back (codes, scales, zero points, ...);
 * the codec's layout() says where each plane is, and doc/formats.md documents
 * them. ggml block types have one plane of blocks and only need the two row
 * functions: the generic lq__blocks_* functions in blocks.c do the rest.
 *
 * Contract, for every codec:
 *   - check() is called before anything else and reports, with lq__fail, a
 *     shape the type cannot store (LQ_ERR_SHAPE) or parameters it does not
 *     support (LQ_ERR_INVALID / LQ_ERR_UNSUPPORTED);
 *   - quantize() gets finite input only (the caller checks) and a zeroed
 *     destination of layout.total bytes; it may run lq__parallel_for with
 *     job->ctx and must then return its status (LQ_ERR_CANCELLED);
 *   - dequantize() decodes rows [r0, r1) into dst (row-major, (r1-r0)*cols
 *     floats); it is called from many threads at once on disjoint row ranges.
 */
#ifndef LQ_FORMATS_CODEC_H
#define LQ_FORMATS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/scheme.h"

#define LQ__MAX_PLANES 4

typedef struct lq__layout {
    int nplanes;
    size_t offset[LQ__MAX_PLANES];
    size_t bytes[LQ__MAX_PLANES];
    size_t total;
} lq__layout;

typedef struct lq__qjob {
    const lq_ctx *ctx;
    const float *src; /* rows * cols finite floats, row-major */
    int64_t rows, cols;
    const lq__qparams *qp;
    const float *imatrix; /* cols importance weights, or NULL */
    uint8_t *dst;         /* layout->total zeroed bytes */
    const lq__layout *layout;
} lq__qjob;

typedef struct lq__qview {
    const uint8_t *data;
    int64_t rows, cols;
    const lq__qparams *qp;
    lq__layout layout;
} lq__qview;

typedef struct lq__codec {
    lq_status (*check)(const lq__qparams *qp, int64_t rows, int64_t cols);
    /* false when the sizes overflow size_t */
    bool (*layout)(const lq__qparams *qp, int64_t rows, int64_t cols, lq__layout *out);
    lq_status (*quantize)(const lq__qjob *job); /* NULL: this type is decode-only */
    void (*dequantize)(const lq__qview *v, int64_t r0, int64_t r1, float *dst);

    /* ggml block types only: one row of n elements (n a multiple of the block).
     * imatrix (n weights) may be NULL. NULL for the other types. */
    void (*quantize_row)(const float *x, void *y, int64_t n, const float *imatrix);
    void (*dequantize_row)(const void *x, float *y, int64_t n);
    /* ggml block types whose blocks decode to finite values exactly when
     * their f16 scale fields are finite (bounded codes times f16 values
     * cannot overflow f32, and an infinite scale meets a zero code or
     * another value somewhere): the fields' byte offsets in a block, so that
     * the result check reads them instead of decoding every row. 0 fields:
     * the check decodes. */
    int n_f16_scales;
    uint16_t f16_scale_at[2];
} lq__codec;

/* The codec of a type, or NULL when the type has none in this build. */
const lq__codec *lq__codec_for(lq_type type);

/* Layout of a tensor, with check() first. `fn` names the public function in
 * messages. */
lq_status lq__codec_layout(const char *fn, const lq__qparams *qp, int64_t rows, int64_t cols,
                           lq__layout *out);

/* Generic functions for ggml block types (blocks.c). */
lq_status lq__blocks_check(const lq__qparams *qp, int64_t rows, int64_t cols);
bool lq__blocks_layout(const lq__qparams *qp, int64_t rows, int64_t cols, lq__layout *out);
lq_status lq__blocks_quantize(const lq__qjob *job);
void lq__blocks_dequantize(const lq__qview *v, int64_t r0, int64_t r1, float *dst);

/* The first row of a quantized tensor that decodes to a non-finite value
 * (-1 when none), with the threads of ctx. Errors: LQ_ERR_NOMEM. */
lq_status lq__codec_first_nonfinite(const lq_ctx *ctx, const char *fn, const lq__qview *v,
                                     int64_t *row);

/* Helpers for codecs. */
bool lq__layout_planes(lq__layout *out, int nplanes, const size_t *bytes);
/* Stored scales (f16 or f32) as float, and the reverse (rounding to nearest even). */
float lq__scale_load(const uint8_t *plane, lq_type scale_type, size_t index);
void lq__scale_store(uint8_t *plane, lq_type scale_type, size_t index, float value);
/* value rounded to what lq__scale_store would keep */
float lq__scale_round(lq_type scale_type, float value);

#endif
