/* vocab.h — a GGUF vocabulary (internal): SentencePiece ("llama") or
 * byte-level BPE ("gpt2"), as llama.cpp reads them. */
#ifndef LQ_MODEL_VOCAB_H
#define LQ_MODEL_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include <lq/lq_io.h>

#include "merges.h"
#include "pretok.h"

enum lq__vocab_type { LQ__VOCAB_SPM, LQ__VOCAB_BPE };

/* tokenizer.ggml.token_type values (llama.cpp's llama_token_type) */
enum lq__token_type {
    LQ__TOK_UNDEFINED = 0,
    LQ__TOK_NORMAL = 1,
    LQ__TOK_UNKNOWN = 2,
    LQ__TOK_CONTROL = 3,
    LQ__TOK_USER_DEFINED = 4,
    LQ__TOK_UNUSED = 5,
    LQ__TOK_BYTE = 6
};

typedef struct lq__vocab {
    int type;          /* enum lq__vocab_type */
    const lq__pretok *pre; /* BPE: the pre-tokenizer of tokenizer.ggml.pre; NULL for SPM */
    int64_t n;
    char *text;        /* all token texts, each NUL-terminated, back to back */
    size_t *offset;    /* [n]: where token i's text starts in `text` */
    uint32_t *len;     /* [n]: its length in bytes */
    float *score;      /* [n] */
    uint8_t *ttype;    /* [n]: enum lq__token_type (NORMAL when the file has none) */
    int32_t *slots;    /* open-addressing table of token ids by text; -1 = empty */
    size_t nslots;     /* a power of two, at least 2n */
    int32_t bos, eos, unk; /* -1 when absent */
    int add_bos, add_eos, add_space_prefix;
    int spm_space_cut; /* SentencePiece: the only tokens with U+2581 after their
                        * first byte are runs of U+2581 (spm.c cuts the text there) */
    lq__merges merges; /* BPE only */
    /* the tokens matched by name in the text before tokenizing (control,
     * user-defined and unknown ones with a non-empty text), longest first */
    int32_t *special;
    int64_t nspecial;
    /* BPE: byte b in GPT-2's byte-level alphabet, as UTF-8 (1 or 2 bytes) */
    char byte_utf8[256][2];
    uint8_t byte_utf8_len[256];
} lq__vocab;

/* Read tokenizer.ggml.* from g. `fn` names the public function in messages. */
lq_status lq__vocab_load(lq__vocab *v, const lq_gguf *g, const char *fn);
void lq__vocab_free(lq__vocab *v);

/* The id whose text is the `len` bytes at s, or -1. When several tokens share
 * a text the last one wins, as in llama.cpp. */
int32_t lq__vocab_find(const lq__vocab *v, const char *s, size_t len);

static inline const char *lq__vocab_text(const lq__vocab *v, int32_t id)
{
    return v->text + v->offset[id];
}

#endif
