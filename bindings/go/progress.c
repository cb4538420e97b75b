/* progress.c — the C side of Context.SetProgress: lq_progress_fn is called
 * with a const stage string and a void * user pointer, while the exported Go
 * function takes a char * and a cgo.Handle (a uintptr_t). */
#include <stdint.h>

#include <lq/lq.h>

#include "_cgo_export.h"

static int lq_go_progress(void *user, const char *stage, double fraction)
{
    return goLqProgress((uintptr_t)user, (char *)stage, fraction);
}

lq_status lq_go_set_progress(lq_ctx *ctx, uintptr_t handle)
{
    return lq_ctx_set_progress(ctx, handle ? lq_go_progress : NULL, (void *)handle);
}
