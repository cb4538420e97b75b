/* bpe.c — byte-level BPE on one plain text fragment, as llama.cpp does it.
 *
 * The fragment is read as code points (invalid UTF-8 becomes U+FFFD, whose
 * bytes then stand for it), cut into words by the vocabulary's
 * pre-tokenizer, and each word's UTF-8 bytes are written in GPT-2's
 * byte-level alphabet. Within a word, starting from its characters, the
 * adjacent pair with the lowest merge rank (the leftmost on ties) is merged
 * until no pair has a rank; a priority queue of candidate pairs makes this
 * O(n log n), and a pair whose symbols changed since it was queued is
 * skipped. With ignore_merges (llama-bpe) a word that is itself a token is
 * that token. A final symbol that is not a token is written byte by byte as
 * one-byte tokens, and a byte without one is dropped, as llama.cpp does. */
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "pair_queue.h"
#include "tokenize.h"
#include "unicode.h"

typedef struct {
    const lq__vocab *v;
    const uint32_t *cp;
    lq__ids *out;
    char *word;      /* the word in the byte-level alphabet */
    size_t word_cap;
    lq__symbol *sym;
    lq__pair_queue q;
    size_t sym_cap;  /* symbols and queue entries the arrays hold */
} session;

lq_status lq__ids_reserve(lq__ids *ids, size_t more)
{
    if ((uint64_t)(ids->cap - ids->n) >= more)
        return LQ_OK;
    int64_t cap = ids->cap ? ids->cap : 64;
    while ((uint64_t)(cap - ids->n) < more) {
        if (cap > INT64_MAX / 2 / (int64_t)sizeof(int32_t))
            return lq__fail(LQ_ERR_NOMEM, "lq_model_tokenize: too many tokens");
        cap *= 2;
    }
    int32_t *id = lq__malloc((size_t)cap * sizeof *id);
    if (!id)
        return lq__fail(LQ_ERR_NOMEM, "lq_model_tokenize: cannot allocate %lld token ids",
                        (long long)cap);
    if (ids->n)
        memcpy(id, ids->id, (size_t)ids->n * sizeof *id);
    lq__free(ids->id);
    ids->id = id;
    ids->cap = cap;
    return LQ_OK;
}

static void try_pair(void *ctx, int64_t left, int64_t right)
{
    session *s = ctx;
    if (left < 0 || right < 0)
        return;
    const lq__symbol *l = &s->sym[left], *r = &s->sym[right];
    int32_t rank = lq__merges_rank(&s->v->merges, s->word + l->off, l->n, s->word + r->off, r->n);
    if (rank >= 0)
        lq__pair_push(&s->q, (lq__pair){left, right, rank, l->n + r->n});
}

/* Room for `bytes` bytes of word text. */
static lq_status reserve_text(session *s, size_t bytes)
{
    if (bytes > s->word_cap) {
        lq__free(s->word);
        s->word = lq__malloc(bytes);
        s->word_cap = s->word ? bytes : 0;
        if (!s->word)
            return lq__fail(LQ_ERR_NOMEM, "lq_model_tokenize: cannot allocate for a word of "
                            "%zu bytes", bytes);
    }
    return LQ_OK;
}

/* Room for a word of `bytes` bytes' symbols (one per byte at most), and
 * queue entries: each merge queues at most two pairs after the first
 * bytes - 1. */
static lq_status reserve_symbols(session *s, size_t bytes)
{
    if (bytes > s->sym_cap) {
        lq__free(s->sym);
        lq__free(s->q.heap);
        s->sym = lq__calloc(bytes, sizeof *s->sym);
        s->q.heap = bytes < SIZE_MAX / 3 ? lq__calloc(3 * bytes, sizeof *s->q.heap) : NULL;
        s->sym_cap = s->sym && s->q.heap ? bytes : 0;
        if (!s->sym_cap)
            return lq__fail(LQ_ERR_NOMEM, "lq_model_tokenize: cannot allocate for a word of "
                            "%zu bytes", bytes);
    }
    return LQ_OK;
}

/* The final symbols of the word, as tokens. */
static lq_status emit(session *s, int64_t nsym)
{
    const lq__vocab *v = s->v;
    for (int64_t i = 0; nsym > 0 && i >= 0; i = s->sym[i].next) {
        const char *t = s->word + s->sym[i].off;
        lq_status st = lq__ids_reserve(s->out, s->sym[i].n);
        if (st != LQ_OK)
            return st;
        int32_t id = lq__vocab_find(v, t, s->sym[i].n);
        if (id >= 0) {
            s->out->id[s->out->n++] = id;
            continue;
        }
        for (size_t k = 0; k < s->sym[i].n; k++)
            if ((id = lq__vocab_find(v, t + k, 1)) >= 0)
                s->out->id[s->out->n++] = id;
    }
    return LQ_OK;
}

/* Code points [start, end) of the fragment: one word. */
static lq_status word(void *ctx, size_t start, size_t end)
{
    session *s = ctx;
    const lq__vocab *v = s->v;
    /* each code point is at most 4 UTF-8 bytes, each at most 2 in the alphabet */
    if (end - start > SIZE_MAX / 8)
        return lq__fail(LQ_ERR_NOMEM, "lq_model_tokenize: a word of %zu characters", end - start);
    lq_status st = reserve_text(s, 8 * (end - start));
    if (st != LQ_OK)
        return st;
    size_t bytes = 0;
    for (size_t i = start; i < end; i++) {
        char utf8[4];
        size_t k = lq__utf8_encode(s->cp[i], utf8);
        for (size_t j = 0; j < k; j++) {
            unsigned char b = (unsigned char)utf8[j];
            memcpy(s->word + bytes, v->byte_utf8[b], 2);
            bytes += v->byte_utf8_len[b];
        }
    }
    if (v->pre->ignore_merges) {
        int32_t id = lq__vocab_find(v, s->word, bytes);
        if (id >= 0) {
            st = lq__ids_reserve(s->out, 1);
            if (st == LQ_OK)
                s->out->id[s->out->n++] = id;
            return st;
        }
    }
    st = reserve_symbols(s, bytes);
    if (st != LQ_OK)
        return st;
    int64_t nsym = lq__symbols_merge(s->word, bytes, s->sym, &s->q, try_pair, s);
    return emit(s, nsym);
}

lq_status lq__bpe_fragment(const lq__vocab *v, const char *text, size_t len, lq__ids *out)
{
    session s = {.v = v, .out = out};
    uint32_t *cp = lq__calloc(len ? len : 1, sizeof *cp);
    uint8_t *cls = lq__malloc(len ? len : 1);
    lq_status st = cp && cls ? LQ_OK
                             : lq__fail(LQ_ERR_NOMEM, "lq_model_tokenize: cannot allocate for "
                                        "%zu bytes of text", len);
    size_t n = 0;
    for (size_t at = 0, used; st == LQ_OK && at < len; at += used, n++) {
        cp[n] = lq__utf8_decode((const unsigned char *)text + at, len - at, &used);
        cls[n] = (uint8_t)lq__uc_class(cp[n]);
    }
    s.cp = cp;
    if (st == LQ_OK)
        st = lq__pretok_split(v->pre, cp, cls, n, word, &s);
    lq__free(cp);
    lq__free(cls);
    lq__free(s.word);
    lq__free(s.sym);
    lq__free(s.q.heap);
    return st;
}
