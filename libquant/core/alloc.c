/* alloc.c — aligned allocation, and the fault injection tests use. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <lq/lq_core.h>

#include "alloc.h"

/* fail_at: the armed allocation number, 0 when off; counted: allocations
 * seen while armed. Numbers are claimed with one fetch_add, so the failing
 * one is exactly the nth even when pool threads allocate at once. */
static atomic_llong fail_at, counted;
static atomic_bool failed, persistent;

void lq__alloc_fail_nth(int64_t n, bool persist)
{
    atomic_store(&fail_at, 0);
    atomic_store(&counted, 0);
    atomic_store(&failed, false);
    atomic_store(&persistent, persist);
    atomic_store(&fail_at, n > 0 ? n : 0);
}

int64_t lq__alloc_count(void)
{
    return atomic_load(&counted);
}

bool lq__alloc_failed(void)
{
    return atomic_load(&failed);
}

static bool injected_failure(void)
{
    long long at = atomic_load_explicit(&fail_at, memory_order_relaxed);
    if (at == 0)
        return false;
    long long k = atomic_fetch_add(&counted, 1) + 1;
    if (k < at || (k > at && !atomic_load(&persistent)))
        return false;
    atomic_store(&failed, true);
    return true;
}

void *lq__malloc(size_t size)
{
    if (size == 0 || injected_failure())
        return NULL;
    size_t rounded;
    if (!lq__add_size(size, LQ__ALIGN - 1, &rounded))
        return NULL;
    rounded -= rounded % LQ__ALIGN;
    return aligned_alloc(LQ__ALIGN, rounded);
}

void *lq__calloc(size_t count, size_t size)
{
    size_t total;
    if (!lq__mul_size(count, size, &total))
        return NULL;
    void *p = lq__malloc(total);
    if (p)
        memset(p, 0, total);
    return p;
}

void *lq__grow(void *items, int64_t n, int64_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    size_t c = *cap ? (size_t)*cap * 2 : 16, bytes;
    void *d;
    if (!lq__mul_size(c, size, &bytes) || !(d = lq__malloc(bytes)))
        return NULL;
    if (n)
        memcpy(d, items, (size_t)n * size);
    lq__free(items);
    *cap = (int64_t)c;
    return d;
}

void lq__free(void *ptr)
{
    free(ptr);
}

void lq_free(void *ptr)
{
    lq__free(ptr);
}
