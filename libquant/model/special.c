/* special.c — splitting a text at the special tokens written in it, as
 * llama.cpp's tokenizer_st_partition does. llama.cpp searches the text once
 * per special token; here the positions whose byte starts some special token
 * are found in one pass first, and only they are tried, so a text without
 * such bytes costs one scan whatever the number of special tokens. The
 * lstrip/rstrip attributes llama.cpp gives a few tokens by model name
 * (jina <mask>, Phi-3) are not modelled. */
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "tokenize.h"

static int considered(const lq__vocab *v, int32_t id, int parse_special)
{
    return parse_special || v->ttype[id] == LQ__TOK_USER_DEFINED;
}

typedef struct {
    lq__frag *f;
    int64_t n, cap;
} frag_list;

static lq_status push(frag_list *l, size_t off, size_t len, int32_t token)
{
    if (token < 0 && len == 0)
        return LQ_OK;
    lq__frag *f = lq__grow(l->f, l->n, &l->cap, sizeof *f);
    if (!f)
        return lq__fail(LQ_ERR_NOMEM, "lq_model_tokenize: cannot allocate text pieces");
    l->f = f;
    l->f[l->n++] = (lq__frag){off, len, token};
    return LQ_OK;
}

/* Cut the plain pieces of `in` at the occurrences of special token id
 * (candidate positions cand[0 .. ncand), ascending) into `out`. */
static lq_status cut_at(const lq__vocab *v, int32_t id, const char *text, const size_t *cand,
                        int64_t ncand, const frag_list *in, frag_list *out)
{
    const char *t = lq__vocab_text(v, id);
    size_t tlen = v->len[id];
    int64_t c = 0;
    lq_status st = LQ_OK;
    for (int64_t i = 0; st == LQ_OK && i < in->n; i++) {
        const lq__frag *f = &in->f[i];
        if (f->token >= 0) {
            st = push(out, f->off, f->len, f->token);
            continue;
        }
        size_t cur = f->off, end = f->off + f->len;
        for (; st == LQ_OK && c < ncand && cand[c] < end; c++) {
            size_t p = cand[c];
            if (p < cur || end - p < tlen || memcmp(text + p, t, tlen) != 0)
                continue;
            st = push(out, cur, p - cur, -1);
            if (st == LQ_OK)
                st = push(out, p, tlen, id);
            cur = p + tlen;
        }
        if (st == LQ_OK)
            st = push(out, cur, end - cur, -1);
    }
    return st;
}

lq_status lq__special_split(const lq__vocab *v, const char *text, size_t len, int parse_special,
                            lq__frag **frags, size_t *nfrags)
{
    *frags = NULL;
    *nfrags = 0;
    uint8_t first[256] = {0}; /* bytes that start a special token considered */
    int any = 0;
    for (int64_t k = 0; k < v->nspecial; k++)
        if (considered(v, v->special[k], parse_special)) {
            first[(unsigned char)lq__vocab_text(v, v->special[k])[0]] = 1;
            any = 1;
        }
    frag_list a = {0}, b = {0};
    size_t *cand = NULL;
    int64_t ncand = 0, cand_cap = 0;
    lq_status st = push(&a, 0, len, -1);
    for (size_t i = 0; st == LQ_OK && any && i < len; i++) {
        if (!first[(unsigned char)text[i]])
            continue;
        size_t *grown = lq__grow(cand, ncand, &cand_cap, sizeof *cand);
        if (!grown) {
            st = lq__fail(LQ_ERR_NOMEM, "lq_model_tokenize: cannot allocate text positions");
            break;
        }
        cand = grown;
        cand[ncand++] = i;
    }
    for (int64_t k = 0; st == LQ_OK && ncand > 0 && k < v->nspecial; k++) {
        if (!considered(v, v->special[k], parse_special))
            continue;
        b.n = 0;
        st = cut_at(v, v->special[k], text, cand, ncand, &a, &b);
        frag_list t = a;
        a = b;
        b = t;
    }
    lq__free(cand);
    lq__free(b.f);
    if (st != LQ_OK) {
        lq__free(a.f);
        return st;
    }
    *frags = a.f;
    *nfrags = (size_t)a.n;
    return LQ_OK;
}
