/* tokenize.c — lq_model_tokenize(_v2): the text split at special tokens,
 * each plain piece tokenized by the vocabulary's own tokenizer (spm.c,
 * bpe.c), BOS and EOS around, as llama.cpp's llama_tokenize does it. */
#include <string.h>

#include <lq/lq_model.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "model.h"
#include "tokenize.h"

static lq_status tokenize(const lq__vocab *v, const char *text, size_t len, int flags,
                          int verbatim, lq__ids *out)
{
    lq__frag whole = {0, len, -1}, *frags = &whole;
    size_t nfrags = len > 0;
    lq_status st = LQ_OK;
    if (!verbatim && len > 0)
        st = lq__special_split(v, text, len, flags & LQ_TOKENIZE_PARSE_SPECIAL, &frags, &nfrags);
    if (st == LQ_OK && (flags & LQ_TOKENIZE_ADD_BOS) && v->add_bos)
        st = lq__ids_reserve(out, 1);
    if (st == LQ_OK && (flags & LQ_TOKENIZE_ADD_BOS) && v->add_bos)
        out->id[out->n++] = v->bos;
    int after_special = 1; /* SentencePiece's space prefix: at the start and after a token */
    for (size_t i = 0; st == LQ_OK && i < nfrags; i++) {
        const lq__frag *f = &frags[i];
        if (f->token >= 0) {
            st = lq__ids_reserve(out, 1);
            if (st == LQ_OK)
                out->id[out->n++] = f->token;
            after_special = 1;
        } else if (v->type == LQ__VOCAB_SPM) {
            st = lq__spm_fragment(v, text + f->off, f->len, after_special, out);
            after_special = 0;
        } else {
            st = lq__bpe_fragment(v, text + f->off, f->len, out);
        }
    }
    if (st == LQ_OK && (flags & LQ_TOKENIZE_ADD_EOS) && v->add_eos)
        st = lq__ids_reserve(out, 1);
    if (st == LQ_OK && (flags & LQ_TOKENIZE_ADD_EOS) && v->add_eos)
        out->id[out->n++] = v->eos;
    if (frags != &whole)
        lq__free(frags);
    return st;
}

lq_status lq__tokenize(const char *fn, const lq__vocab *v, const char *text, size_t len,
                       int flags, int verbatim, int32_t **tokens, int64_t *n_tokens)
{
    if (!tokens || !n_tokens)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL output", fn);
    *tokens = NULL;
    *n_tokens = 0;
    if (!v || (!text && len))
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (flags & ~(LQ_TOKENIZE_ADD_BOS | LQ_TOKENIZE_ADD_EOS | LQ_TOKENIZE_PARSE_SPECIAL))
        return lq__fail(LQ_ERR_INVALID, "%s: unknown flags 0x%x", fn, (unsigned)flags);
    lq__ids out = {0};
    lq_status st = tokenize(v, text, len, flags, verbatim, &out);
    if (st != LQ_OK || out.n == 0) {
        lq__free(out.id);
        return st;
    }
    *tokens = out.id;
    *n_tokens = out.n;
    return LQ_OK;
}

lq_status lq_model_tokenize(const lq_model *m, const char *text, size_t len, int add_bos,
                            int32_t **tokens, int64_t *n_tokens)
{
    return lq__tokenize("lq_model_tokenize", m ? &m->vocab : NULL, text, len,
                        add_bos ? LQ_TOKENIZE_ADD_BOS : 0, 1, tokens, n_tokens);
}

lq_status lq_model_tokenize_v2(const lq_model *m, const char *text, size_t len, int flags,
                               int32_t **tokens, int64_t *n_tokens)
{
    return lq__tokenize("lq_model_tokenize_v2", m ? &m->vocab : NULL, text, len,
                        flags, 0, tokens, n_tokens);
}

const char *lq_model_token_text(const lq_model *m, int32_t token)
{
    return m && token >= 0 && token < m->vocab.n ? lq__vocab_text(&m->vocab, token) : NULL;
}
