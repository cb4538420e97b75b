/* slots.c — scratch buffers for the chunks of a parallel loop (slots.h). */
#include "../core/alloc.h"
#include "slots.h"

int lq__slots_init(lq__slots *s, int n, size_t bytes)
{
    size_t total;
    s->n = n;
    s->bytes = bytes;
    s->busy = lq__calloc((size_t)n, sizeof *s->busy);
    s->mem = lq__mul_size(bytes, (size_t)n, &total) ? lq__malloc(total) : NULL;
    if (!s->busy || !s->mem) {
        lq__slots_free(s);
        return 0;
    }
    for (int i = 0; i < n; i++)
        atomic_flag_clear(&s->busy[i]);
    return 1;
}

void lq__slots_free(lq__slots *s)
{
    lq__free(s->busy);
    lq__free(s->mem);
    s->busy = NULL;
    s->mem = NULL;
}

void *lq__slot_take(lq__slots *s, int *index)
{
    int i = -1;
    do
        i = (i + 1) % s->n;
    while (atomic_flag_test_and_set(&s->busy[i]));
    *index = i;
    return s->mem + (size_t)i * s->bytes;
}

void lq__slot_give(lq__slots *s, int index)
{
    atomic_flag_clear(&s->busy[index]);
}
