/* tokenizer.c — SentencePiece tokenization with byte fallback, as llama.cpp
 * does it for GGUF "llama" vocabularies (lq_model_tokenize).
 *
 * The text gets a leading space and every space becomes U+2581; it is split
 * into UTF-8 characters ("symbols"); then, repeatedly, the adjacent pair whose
 * concatenation is a vocabulary entry with the highest score (the leftmost on
 * ties) is merged, until no pair is an entry. A priority queue of candidate
 * pairs makes this O(n log n); a pair whose symbols changed since it was
 * queued is skipped when it comes out. Every final symbol is a token, or is
 * written as its bytes' <0xNN> tokens. */
#include <string.h>

#include <lq/lq_model.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "model.h"

typedef struct {
    const char *text;
    size_t n;        /* bytes; 0 once merged into the symbol on its left */
    int64_t prev, next;
} symbol;

typedef struct {
    int64_t left, right;
    float score;
    size_t size;     /* bytes of the merged text, to recognise stale entries */
} bigram;

typedef struct {
    symbol *sym;
    bigram *heap;
    int64_t nheap;
    const lq__vocab *v;
} session;

/* true when a comes out of the queue before b */
static bool before(const bigram *a, const bigram *b)
{
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void heap_push(session *s, bigram b)
{
    int64_t i = s->nheap++;
    while (i > 0 && before(&b, &s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = b;
}

static bigram heap_pop(session *s)
{
    bigram top = s->heap[0], last = s->heap[--s->nheap];
    int64_t i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= s->nheap)
            break;
        if (c + 1 < s->nheap && before(&s->heap[c + 1], &s->heap[c]))
            c++;
        if (!before(&s->heap[c], &last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    s->heap[i] = last;
    return top;
}

static void try_pair(session *s, int64_t left, int64_t right)
{
    if (left < 0 || right < 0)
        return;
    size_t size = s->sym[left].n + s->sym[right].n;
    int32_t id = lq__vocab_find(s->v, s->sym[left].text, size);
    if (id >= 0)
        heap_push(s, (bigram){left, right, s->v->score[id], size});
}

/* Bytes of the UTF-8 character that starts with byte c (llama.cpp's rule:
 * by the top four bits; a stray continuation byte counts as one). */
static size_t utf8_len(unsigned char c)
{
    static const unsigned char len[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return len[c >> 4];
}

/* " " + text (with add_space_prefix) with every space as U+2581 (E2 96 81). */
static char *escape(const lq__vocab *v, const char *text, size_t len, size_t *out_len)
{
    static const char space[] = "\xe2\x96\x81";
    size_t spaces = v->add_space_prefix ? 1 : 0, n;
    for (size_t i = 0; i < len; i++)
        spaces += text[i] == ' ';
    if (!lq__mul_size(spaces, 3, &n) || !lq__add_size(n, len, &n))
        return NULL;
    char *e = lq__malloc(n);
    if (!e)
        return NULL;
    size_t at = 0;
    if (v->add_space_prefix) {
        memcpy(e, space, 3);
        at = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') {
            memcpy(e + at, space, 3);
            at += 3;
        } else {
            e[at++] = text[i];
        }
    }
    *out_len = at;
    return e;
}

static lq_status emit_bytes(const lq__vocab *v, const symbol *sym, int32_t *out, int64_t *n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < sym->n; i++) {
        unsigned char c = (unsigned char)sym->text[i];
        char name[7] = {'<', '0', 'x', hex[c >> 4], hex[c & 15], '>', 0};
        int32_t id = lq__vocab_find(v, name, 6);
        if (id < 0)
            id = lq__vocab_find(v, (const char *)&c, 1);
        if (id < 0)
            return lq__fail(LQ_ERR_FORMAT, "lq_model_tokenize: the vocabulary cannot write byte "
                            "0x%02X (no <0x%02X> token)", c, c);
        out[(*n)++] = id;
    }
    return LQ_OK;
}

/* Tokenize the escaped text e[0 .. len) into out (room for len ids). */
static lq_status spm(const lq__vocab *v, const char *e, size_t len, int32_t *out, int64_t *n)
{
    session s = {lq__calloc(len, sizeof *s.sym), NULL, 0, v};
    /* each merge queues at most two pairs after the initial len - 1 */
    size_t max_pairs;
    if (lq__mul_size(len, 3, &max_pairs))
        s.heap = lq__calloc(max_pairs, sizeof *s.heap);
    if (!s.sym || !s.heap) {
        lq__free(s.sym);
        lq__free(s.heap);
        return lq__fail(LQ_ERR_NOMEM, "lq_model_tokenize: cannot allocate for %zu bytes of text",
                        len);
    }
    int64_t nsym = 0;
    for (size_t at = 0; at < len; nsym++) {
        size_t n1 = utf8_len((unsigned char)e[at]);
        s.sym[nsym] = (symbol){e + at, n1 < len - at ? n1 : len - at, nsym - 1, -1};
        at += s.sym[nsym].n;
        if (at < len)
            s.sym[nsym].next = nsym + 1;
    }
    for (int64_t i = 1; i < nsym; i++)
        try_pair(&s, i - 1, i);
    while (s.nheap > 0) {
        bigram b = heap_pop(&s);
        symbol *l = &s.sym[b.left], *r = &s.sym[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size)
            continue; /* stale: one side was merged since */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            s.sym[r->next].prev = b.left;
        try_pair(&s, l->prev, b.left);
        try_pair(&s, b.left, l->next);
    }
    lq_status st = LQ_OK;
    for (int64_t i = 0; st == LQ_OK && nsym > 0 && i >= 0; i = s.sym[i].next) {
        int32_t id = lq__vocab_find(v, s.sym[i].text, s.sym[i].n);
        if (id >= 0)
            out[(*n)++] = id;
        else
            st = emit_bytes(v, &s.sym[i], out, n);
    }
    lq__free(s.sym);
    lq__free(s.heap);
    return st;
}

lq_status lq_model_tokenize(const lq_model *m, const char *text, size_t len, int add_bos,
                            int32_t **tokens, int64_t *n_tokens)
{
    static const char fn[] = "lq_model_tokenize";
    if (!tokens || !n_tokens)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL output", fn);
    *tokens = NULL;
    *n_tokens = 0;
    if (!m || (!text && len))
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    const lq__vocab *v = &m->vocab;
    if (v->bpe)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: byte-level BPE vocabularies (tokenizer.ggml.model "
                        "'gpt2') are not tokenized yet", fn);
    size_t elen = 0;
    char *e = len ? escape(v, text, len, &elen) : NULL;
    if (len && !e)
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate for %zu bytes of text", fn, len);
    /* at most one token per byte, plus BOS */
    int32_t *out = lq__calloc(elen + 1, sizeof *out);
    if (!out) {
        lq__free(e);
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate for %zu bytes of text", fn, len);
    }
    int64_t n = 0;
    if (add_bos && v->add_bos)
        out[n++] = v->bos;
    lq_status st = elen ? spm(v, e, elen, out, &n) : LQ_OK;
    lq__free(e);
    if (st != LQ_OK || n == 0) {
        lq__free(out);
        return st;
    }
    *tokens = out;
    *n_tokens = n;
    return LQ_OK;
}

const char *lq_model_token_text(const lq_model *m, int32_t token)
{
    return m && token >= 0 && token < m->vocab.n ? lq__vocab_text(&m->vocab, token) : NULL;
}
