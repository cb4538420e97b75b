/* alloc.h — allocation with overflow-checked sizes (internal). All library
 * memory goes through these, so a failed allocation is always reported as
 * LQ_ERR_NOMEM by the caller instead of crashing. */
#ifndef LQ_CORE_ALLOC_H
#define LQ_CORE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LQ__ALIGN 64

/* 64-byte aligned; NULL on failure or when size is 0. Free with lq__free. */
void *lq__malloc(size_t size);
void *lq__calloc(size_t count, size_t size); /* zeroed; NULL on overflow */
void lq__free(void *ptr);

/* Room for one more item in a growing array of n `size`-byte items with
 * capacity *cap: the array itself when it has room, else a copy with twice the
 * capacity (16 at first), the old one freed and *cap updated. NULL when out of
 * memory (the old array is then still valid). */
void *lq__grow(void *items, int64_t n, int64_t *cap, size_t size);

/* Fault injection for tests (SQLite's way of testing out-of-memory paths):
 * lq__alloc_fail_nth(n, persist) makes the nth allocation from now fail, and
 * with `persist` every one after it too (memory that stays short, which
 * also tests the cleanup code's own allocations), and restarts the counts;
 * n = 0 turns it off. Every non-empty lq__malloc,
 * lq__calloc and lq__grow counts, on any thread. What the library gets
 * elsewhere is not covered: file maps (mmap, reported as LQ_ERR_IO), the C
 * library's own allocations (stdio, regcomp, threads) and OpenBLAS's buffers.
 * Off, it costs one relaxed atomic load per allocation. */
void lq__alloc_fail_nth(int64_t n, bool persist);
/* Allocations counted since the last lq__alloc_fail_nth (0 while off). */
int64_t lq__alloc_count(void);
/* Whether the armed failure has happened. */
bool lq__alloc_failed(void);

/* a * b without overflow; false if it would overflow. */
static inline bool lq__mul_size(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > SIZE_MAX / b)
        return false;
    *out = a * b;
    return true;
}

static inline bool lq__add_size(size_t a, size_t b, size_t *out)
{
    if (a > SIZE_MAX - b)
        return false;
    *out = a + b;
    return true;
}

#endif
