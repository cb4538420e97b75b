/* pair_queue.c — the binary heap of merge candidates and the merge loop
 * (pair_queue.h). */
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

size_t lq__utf8_lead_len(unsigned char c)
{
    static const unsigned char len[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return len[c >> 4];
}

int64_t lq__symbols_merge(const char *text, size_t len, lq__symbol *sym, lq__pair_queue *q,
                          lq__try_pair_fn try_pair, void *ctx)
{
    int64_t nsym = 0;
    for (size_t at = 0; at < len; nsym++) {
        size_t n = lq__utf8_lead_len((unsigned char)text[at]);
        sym[nsym] = (lq__symbol){at, n < len - at ? n : len - at, nsym - 1, -1};
        at += sym[nsym].n;
        if (at < len)
            sym[nsym].next = nsym + 1;
    }
    q->n = 0;
    for (int64_t i = 1; i < nsym; i++)
        try_pair(ctx, i - 1, i);
    while (q->n > 0) {
        lq__pair b = lq__pair_pop(q);
        lq__symbol *l = &sym[b.left], *r = &sym[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size)
            continue; /* stale: one side was merged since */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            sym[r->next].prev = b.left;
        try_pair(ctx, l->prev, b.left);
        try_pair(ctx, b.left, l->next);
    }
    return nsym;
}
