/* tokenize.h — the pieces of lq_model_tokenize (internal): the growing id
 * list, the split at special tokens, and the two tokenizers of a plain text
 * fragment. */
#ifndef LQ_MODEL_TOKENIZE_H
#define LQ_MODEL_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

#include "vocab.h"

/* lq_model_tokenize(_v2) on vocabulary v: `flags` as lq_model_tokenize_v2
 * (enum lq_tokenize_flag); `verbatim` reads no token names in the text (the
 * contract of lq_model_tokenize). `fn` names the public function. */
lq_status lq__tokenize(const char *fn, const lq__vocab *v, const char *text, size_t len,
                       int flags, int verbatim, int32_t **tokens, int64_t *n_tokens);

/* lq_model_detokenize on vocabulary v; `fn` names the public function. */
lq_status lq__detokenize(const char *fn, const lq__vocab *v, const int32_t *tokens, int64_t n,
                         int flags, char **text, size_t *len);

/* A growing list of token ids. */
typedef struct {
    int32_t *id;
    int64_t n, cap;
} lq__ids;

/* Room for `more` ids after the n there are. */
lq_status lq__ids_reserve(lq__ids *ids, size_t more);

/* A piece of the text: plain text [off, off + len) with token -1, or a
 * special token matched by name. */
typedef struct {
    size_t off, len;
    int32_t token;
} lq__frag;

/* Split text[0 .. len) at the special tokens written in it, as llama.cpp's
 * tokenizer_st_partition does: each special token in turn, longest first,
 * cuts every plain piece at its occurrences, left to right. User-defined
 * tokens always count; control and unknown ones only with `parse_special`.
 * *frags (free with lq__free) receives *nfrags pieces in text order. */
lq_status lq__special_split(const lq__vocab *v, const char *text, size_t len, int parse_special,
                            lq__frag **frags, size_t *nfrags);

/* Tokenize one plain fragment and append its ids. SentencePiece:
 * `space_prefix` asks for the leading space llama.cpp adds to the text's
 * start and after a special token (with add_space_prefix). */
lq_status lq__spm_fragment(const lq__vocab *v, const char *text, size_t len, int space_prefix,
                           lq__ids *out);
lq_status lq__bpe_fragment(const lq__vocab *v, const char *text, size_t len, lq__ids *out);

#endif
