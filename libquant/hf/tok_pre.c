/* tok_pre.c — tokenizer.ggml.pre for a byte-level BPE tokenizer.json.
 *
 * convert_hf_to_gguf.py names the pre-tokenizer by hashing the ids its HF
 * tokenizer gives for a check text, looked up in a table of published
 * tokenizers; a vocabulary it has not seen (any newly trained one) is
 * refused. libquant decides from what the pre-tokenizer is instead: the
 * Split regex of tokenizer.json's pre_tokenizer and its normaliser, one row
 * per rule below (doc/hf-input.md, "How tokenizer.ggml.pre is decided").
 * Each row's regex is the one llama.cpp's src/llama-vocab.cpp implements for
 * that name, as the published tokenizer.json spells it.
 *
 * Two names share Llama-3's regex: llama-bpe (Meta-Llama-3 as published
 * now) and smaug-bpe (Meta-Llama-3's first tokenizer.json, kept by Smaug
 * and others). The converter tells them apart only because the first adds
 * <|begin_of_text|> to the check text through its post-processor: with that
 * id put in front, the second's hash is the first's. So does the rule. */
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "tok.h"

typedef struct pre_rule {
    const char *name;       /* tokenizer.ggml.pre */
    const char *regex;      /* the Split pattern's "Regex", exactly */
    const char *normalizer; /* the normaliser's "type", or NULL for none */
    int bos;                /* 1: the post-processor puts a special token first; 0: it
                               does not; -1: either */
} pre_rule;

#define LLAMA3_REGEX                                                                           \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+" \
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

static const pre_rule RULES[] = {
    /* Meta-Llama-3, 3.1, 3.2: digits in runs of up to three */
    {"llama-bpe", LLAMA3_REGEX, NULL, 1},
    {"smaug-bpe", LLAMA3_REGEX, NULL, 0},
    /* Qwen1.5, Qwen2, Qwen2.5, Qwen3: single digits, NFC */
    {"qwen2",
     "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+"
     "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
     "NFC", -1},
};

/* The string member `key` of object o, or NULL. */
static const char *str_of(const lq__json *o, const char *key)
{
    const lq__json *v = lq__json_get(o, key);
    return v && v->kind == LQ__JSON_STRING ? v->str : NULL;
}

static bool is_false(const lq__json *o, const char *key)
{
    const lq__json *v = lq__json_get(o, key);
    return v && v->kind == LQ__JSON_BOOL && !v->boolean;
}

/* The regex of a pre_tokenizer shaped Sequence[Split(Regex, Isolated),
 * ByteLevel(use_regex false)] (the shape of every tokenizer in the table),
 * or NULL. */
static const char *split_regex(const lq__json *pre)
{
    const lq__json *seq = lq__json_get(pre, "pretokenizers");
    if (!lq__json_is_str(lq__json_get(pre, "type"), "Sequence") || !seq ||
        seq->kind != LQ__JSON_ARRAY || seq->count != 2)
        return NULL;
    const lq__json *split = &seq->items[0], *bytes = &seq->items[1];
    if (!lq__json_is_str(lq__json_get(split, "type"), "Split") ||
        !lq__json_is_str(lq__json_get(split, "behavior"), "Isolated") ||
        !is_false(split, "invert") ||
        !lq__json_is_str(lq__json_get(bytes, "type"), "ByteLevel") ||
        !is_false(bytes, "use_regex"))
        return NULL;
    const char *re = str_of(lq__json_get(split, "pattern"), "Regex");
    return re && strlen(re) == lq__json_get(lq__json_get(split, "pattern"), "Regex")->len ? re
                                                                                      : NULL;
}

/* Does the post-processor put a special token before the text (a bos or
 * cls): a TemplateProcessing whose single form starts with one, or a
 * RobertaProcessing, alone or in a Sequence? */
static bool adds_leading_special(const lq__json *tokjson)
{
    const lq__json *pp = lq__json_get(tokjson, "post_processor");
    const lq__json *procs = lq__json_get(pp, "processors");
    size_t n = procs && procs->kind == LQ__JSON_ARRAY ? procs->count : pp ? 1 : 0;
    for (size_t i = 0; i < n; i++) {
        const lq__json *p = procs && procs->kind == LQ__JSON_ARRAY ? &procs->items[i] : pp;
        const lq__json *type = lq__json_get(p, "type"), *single = lq__json_get(p, "single");
        if (lq__json_is_str(type, "RobertaProcessing"))
            return true;
        if (lq__json_is_str(type, "TemplateProcessing") && single &&
            single->kind == LQ__JSON_ARRAY && single->count > 1 &&
            lq__json_get(&single->items[0], "SpecialToken"))
            return true;
    }
    return false;
}

lq_status lq__tok_pre_name(const char *fn, const lq__json *tokjson, const char **out)
{
    *out = NULL;
    const lq__json *pre = lq__json_get(tokjson, "pre_tokenizer");
    const lq__json *norm = lq__json_get(tokjson, "normalizer");
    const char *ntype = norm && norm->kind == LQ__JSON_OBJECT ? str_of(norm, "type") : NULL;
    bool no_norm = !norm || norm->kind == LQ__JSON_NULL;
    const char *re = split_regex(pre);
    if (!re)
        return lq__fail(LQ_ERR_UNSUPPORTED,
                        "%s: tokenizer.json: the pre_tokenizer is not a Sequence of one "
                        "Split regex (Isolated) and ByteLevel (use_regex false); no rule "
                        "names its tokenizer.ggml.pre", fn);
    int bos = adds_leading_special(tokjson);
    for (size_t i = 0; i < sizeof RULES / sizeof *RULES; i++) {
        const pre_rule *r = &RULES[i];
        if (strcmp(re, r->regex) != 0 || (r->bos >= 0 && r->bos != bos))
            continue;
        if (r->normalizer ? !(ntype && strcmp(ntype, r->normalizer) == 0) : !no_norm)
            return lq__fail(LQ_ERR_UNSUPPORTED,
                            "%s: tokenizer.json: the pre-tokenizer regex is %s's but the "
                            "normalizer is %s, not %s", fn, r->name,
                            ntype ? ntype : no_norm ? "none" : "not an object",
                            r->normalizer ? r->normalizer : "none");
        *out = r->name;
        return LQ_OK;
    }
    char known[256] = "";
    for (size_t i = 0; i < sizeof RULES / sizeof *RULES; i++) {
        size_t k = strlen(known);
        snprintf(known + k, sizeof known - k, "%s%s", k ? ", " : "", RULES[i].name);
    }
    return lq__fail(LQ_ERR_UNSUPPORTED,
                    "%s: tokenizer.json: no rule names the pre-tokenizer with regex %s "
                    "(rules: %s)", fn, re, known);
}
