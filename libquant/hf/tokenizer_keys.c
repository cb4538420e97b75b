/* tokenizer_keys.c — lq__hf_tokenizer_keys: which tokenizer file the
 * converter reads for each architecture, and the keys in the order it
 * writes them (convert_hf_to_gguf.py's set_vocab for LlamaModel and
 * Qwen2Model/Qwen3Model; doc/hf-input.md, "Tokenizer keys"). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../io/file.h"
#include "tok.h"
#include "tokenizer_keys.h"

/* The architectures whose converter classes are followed here. `llama`
 * also reads tokenizer_config.json's add_prefix_space, and tries an
 * HF-only SentencePiece vocabulary (tokenizer.json, byte fallback) before
 * byte-level BPE; Qwen2 and Qwen3 go from tokenizer.model straight to BPE. */
static const struct {
    const char *arch;
    bool llama;
} ARCHS[] = {{"llama", true}, {"qwen2", false}, {"qwen3", false}};

typedef struct files {
    const char *fn;
    const char *dir;
    lq__json_doc *tokjson_doc, *tokcfg_doc, *config_doc;
    const lq__json *tokjson, *tokcfg, *config; /* roots, NULL when absent */
} files;

/* An array key, left out when empty as gguf-py's add_array does. */
static lq_status set_strings(lq_gguf *g, const char *key, const char *const *v, int64_t n)
{
    return n ? lq_gguf_set_array_strings(g, key, v, (uint64_t)n) : LQ_OK;
}

static lq_status set_array(lq_gguf *g, const char *key, int type, const void *v, int64_t n)
{
    return n ? lq_gguf_set_array(g, key, type, v, (uint64_t)n) : LQ_OK;
}

/* ---- SentencePiece (_create_vocab_sentencepiece) ---- */

typedef struct spm_vocab {
    const char **text;
    float *score;
    int32_t *type;
    int64_t n;
    char *owned; /* "[PAD<id>]" texts and rewritten added tokens */
    size_t owned_used, owned_cap;
} spm_vocab;

/* A copy of s[0, len) in v->owned (sized beforehand), with ▁ as spaces
 * when `unspace`. */
static const char *own(spm_vocab *v, const char *s, size_t len, bool unspace)
{
    char *w = v->owned + v->owned_used, *start = w;
    for (size_t i = 0; i < len; i++) {
        if (unspace && i + 3 <= len && memcmp(s + i, "\xe2\x96\x81", 3) == 0) {
            *w++ = ' ';
            i += 2;
        } else {
            *w++ = s[i];
        }
    }
    *w++ = '\0';
    v->owned_used = (size_t)(w - v->owned);
    return start;
}

/* A decimal id as added_tokens_decoder's keys spell them. */
static bool parse_id(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;
    if (len == 0 || len > 18)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Tokens the folder adds on top of the model: added_tokens.json (content →
 * id, user-defined) then tokenizer_config.json's added_tokens_decoder (id →
 * {content, special}); score -1000 for both; ids past the vocabulary are
 * skipped, as the converter does with a warning. */
static lq_status spm_added(const files *f, const lq__json *added_json, spm_vocab *v)
{
    const char *fn = f->fn;
    for (size_t i = 0; added_json && i < added_json->count; i++) {
        const lq__json *m = &added_json->items[i];
        if (m->kind != LQ__JSON_INT || m->integer < 0)
            return lq__fail(LQ_ERR_FORMAT, "%s: added_tokens.json: '%s' is not an id >= 0", fn,
                            m->key);
        if (memchr(m->key, 0, m->key_len))
            return lq__fail(LQ_ERR_UNSUPPORTED, "%s: added_tokens.json: a token holds a NUL byte",
                            fn);
        if (m->integer >= v->n)
            continue;
        v->text[m->integer] = own(v, m->key, m->key_len, false);
        v->score[m->integer] = -1000.0f;
        v->type[m->integer] = LQ__TOK_USER_DEFINED;
    }
    const lq__json *dec = lq__json_get(f->tokcfg, "added_tokens_decoder");
    if (!dec || dec->kind == LQ__JSON_NULL)
        return LQ_OK;
    if (dec->kind != LQ__JSON_OBJECT)
        return lq__fail(LQ_ERR_FORMAT, "%s: tokenizer_config.json: added_tokens_decoder is not "
                        "an object", fn);
    for (size_t i = 0; i < dec->count; i++) {
        const lq__json *m = &dec->items[i];
        const lq__json *c = lq__json_get(m, "content"), *sp = lq__json_get(m, "special");
        int64_t id;
        if (!parse_id(m->key, m->key_len, &id) || m->kind != LQ__JSON_OBJECT || !c ||
            c->kind != LQ__JSON_STRING)
            return lq__fail(LQ_ERR_FORMAT,
                            "%s: tokenizer_config.json: added_tokens_decoder['%s'] is not a "
                            "decimal id with a string content (byte %zu)", fn, m->key, m->offset);
        lq_status s = lq__tok_no_nul(fn, c, "an added token");
        if (s)
            return s;
        if (id >= v->n)
            continue;
        bool special = lq__tok_truthy(sp) || lq__tok_looks_special(c->str, c->len);
        v->text[id] = own(v, c->str, c->len, !special);
        v->type[id] = special ? LQ__TOK_CONTROL : LQ__TOK_USER_DEFINED;
        v->score[id] = -1000.0f;
    }
    return LQ_OK;
}

static void spm_vocab_free(spm_vocab *v)
{
    lq__free(v->text);
    lq__free(v->score);
    lq__free(v->type);
    lq__free(v->owned);
}

static lq_status spm_vocab_make(const files *f, const lq__spm *spm, const lq__json *added_json,
                                int64_t n_vocab, spm_vocab *v)
{
    const char *fn = f->fn;
    memset(v, 0, sizeof *v);
    v->n = n_vocab > 0 ? n_vocab : spm->count;
    /* room for every "[PAD<id>]" (at most 26 bytes with its NUL) and a copy
     * of every added token (file text, so it cannot overflow) */
    size_t owned = 0;
    const lq__json *dec = lq__json_get(f->tokcfg, "added_tokens_decoder");
    for (size_t i = 0; added_json && i < added_json->count; i++)
        owned += added_json->items[i].key_len + 1;
    for (size_t i = 0; dec && dec->kind == LQ__JSON_OBJECT && i < dec->count; i++) {
        const lq__json *c = lq__json_get(&dec->items[i], "content");
        owned += c && c->kind == LQ__JSON_STRING ? c->len + 1 : 0;
    }
    size_t pads;
    if (!lq__mul_size((size_t)v->n, 26, &pads) || !lq__add_size(owned, pads, &owned))
        return lq__fail(LQ_ERR_NOMEM, "%s: a vocabulary of %lld tokens", fn, (long long)v->n);
    v->text = lq__calloc((size_t)v->n, sizeof *v->text);
    v->score = lq__calloc((size_t)v->n, sizeof *v->score);
    v->type = lq__calloc((size_t)v->n, sizeof *v->type);
    v->owned = lq__malloc(owned);
    v->owned_cap = owned;
    if (!v->text || !v->score || !v->type || !v->owned)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory for %lld tokens", fn, (long long)v->n);
    for (int64_t i = 0; i < v->n; i++) {
        char pad[32];
        int len = snprintf(pad, sizeof pad, "[PAD%lld]", (long long)i);
        v->text[i] = own(v, pad, (size_t)len, false);
        v->score[i] = -10000.0f;
        v->type[i] = LQ__TOK_UNUSED;
    }
    /* pieces past the vocabulary are dropped (the converter warns) */
    for (int64_t i = 0; i < spm->count && i < v->n; i++) {
        const lq__spm_piece *p = &spm->pieces[i];
        v->text[i] = p->text;
        v->score[i] = p->score;
        /* SentencePiece's user-defined pieces are written as normal ones:
         * the converter asks only IsUnknown, IsControl, IsUnused, IsByte */
        v->type[i] = p->type == LQ__TOK_USER_DEFINED ? LQ__TOK_NORMAL : p->type;
    }
    return spm_added(f, added_json, v);
}

static lq_status spm_keys(const files *f, int64_t n_vocab, lq_gguf *g)
{
    const char *fn = f->fn;
    char path[LQ__TOK_PATH_MAX];
    lq__map m;
    lq_status s = lq__tok_path(fn, f->dir, "tokenizer.model", path);
    if (!s)
        s = lq__map_open(fn, path, &m);
    if (s)
        return s;
    lq__spm spm;
    s = lq__spm_read(fn, "tokenizer.model", m.data, m.size, &spm);
    lq__map_close(&m);
    if (s)
        return s;
    lq__json_doc *added_doc = NULL;
    spm_vocab v = {0};
    s = lq__tok_json_file(fn, f->dir, "added_tokens.json", &added_doc);
    const lq__json *added = added_doc ? lq__json_root(added_doc) : NULL;
    if (!s && added && added->kind != LQ__JSON_OBJECT)
        s = lq__fail(LQ_ERR_FORMAT, "%s: added_tokens.json: not an object", fn);
    if (!s)
        s = spm_vocab_make(f, &spm, added, n_vocab, &v);
    if (!s)
        s = lq_gguf_set_string(g, "tokenizer.ggml.model", "llama");
    if (!s)
        s = lq_gguf_set_string(g, "tokenizer.ggml.pre", "default");
    if (!s)
        s = set_strings(g, "tokenizer.ggml.tokens", v.text, v.n);
    if (!s)
        s = set_array(g, "tokenizer.ggml.scores", LQ_GGUF_TYPE_F32, v.score, v.n);
    if (!s)
        s = set_array(g, "tokenizer.ggml.token_type", LQ_GGUF_TYPE_I32, v.type, v.n);
    if (!s)
        s = lq__tok_special_keys(fn, f->dir, f->tokjson, f->tokcfg, f->config, v.n, g);
    spm_vocab_free(&v);
    lq__spm_free(&spm);
    lq__json_free(added_doc);
    return s;
}

/* ---- byte-level BPE (_set_vocab_gpt2) ---- */

static lq_status bpe_keys(const files *f, int64_t n_vocab, lq_gguf *g)
{
    const char *fn = f->fn;
    if (!f->tokjson)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: no tokenizer.model or tokenizer.json", fn);
    lq__bpe_vocab v;
    lq__hf_merges mg = {0};
    const char *pre = NULL;
    lq_status s = lq__bpe_vocab_read(fn, f->tokjson, n_vocab, &v);
    if (!s)
        s = lq__tok_pre_name(fn, f->tokjson, &pre);
    if (!s)
        s = lq__hf_merges_read(fn, f->tokjson, &mg);
    if (!s)
        s = lq_gguf_set_string(g, "tokenizer.ggml.model", "gpt2");
    if (!s)
        s = lq_gguf_set_string(g, "tokenizer.ggml.pre", pre);
    if (!s)
        s = set_strings(g, "tokenizer.ggml.tokens", v.text, v.n);
    if (!s)
        s = set_array(g, "tokenizer.ggml.token_type", LQ_GGUF_TYPE_I32, v.type, v.n);
    if (!s)
        s = set_strings(g, "tokenizer.ggml.merges", mg.text, mg.n);
    /* this SpecialVocab is made without n_vocab: ids are not range-checked */
    if (!s)
        s = lq__tok_special_keys(fn, f->dir, f->tokjson, f->tokcfg, f->config, 0, g);
    lq__hf_merges_free(&mg);
    lq__bpe_vocab_free(&v);
    return s;
}

/* LlamaModel.set_vocab, after tokenizer.model: a tokenizer.json that is
 * SentencePiece-style BPE (byte fallback, a Sequence decoder) is read as
 * such (gguf-py's LlamaHfVocab); Llama-3-style BPE (ignore_merges, no byte
 * fallback) and anything else go to byte-level BPE. */
static lq_status llama_hf_vocab_check(const files *f)
{
    const lq__json *model = lq__json_get(f->tokjson, "model");
    if (!model)
        return LQ_OK;
    const lq__json *type = lq__json_get(model, "type");
    const lq__json *im = lq__json_get(model, "ignore_merges"), *bf = lq__json_get(model, "byte_fallback");
    bool bpe = lq__json_is_str(type, "BPE");
    bool llama3 = bpe && lq__tok_truthy(im) && !(bf ? lq__tok_truthy(bf) : true);
    bool spm_style = bpe && lq__tok_truthy(bf) &&
                     lq__json_is_str(lq__json_get(lq__json_get(f->tokjson, "decoder"), "type"),
                                     "Sequence");
    if (!llama3 && spm_style)
        return lq__fail(LQ_ERR_UNSUPPORTED,
                        "%s: tokenizer.json is a SentencePiece-style BPE (byte_fallback) without "
                        "tokenizer.model; that vocabulary is not read", f->fn);
    return LQ_OK;
}

static lq_status llama_prefix_space(const files *f, lq_gguf *g)
{
    const lq__json *aps = lq__json_get(f->tokcfg, "add_prefix_space");
    if (!aps || aps->kind == LQ__JSON_NULL)
        return LQ_OK;
    if (aps->kind != LQ__JSON_BOOL)
        return lq__fail(LQ_ERR_FORMAT, "%s: tokenizer_config.json: add_prefix_space is %s, not "
                        "a bool", f->fn, lq__json_kind_name(aps->kind));
    return lq_gguf_set_bool(g, "tokenizer.ggml.add_space_prefix", aps->boolean);
}

static lq_status load(files *f)
{
    static const struct {
        const char *file;
        size_t doc, root;
    } FILES[] = {
        {"tokenizer.json", offsetof(files, tokjson_doc), offsetof(files, tokjson)},
        {"tokenizer_config.json", offsetof(files, tokcfg_doc), offsetof(files, tokcfg)},
        {"config.json", offsetof(files, config_doc), offsetof(files, config)},
    };
    for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++) {
        lq__json_doc **doc = (lq__json_doc **)((char *)f + FILES[i].doc);
        lq_status s = lq__tok_json_file(f->fn, f->dir, FILES[i].file, doc);
        if (s)
            return s;
        if (*doc)
            *(const lq__json **)((char *)f + FILES[i].root) = lq__json_root(*doc);
    }
    if (f->tokjson && f->tokjson->kind != LQ__JSON_OBJECT)
        return lq__fail(LQ_ERR_FORMAT, "%s: tokenizer.json: not an object", f->fn);
    if (f->tokcfg && f->tokcfg->kind != LQ__JSON_OBJECT)
        return lq__fail(LQ_ERR_FORMAT, "%s: tokenizer_config.json: not an object", f->fn);
    if (f->config && f->config->kind != LQ__JSON_OBJECT)
        return lq__fail(LQ_ERR_FORMAT, "%s: config.json: not an object", f->fn);
    return LQ_OK;
}

lq_status lq__hf_tokenizer_keys(const char *dir, const char *arch, int64_t n_vocab, lq_gguf *g)
{
    if (!dir || !arch || !g)
        return lq__fail(LQ_ERR_INVALID, "lq__hf_tokenizer_keys: NULL argument");
    int a = -1;
    for (size_t i = 0; i < sizeof ARCHS / sizeof *ARCHS; i++)
        if (strcmp(arch, ARCHS[i].arch) == 0)
            a = (int)i;
    if (a < 0)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: tokenizer keys for architecture '%s' are not "
                        "written (llama, qwen2, qwen3 are)", dir, arch);
    files f = {.fn = dir, .dir = dir};
    char path[LQ__TOK_PATH_MAX];
    lq_status s = lq__tok_path(dir, dir, "tokenizer.model", path);
    if (!s)
        s = load(&f);
    bool spm = !s && lq__tok_is_file(path);
    if (!s && ARCHS[a].llama) {
        s = llama_prefix_space(&f, g);
        if (!s && !spm)
            s = llama_hf_vocab_check(&f);
        /* LlamaModel.set_vocab's vocabulary-size special cases */
        if (!s && n_vocab == 32016)
            s = lq__fail(LQ_ERR_UNSUPPORTED, "%s: a vocabulary of 32016 (CodeLlama: the "
                         "converter adds its infill token ids) is not handled", dir);
    }
    if (!s)
        s = spm ? spm_keys(&f, n_vocab, g) : bpe_keys(&f, n_vocab, g);
    /* granite's small models (49152 tokens) do not add a bos */
    if (!s && ARCHS[a].llama && n_vocab == 49152)
        s = lq_gguf_set_bool(g, "tokenizer.ggml.add_bos_token", false);
    lq__json_free(f.tokjson_doc);
    lq__json_free(f.tokcfg_doc);
    lq__json_free(f.config_doc);
    return s;
}
