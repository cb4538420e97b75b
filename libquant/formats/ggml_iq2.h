/* ggml_iq2.h — the codebook searches of the 2-bit i-quants' and IQ1's
 * quantizers (internal; ggml_iq2_search.c).
 *
 * ggml's IQ2 quantizers round each group of 8 magnitudes to levels 0, 1, 2
 * (the values 1, 3, 5 times a scale). When those levels are a point of the
 * type's codebook it is taken; when not, the closest points by squared level
 * distance (ggml_quantize_init's neighbour lists) are tried with the group's
 * weights and the best kept. These tables are computed here from the
 * codebook itself. Levels are numbered in base 3 (level k times 3^k), which
 * covers every combination the quantizers can ask for. */
#ifndef LQ_FORMATS_GGML_IQ2_H
#define LQ_FORMATS_GGML_IQ2_H

#include <stdint.h>

#include <lq/lq_types.h>

#define LQ__IQ2_CODES 6561 /* 3^8 combinations of levels of a group of 8 */

typedef struct lq__iq2_search {
    int size;                     /* points in the codebook */
    const int8_t *odd;            /* point p's levels as 2 l + 1 (1, 3, 5), at 8 p */
    const int32_t *map;           /* code -> point, or -(1 + offset in neighbours) */
    const uint16_t *neighbours;   /* at an offset: n, then n points in search order */
} lq__iq2_search;

/* The search tables of IQ2_XXS, IQ2_XS, IQ2_S or IQ1_S / IQ1_M (one table;
 * levels 0, 1, 2 are the grid's values -1, 0, 1), built on first use (up to
 * 0.2 s and 700 KB, IQ1's; then shared by every thread). NULL when out of
 * memory (with lq__fail); a later call tries again. */
const lq__iq2_search *lq__iq2_search_for(lq_type type);

/* The base-3 code of 8 levels 0..2. */
static inline int lq__iq2_code(const int8_t L[8])
{
    int c = 0;
    for (int k = 7; k >= 0; k--)
        c = 3 * c + L[k];
    return c;
}

/* The point for levels L (in 0..2) of the magnitudes x with weights w at
 * scale `scale`: the point with these levels when the codebook has it, else
 * the neighbour of least weighted error sum w (scale v - x)^2 (the first on
 * ties), whose levels replace L. *on_grid says which. v is the point's odd
 * code q itself, or with `values` (IQ1's shifted levels) values[(q - 1) / 2].
 * ggml asserts that some error is below FLT_MAX (IQ1's fallback then scans
 * the whole grid out of bounds); with NaN or infinite errors (overflowing
 * input) the first neighbour stands in. */
int lq__iq2_point(const lq__iq2_search *s, int8_t L[8], const float *x, const float *w,
                  float scale, const float *values, int *on_grid);

#endif
