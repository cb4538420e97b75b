/* pool.h — the persistent thread pool (internal).
 *
 * lq__parallel_for splits [0, n) into fixed chunks of `grain` items and runs
 * fn on each chunk, on the calling thread and on up to threads-1 pool workers.
 * Chunk boundaries never depend on the thread count, so a function whose
 * chunks are independent gives the same result with any number of threads.
 * Workers are created on first need and kept for the life of the process; no
 * thread is created per call. A worker out of work spins (yielding) for up to
 * LQ__POOL_SPIN_NS before it sleeps, and so does a caller waiting for the
 * workers still in its job. The progress callback of ctx (if any) is called
 * on the calling thread only, between chunks; when it asks to stop, no new
 * chunk starts and the call returns LQ_ERR_CANCELLED. */
#ifndef LQ_CORE_POOL_H
#define LQ_CORE_POOL_H

#include <stdint.h>

#include <lq/lq_core.h>

typedef void (*lq__range_fn)(void *arg, int64_t begin, int64_t end);

lq_status lq__parallel_for(const lq_ctx *ctx, const char *stage, int64_t n,
                           int64_t grain, lq__range_fn fn, void *arg);

/* A grain giving roughly `per_chunk_work` units of work per chunk when each
 * item costs `item_work` units (at least 1 item). */
int64_t lq__grain_for(int64_t item_work, int64_t per_chunk_work);

#endif
