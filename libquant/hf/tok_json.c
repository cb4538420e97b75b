/* tok_json.c — the tokenizer folder's files, and tokenizer.json's
 * vocabulary and merges as the converter's byte-level BPE path writes them
 * (get_vocab_base and gguf.SpecialVocab's merges). Linear in the file:
 * tokens are found through a hash index, never by scanning. */
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../io/file.h"
#include "../io/names.h"
#include "tok.h"

/* tokenizer.json nests a handful of levels (pre_tokenizer.pretokenizers[i].
 * pattern.Regex); this leaves room for any published one. */
#define TOK_JSON_DEPTH 64

static bool starts(const char *s, size_t len, const char *p)
{
    size_t n = strlen(p);
    return len >= n && memcmp(s, p, n) == 0;
}

static bool ends(const char *s, size_t len, const char *p)
{
    size_t n = strlen(p);
    return len >= n && memcmp(s + len - n, p, n) == 0;
}

lq_status lq__tok_path(const char *fn, const char *dir, const char *file,
                       char buf[LQ__TOK_PATH_MAX])
{
    int n = snprintf(buf, LQ__TOK_PATH_MAX, "%s/%s", dir, file);
    if (n < 0 || n >= LQ__TOK_PATH_MAX)
        return lq__fail(LQ_ERR_IO, "%s: %s: the path is over %d bytes", fn, file,
                        LQ__TOK_PATH_MAX - 1);
    return LQ_OK;
}

bool lq__tok_is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

bool lq__tok_has_jinja(const char *path)
{
    DIR *d = opendir(path);
    bool yes = false;
    for (struct dirent *e; d && !yes && (e = readdir(d)) != NULL;)
        yes = ends(e->d_name, strlen(e->d_name), ".jinja");
    if (d)
        closedir(d);
    return yes;
}

/* Map dir/file; *present false (and LQ_OK) when it is absent. */
static lq_status map_file(const char *fn, const char *dir, const char *file, lq__map *m,
                          bool *present)
{
    m->data = NULL;
    m->size = 0;
    char path[LQ__TOK_PATH_MAX];
    lq_status s = lq__tok_path(fn, dir, file, path);
    *present = !s && lq__tok_is_file(path);
    return s || !*present ? s : lq__map_open(fn, path, m);
}

lq_status lq__tok_json_file(const char *fn, const char *dir, const char *file,
                            lq__json_doc **out)
{
    *out = NULL;
    lq__map m;
    bool present;
    lq_status s = map_file(fn, dir, file, &m, &present);
    if (s || !present)
        return s;
    s = lq__json_parse(fn, file, (const char *)m.data, m.size, TOK_JSON_DEPTH, out);
    lq__map_close(&m);
    return s;
}

lq_status lq__tok_text_file(const char *fn, const char *dir, const char *file, char **out)
{
    *out = NULL;
    lq__map m;
    bool present;
    lq_status s = map_file(fn, dir, file, &m, &present);
    if (s || !present)
        return s;
    if (!lq__utf8_valid((const char *)m.data, m.size)) {
        lq__map_close(&m);
        return lq__fail(LQ_ERR_FORMAT, "%s: %s: not valid UTF-8", fn, file);
    }
    if (memchr(m.data, 0, m.size)) {
        lq__map_close(&m);
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: %s: holds a NUL byte", fn, file);
    }
    char *t = lq__malloc(m.size + 1);
    if (!t) {
        lq__map_close(&m);
        return lq__fail(LQ_ERR_NOMEM, "%s: %s: out of memory", fn, file);
    }
    size_t n = 0;
    for (size_t i = 0; i < m.size; i++) { /* Python's universal newlines */
        uint8_t c = m.data[i];
        if (c == '\r') {
            if (i + 1 < m.size && m.data[i + 1] == '\n')
                i++;
            c = '\n';
        }
        t[n++] = (char)c;
    }
    t[n] = '\0';
    lq__map_close(&m);
    *out = t;
    return LQ_OK;
}

static lq_status no_nul(const char *fn, const char *s, size_t len, const char *what)
{
    if (memchr(s, 0, len))
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: %s holds a NUL byte, which a GGUF string "
                        "written by libquant cannot", fn, what);
    return LQ_OK;
}

lq_status lq__tok_no_nul(const char *fn, const lq__json *s, const char *what)
{
    return no_nul(fn, s->str, s->len, what);
}

bool lq__tok_looks_special(const char *text, size_t len)
{
    /* the converter's does_token_look_special: added tokens some models
     * forget to mark special (deepseek-coder, gemma) */
    static const char *const exact[] = {"<pad>", "<mask>", "<2mass>", "[@BOS@]"};
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        if (len == strlen(exact[i]) && memcmp(text, exact[i], len) == 0)
            return true;
    return (starts(text, len, "<|") && ends(text, len, "|>")) ||
           (starts(text, len, "<\xef\xbd\x9c") && ends(text, len, "\xef\xbd\x9c>")) || /* <｜ ｜> */
           (starts(text, len, "<unused") && ends(text, len, ">"));
}

/* ---- the vocabulary ---- */

static lq__name_ref member_name(const void *owner, int64_t i)
{
    const lq__json *m = (const lq__json *)owner + i;
    return (lq__name_ref){m->key, m->key_len};
}

typedef struct vocab_in {
    const lq__json *vocab;  /* model.vocab: token → id */
    const lq__json *added;  /* added_tokens, or NULL */
    lq__names index;        /* over vocab's members */
} vocab_in;

static lq_status vocab_open(const char *fn, const lq__json *tokjson, vocab_in *v)
{
    memset(v, 0, sizeof *v);
    const lq__json *model = lq__json_get(tokjson, "model");
    if (!model || model->kind != LQ__JSON_OBJECT)
        return lq__fail(LQ_ERR_FORMAT, "%s: tokenizer.json: no \"model\" object", fn);
    v->vocab = lq__json_get(model, "vocab");
    if (!v->vocab || v->vocab->kind != LQ__JSON_OBJECT) {
        const lq__json *type = lq__json_get(model, "type");
        return lq__fail(LQ_ERR_UNSUPPORTED,
                        "%s: tokenizer.json: model.vocab is not an object of token ids "
                        "(model type %s); only BPE vocabularies are read",
                        fn, type && type->kind == LQ__JSON_STRING ? type->str : "not given");
    }
    v->added = lq__json_get(tokjson, "added_tokens");
    if (v->added && v->added->kind == LQ__JSON_NULL)
        v->added = NULL;
    if (v->added && v->added->kind != LQ__JSON_ARRAY)
        return lq__fail(LQ_ERR_FORMAT, "%s: tokenizer.json: added_tokens is %s, not an array", fn,
                        lq__json_kind_name(v->added->kind));
    for (size_t i = 0; i < v->vocab->count; i++) {
        const lq__json *m = &v->vocab->items[i];
        if (m->kind != LQ__JSON_INT || m->integer < 0)
            return lq__fail(LQ_ERR_FORMAT,
                            "%s: tokenizer.json: model.vocab['%s'] is not an id >= 0 (byte %zu)",
                            fn, m->key, m->offset);
        lq_status s = no_nul(fn, m->key, m->key_len, "a token of model.vocab");
        if (s)
            return s;
        /* keys are unique (the JSON reader refuses repeats): no lookup needed */
        if (!lq__names_add(&v->index, v->vocab->items, member_name, (int64_t)i))
            return lq__fail(LQ_ERR_NOMEM, "%s: tokenizer.json: out of memory", fn);
    }
    return LQ_OK;
}

/* Added token i: its id, content and special flag, checked. */
static lq_status added_at(const char *fn, const vocab_in *v, size_t i, int64_t *id,
                          const lq__json **content, bool *special)
{
    const lq__json *a = &v->added->items[i];
    const lq__json *jid = lq__json_get(a, "id"), *jc = lq__json_get(a, "content"),
                   *js = lq__json_get(a, "special");
    if (a->kind != LQ__JSON_OBJECT || !jid || jid->kind != LQ__JSON_INT || jid->integer < 0 ||
        !jc || jc->kind != LQ__JSON_STRING || (js && js->kind != LQ__JSON_BOOL))
        return lq__fail(LQ_ERR_FORMAT,
                        "%s: tokenizer.json: added_tokens[%zu] needs an id >= 0, a string "
                        "content and a bool special (byte %zu)", fn, i, a->offset);
    *id = jid->integer;
    *content = jc;
    *special = js && js->boolean;
    return no_nul(fn, jc->str, jc->len, "an added token");
}

/* Replace every U+2581 (▁) in s by a space, into dst; the length. */
static size_t unspace(const char *s, size_t len, char *dst)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (i + 3 <= len && memcmp(s + i, "\xe2\x96\x81", 3) == 0) {
            dst[n++] = ' ';
            i += 2;
        } else {
            dst[n++] = s[i];
        }
    }
    dst[n] = '\0';
    return n;
}

static lq_status vocab_fill(const char *fn, vocab_in *v, int64_t n_vocab, lq__bpe_vocab *out)
{
    /* the number of distinct tokens (len(tokenizer.vocab)) and the largest id */
    int64_t distinct = (int64_t)v->vocab->count, max_id = -1;
    size_t owned = 0;
    for (size_t i = 0; i < v->vocab->count; i++)
        if (v->vocab->items[i].integer > max_id)
            max_id = v->vocab->items[i].integer;
    for (size_t i = 0; v->added && i < v->added->count; i++) {
        int64_t id;
        const lq__json *c;
        bool special;
        lq_status s = added_at(fn, v, i, &id, &c, &special);
        if (s)
            return s;
        int64_t at = lq__names_find(&v->index, v->vocab->items, member_name, c->str, c->len);
        if (at >= 0 && v->vocab->items[at].integer != id)
            return lq__fail(LQ_ERR_FORMAT,
                            "%s: tokenizer.json: added token '%s' has id %lld, model.vocab %lld",
                            fn, c->str, (long long)id, (long long)v->vocab->items[at].integer);
        distinct += at < 0;
        max_id = id > max_id ? id : max_id;
        owned += c->len + 1; /* room for a rewritten copy */
    }
    int64_t n = n_vocab > 0 ? n_vocab : distinct;
    if (max_id >= n)
        return lq__fail(LQ_ERR_FORMAT,
                        "%s: tokenizer.json: token id %lld is not below the vocabulary size %lld",
                        fn, (long long)max_id, (long long)n);
    /* "[PAD<id>]": at most 5 + 20 + 1 bytes each */
    size_t pads;
    if (!lq__mul_size((size_t)n, 26, &pads) || !lq__add_size(owned, pads, &owned))
        return lq__fail(LQ_ERR_NOMEM, "%s: a vocabulary of %lld tokens", fn, (long long)n);
    out->n = n;
    out->text = lq__calloc((size_t)n, sizeof *out->text);
    out->type = lq__calloc((size_t)n, sizeof *out->type);
    out->owned_ = lq__malloc(owned);
    if (!out->text || !out->type || !out->owned_)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory for %lld tokens", fn, (long long)n);
    for (size_t i = 0; i < v->vocab->count; i++) {
        const lq__json *m = &v->vocab->items[i];
        if (out->text[m->integer])
            return lq__fail(LQ_ERR_FORMAT, "%s: tokenizer.json: id %lld is both '%s' and '%s'",
                            fn, (long long)m->integer, out->text[m->integer], m->key);
        out->text[m->integer] = m->key;
        out->type[m->integer] = LQ__TOK_NORMAL;
    }
    char *w = out->owned_;
    for (size_t i = 0; v->added && i < v->added->count; i++) {
        int64_t id;
        const lq__json *c;
        bool special;
        added_at(fn, v, i, &id, &c, &special); /* checked above */
        if (out->text[id] && (out->type[id] != LQ__TOK_NORMAL || strcmp(out->text[id], c->str)))
            return lq__fail(LQ_ERR_FORMAT, "%s: tokenizer.json: id %lld is both '%s' and '%s'",
                            fn, (long long)id, out->text[id], c->str);
        /* The converter re-spells added tokens that are not "normalized" by
         * encoding and decoding them with the HF tokenizer; for the byte-level
         * BPE tokenizers read here that gives the token back unchanged. */
        if (special || lq__tok_looks_special(c->str, c->len)) {
            out->text[id] = c->str;
            out->type[id] = LQ__TOK_CONTROL;
        } else { /* user-defined: pre-normalise SentencePiece-style spaces */
            out->text[id] = w;
            w += unspace(c->str, c->len, w) + 1;
            out->type[id] = LQ__TOK_USER_DEFINED;
        }
    }
    for (int64_t i = 0; i < n; i++)
        if (!out->text[i]) {
            out->text[i] = w;
            w += snprintf(w, 26, "[PAD%lld]", (long long)i) + 1;
            out->type[i] = LQ__TOK_UNUSED;
        }
    return LQ_OK;
}

lq_status lq__bpe_vocab_read(const char *fn, const lq__json *tokjson, int64_t n_vocab,
                             lq__bpe_vocab *out)
{
    memset(out, 0, sizeof *out);
    vocab_in v;
    lq_status s = vocab_open(fn, tokjson, &v);
    if (!s)
        s = vocab_fill(fn, &v, n_vocab, out);
    lq__names_free(&v.index);
    if (s)
        lq__bpe_vocab_free(out);
    return s;
}

void lq__bpe_vocab_free(lq__bpe_vocab *v)
{
    lq__free(v->text);
    lq__free(v->type);
    lq__free(v->owned_);
    memset(v, 0, sizeof *v);
}

/* ---- merges ---- */

/* The two sides of merge i: from "a b" (split at the first space) or
 * ["a", "b"]. */
static lq_status merge_at(const char *fn, const lq__json *merges, bool pairs, size_t i,
                          const lq__json **a, const lq__json **b, const char **sa, size_t *la,
                          const char **sb, size_t *lb)
{
    const lq__json *m = &merges->items[i];
    if (pairs) {
        if (m->kind != LQ__JSON_ARRAY || m->count != 2 || m->items[0].kind != LQ__JSON_STRING ||
            m->items[1].kind != LQ__JSON_STRING)
            return lq__fail(LQ_ERR_FORMAT,
                            "%s: tokenizer.json: merges[%zu] is not a pair of strings like "
                            "merges[0] (byte %zu)", fn, i, m->offset);
        *a = &m->items[0];
        *b = &m->items[1];
        *sa = (*a)->str;
        *la = (*a)->len;
        *sb = (*b)->str;
        *lb = (*b)->len;
        lq_status s = no_nul(fn, *sa, *la, "a merge");
        return s ? s : no_nul(fn, *sb, *lb, "a merge");
    }
    const char *sp = m->kind == LQ__JSON_STRING ? memchr(m->str, ' ', m->len) : NULL;
    if (!sp)
        return lq__fail(LQ_ERR_FORMAT,
                        "%s: tokenizer.json: merges[%zu] is not a string \"a b\" like merges[0] "
                        "(byte %zu)", fn, i, m->offset);
    *a = *b = m;
    *sa = m->str;
    *la = (size_t)(sp - m->str);
    *sb = sp + 1;
    *lb = m->len - *la - 1;
    return no_nul(fn, m->str, m->len, "a merge");
}

static size_t count_spaces(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == ' ';
    return k;
}

/* Write s with every space as U+0120 (Ġ, the byte-level alphabet's space),
 * as gguf-py does for merges written as pairs. */
static char *put_part(char *w, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ') {
            *w++ = (char)0xc4;
            *w++ = (char)0xa0;
        } else {
            *w++ = s[i];
        }
    }
    return w;
}

static lq_status merges_fill(const char *fn, vocab_in *v, const lq__json *merges, bool pairs,
                             const char *prefix, lq__hf_merges *out)
{
    size_t n = merges->count, owned = 0, longest = 0;
    for (size_t i = 0; i < n; i++) {
        const lq__json *a, *b;
        const char *sa, *sb;
        size_t la, lb;
        lq_status s = merge_at(fn, merges, pairs, i, &a, &b, &sa, &la, &sb, &lb);
        if (s)
            return s;
        if (pairs) /* lengths are inside the text: no overflow */
            owned += la + lb + count_spaces(sa, la) + count_spaces(sb, lb) + 2;
        longest = la + lb > longest ? la + lb : longest;
    }
    out->text = lq__calloc(n, sizeof *out->text);
    out->owned_ = owned ? lq__malloc(owned) : NULL;
    char *joined = lq__malloc(longest + 1);
    if (!out->text || (owned && !out->owned_) || !joined) {
        lq__free(joined);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory for %zu merges", fn, n);
    }
    out->n = (int64_t)n;
    size_t plen = prefix ? strlen(prefix) : 0;
    char *w = out->owned_;
    lq_status s = LQ_OK;
    for (size_t i = 0; !s && i < n; i++) {
        const lq__json *a, *b;
        const char *sa, *sb;
        size_t la, lb;
        merge_at(fn, merges, pairs, i, &a, &b, &sa, &la, &sb, &lb); /* checked above */
        /* what the tokenizers library checks when it loads the model: both
         * sides and the merged token are in the vocabulary (the merged
         * token drops b's continuing-subword prefix) */
        size_t skip = plen && lb >= plen && memcmp(sb, prefix, plen) == 0 ? plen : 0;
        memcpy(joined, sa, la);
        memcpy(joined + la, sb + skip, lb - skip);
        const char *missing = NULL;
        size_t mlen = 0;
        if (lq__names_find(&v->index, v->vocab->items, member_name, sa, la) < 0)
            missing = sa, mlen = la;
        else if (lq__names_find(&v->index, v->vocab->items, member_name, sb, lb) < 0)
            missing = sb, mlen = lb;
        else if (lq__names_find(&v->index, v->vocab->items, member_name, joined,
                                la + lb - skip) < 0)
            missing = joined, mlen = la + lb - skip;
        if (missing) {
            s = lq__fail(LQ_ERR_FORMAT, "%s: tokenizer.json: merges[%zu] needs '%.*s', which "
                         "is not in model.vocab", fn, i, (int)mlen, missing);
            break;
        }
        if (pairs) {
            out->text[i] = w;
            w = put_part(w, sa, la);
            *w++ = ' ';
            w = put_part(w, sb, lb);
            *w++ = '\0';
        } else {
            out->text[i] = a->str;
        }
    }
    lq__free(joined);
    return s;
}

lq_status lq__hf_merges_read(const char *fn, const lq__json *tokjson, lq__hf_merges *out)
{
    memset(out, 0, sizeof *out);
    const lq__json *model = lq__json_get(tokjson, "model");
    const lq__json *merges = lq__json_get(model, "merges");
    /* the converter takes merges only from a non-empty list */
    if (!merges || merges->kind != LQ__JSON_ARRAY || merges->count == 0)
        return LQ_OK;
    const lq__json *m0 = &merges->items[0];
    bool pairs = m0->kind == LQ__JSON_ARRAY;
    if (m0->kind != LQ__JSON_STRING && !pairs)
        return lq__fail(LQ_ERR_FORMAT,
                        "%s: tokenizer.json: model.merges holds %s, neither \"a b\" strings "
                        "nor [\"a\", \"b\"] pairs", fn, lq__json_kind_name(m0->kind));
    const lq__json *jp = lq__json_get(model, "continuing_subword_prefix");
    const char *prefix = jp && jp->kind == LQ__JSON_STRING ? jp->str : NULL;
    vocab_in v;
    lq_status s = vocab_open(fn, tokjson, &v);
    if (!s)
        s = merges_fill(fn, &v, merges, pairs, prefix, out);
    lq__names_free(&v.index);
    if (s)
        lq__hf_merges_free(out);
    return s;
}

void lq__hf_merges_free(lq__hf_merges *m)
{
    lq__free(m->text);
    lq__free(m->owned_);
    memset(m, 0, sizeof *m);
}
