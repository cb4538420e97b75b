/* ctx.h — the run context behind lq_ctx (internal). */
#ifndef LQ_CORE_CTX_H
#define LQ_CORE_CTX_H

#include <lq/lq_core.h>

struct lq_ctx {
    int threads; /* 0 = all online CPUs */
    lq_progress_fn progress;
    void *progress_user;
};

/* Threads a call with this context uses (ctx may be NULL). */
int lq__ctx_threads(const lq_ctx *ctx);

#endif
