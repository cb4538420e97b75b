/* vocab.c — reading a GGUF vocabulary (SentencePiece "llama" or byte-level
 * BPE "gpt2") as llama.cpp does, and finding tokens by text. */
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "unicode.h"
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

static lq_status read_types(lq__vocab *v, const lq_gguf *g, const char *fn)
{
    static const char key[] = "tokenizer.ggml.token_type";
    if (lq_gguf_find_key(g, key) < 0) {
        memset(v->ttype, LQ__TOK_NORMAL, (size_t)v->n);
        return LQ_OK;
    }
    const void *data;
    uint64_t count;
    if (lq_gguf_get_array_data(g, key, LQ_GGUF_TYPE_I32, &data, &count) != LQ_OK)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s is not an array of i32", fn, key);
    if (count < (uint64_t)v->n) /* llama.cpp's check: more entries are ignored */
        return lq__fail(LQ_ERR_FORMAT, "%s: %s has %llu entries for %lld tokens", fn, key,
                        (unsigned long long)count, (long long)v->n);
    for (int64_t i = 0; i < v->n; i++) {
        int32_t t;
        memcpy(&t, (const char *)data + 4 * i, 4);
        /* unknown values are UNDEFINED, as in llama.cpp */
        v->ttype[i] = t >= LQ__TOK_NORMAL && t <= LQ__TOK_BYTE ? (uint8_t)t : LQ__TOK_UNDEFINED;
    }
    return LQ_OK;
}

/* The pre-tokenizer of a BPE vocabulary: tokenizer.ggml.pre must name one
 * libquant knows (llama.cpp refuses unknown names too; without the key it
 * falls back to its regex-engine "default", which libquant does not have). */
static lq_status read_pre(lq__vocab *v, const lq_gguf *g, const char *fn)
{
    static const char key[] = "tokenizer.ggml.pre";
    const char *pre = "default";
    if (lq_gguf_find_key(g, key) >= 0 && lq_gguf_get_string(g, key, &pre, NULL) != LQ_OK)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s is not a string", fn, key);
    v->pre = lq__pretok_find(pre);
    if (!v->pre)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: pre-tokenizer '%.64s' (%s) is not supported",
                        fn, pre, key);
    for (int b = 0; b < 256; b++)
        v->byte_utf8_len[b] = (uint8_t)lq__utf8_encode(lq__byte_to_cp((unsigned char)b),
                                                        v->byte_utf8[b]);
    return LQ_OK;
}

static int ascending(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return (a > b) - (a < b);
}

/* The tokens matched by name before tokenizing: control, user-defined and
 * unknown ones (llama.cpp's cache_special_tokens), but for empty texts. */
static lq_status list_specials(lq__vocab *v, const char *fn)
{
    int64_t n = 0;
    for (int64_t i = 0; i < v->n; i++) {
        int t = v->ttype[i];
        n += (t == LQ__TOK_CONTROL || t == LQ__TOK_USER_DEFINED || t == LQ__TOK_UNKNOWN) &&
             v->len[i] > 0;
    }
    if (n == 0)
        return LQ_OK;
    /* sorted by a key that orders longest text first, then lowest id */
    uint64_t *key = lq__calloc((size_t)n, sizeof *key);
    v->special = lq__calloc((size_t)n, sizeof *v->special);
    if (!key || !v->special) {
        lq__free(key);
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate %lld special tokens", fn, (long long)n);
    }
    for (int64_t i = 0, k = 0; i < v->n; i++) {
        int t = v->ttype[i];
        if ((t == LQ__TOK_CONTROL || t == LQ__TOK_USER_DEFINED || t == LQ__TOK_UNKNOWN) &&
            v->len[i] > 0)
            key[k++] = (uint64_t)(UINT32_MAX - v->len[i]) << 32 | (uint64_t)i;
    }
    qsort(key, (size_t)n, sizeof *key, ascending);
    for (int64_t k = 0; k < n; k++)
        v->special[k] = (int32_t)(key[k] & UINT32_MAX);
    v->nspecial = n;
    lq__free(key);
    return LQ_OK;
}

/* Has the text U+2581 after its first byte, other than in a run of U+2581
 * alone ("\u2581\u2581")? */
static int space_inside(const char *s, size_t len)
{
    static const char space[] = "\xe2\x96\x81";
    if (len < 4 || !memmem(s + 1, len - 1, space, 3))
        return 0;
    for (size_t i = 0; i < len; i += 3)
        if (len - i < 3 || memcmp(s + i, space, 3) != 0)
            return 1;
    return 0;
}

/* The vocabulary types: tokenizer.ggml.model, and llama.cpp's defaults for
 * keys the file may leave out (BPE's add_bos default comes from its
 * pre-tokenizer; -1 = that default). */
static const struct vocab_kind {
    const char *model;
    int type;
    int32_t bos, eos, unk;
    int add_bos, add_space_prefix;
} kinds[] = {
    {"llama", LQ__VOCAB_SPM, 1, 2, 0, 1, 1},
    {"gpt2", LQ__VOCAB_BPE, 11, 11, -1, -1, 0},
};

static lq_status read_kind(lq__vocab *v, const lq_gguf *g, const struct vocab_kind **kind,
                           const char *fn)
{
    const char *model;
    if (lq_gguf_find_key(g, "tokenizer.ggml.model") < 0 ||
        lq_gguf_get_string(g, "tokenizer.ggml.model", &model, NULL) != LQ_OK)
        return lq__fail(LQ_ERR_FORMAT, "%s: tokenizer.ggml.model is missing or not a string", fn);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(model, kinds[i].model) == 0) {
            *kind = &kinds[i];
            v->type = kinds[i].type;
            return v->type == LQ__VOCAB_BPE ? read_pre(v, g, fn) : LQ_OK;
        }
    return lq__fail(LQ_ERR_UNSUPPORTED, "%s: vocabulary type '%.32s' (only 'llama', "
                    "SentencePiece, and 'gpt2', byte-level BPE, are supported)", fn, model);
}

static lq_status read_settings(lq__vocab *v, const lq_gguf *g, const struct vocab_kind *k,
                               const char *fn)
{
    int add_bos = k->add_bos >= 0 ? k->add_bos : v->pre->add_bos;
    lq_status st = special_id(g, "tokenizer.ggml.bos_token_id", k->bos, v->n, &v->bos, fn);
    if (st == LQ_OK)
        st = special_id(g, "tokenizer.ggml.eos_token_id", k->eos, v->n, &v->eos, fn);
    if (st == LQ_OK)
        st = special_id(g, "tokenizer.ggml.unknown_token_id", k->unk, v->n, &v->unk, fn);
    if (st == LQ_OK)
        st = optional_bool(g, "tokenizer.ggml.add_bos_token", add_bos, &v->add_bos, fn);
    if (st == LQ_OK)
        st = optional_bool(g, "tokenizer.ggml.add_eos_token", 0, &v->add_eos, fn);
    if (st == LQ_OK)
        st = optional_bool(g, "tokenizer.ggml.add_space_prefix", k->add_space_prefix,
                           &v->add_space_prefix, fn);
    return st;
}

lq_status lq__vocab_load(lq__vocab *v, const lq_gguf *g, const char *fn)
{
    memset(v, 0, sizeof *v);
    const struct vocab_kind *kind = NULL;
    lq_status st = read_kind(v, g, &kind, fn);
    if (st != LQ_OK)
        return st;
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
    v->ttype = lq__calloc((size_t)n, sizeof *v->ttype);
    v->slots = lq__calloc(v->nslots, sizeof *v->slots);
    st = v->offset && v->len && v->score && v->ttype && v->slots
             ? LQ_OK
             : lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate a vocabulary of %llu tokens", fn,
                        (unsigned long long)n);
    if (st == LQ_OK)
        st = read_texts(v, g, fn);
    if (st == LQ_OK)
        st = read_scores(v, g, fn);
    if (st == LQ_OK)
        st = read_types(v, g, fn);
    if (st == LQ_OK)
        st = read_settings(v, g, kind, fn);
    if (st == LQ_OK && v->type == LQ__VOCAB_BPE)
        st = lq__merges_load(&v->merges, g, fn);
    if (st == LQ_OK)
        st = list_specials(v, fn);
    if (st != LQ_OK) {
        lq__vocab_free(v);
        return st;
    }
    memset(v->slots, 0xff, v->nslots * sizeof *v->slots);
    for (int64_t i = 0; i < v->n; i++) /* a later duplicate text replaces the earlier id */
        v->slots[find_slot(v, lq__vocab_text(v, (int32_t)i), v->len[i])] = (int32_t)i;
    v->spm_space_cut = v->type == LQ__VOCAB_SPM;
    for (int64_t i = 0; v->spm_space_cut && i < v->n; i++)
        v->spm_space_cut = !space_inside(lq__vocab_text(v, (int32_t)i), v->len[i]);
    if (v->add_bos && v->bos < 0)
        v->add_bos = 0;
    if (v->add_eos && v->eos < 0)
        v->add_eos = 0;
    return LQ_OK;
}

void lq__vocab_free(lq__vocab *v)
{
    lq__free(v->text);
    lq__free(v->offset);
    lq__free(v->len);
    lq__free(v->score);
    lq__free(v->ttype);
    lq__free(v->slots);
    lq__free(v->special);
    lq__merges_free(&v->merges);
    memset(v, 0, sizeof *v);
}
