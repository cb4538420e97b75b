/* pair_queue.c — the binary heap of merge candidates (pair_queue.h). */
#include <stdbool.h>

#include "pair_queue.h"

/* true when a comes out of the queue before b */
static bool before(const lq__pair *a, const lq__pair *b)
{
    return a->priority < b->priority || (a->priority == b->priority && a->left < b->left);
}

void lq__pair_push(lq__pair_queue *q, lq__pair p)
{
    int64_t i = q->n++;
    while (i > 0 && before(&p, &q->heap[(i - 1) / 2])) {
        q->heap[i] = q->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->heap[i] = p;
}

lq__pair lq__pair_pop(lq__pair_queue *q)
{
    lq__pair top = q->heap[0], last = q->heap[--q->n];
    int64_t i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && before(&q->heap[c + 1], &q->heap[c]))
            c++;
        if (!before(&q->heap[c], &last))
            break;
        q->heap[i] = q->heap[c];
        i = c;
    }
    q->heap[i] = last;
    return top;
}
