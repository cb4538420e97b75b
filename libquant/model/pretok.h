/* pretok.h — byte-level BPE pre-tokenizers (internal): the rules that cut a
 * text into the words BPE merges within, one table row per
 * tokenizer.ggml.pre name that libquant knows. */
#ifndef LQ_MODEL_PRETOK_H
#define LQ_MODEL_PRETOK_H

#include <stddef.h>
#include <stdint.h>

#include <lq/lq_core.h>

/* How the words are cut: each is one hand-written reading of a regex. */
enum lq__split_kind {
    /* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}|
     *  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
     * Llama 3 with D = 3, Qwen2 with D = 1 */
    LQ__SPLIT_LLAMA3,
    /* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
    LQ__SPLIT_GPT2
};

typedef struct lq__pretok {
    const char *name;  /* tokenizer.ggml.pre */
    int split;         /* enum lq__split_kind */
    int digits;        /* LQ__SPLIT_LLAMA3: the most digits in one word */
    int ignore_merges; /* a word that is a token is that token, unmerged */
    int add_bos;       /* llama.cpp's default when tokenizer.ggml.add_bos_token is absent */
    int clean_spaces;  /* detokenizing drops the space before ?!., and some contractions */
} lq__pretok;

/* The row named `name`, or NULL. */
const lq__pretok *lq__pretok_find(const char *name);

/* A word: code points [start, end) of the text. Returns LQ_OK to go on. */
typedef lq_status (*lq__word_fn)(void *ctx, size_t start, size_t end);

/* Cut the n code points cp (with their enum lq__uc_class in cls) into words,
 * in order, calling word() for each. Returns the first failure of word(). */
lq_status lq__pretok_split(const lq__pretok *p, const uint32_t *cp, const uint8_t *cls, size_t n,
                           lq__word_fn word, void *ctx);

#endif
