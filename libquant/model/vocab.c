/* vocab.c — reading a GGUF "llama" vocabulary and finding tokens by text. */
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "vocab.h"

static uint64_t hash_text(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
    return h;
}

/* The slot holding the token with this text, or the empty slot where it would go. */
static size_t find_slot(const lq__vocab *v, const char *s, size_t len)
{
    size_t i = hash_text(s, len) & (v->nslots - 1);
    for (;; i = (i + 1) & (v->nslots - 1)) {
        int32_t id = v->slots[i];
        if (id < 0 || (v->len[id] == len && memcmp(lq__vocab_text(v, id), s, len) == 0))
            return i;
    }
}

int32_t lq__vocab_find(const lq__vocab *v, const char *s, size_t len)
{
    return v->slots[find_slot(v, s, len)];
}

/* An optional token id: `def` when the key is absent, -1 when it is not in the vocabulary. */
static lq_status special_id(const lq_gguf *g, const char *key, int32_t def, int64_t n,
                            int32_t *out, const char *fn)
{
    int64_t id = def;
    if (lq_gguf_find_key(g, key) >= 0 && lq_gguf_get_int(g, key, &id) != LQ_OK)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s is not an integer", fn, key);
    *out = id >= 0 && id < n ? (int32_t)id : -1;
    return LQ_OK;
}

static lq_status optional_bool(const lq_gguf *g, const char *key, int def, int *out,
                               const char *fn)
{
    *out = def;
    if (lq_gguf_find_key(g, key) >= 0 && lq_gguf_get_bool(g, key, out) != LQ_OK)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s is not a bool", fn, key);
    return LQ_OK;
}

static lq_status read_texts(lq__vocab *v, const lq_gguf *g, const char *fn)
{
    static const char key[] = "tokenizer.ggml.tokens";
    size_t total = 0;
    for (int64_t i = 0; i < v->n; i++) {
        const char *s;
        size_t len;
        if (lq_gguf_get_array_string(g, key, (uint64_t)i, &s, &len) != LQ_OK)
            return lq__fail(LQ_ERR_FORMAT, "%s: %s is not an array of strings", fn, key);
        if (len > UINT32_MAX || !lq__add_size(total, len + 1, &total))
            return lq__fail(LQ_ERR_FORMAT, "%s: token %lld is too long", fn, (long long)i);
        v->len[i] = (uint32_t)len;
    }
    v->text = lq__malloc(total);
    if (!v->text)
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate %zu bytes of token text", fn, total);
    size_t at = 0;
    for (int64_t i = 0; i < v->n; i++) {
        const char *s;
        lq_gguf_get_array_string(g, key, (uint64_t)i, &s, NULL);
        v->offset[i] = at;
        memcpy(v->text + at, s, v->len[i]);
        v->text[at + v->len[i]] = '\0';
        at += v->len[i] + 1;
    }
    return LQ_OK;
}

static lq_status read_scores(lq__vocab *v, const lq_gguf *g, const char *fn)
{
    static const char key[] = "tokenizer.ggml.scores";
    if (lq_gguf_find_key(g, key) < 0)
        return LQ_OK; /* llama.cpp scores every token 0 then */
    const void *data;
    uint64_t count;
    if (lq_gguf_get_array_data(g, key, LQ_GGUF_TYPE_F32, &data, &count) != LQ_OK)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s is not an array of f32", fn, key);
    if (count != (uint64_t)v->n)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s has %llu entries for %lld tokens", fn, key,
                        (unsigned long long)count, (long long)v->n);
    memcpy(v->score, data, (size_t)v->n * sizeof(float));
    return LQ_OK;
}

lq_status lq__vocab_load(lq__vocab *v, const lq_gguf *g, const char *fn)
{
    memset(v, 0, sizeof *v);
    const char *model;
    if (lq_gguf_find_key(g, "tokenizer.ggml.model") < 0 ||
        lq_gguf_get_string(g, "tokenizer.ggml.model", &model, NULL) != LQ_OK)
        return lq__fail(LQ_ERR_FORMAT, "%s: tokenizer.ggml.model is missing or not a string", fn);
    v->bpe = strcmp(model, "gpt2") == 0;
    if (strcmp(model, "llama") != 0 && !v->bpe)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: vocabulary type '%.32s' (only 'llama', "
                        "SentencePiece, and 'gpt2', byte-level BPE, are read)", fn, model);
    int elem;
    uint64_t n;
    if (lq_gguf_find_key(g, "tokenizer.ggml.tokens") < 0 ||
        lq_gguf_get_array(g, "tokenizer.ggml.tokens", &elem, &n) != LQ_OK ||
        elem != LQ_GGUF_TYPE_STRING)
        return lq__fail(LQ_ERR_FORMAT, "%s: tokenizer.ggml.tokens is missing or not an array "
                        "of strings", fn);
    if (n < 1 || n > INT32_MAX / 4)
        return lq__fail(LQ_ERR_FORMAT, "%s: %llu tokens", fn, (unsigned long long)n);
    v->n = (int64_t)n;
    for (v->nslots = 16; v->nslots < 2 * (size_t)n;)
        v->nslots *= 2;
    v->offset = lq__calloc((size_t)n, sizeof *v->offset);
    v->len = lq__calloc((size_t)n, sizeof *v->len);
    v->score = lq__calloc((size_t)n, sizeof *v->score);
    v->slots = lq__calloc(v->nslots, sizeof *v->slots);
    lq_status st = v->offset && v->len && v->score && v->slots
                       ? LQ_OK
                       : lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate a vocabulary of %llu tokens",
                                  fn, (unsigned long long)n);
    if (st == LQ_OK)
        st = read_texts(v, g, fn);
    if (st == LQ_OK)
        st = read_scores(v, g, fn);
    /* llama.cpp's defaults for SentencePiece vocabularies; a BPE file names its own */
    if (st == LQ_OK)
        st = special_id(g, "tokenizer.ggml.bos_token_id", v->bpe ? -1 : 1, v->n, &v->bos, fn);
    if (st == LQ_OK)
        st = special_id(g, "tokenizer.ggml.eos_token_id", v->bpe ? -1 : 2, v->n, &v->eos, fn);
    if (st == LQ_OK)
        st = special_id(g, "tokenizer.ggml.unknown_token_id", v->bpe ? -1 : 0, v->n, &v->unk, fn);
    if (st == LQ_OK)
        st = optional_bool(g, "tokenizer.ggml.add_bos_token", !v->bpe, &v->add_bos, fn);
    if (st == LQ_OK)
        st = optional_bool(g, "tokenizer.ggml.add_space_prefix", 1, &v->add_space_prefix, fn);
    if (st != LQ_OK) {
        lq__vocab_free(v);
        return st;
    }
    memset(v->slots, 0xff, v->nslots * sizeof *v->slots);
    for (int64_t i = 0; i < v->n; i++) /* a later duplicate text replaces the earlier id */
        v->slots[find_slot(v, lq__vocab_text(v, (int32_t)i), v->len[i])] = (int32_t)i;
    if (v->add_bos && v->bos < 0)
        v->add_bos = 0;
    return LQ_OK;
}

void lq__vocab_free(lq__vocab *v)
{
    lq__free(v->text);
    lq__free(v->offset);
    lq__free(v->len);
    lq__free(v->score);
    lq__free(v->slots);
    memset(v, 0, sizeof *v);
}
