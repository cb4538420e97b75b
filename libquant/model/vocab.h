/* vocab.h — a GGUF "llama" (SentencePiece) or "gpt2" (byte-level BPE) vocabulary (internal). */
#ifndef LQ_MODEL_VOCAB_H
#define LQ_MODEL_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include <lq/lq_io.h>

typedef struct lq__vocab {
    int64_t n;
    char *text;        /* all token texts, each NUL-terminated, back to back */
    size_t *offset;    /* [n]: where token i's text starts in `text` */
    uint32_t *len;     /* [n]: its length in bytes */
    float *score;      /* [n] */
    int32_t *slots;    /* open-addressing table of token ids by text; -1 = empty */
    size_t nslots;     /* a power of two, at least 2n */
    int32_t bos, eos, unk; /* -1 when absent */
    int add_bos, add_space_prefix;
    int bpe;           /* tokenizer.ggml.model "gpt2": ids and texts only, not tokenized yet */
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
