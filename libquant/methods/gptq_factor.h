/* gptq_factor.h — GPTQ's inverse factor, blocked over libquant's pool
 * (internal). */
#ifndef LQ_METHODS_GPTQ_FACTOR_H
#define LQ_METHODS_GPTQ_FACTOR_H

#include <stdbool.h>
#include <stdint.h>

#include <lq/lq_core.h>

/* The upper Cholesky factor U of H^-1 (H^-1 = U^T U), in place in h (n x n
 * in row panels, calib/panels.h; H is read from the upper triangle only, and
 * U is written there, the entries below the diagonal blocks' diagonals
 * holding garbage afterwards), in float, on `threads` threads with the same
 * bytes for any thread count. *ok is false when H is not positive definite
 * (h is then garbage). Fails only when out of memory (a panel of n x 256
 * floats). */
lq_status lq__gptq_inverse_factor(int threads, float *h, int64_t n, bool *ok);

#endif
