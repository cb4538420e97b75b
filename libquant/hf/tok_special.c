/* tok_special.c — what gguf-py's SpecialVocab adds after the merges: the
 * special token ids, the add_*_token flags, the chat template and the
 * normaliser flags, decided as it decides them (gguf-py/gguf/vocab.py):
 *
 *  1. from tokenizer.json's post_processor (TemplateProcessing: is the
 *     first special token the bos, the last the eos, is a separator put
 *     between two sequences; RobertaProcessing: all three), which may also
 *     fill in tokenizer_config.json's bos/cls/eos/sep entries in memory;
 *  2. from tokenizer_config.json: chat template (there, else
 *     chat_template.jinja, else chat_template.json), add_<type>_token
 *     flags, <type>_token contents looked up among tokenizer.json's
 *     added_tokens;
 *  3. from config.json: <type>_token_id for the types still without one.
 *
 * Python's dicts keep insertion order and an update keeps a key's place:
 * the id and flag lists below do the same, since that is the order of the
 * keys in the file. */
#include <stdio.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "tok.h"

/* The token types SpecialVocab knows, in its order; eot and eom join the
 * list only when a post-processor's last token is not the eos. `key` is
 * the GGUF key of the id (NULL: gguf-py has no writer for it and skips it);
 * `add_key` the key of its add_<type>_token flag (NULL: none). */
#define TOK_TYPES(X)                                                                         \
    X(BOS, "bos", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.add_bos_token")             \
    X(EOS, "eos", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.add_eos_token")             \
    X(UNK, "unk", "tokenizer.ggml.unknown_token_id", NULL)                                   \
    X(SEP, "sep", "tokenizer.ggml.seperator_token_id", "tokenizer.ggml.add_sep_token")       \
    X(PAD, "pad", "tokenizer.ggml.padding_token_id", NULL)                                   \
    X(CLS, "cls", NULL, NULL)                                                                \
    X(MASK, "mask", "tokenizer.ggml.mask_token_id", NULL)                                    \
    X(EOT, "eot", "tokenizer.ggml.eot_token_id", NULL)                                       \
    X(EOM, "eom", "tokenizer.ggml.eom_token_id", NULL)

#define X_ENUM(id, name, key, add_key) T_##id,
enum { TOK_TYPES(X_ENUM) N_TYPES };
#undef X_ENUM

#define X_ROW(id, name, key, add_key) {name, key, add_key},
static const struct {
    const char *name, *key, *add_key;
} TYPES[N_TYPES] = {TOK_TYPES(X_ROW)};
#undef X_ROW

/* the first seven are always there */
#define N_BASE_TYPES (T_MASK + 1)

typedef struct state {
    const char *fn;
    const lq__json *tokjson, *cfg, *config;
    const lq__json *added; /* tokenizer.json's added_tokens (an array), or NULL */
    int64_t n_vocab;       /* ids must be below it; <= 0: no limit */
    /* tokenizer_config.json's <type>_token entries, as changed in memory */
    const lq__json *cfg_token[N_TYPES];
    bool cfg_token_set[N_TYPES];
    /* the converter's special_bos, _cls, _eos, _sep while it reads the
     * post-processor: they start as the entries above but do not always
     * change with them */
    const lq__json *loc[N_TYPES];
    /* special_token_types */
    int types[N_TYPES];
    int n_types;
    /* special_token_ids and add_special_token, in insertion order */
    int id_type[N_TYPES];
    int64_t id_value[N_TYPES];
    int n_ids;
    int add_type[N_TYPES];
    bool add_value[N_TYPES];
    int n_adds;
    int lowercase, strip_accents; /* -1 unset, else 0/1 */
} state;

static lq_status bad(const state *st, const char *file, const char *what)
{
    return lq__fail(LQ_ERR_FORMAT, "%s: %s: %s", st->fn, file, what);
}

bool lq__tok_truthy(const lq__json *v)
{
    if (!v)
        return false;
    switch (v->kind) {
    case LQ__JSON_BOOL: return v->boolean;
    case LQ__JSON_INT: return v->integer != 0;
    case LQ__JSON_REAL: return v->real != 0.0;
    case LQ__JSON_STRING: return v->len > 0;
    case LQ__JSON_ARRAY:
    case LQ__JSON_OBJECT: return v->count > 0;
    default: return false;
    }
}

static bool truthy(const lq__json *v) { return lq__tok_truthy(v); }

/* Python's == on two JSON values (absent equals absent or null). */
static bool equal(const lq__json *a, const lq__json *b)
{
    bool na = !a || a->kind == LQ__JSON_NULL, nb = !b || b->kind == LQ__JSON_NULL;
    if (na || nb)
        return na && nb;
    bool num_a = a->kind == LQ__JSON_INT || a->kind == LQ__JSON_REAL || a->kind == LQ__JSON_BOOL;
    bool num_b = b->kind == LQ__JSON_INT || b->kind == LQ__JSON_REAL || b->kind == LQ__JSON_BOOL;
    if (num_a || num_b) {
        if (!num_a || !num_b)
            return false;
        if (a->kind != LQ__JSON_REAL && b->kind != LQ__JSON_REAL) {
            int64_t x = a->kind == LQ__JSON_BOOL ? a->boolean : a->integer;
            int64_t y = b->kind == LQ__JSON_BOOL ? b->boolean : b->integer;
            return x == y;
        }
        double x = a->kind == LQ__JSON_BOOL ? a->boolean : a->real;
        double y = b->kind == LQ__JSON_BOOL ? b->boolean : b->real;
        return x == y;
    }
    if (a->kind != b->kind)
        return false;
    if (a->kind == LQ__JSON_STRING)
        return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        const lq__json *x = &a->items[i];
        const lq__json *y = a->kind == LQ__JSON_ARRAY ? &b->items[i] : lq__json_get(b, x->key);
        if (!y || !equal(x, y))
            return false;
    }
    return true;
}

/* dict.get on something that must be a dict (Python would fail otherwise). */
static lq_status get(const state *st, const char *file, const lq__json *o, const char *key,
                     const lq__json **out)
{
    *out = NULL;
    if (!o)
        return LQ_OK;
    if (o->kind != LQ__JSON_OBJECT) {
        char what[160];
        snprintf(what, sizeof what, "%s (byte %zu) is not an object, so it has no \"%s\"",
                 lq__json_kind_name(o->kind), o->offset, key);
        return bad(st, file, what);
    }
    *out = lq__json_get(o, key);
    return LQ_OK;
}

static const lq__json *cfg_get(const state *st, int t)
{
    char key[32];
    if (st->cfg_token_set[t])
        return st->cfg_token[t];
    snprintf(key, sizeof key, "%s_token", TYPES[t].name);
    return lq__json_get(st->cfg, key);
}

static void cfg_set(state *st, int t, const lq__json *v)
{
    st->cfg_token[t] = v;
    st->cfg_token_set[t] = true;
}

/* tokenizer_config[...] = special_... = v */
static void both_set(state *st, int t, const lq__json *v)
{
    cfg_set(st, t, v);
    st->loc[t] = v;
}

static void set_add(state *st, int t, bool v)
{
    for (int i = 0; i < st->n_adds; i++)
        if (st->add_type[i] == t) {
            st->add_value[i] = v;
            return;
        }
    st->add_type[st->n_adds] = t;
    st->add_value[st->n_adds++] = v;
}

static bool has_type(const state *st, int t)
{
    for (int i = 0; i < st->n_types; i++)
        if (st->types[i] == t)
            return true;
    return false;
}

/* SpecialVocab._set_special_token: the first id for a type wins; ids at or
 * above n_vocab are skipped (the converter warns); a non-integer is
 * ignored. */
static lq_status set_special(state *st, const char *file, int t, const lq__json *id)
{
    if (!id || (id->kind != LQ__JSON_INT && id->kind != LQ__JSON_BOOL))
        return LQ_OK;
    int64_t v = id->kind == LQ__JSON_BOOL ? id->boolean : id->integer;
    if (v < 0) {
        char what[96];
        snprintf(what, sizeof what, "the %s token id %lld is negative", TYPES[t].name,
                 (long long)v);
        return bad(st, file, what);
    }
    if (st->n_vocab > 0 && v >= st->n_vocab)
        return LQ_OK;
    for (int i = 0; i < st->n_ids; i++)
        if (st->id_type[i] == t)
            return LQ_OK;
    if (v > UINT32_MAX) { /* written as a u32 */
        char what[96];
        snprintf(what, sizeof what, "the %s token id %lld does not fit in 32 bits",
                 TYPES[t].name, (long long)v);
        return bad(st, file, what);
    }
    st->id_type[st->n_ids] = t;
    st->id_value[st->n_ids++] = v;
    return LQ_OK;
}

/* The "id" of element i's "SpecialToken" (or `which`) in a template list. */
static lq_status tmpl_id(const state *st, const lq__json *list, size_t i, const char *which,
                         const lq__json **out)
{
    const lq__json *o;
    lq_status s = get(st, "tokenizer.json", &list->items[i], which, &o);
    return s ? s : get(st, "tokenizer.json", o, "id", out);
}

static lq_status roberta(state *st, const lq__json *proc, bool cfg_truthy)
{
    set_add(st, T_BOS, true);
    set_add(st, T_EOS, true);
    set_add(st, T_SEP, true);
    static const struct { int t, from; const char *key; } fill[2] = {
        {T_CLS, T_BOS, "cls"}, {T_SEP, T_EOS, "sep"}};
    for (int k = 0; k < 2; k++) {
        if (truthy(st->loc[fill[k].t]) || !cfg_truthy)
            continue;
        const lq__json *v;
        lq_status s = get(st, "tokenizer.json", proc, fill[k].key, &v);
        if (s)
            return s;
        if (v && (v->kind != LQ__JSON_ARRAY || v->count == 0))
            return bad(st, "tokenizer.json", "RobertaProcessing's cls/sep is not a non-empty list");
        both_set(st, fill[k].t, v ? &v->items[0] : st->loc[fill[k].from]);
    }
    return LQ_OK;
}

static bool in2(const lq__json *v, const lq__json *a, const lq__json *b)
{
    return equal(v, a) || equal(v, b);
}

static lq_status template_processing(state *st, const lq__json *proc, bool cfg_truthy)
{
    const char *F = "tokenizer.json";
    const lq__json *single, *pair, *first = NULL, *last = NULL;
    lq_status s = get(st, F, proc, "single", &single);
    if (!s)
        s = get(st, F, proc, "pair", &pair);
    if (s)
        return s;
    if ((single && single->kind != LQ__JSON_ARRAY) || (pair && pair->kind != LQ__JSON_ARRAY))
        return bad(st, F, "TemplateProcessing's single or pair is not a list");
    if (single && single->count > 1) {
        if ((s = tmpl_id(st, single, 0, "SpecialToken", &first)))
            return s;
        if (truthy(first)) {
            if (!cfg_truthy) {
                st->loc[T_BOS] = first;
            } else if (!in2(first, st->loc[T_BOS], st->loc[T_CLS])) {
                if (!truthy(st->loc[T_BOS]))
                    both_set(st, T_BOS, first);
                if (!truthy(st->loc[T_CLS]))
                    both_set(st, T_CLS, first);
            }
            set_add(st, T_BOS, in2(first, st->loc[T_BOS], st->loc[T_CLS]));
        }
        if ((s = tmpl_id(st, single, single->count - 1, "SpecialToken", &last)))
            return s;
        if (truthy(last)) {
            if (!cfg_truthy) {
                st->loc[T_EOS] = last;
            } else if (!equal(last, st->loc[T_EOS])) {
                /* the eos the config names becomes the eot (or eom) */
                int extra = !has_type(st, T_EOT) ? T_EOT : !has_type(st, T_EOM) ? T_EOM : -1;
                if (extra >= 0) {
                    st->types[st->n_types++] = extra;
                    cfg_set(st, extra, st->loc[T_EOS]);
                }
                both_set(st, T_EOS, last);
            }
            set_add(st, T_EOS, equal(last, st->loc[T_EOS]));
        }
    }
    if (!pair || pair->count == 0)
        return LQ_OK;
    const lq__json *p0, *pn;
    if ((s = tmpl_id(st, pair, 0, "SpecialToken", &p0)) ||
        (s = tmpl_id(st, pair, pair->count - 1, "SpecialToken", &pn)))
        return s;
    size_t lo = truthy(first) && equal(p0, first) ? 1 : 0;
    size_t hi = pair->count - (truthy(last) && equal(pn, last) ? 1 : 0);
    if (hi <= lo)
        return LQ_OK;
    const lq__json *a, *b;
    if ((s = tmpl_id(st, pair, lo, "Sequence", &a)) ||
        (s = tmpl_id(st, pair, hi - 1, "Sequence", &b)))
        return s;
    /* A [sep] [eos] B: what sits between the two sequences */
    if (!lq__json_is_str(a, "A") || !lq__json_is_str(b, "B") || hi - lo < 3)
        return LQ_OK;
    bool add_sep = false;
    const lq__json *e;
    const lq__json *sep = st->loc[T_SEP], *eos = st->loc[T_EOS];
    if ((s = tmpl_id(st, pair, lo + 1, "SpecialToken", &e)))
        return s;
    if (truthy(e) && in2(e, sep, eos) && !truthy(last))
        add_sep = true;
    if (hi - lo - 2 == 2) {
        if ((s = tmpl_id(st, pair, lo + 2, "SpecialToken", &e)))
            return s;
        if (truthy(e) && in2(e, sep, eos))
            add_sep = true;
    }
    set_add(st, T_SEP, add_sep);
    if (add_sep && !truthy(sep) && cfg_truthy)
        cfg_set(st, T_SEP, eos);
    return LQ_OK;
}

/* Step 1: tokenizer.json's post_processor (and the bos/cls, eos/sep
 * fallbacks before it). */
static lq_status post_processor(state *st)
{
    const char *F = "tokenizer.json";
    bool cfg_truthy = truthy(st->cfg);
    static const int locals[4] = {T_BOS, T_CLS, T_EOS, T_SEP};
    for (int i = 0; i < 4; i++)
        st->loc[locals[i]] = cfg_get(st, locals[i]);
    if (!truthy(st->loc[T_BOS]) && truthy(st->loc[T_CLS]) && cfg_truthy)
        both_set(st, T_BOS, st->loc[T_CLS]);
    if (!truthy(st->loc[T_EOS]) && truthy(st->loc[T_SEP]) && cfg_truthy)
        both_set(st, T_EOS, st->loc[T_SEP]);
    const lq__json *pp, *procs;
    lq_status s = get(st, F, st->tokjson, "post_processor", &pp);
    if (s || !truthy(pp))
        return s;
    if ((s = get(st, F, pp, "processors", &procs)))
        return s;
    size_t n = procs ? procs->count : 1;
    if (procs && procs->kind != LQ__JSON_ARRAY)
        return bad(st, F, "post_processor.processors is not a list");
    for (size_t i = 0; i < n; i++) {
        const lq__json *proc = procs ? &procs->items[i] : pp, *type;
        if ((s = get(st, F, proc, "type", &type)))
            return s;
        if (lq__json_is_str(type, "RobertaProcessing"))
            s = roberta(st, proc, cfg_truthy);
        else if (lq__json_is_str(type, "TemplateProcessing"))
            s = template_processing(st, proc, cfg_truthy);
        if (s)
            return s;
    }
    return LQ_OK;
}

static lq_status normalizer(state *st, const lq__json *n)
{
    const char *F = "tokenizer.json";
    const lq__json *type, *v;
    lq_status s = get(st, F, n, "type", &type);
    if (s)
        return s;
    if (lq__json_is_str(type, "Lowercase")) {
        st->lowercase = 1;
    } else if (lq__json_is_str(type, "StripAccents")) {
        st->strip_accents = 1;
    } else if (lq__json_is_str(type, "BertNormalizer")) {
        static const char *const keys[2] = {"lowercase", "strip_accents"};
        int *flags[2] = {&st->lowercase, &st->strip_accents};
        for (int k = 0; k < 2; k++) {
            if ((v = lq__json_get(n, keys[k])) == NULL)
                continue;
            if (v->kind == LQ__JSON_NULL)
                *flags[k] = -1;
            else if (v->kind == LQ__JSON_BOOL)
                *flags[k] = v->boolean;
            else
                return bad(st, F, "a BertNormalizer flag is neither a bool nor null");
        }
    } else if (lq__json_is_str(type, "Sequence")) {
        if ((s = get(st, F, n, "normalizers", &v)))
            return s;
        if (v && v->kind != LQ__JSON_ARRAY)
            return bad(st, F, "a Sequence normalizer's normalizers is not a list");
        for (size_t i = 0; v && i < v->count; i++)
            if ((s = normalizer(st, &v->items[i])))
                return s;
    }
    return LQ_OK;
}

/* The first added token whose content is `content`: its id node, or NULL. */
static lq_status added_id(const state *st, const char *content, size_t len,
                          const lq__json **out)
{
    *out = NULL;
    for (size_t i = 0; st->added && i < st->added->count; i++) {
        const lq__json *c, *id;
        lq_status s = get(st, "tokenizer.json", &st->added->items[i], "content", &c);
        if (!s)
            s = get(st, "tokenizer.json", &st->added->items[i], "id", &id);
        if (s)
            return s;
        if (c && c->kind == LQ__JSON_STRING && c->len == len && memcmp(c->str, content, len) == 0) {
            *out = id;
            return LQ_OK;
        }
    }
    return LQ_OK;
}

/* Step 2, tokenizer_config.json's flags and special tokens. */
static lq_status config_tokens(state *st)
{
    const char *F = "tokenizer_config.json";
    for (int i = 0; i < st->n_types; i++) {
        int t = st->types[i];
        char key[32];
        snprintf(key, sizeof key, "add_%s_token", TYPES[t].name);
        const lq__json *add = lq__json_get(st->cfg, key);
        if (add && add->kind == LQ__JSON_BOOL)
            set_add(st, t, add->boolean);
        const lq__json *entry = cfg_get(st, t), *content = entry, *id;
        if (entry && entry->kind == LQ__JSON_OBJECT)
            content = lq__json_get(entry, "content");
        if (!content || content->kind != LQ__JSON_STRING)
            continue;
        lq_status s = added_id(st, content->str, content->len, &id);
        if (!s)
            s = set_special(st, F, t, id);
        if (s)
            return s;
    }
    return LQ_OK;
}

/* Step 3, config.json's <type>_token_id (or text_config's). */
static lq_status config_ids(state *st)
{
    const lq__json *text_config = lq__json_get(st->config, "text_config");
    for (int i = 0; i < st->n_types; i++) {
        char key[32];
        snprintf(key, sizeof key, "%s_token_id", TYPES[st->types[i]].name);
        const lq__json *id = lq__json_get(st->config, key);
        if ((!id || id->kind == LQ__JSON_NULL) && text_config) {
            lq_status s = get(st, "config.json", text_config, key, &id);
            if (s)
                return s;
        }
        lq_status s = set_special(st, "config.json", st->types[i], id);
        if (s)
            return s;
    }
    return LQ_OK;
}

/* A template from a file, or a string or list of {name, template} from
 * JSON: what SpecialVocab.chat_template holds. */
typedef struct chat {
    const lq__json *json; /* a string or a list, or NULL */
    char *text;           /* from chat_template.jinja, owned */
} chat;

static lq_status chat_template(state *st, const char *dir, lq__json_doc **json_doc, chat *c)
{
    const char *fn = st->fn;
    lq_status s = lq__tok_text_file(fn, dir, "chat_template.jinja", &c->text);
    if (s)
        return s;
    char extra[LQ__TOK_PATH_MAX];
    if (c->text && (s = lq__tok_path(fn, dir, "additional_chat_templates", extra)))
        return s;
    if (c->text && lq__tok_has_jinja(extra))
        return lq__fail(LQ_ERR_UNSUPPORTED,
                        "%s: additional_chat_templates/*.jinja (named chat templates from files) "
                        "are not read", fn);
    if (!c->text) {
        if ((s = lq__tok_json_file(fn, dir, "chat_template.json", json_doc)))
            return s;
        if (*json_doc &&
            (s = get(st, "chat_template.json", lq__json_root(*json_doc), "chat_template", &c->json)))
            return s;
    }
    const lq__json *in_cfg = lq__json_get(st->cfg, "chat_template");
    if (in_cfg) { /* tokenizer_config.json's wins, even a null one */
        c->json = in_cfg;
        lq__free(c->text);
        c->text = NULL;
    }
    if (c->json && c->json->kind != LQ__JSON_STRING && c->json->kind != LQ__JSON_ARRAY)
        c->json = NULL; /* the converter ignores it with a warning */
    return LQ_OK;
}

/* gguf-py's add_chat_template for a list of {name, template}. */
static lq_status write_chat_list(state *st, const lq__json *list, lq_gguf *g)
{
    const char *fn = st->fn;
    const lq__json *deflt = NULL;
    const char **names = lq__calloc(list->count + 1, sizeof *names);
    char *name_buf = NULL;
    size_t n_names = 0, total = 0;
    for (size_t i = 0; i < list->count; i++) {
        const lq__json *nm;
        lq_status s = get(st, "tokenizer_config.json", &list->items[i], "name", &nm);
        if (s) {
            lq__free(names);
            return s;
        }
        total += nm && nm->kind == LQ__JSON_STRING ? nm->len + 1 : 1;
    }
    if (!names || !(name_buf = lq__malloc(total + 1))) {
        lq__free(names);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    char *w = name_buf;
    lq_status s = LQ_OK;
    for (size_t i = 0; !s && i < list->count; i++) {
        const lq__json *nm = lq__json_get(&list->items[i], "name");
        const lq__json *tp = lq__json_get(&list->items[i], "template");
        if (nm && nm->kind != LQ__JSON_STRING) {
            s = bad(st, "tokenizer_config.json", "a chat template's name is not a string");
            break;
        }
        /* characters other than ASCII letters and digits become '_' */
        char *name = w;
        for (size_t k = 0; nm && k < nm->len; k++) {
            char ch = nm->str[k];
            bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
            *w++ = ok ? ch : '_';
        }
        *w++ = '\0';
        if (!*name || !tp || tp->kind == LQ__JSON_NULL)
            continue;
        if (tp->kind != LQ__JSON_STRING) {
            s = bad(st, "tokenizer_config.json", "a chat template is not a string");
            break;
        }
        if ((s = lq__tok_no_nul(fn, tp, "a chat template")))
            break;
        if (strcmp(name, "default") == 0) {
            deflt = tp;
            continue;
        }
        if (strlen(name) > 500) {
            s = lq__fail(LQ_ERR_UNSUPPORTED, "%s: a chat template name of %zu bytes", fn,
                         strlen(name));
            break;
        }
        char key[600];
        snprintf(key, sizeof key, "tokenizer.chat_template.%s", name);
        bool seen = false;
        for (size_t k = 0; k < n_names; k++)
            seen = seen || strcmp(names[k], name) == 0;
        if (!seen)
            names[n_names++] = name;
        s = lq_gguf_set_string(g, key, tp->str);
    }
    /* The converter lists the names from a Python set, whose order varies
     * from run to run; libquant keeps the order of the list. */
    if (!s && n_names)
        s = lq_gguf_set_array_strings(g, "tokenizer.chat_templates", names, n_names);
    if (!s && deflt)
        s = lq_gguf_set_string(g, "tokenizer.chat_template", deflt->str);
    lq__free(names);
    lq__free(name_buf);
    return s;
}

static lq_status write_keys(state *st, const chat *c, lq_gguf *g)
{
    lq_status s = LQ_OK;
    for (int i = 0; !s && i < st->n_ids; i++)
        if (TYPES[st->id_type[i]].key)
            s = lq_gguf_set_u32(g, TYPES[st->id_type[i]].key, (uint32_t)st->id_value[i]);
    for (int i = 0; !s && i < st->n_adds; i++)
        if (TYPES[st->add_type[i]].add_key)
            s = lq_gguf_set_bool(g, TYPES[st->add_type[i]].add_key, st->add_value[i]);
    if (s)
        return s;
    if (c->text) {
        s = lq_gguf_set_string(g, "tokenizer.chat_template", c->text);
    } else if (c->json && c->json->kind == LQ__JSON_STRING) {
        s = lq__tok_no_nul(st->fn, c->json, "the chat template");
        if (!s)
            s = lq_gguf_set_string(g, "tokenizer.chat_template", c->json->str);
    } else if (c->json) {
        s = write_chat_list(st, c->json, g);
    }
    if (!s && st->lowercase >= 0)
        s = lq_gguf_set_bool(g, "tokenizer.ggml.normalizer.lowercase", st->lowercase);
    if (!s && st->strip_accents >= 0)
        s = lq_gguf_set_bool(g, "tokenizer.ggml.normalizer.strip_accents", st->strip_accents);
    return s;
}

lq_status lq__tok_special_keys(const char *fn, const char *dir, const lq__json *tokjson,
                               const lq__json *tokcfg, const lq__json *config, int64_t n_vocab,
                               lq_gguf *g)
{
    state st = {.fn = fn, .tokjson = tokjson, .cfg = tokcfg, .config = config,
                .n_vocab = n_vocab, .lowercase = -1, .strip_accents = -1};
    for (int t = 0; t < N_BASE_TYPES; t++)
        st.types[st.n_types++] = t;
    if (tokcfg && tokcfg->kind != LQ__JSON_OBJECT)
        return bad(&st, "tokenizer_config.json", "not an object");
    if (config && config->kind != LQ__JSON_OBJECT)
        return bad(&st, "config.json", "not an object");
    chat c = {0};
    lq__json_doc *chat_doc = NULL;
    lq_status s = LQ_OK;
    if (truthy(tokjson)) {
        const lq__json *norm;
        s = get(&st, "tokenizer.json", tokjson, "normalizer", &norm);
        if (!s && truthy(norm))
            s = normalizer(&st, norm);
        if (!s)
            s = get(&st, "tokenizer.json", tokjson, "added_tokens", &st.added);
        if (!s && st.added && st.added->kind != LQ__JSON_ARRAY)
            st.added = NULL; /* not a list: nothing to look up (vocab reading refuses it) */
        if (!s)
            s = post_processor(&st);
    }
    if (!s && truthy(tokcfg)) {
        s = chat_template(&st, dir, &chat_doc, &c);
        if (!s)
            s = config_tokens(&st);
    }
    if (!s && config)
        s = config_ids(&st);
    if (!s)
        s = write_keys(&st, &c, g);
    lq__free(c.text);
    lq__json_free(chat_doc);
    return s;
}
