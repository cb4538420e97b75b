/* methods.h — the method table rows that live in their own files, and the
 * pieces methods share (internal). */
#ifndef LQ_METHODS_METHODS_H
#define LQ_METHODS_METHODS_H

#include "../core/ctx.h"
#include "../core/error.h"
#include "method.h"

extern const lq__method lq__method_gptq;        /* gptq.c */
extern const lq__method lq__method_awq;         /* awq.c */
extern const lq__method lq__method_hqq;         /* hqq.c */
extern const lq__method lq__method_smoothquant; /* w8a8.c */
extern const lq__method lq__method_llm_int8;    /* w8a8.c */

/* Report progress `fraction` of `stage` through ctx's callback (called on the
 * caller's thread, between steps of a sequential method). Returns
 * LQ_ERR_CANCELLED, with a message, when the callback asks to stop. */
static inline lq_status lq__method_progress(const lq_ctx *ctx, const char *stage, double fraction)
{
    if (ctx && ctx->progress && ctx->progress(ctx->progress_user, stage, fraction) != 0)
        return lq__fail(LQ_ERR_CANCELLED, "%s: cancelled by the progress callback", stage);
    return LQ_OK;
}

#endif
