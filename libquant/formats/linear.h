/* linear.h — the linear integer formats int8/int4/int3/int2 (internal).
 *
 * The codec in linear.c quantizes by round-to-nearest; the methods that choose
 * codes themselves (GPTQ, AWQ, HQQ) write the same layout with the helpers
 * below, so that every int tensor decodes the same way. doc/formats.md has
 * the layout:
 *
 *   plane 0  codes: one bit stream per row, ceil(cols * bits / 8) bytes, each
 *            row starting on a byte boundary; element j occupies bits
 *            [j*bits, j*bits + bits) counted LSB first
 *   plane 1  scales (f16 or f32, little-endian), one per group / row / tensor
 *   plane 2  zero points (asym only), one u8 per scale
 *
 * A value x is stored as the code q = clamp(rne(x / scale) + zero, 0, maxq)
 * and decoded as scale * (q - zero); symmetric codes have the implicit zero
 * 2^(bits-1). Everything here is pure and thread-safe. */
#ifndef LQ_FORMATS_LINEAR_H
#define LQ_FORMATS_LINEAR_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

/* The quantization grid of one group: decode(q) = scale * (q - zero). */
typedef struct lq__linear_param {
    float scale; /* as stored: already rounded to the scale type */
    int zero;    /* 0..maxq; 2^(bits-1) for symmetric codes */
} lq__linear_param;

/* Where the parts of one tensor are: built from its qparams and layout. */
typedef struct lq__linear_map {
    int bits, maxq, sym;
    lq_type scale_type;
    int64_t rows, cols;
    int64_t group;         /* elements sharing one scale along a row (cols for channel/tensor) */
    int64_t row_params;    /* scales per row: cols / group, or 1 */
    int per_tensor;        /* one scale for the whole tensor */
    size_t row_bytes;      /* code bytes per row */
    size_t codes, scales, zeros; /* plane offsets in the tensor's bytes */
} lq__linear_map;

/* Code bits of int8/int4/int3/int2; 0 for any other type. */
int lq__linear_bits(lq_type type);

/* Fill *m for a [rows, cols] tensor with these (checked) parameters and
 * layout. */
void lq__linear_map_init(lq__linear_map *m, const lq__qparams *qp, int64_t rows, int64_t cols,
                         const lq__layout *layout);

/* Index of the scale (and zero point) that element (row, col) uses. */
static inline size_t lq__linear_param_index(const lq__linear_map *m, int64_t row, int64_t col)
{
    if (m->per_tensor)
        return 0;
    return (size_t)row * (size_t)m->row_params + (size_t)(col / m->group);
}

/* The grid for values in [lo, hi] (lo <= hi, both finite): the GPTQ /
 * compressed-tensors rule. sym: amax = max(|lo|, |hi|), scale = 2*amax/maxq,
 * zero = 2^(bits-1). asym: the range is widened to contain 0, scale =
 * (hi - lo)/maxq, zero = clamp(rne(-lo/scale), 0, maxq). The scale is rounded
 * to scale_type before the zero point is derived from it. A zero range gives
 * scale 0 (and zero 0 when asym). Errors: LQ_ERR_NUMERIC when the scale does
 * not fit the scale type (an f16 scale above 65504, or an f32 overflow); the
 * message suggests scale=f32 and is for the caller to prefix. */
lq_status lq__linear_param_for_range(float lo, float hi, int bits, int sym, lq_type scale_type,
                                     lq__linear_param *out);

/* The same for the range of the n values x[0..n-1] (n >= 0). */
lq_status lq__linear_param_for(const float *x, int64_t n, int bits, int sym, lq_type scale_type,
                               lq__linear_param *out);

/* The code of x: clamp(rne(x / scale) + zero, 0, maxq), rounding half to
 * even under the default rounding mode; the zero point when scale is 0. */
static inline int lq__linear_quantize_value(float x, lq__linear_param p, int maxq)
{
    if (p.scale == 0.0f)
        return p.zero;
    float q = nearbyintf(x / p.scale) + (float)p.zero;
    q = q < 0.0f ? 0.0f : q > (float)maxq ? (float)maxq : q;
    return (int)q;
}

static inline float lq__linear_dequantize_value(int q, lq__linear_param p)
{
    return p.scale * (float)(q - p.zero);
}

/* Code j of a row's bit stream. `row` must hold the row's row_bytes. */
static inline int lq__linear_get_code(const uint8_t *row, int64_t j, int bits)
{
    size_t bit = (size_t)j * (size_t)bits, byte = bit >> 3;
    unsigned shift = (unsigned)(bit & 7u), v = row[byte];
    if (shift + (unsigned)bits > 8u) /* only int3 codes straddle two bytes */
        v |= (unsigned)row[byte + 1] << 8;
    return (int)((v >> shift) & ((1u << bits) - 1u));
}

/* Write code j (0..2^bits-1) into a row whose bits for j are still zero. */
static inline void lq__linear_put_code(uint8_t *row, int64_t j, int bits, int code)
{
    size_t bit = (size_t)j * (size_t)bits, byte = bit >> 3;
    unsigned shift = (unsigned)(bit & 7u), v = (unsigned)code << shift;
    row[byte] |= (uint8_t)v;
    if (shift + (unsigned)bits > 8u)
        row[byte + 1] |= (uint8_t)(v >> 8);
}

/* Whole rows: pack n codes (bytes 0..2^bits-1) into a row's bit stream
 * (ceil(n*bits/8) bytes, written completely), and the reverse. */
void lq__linear_pack_row(const uint8_t *codes, int64_t n, int bits, uint8_t *row);
void lq__linear_unpack_row(const uint8_t *row, int64_t n, int bits, uint8_t *codes);

/* Store / load the grid of scale index `index` in a tensor's bytes. Storing
 * writes the scale (rounded to the scale type) and, when asym, the zero
 * point; loading gives the implicit zero 2^(bits-1) when sym. */
void lq__linear_store_param(uint8_t *data, const lq__linear_map *m, size_t index,
                            lq__linear_param p);
lq__linear_param lq__linear_load_param(const uint8_t *data, const lq__linear_map *m,
                                       size_t index);

#endif
