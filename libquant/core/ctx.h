/* ctx.h — the run context behind lq_ctx (internal). */
#ifndef LQ_CORE_CTX_H
#define LQ_CORE_CTX_H

#include <stdbool.h>

#include <lq/lq_core.h>

struct lq_ctx {
    int threads; /* 0 = all online CPUs */
    lq_progress_fn progress;
    void *progress_user;
    /* internal only: the caller runs under a memory limit (the model's
     * max_memory), so calls keep their working buffers small, at some cost
     * in speed (lq_matmul's decoded weight chunks) */
    bool small_buffers;
};

/* Threads a call with this context uses (ctx may be NULL). */
int lq__ctx_threads(const lq_ctx *ctx);

#endif
