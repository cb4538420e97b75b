/* pair_queue.h — the merge loop both tokenizers share (internal): a word
 * split into characters, then adjacent symbol pairs merged by priority,
 * lowest first, then leftmost first. SentencePiece (the highest score first)
 * and byte-level BPE (the lowest merge rank first) merge this way with
 * different priorities, which their try_pair callbacks give. */
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

/* One symbol of a word: text[off .. off + n), linked to its neighbours. */
typedef struct lq__symbol {
    size_t off, n; /* n = 0 once merged into the symbol on its left */
    int64_t prev, next;
} lq__symbol;

/* Pushes the pair (left, right) when the vocabulary can merge it; left or
 * right is -1 at the word's ends. */
typedef void (*lq__try_pair_fn)(void *ctx, int64_t left, int64_t right);

/* Bytes of the UTF-8 character that starts with byte c (llama.cpp's rule:
 * by the top four bits; a stray continuation byte counts as one). */
size_t lq__utf8_lead_len(unsigned char c);

/* Splits text[0 .. len) into its characters in sym (room for len) and
 * merges them in q's order (room for 3 len pairs: each merge queues at
 * most two after the first len - 1) until no pair is left;
 * returns the number of symbols made. The word's tokens are then the
 * symbols from 0 along `next`. */
int64_t lq__symbols_merge(const char *text, size_t len, lq__symbol *sym, lq__pair_queue *q,
                          lq__try_pair_fn try_pair, void *ctx);

#endif
