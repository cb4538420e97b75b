/* tok.h — the parts lq__hf_tokenizer_keys is built from (internal; the
 * rules are convert_hf_to_gguf.py's, doc/hf-input.md "Tokenizer keys").
 *
 * tok_spm.c      SentencePiece tokenizer.model (protobuf) → pieces
 * tok_json.c     the folder's JSON files; tokenizer.json's vocabulary and merges
 * tok_special.c  special token ids, add_*_token flags, chat template, normaliser flags
 * tok_pre.c      tokenizer.ggml.pre from tokenizer.json's pre-tokenizer
 * tokenizer_keys.c  puts them together in the converter's order */
#ifndef LQ_HF_TOK_H
#define LQ_HF_TOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lq/lq_io.h>

#include "../io/json.h"

/* Token types as the GGUF stores them (llama.cpp's llama_token_type, which
 * are SentencePiece's piece types). */
enum {
    LQ__TOK_NORMAL = 1,
    LQ__TOK_UNKNOWN = 2,
    LQ__TOK_CONTROL = 3,
    LQ__TOK_USER_DEFINED = 4,
    LQ__TOK_UNUSED = 5,
    LQ__TOK_BYTE = 6
};

/* ---- tok_spm.c ---- */
typedef struct lq__spm_piece {
    const char *text; /* NUL-terminated, valid UTF-8, no NUL inside */
    float score;
    int type;         /* LQ__TOK_* (1..6) */
} lq__spm_piece;

typedef struct lq__spm {
    lq__spm_piece *pieces;
    int64_t count;
    char *text_;      /* every piece's text, back to back */
} lq__spm;

/* Read a SentencePiece ModelProto (data[0, size), from file `name`): its
 * pieces, with what SentencePiece itself checks when it loads a model
 * (pieces non-empty and unique, exactly one unknown piece). Errors:
 * LQ_ERR_FORMAT (the message names the byte offset), LQ_ERR_UNSUPPORTED,
 * LQ_ERR_NOMEM. */
lq_status lq__spm_read(const char *fn, const char *name, const uint8_t *data, size_t size,
                       lq__spm *out);
void lq__spm_free(lq__spm *s);

/* ---- tok_json.c ---- */
/* "dir/file" into buf (no allocation, so that a missing file is never
 * mistaken for a failed allocation). Errors: LQ_ERR_IO when it is longer
 * than LQ__TOK_PATH_MAX. */
#define LQ__TOK_PATH_MAX 4096
lq_status lq__tok_path(const char *fn, const char *dir, const char *file,
                       char buf[LQ__TOK_PATH_MAX]);
/* Is `path` a regular file (following symlinks)? */
bool lq__tok_is_file(const char *path);
/* Is `path` a folder holding a *.jinja file? */
bool lq__tok_has_jinja(const char *path);
/* Parse `dir/file` as JSON; *out is NULL (and LQ_OK) when the file is
 * absent. Errors: LQ_ERR_IO, LQ_ERR_FORMAT, LQ_ERR_NOMEM. */
lq_status lq__tok_json_file(const char *fn, const char *dir, const char *file,
                            lq__json_doc **out);
/* `dir/file` as text read the way Python's open(..., encoding="utf-8")
 * reads it: valid UTF-8, with "\r\n" and "\r" turned into "\n". *out is
 * NULL (and LQ_OK) when the file is absent; free it with lq__free. */
lq_status lq__tok_text_file(const char *fn, const char *dir, const char *file, char **out);
/* A GGUF string cannot hold a NUL byte through the string setters: refuse
 * one (LQ_ERR_UNSUPPORTED naming `what`). */
lq_status lq__tok_no_nul(const char *fn, const lq__json *s, const char *what);

/* tokenizer.json's vocabulary as the BPE token list: model.vocab and
 * added_tokens, ids 0..n-1 where n is n_vocab (or, when n_vocab <= 0, the
 * number of tokens), missing ids as "[PAD<id>]" (type UNUSED), added tokens
 * CONTROL when marked special or looking special, else USER_DEFINED. */
typedef struct lq__bpe_vocab {
    const char **text;  /* n entries, NUL-terminated */
    int32_t *type;
    int64_t n;
    char *owned_;       /* the "[PAD<id>]" texts and rewritten added tokens */
} lq__bpe_vocab;
lq_status lq__bpe_vocab_read(const char *fn, const lq__json *tokjson, int64_t n_vocab,
                             lq__bpe_vocab *out);
void lq__bpe_vocab_free(lq__bpe_vocab *v);

/* tokenizer.json's model.merges as "a b" strings, in file order; both the
 * "a b" and the ["a", "b"] forms, each token checked against the
 * vocabulary as the tokenizers library does on load. */
typedef struct lq__hf_merges {
    const char **text;
    int64_t n;
    char *owned_;
} lq__hf_merges;
lq_status lq__hf_merges_read(const char *fn, const lq__json *tokjson, lq__hf_merges *out);
void lq__hf_merges_free(lq__hf_merges *m);

/* Does the converter treat `text` as a control token whatever its flags
 * (<|...|>, <pad>, <unused...>, ...)? */
bool lq__tok_looks_special(const char *text, size_t len);

/* ---- tok_special.c ---- */
/* Python's truth value of a JSON value (NULL, absent, is false). */
bool lq__tok_truthy(const lq__json *v);

/* The converter's gguf.SpecialVocab(dir, n_vocab) added to g: special
 * token ids (only those below n_vocab when n_vocab > 0), add_*_token flags,
 * chat template(s) and normaliser flags, from tokenizer.json (`tokjson`,
 * NULL when absent), tokenizer_config.json (`tokcfg`, NULL when absent),
 * config.json (`config`, NULL when absent) and the chat template files in
 * `dir`. Merges, which it writes first, are the caller's. */
lq_status lq__tok_special_keys(const char *fn, const char *dir, const lq__json *tokjson,
                               const lq__json *tokcfg, const lq__json *config, int64_t n_vocab,
                               lq_gguf *g);

/* ---- tok_pre.c ---- */
/* tokenizer.ggml.pre for a byte-level BPE tokenizer.json. Errors:
 * LQ_ERR_UNSUPPORTED naming the pre-tokenizer (its regex) no rule knows. */
lq_status lq__tok_pre_name(const char *fn, const lq__json *tokjson, const char **out);

#endif
