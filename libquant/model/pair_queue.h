/* pair_queue.h — the merge candidates of one word, in the order a tokenizer
 * tries them (internal): adjacent symbol pairs by priority, lowest first,
 * then leftmost first. SentencePiece (the highest score first) and byte-level
 * BPE (the lowest merge rank first) merge this way with different priorities. */
#ifndef LQ_MODEL_PAIR_QUEUE_H
#define LQ_MODEL_PAIR_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct lq__pair {
    int64_t left, right; /* the symbols */
    double priority;     /* lower first: a BPE rank, or minus a SentencePiece score (both exact) */
    size_t size;         /* bytes of the merged text, to recognise stale entries */
} lq__pair;

/* A binary heap over heap[0 .. n); the caller allocates heap with room for
 * every push of the word. */
typedef struct lq__pair_queue {
    lq__pair *heap;
    int64_t n;
} lq__pair_queue;

void lq__pair_push(lq__pair_queue *q, lq__pair p);
/* The first pair; q->n must be above 0. */
lq__pair lq__pair_pop(lq__pair_queue *q);

#endif
