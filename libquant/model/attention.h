/* attention.h — causal attention of the runner (internal).
 *
 * Each query head is computed whole by one thread, a block of
 * LQ__ATTN_BLOCK query rows at a time, with two single-threaded BLAS
 * products per block (scores, then the weighted sum of values; matrix-vector
 * products for a block of one row, as in decoding), so results do not depend
 * on the thread count. A block's scores cover the positions its
 * last row sees; the rows before it mask the positions after their own. */
#ifndef LQ_MODEL_ATTENTION_H
#define LQ_MODEL_ATTENTION_H

#include <stdint.h>

#include <lq/lq_core.h>

#include "model.h"

/* Query rows per product: 32 rows of scores over 512 positions are 64 KiB,
 * which stay in L2 between the two products. */
#define LQ__ATTN_BLOCK 32

/* Floats of scratch lq__attention needs for n tokens attending to t
 * positions. */
static inline int64_t lq__attention_scratch(const lq__hparams *hp, int64_t n, int64_t t)
{
    return hp->n_head * (n < LQ__ATTN_BLOCK ? n : LQ__ATTN_BLOCK) * t;
}

/* out[n][n_head * head_dim]: token i (at position pos + i) of q
 * [n][n_head * head_dim] attends to positions 0 .. pos + i of keys and vals
 * [pos + n][n_head_kv * head_dim], query head h reading KV head
 * h / (n_head / n_head_kv). scores holds lq__attention_scratch floats. */
lq_status lq__attention(lq_ctx *ctx, const lq__hparams *hp, const float *q, const float *keys,
                        const float *vals, int64_t n, int64_t pos, float *scores, float *out);

#endif
