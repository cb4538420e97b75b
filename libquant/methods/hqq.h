/* hqq.h — HQQ's zero-point solver, for the method and for measurements of
 * what storing its float zeros as integers costs (internal). */
#ifndef LQ_METHODS_HQQ_H
#define LQ_METHODS_HQQ_H

#include <stdint.h>

#include <lq/lq_core.h>

/* Min-max grids for `ngroups` groups of `gsize` consecutive values of w, then
 * the legacy proximal solver on the zeros (`iters` rounds at most). Outputs
 * the inverse scales s_inv[ngroups] and the float zeros z[ngroups]; a value x
 * of group g is coded clamp(rne(x * s_inv + z), 0, 2^bits - 1) and decodes to
 * (q - z) / s_inv. Runs on ctx's threads; results do not depend on their
 * number. Errors: LQ_ERR_NOMEM, LQ_ERR_CANCELLED. */
lq_status lq__hqq_optimize(const lq_ctx *ctx, const float *w, int64_t ngroups, int64_t gsize,
                           int bits, int iters, float *s_inv, float *z);

/* The layout's integer zeros: with zero[g] fixed, the same solver on the
 * scale (scale[g] in: the starting scale, out: the result); a value codes to
 * clamp(rne(x / scale + zero), 0, 2^bits - 1). Errors as above. */
lq_status lq__hqq_refit_scale(const lq_ctx *ctx, const float *w, int64_t ngroups, int64_t gsize,
                              int bits, int iters, const int *zero, float *scale);

#endif
