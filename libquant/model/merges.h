/* merges.h — a byte-level BPE vocabulary's merge ranks (internal):
 * tokenizer.ggml.merges, strings "left right", the rank of each pair being
 * its index (the first one when a pair is listed twice, as in llama.cpp). */
#ifndef LQ_MODEL_MERGES_H
#define LQ_MODEL_MERGES_H

#include <stddef.h>
#include <stdint.h>

#include <lq/lq_io.h>

typedef struct lq__merges {
    int64_t n;
    char *text;        /* the merge strings, back to back */
    size_t *offset;    /* [n] */
    uint32_t *split;   /* [n]: bytes of the left side (the right one starts after the space) */
    uint32_t *len;     /* [n]: bytes of the whole string */
    int32_t *slots;    /* open-addressing table of merge indices by pair; -1 = empty */
    uint32_t *slot_hash; /* the high half of each slot's pair hash: most misses skip the compare */
    size_t nslots;
} lq__merges;

/* Read tokenizer.ggml.merges from g (required). `fn` names the public function. */
lq_status lq__merges_load(lq__merges *m, const lq_gguf *g, const char *fn);
void lq__merges_free(lq__merges *m);

/* The rank of merging the texts a[0 .. na) and b[0 .. nb), or -1. */
int32_t lq__merges_rank(const lq__merges *m, const char *a, size_t na, const char *b, size_t nb);

#endif
