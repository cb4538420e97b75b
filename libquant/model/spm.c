/* spm.c — SentencePiece tokenization with byte fallback of one plain text
 * fragment, as llama.cpp does it for GGUF "llama" vocabularies.
 *
 * The text gets a leading space (at its start and after a special token,
 * with add_space_prefix) and every space becomes U+2581; it is split
 * into UTF-8 characters ("symbols"); then, repeatedly, the adjacent pair whose
 * concatenation is a vocabulary entry with the highest score (the leftmost on
 * ties) is merged, until no pair is an entry. A priority queue of candidate
 * pairs makes this O(n log n); a pair whose symbols changed since it was
 * queued is skipped when it comes out. Every final symbol is a token, or is
 * written as its bytes' <0xNN> tokens. */
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "pair_queue.h"
#include "tokenize.h"

typedef struct {
    lq__symbol *sym;
    lq__pair_queue q;
    const lq__vocab *v;
    const char *text; /* the piece being merged */
} session;

static void try_pair(void *ctx, int64_t left, int64_t right)
{
    session *s = ctx;
    if (left < 0 || right < 0)
        return;
    size_t size = s->sym[left].n + s->sym[right].n;
    int32_t id = lq__vocab_find(s->v, s->text + s->sym[left].off, size);
    if (id >= 0)
        lq__pair_push(&s->q, (lq__pair){left, right, -(double)s->v->score[id], size});
}

/* " " + text (with `prefix`) with every space as U+2581 (E2 96 81). */
static char *escape(int prefix, const char *text, size_t len, size_t *out_len)
{
    static const char space[] = "\xe2\x96\x81";
    size_t spaces = prefix ? 1 : 0, n;
    for (size_t i = 0; i < len; i++)
        spaces += text[i] == ' ';
    if (!lq__mul_size(spaces, 3, &n) || !lq__add_size(n, len, &n))
        return NULL;
    char *e = lq__malloc(n ? n : 1);
    if (!e)
        return NULL;
    size_t at = 0;
    if (prefix) {
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

static lq_status emit_bytes(const lq__vocab *v, const char *text, size_t bytes, int32_t *out,
                            int64_t *n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < bytes; i++) {
        unsigned char c = (unsigned char)text[i];
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

/* Merge the symbols of e[0 .. len) and write their ids to out. */
static lq_status merge(session *s, const char *e, size_t len, int32_t *out, int64_t *n)
{
    s->text = e;
    int64_t nsym = lq__symbols_merge(e, len, s->sym, &s->q, try_pair, s);
    lq_status st = LQ_OK;
    for (int64_t i = 0; st == LQ_OK && nsym > 0 && i >= 0; i = s->sym[i].next) {
        const char *t = e + s->sym[i].off;
        int32_t id = lq__vocab_find(s->v, t, s->sym[i].n);
        if (id >= 0)
            out[(*n)++] = id;
        else
            st = emit_bytes(s->v, t, s->sym[i].n, out, n);
    }
    return st;
}

static int is_space(const char *e, size_t len, size_t at)
{
    return len - at >= 3 && memcmp(e + at, "\xe2\x96\x81", 3) == 0;
}

/* Where the piece of e[0 .. len) that starts at `at` ends. When the only
 * tokens with U+2581 after their first character are runs of U+2581
 * (v->spm_space_cut), no merge can join a symbol that ends in another
 * character to a following one that starts with U+2581, so the text falls
 * apart there into pieces merged alone, with the same result as merging the
 * whole text at once, in a queue that stays small. */
static size_t piece_end(const lq__vocab *v, const char *e, size_t len, size_t at)
{
    if (!v->spm_space_cut)
        return len;
    int prev_space;
    do {
        prev_space = is_space(e, len, at);
        at += lq__utf8_lead_len((unsigned char)e[at]);
    } while (at < len && (prev_space || !is_space(e, len, at)));
    return at < len ? at : len;
}

/* Tokenize the escaped text e[0 .. len) into out (room for len more ids). */
static lq_status spm(const lq__vocab *v, const char *e, size_t len, int32_t *out, int64_t *n)
{
    size_t most = 0;
    for (size_t at = 0, end; at < len; at = end) {
        end = piece_end(v, e, len, at);
        most = end - at > most ? end - at : most;
    }
    session s = {.sym = lq__calloc(most, sizeof *s.sym), .v = v};
    /* each merge queues at most two pairs after the initial most - 1 */
    size_t max_pairs;
    if (lq__mul_size(most, 3, &max_pairs))
        s.q.heap = lq__calloc(max_pairs, sizeof *s.q.heap);
    if (!s.sym || !s.q.heap) {
        lq__free(s.sym);
        lq__free(s.q.heap);
        return lq__fail(LQ_ERR_NOMEM, "lq_model_tokenize: cannot allocate for %zu bytes of text",
                        len);
    }
    lq_status st = LQ_OK;
    for (size_t at = 0, end; st == LQ_OK && at < len; at = end) {
        end = piece_end(v, e, len, at);
        st = merge(&s, e + at, end - at, out, n);
    }
    lq__free(s.sym);
    lq__free(s.q.heap);
    return st;
}

lq_status lq__spm_fragment(const lq__vocab *v, const char *text, size_t len, int space_prefix,
                           lq__ids *out)
{
    size_t elen = 0;
    char *e = escape(space_prefix && v->add_space_prefix, text, len, &elen);
    if (!e)
        return lq__fail(LQ_ERR_NOMEM, "lq_model_tokenize: cannot allocate for %zu bytes of text",
                        len);
    /* at most one token per byte */
    lq_status st = lq__ids_reserve(out, elen);
    if (st == LQ_OK && elen)
        st = spm(v, e, elen, out->id, &out->n);
    lq__free(e);
    return st;
}
