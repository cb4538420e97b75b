/* w8a8.h — pieces of the int8 methods shared with the error report
 * (internal). */
#ifndef LQ_METHODS_W8A8_H
#define LQ_METHODS_W8A8_H

#include <stdint.h>

#include <lq/lq_matmul.h>
#include <lq/lq_methods.h>

/* Codes (int8, [out, in]) and per-row scales of a 2-D int8:channel:sym
 * tensor. Errors: LQ_ERR_INVALID for any other tensor. */
lq_status lq__w8_weights(const char *fn, const lq_tensor *w, int8_t *codes, float *scales);

/* LLM.int8's mixed product on already-extracted weights (arguments checked,
 * in <= 131072). */
lq_status lq__llm_int8(lq_ctx *ctx, const float *x, int64_t tokens, const int8_t *codes,
                       const float *scales, int64_t out, int64_t in, double threshold, float *y,
                       int64_t *n_outliers);

#endif
