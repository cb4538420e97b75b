/* merges.c — reading tokenizer.ggml.merges and finding a pair's rank. */
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "merges.h"

/* FNV-1a over a, a separator that cannot be confused with text bytes being
 * shifted between the sides (the lengths), then b */
static uint64_t hash_pair(const char *a, size_t na, const char *b, size_t nb)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < na; i++)
        h = (h ^ (unsigned char)a[i]) * 0x100000001b3u;
    h = (h ^ (na & 0xff) ^ 0x100) * 0x100000001b3u;
    for (size_t i = 0; i < nb; i++)
        h = (h ^ (unsigned char)b[i]) * 0x100000001b3u;
    return h;
}

/* The slot holding the merge of this pair, or the empty slot where it would go. */
static size_t find_slot(const lq__merges *m, const char *a, size_t na, const char *b, size_t nb)
{
    uint64_t h = hash_pair(a, na, b, nb);
    size_t i = h & (m->nslots - 1);
    for (;; i = (i + 1) & (m->nslots - 1)) {
        int32_t r = m->slots[i];
        if (r < 0)
            return i;
        const char *s = m->text + m->offset[r];
        if (m->slot_hash[i] == (uint32_t)(h >> 32) && m->split[r] == na &&
            m->len[r] == na + 1 + nb && memcmp(s, a, na) == 0 && memcmp(s + na + 1, b, nb) == 0)
            return i;
    }
}

int32_t lq__merges_rank(const lq__merges *m, const char *a, size_t na, const char *b, size_t nb)
{
    return m->nslots ? m->slots[find_slot(m, a, na, b, nb)] : -1;
}

static lq_status read_texts(lq__merges *m, const lq_gguf *g, const char *key, const char *fn)
{
    size_t total = 0;
    for (int64_t i = 0; i < m->n; i++) {
        const char *s;
        size_t len;
        if (lq_gguf_get_array_string(g, key, (uint64_t)i, &s, &len) != LQ_OK)
            return lq__fail(LQ_ERR_FORMAT, "%s: %s is not an array of strings", fn, key);
        if (len > UINT32_MAX - 1 || !lq__add_size(total, len, &total))
            return lq__fail(LQ_ERR_FORMAT, "%s: merge %lld is too long", fn, (long long)i);
        m->len[i] = (uint32_t)len;
    }
    m->text = lq__malloc(total ? total : 1);
    if (!m->text)
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate %zu bytes of merges", fn, total);
    size_t at = 0;
    for (int64_t i = 0; i < m->n; i++) {
        const char *s;
        lq_gguf_get_array_string(g, key, (uint64_t)i, &s, NULL);
        m->offset[i] = at;
        memcpy(m->text + at, s, m->len[i]);
        /* llama.cpp splits at the first space after the first byte; without
         * one the pair is ("", ""), which no pair of symbols can be */
        const char *sp = m->len[i] > 1 ? memchr(s + 1, ' ', m->len[i] - 1) : NULL;
        m->split[i] = sp ? (uint32_t)(sp - s) : UINT32_MAX;
        at += m->len[i];
    }
    return LQ_OK;
}

lq_status lq__merges_load(lq__merges *m, const lq_gguf *g, const char *fn)
{
    static const char key[] = "tokenizer.ggml.merges";
    memset(m, 0, sizeof *m);
    int elem;
    uint64_t n;
    if (lq_gguf_find_key(g, key) < 0 || lq_gguf_get_array(g, key, &elem, &n) != LQ_OK ||
        elem != LQ_GGUF_TYPE_STRING)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s is missing or not an array of strings", fn, key);
    if (n > INT32_MAX / 4)
        return lq__fail(LQ_ERR_FORMAT, "%s: %llu merges", fn, (unsigned long long)n);
    m->n = (int64_t)n;
    for (m->nslots = 16; m->nslots < 2 * (size_t)n;)
        m->nslots *= 2;
    m->offset = lq__calloc(n ? n : 1, sizeof *m->offset);
    m->split = lq__calloc(n ? n : 1, sizeof *m->split);
    m->len = lq__calloc(n ? n : 1, sizeof *m->len);
    m->slots = lq__calloc(m->nslots, sizeof *m->slots);
    m->slot_hash = lq__calloc(m->nslots, sizeof *m->slot_hash);
    lq_status st = m->offset && m->split && m->len && m->slots && m->slot_hash
                       ? LQ_OK
                       : lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate %llu merges", fn,
                                  (unsigned long long)n);
    if (st == LQ_OK)
        st = read_texts(m, g, key, fn);
    if (st != LQ_OK) {
        lq__merges_free(m);
        return st;
    }
    memset(m->slots, 0xff, m->nslots * sizeof *m->slots);
    for (int64_t i = 0; i < m->n; i++) {
        if (m->split[i] == UINT32_MAX)
            continue;
        const char *s = m->text + m->offset[i];
        size_t na = m->split[i];
        size_t slot = find_slot(m, s, na, s + na + 1, m->len[i] - na - 1);
        if (m->slots[slot] < 0) { /* a pair listed again keeps its first rank */
            m->slots[slot] = (int32_t)i;
            m->slot_hash[slot] = (uint32_t)(hash_pair(s, na, s + na + 1, m->len[i] - na - 1) >> 32);
        }
    }
    return LQ_OK;
}

void lq__merges_free(lq__merges *m)
{
    lq__free(m->text);
    lq__free(m->offset);
    lq__free(m->split);
    lq__free(m->len);
    lq__free(m->slots);
    lq__free(m->slot_hash);
    memset(m, 0, sizeof *m);
}
