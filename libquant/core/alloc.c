/* alloc.c — aligned allocation. */
#include <stdlib.h>
#include <string.h>

#include <lq/lq_core.h>

#include "alloc.h"

void *lq__malloc(size_t size)
{
    if (size == 0)
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
