/* detokenize.c — lq_model_detokenize: token ids back to text, as llama.cpp's
 * llama_detokenize (token_to_piece per token, then clean_spaces). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lq/lq_model.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "model.h"
#include "tokenize.h"
#include "unicode.h"

typedef struct {
    char *s;
    size_t n, cap;
} text_buf;

static lq_status put(text_buf *b, const char *s, size_t n)
{
    if (b->cap - b->n < n + 1) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n < n + 1) {
            if (cap > SIZE_MAX / 2)
                return lq__fail(LQ_ERR_NOMEM, "lq_model_detokenize: text too long");
            cap *= 2;
        }
        char *grown = lq__malloc(cap);
        if (!grown)
            return lq__fail(LQ_ERR_NOMEM, "lq_model_detokenize: cannot allocate %zu bytes", cap);
        if (b->n)
            memcpy(grown, b->s, b->n);
        lq__free(b->s);
        b->s = grown;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
    return LQ_OK;
}

/* A byte token's value: the two characters after "<0x", read as llama.cpp
 * does (strtol base 16, stopping at the first that is no hex digit). */
static char byte_value(const char *t, size_t len)
{
    char hex[3] = {0};
    if (len > 3)
        memcpy(hex, t + 3, len - 3 < 2 ? len - 3 : 2);
    return (char)strtol(hex, NULL, 16);
}

/* A normal BPE token's text from GPT-2's byte alphabet back to bytes; a code
 * point outside the alphabet is written as llama.cpp does:
 * "[UNK_BYTE_0x" its UTF-8 in hex, then the whole token text, "]". */
static lq_status decode_bytes(text_buf *b, const char *t, size_t len)
{
    lq_status st = LQ_OK;
    for (size_t at = 0, used; st == LQ_OK && at < len; at += used) {
        uint32_t c = lq__utf8_decode((const unsigned char *)t + at, len - at, &used);
        int byte = lq__cp_to_byte(c);
        if (byte >= 0) {
            char ch = (char)byte;
            st = put(b, &ch, 1);
            continue;
        }
        char utf8[4], hex[32] = "[UNK_BYTE_0x";
        size_t k = lq__utf8_encode(c, utf8), h = strlen(hex);
        for (size_t i = 0; i < k; i++, h += 2)
            snprintf(hex + h, 3, "%02x", (unsigned char)utf8[i]);
        st = put(b, hex, h);
        if (st == LQ_OK)
            st = put(b, t, len);
        if (st == LQ_OK)
            st = put(b, "]", 1);
    }
    return st;
}

/* One token's text (llama.cpp's token_to_piece), without up to one leading
 * space when `lstrip`. */
static lq_status piece(const lq__vocab *v, int32_t id, int unparse_special, int lstrip,
                       text_buf *b)
{
    const char *t = lq__vocab_text(v, id);
    size_t len = v->len[id], start = b->n;
    int type = v->ttype[id];
    lq_status st = LQ_OK;
    if (type == LQ__TOK_CONTROL || type == LQ__TOK_UNKNOWN) {
        if (unparse_special)
            st = put(b, t, len);
    } else if (type == LQ__TOK_USER_DEFINED) {
        st = put(b, t, len);
    } else if (type == LQ__TOK_BYTE) {
        char byte = byte_value(t, len);
        st = put(b, &byte, 1);
    } else if (type == LQ__TOK_NORMAL && v->type == LQ__VOCAB_BPE) {
        st = decode_bytes(b, t, len);
    } else if (type == LQ__TOK_NORMAL) { /* SentencePiece: U+2581 is a space */
        for (size_t i = 0; st == LQ_OK && i < len;) {
            int space = len - i >= 3 && memcmp(t + i, "\xe2\x96\x81", 3) == 0;
            st = put(b, space ? " " : t + i, 1);
            i += space ? 3 : 1;
        }
    } /* unused and undefined tokens: nothing, as in llama.cpp */
    if (st == LQ_OK && lstrip && b->n > start && b->s[start] == ' ') {
        memmove(b->s + start, b->s + start + 1, b->n - start - 1);
        b->s[--b->n] = '\0';
    }
    return st;
}

/* llama.cpp's clean_up_tokenization_spaces, in its three passes: no space
 * before ? ! . , ; " ' " loses both spaces; no space before 's 'm 're 've. */
static size_t clean_spaces(char *s, size_t n)
{
    size_t k = n ? 1 : 0;
    for (size_t i = 1; i < n; i++) {
        char x = s[i];
        if (s[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ','))
            k--;
        s[k++] = x;
    }
    n = k;
    k = n ? 1 : 0;
    for (size_t i = 1; i < n; i++) {
        char x = s[i];
        if (x == '\'' && i + 1 < n && s[i - 1] == ' ' && s[i + 1] == ' ') {
            k--;
            s[++i] = '\0'; /* the space after is skipped (llama.cpp's way of writing it) */
        }
        s[k++] = x;
    }
    n = k;
    k = n ? 1 : 0;
    for (size_t i = 1; i < n; i++) {
        char x = s[i];
        if (s[i - 1] == ' ' && x == '\'' && i + 1 < n) {
            char x1 = s[i + 1];
            if (x1 == 's' || x1 == 'm')
                k--;
            else if (i + 2 < n && (x1 == 'r' || x1 == 'v') && s[i + 2] == 'e')
                k--;
        }
        s[k++] = x;
    }
    return k;
}

lq_status lq__detokenize(const char *fn, const lq__vocab *v, const int32_t *tokens, int64_t n,
                         int flags, char **text, size_t *len)
{
    if (!text || !len)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL output", fn);
    *text = NULL;
    *len = 0;
    if (!v || (!tokens && n) || n < 0)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument or negative count", fn);
    if (flags & ~(LQ_DETOKENIZE_REMOVE_SPECIAL | LQ_DETOKENIZE_UNPARSE_SPECIAL))
        return lq__fail(LQ_ERR_INVALID, "%s: unknown flags 0x%x", fn, (unsigned)flags);
    for (int64_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= v->n)
            return lq__fail(LQ_ERR_INVALID, "%s: token %lld is %d, outside the vocabulary of "
                            "%lld", fn, (long long)i, tokens[i], (long long)v->n);
    int lstrip = v->add_space_prefix;
    if ((flags & LQ_DETOKENIZE_REMOVE_SPECIAL) && v->add_bos && n > 0 && tokens[0] == v->bos) {
        lstrip = 0;
        tokens++;
        n--;
    }
    if ((flags & LQ_DETOKENIZE_REMOVE_SPECIAL) && v->add_eos && n > 0 && tokens[n - 1] == v->eos)
        n--;
    text_buf b = {0};
    lq_status st = put(&b, "", 0);
    for (int64_t i = 0; st == LQ_OK && i < n; i++, lstrip = 0)
        st = piece(v, tokens[i], flags & LQ_DETOKENIZE_UNPARSE_SPECIAL, lstrip, &b);
    if (st != LQ_OK) {
        lq__free(b.s);
        return st;
    }
    if (v->type == LQ__VOCAB_BPE && v->pre->clean_spaces) {
        b.n = clean_spaces(b.s, b.n);
        b.s[b.n] = '\0';
    }
    *text = b.s;
    *len = b.n;
    return LQ_OK;
}

lq_status lq_model_detokenize(const lq_model *m, const int32_t *tokens, int64_t n, int flags,
                              char **text, size_t *len)
{
    return lq__detokenize("lq_model_detokenize", m ? &m->vocab : NULL, tokens, n, flags, text,
                          len);
}
