/* slots.h — scratch buffers for the chunks of a parallel loop (internal).
 * One call allocates as many buffers as chunks can run at once (one per
 * thread); each chunk takes a free one and gives it back. Allocating per
 * call instead of per chunk spares the kernel's zeroing of fresh pages for
 * every chunk. */
#ifndef LQ_KERNELS_SLOTS_H
#define LQ_KERNELS_SLOTS_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct lq__slots {
    unsigned char *mem;
    size_t bytes; /* per buffer */
    atomic_flag *busy;
    int n;
} lq__slots;

/* n buffers of `bytes` bytes (64-byte aligned when bytes is a multiple of
 * 64): 0 when out of memory (nothing to free then), else 1. */
int lq__slots_init(lq__slots *s, int n, size_t bytes);
void lq__slots_free(lq__slots *s);

/* A free buffer and its index, for a chunk of a loop with at most n chunks
 * running at once (so one is free). */
void *lq__slot_take(lq__slots *s, int *index);
void lq__slot_give(lq__slots *s, int index);

#endif
