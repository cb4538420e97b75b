/* ctx.c — lq_ctx: thread count and progress callback. */
#include <unistd.h>

#include "alloc.h"
#include "ctx.h"
#include "error.h"

#define LQ__MAX_THREADS 1024

lq_status lq_ctx_create(lq_ctx **out)
{
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "lq_ctx_create: out is NULL");
    *out = lq__calloc(1, sizeof **out);
    if (!*out)
        return lq__fail(LQ_ERR_NOMEM, "lq_ctx_create: out of memory");
    return LQ_OK;
}

void lq_ctx_free(lq_ctx *ctx)
{
    lq__free(ctx);
}

lq_status lq_ctx_set_threads(lq_ctx *ctx, int threads)
{
    if (!ctx)
        return lq__fail(LQ_ERR_INVALID, "lq_ctx_set_threads: ctx is NULL");
    if (threads < 0 || threads > LQ__MAX_THREADS)
        return lq__fail(LQ_ERR_INVALID, "lq_ctx_set_threads: %d threads is outside 0..%d",
                        threads, LQ__MAX_THREADS);
    ctx->threads = threads;
    return LQ_OK;
}

lq_status lq_ctx_set_progress(lq_ctx *ctx, lq_progress_fn fn, void *user)
{
    if (!ctx)
        return lq__fail(LQ_ERR_INVALID, "lq_ctx_set_progress: ctx is NULL");
    ctx->progress = fn;
    ctx->progress_user = fn ? user : NULL;
    return LQ_OK;
}

int lq__ctx_threads(const lq_ctx *ctx)
{
    if (ctx && ctx->threads > 0)
        return ctx->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > 256 ? 256 : (int)n;
}

int lq_ctx_threads(const lq_ctx *ctx)
{
    return lq__ctx_threads(ctx);
}
