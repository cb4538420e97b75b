/* ggml_grid.h — a quantized ggml block's codes one element at a time
 * (internal).
 *
 * In the types listed here each element's value is a * level(q) + b for its
 * code q in 0 .. maxq, with a and b fixed by the block's scales (and mins)
 * and level(q) = q, or a codebook's entry (IQ4_NL, IQ4_XS). With the scales
 * chosen, GPTQ rounds a block's columns one at a time onto that grid,
 * feeding each column's error to the next (methods/gptq.c), and writes each
 * code in place. */
#ifndef LQ_FORMATS_GGML_GRID_H
#define LQ_FORMATS_GGML_GRID_H

#include <stdint.h>

#include <lq/lq_types.h>

typedef struct lq__grid_ops {
    int maxq;
    const int8_t *levels; /* maxq + 1 ascending values; NULL: level(q) = q */
    /* a[k], b[k] of every element k of the block */
    void (*grid)(const void *blk, float *a, float *b);
    /* element k's code becomes q (0 .. maxq) */
    void (*set)(void *blk, int k, int q);
} lq__grid_ops;

/* The ops of type t, or NULL when it has no per-element grid here. */
const lq__grid_ops *lq__grid_for(lq_type t);

/* The code of g's grid nearest to t (in units of a, after subtracting b). */
int lq__grid_nearest(const lq__grid_ops *g, float t);

#endif
