/* model_fixture.h — what the model tests share: the tiny Llama fixture, its
 * held-out text, and llama.cpp's results on them.
 *
 * llama.cpp's results come from tests/model/llama_ref.mjs (the file format is
 * described at its top), either stored with the fixture
 * (fixture/llama_ref_f32.bin, made by the command in fixture/README.md) or
 * computed now through node-llama-cpp when LQ_NODE names a node binary and the
 * package is installed in the oracle folder (../oracle.h). A case comparing
 * with the live result skips, saying why, when it cannot be had (and fails
 * when LQ_REQUIRE_ORACLE says it must be had); the stored one is always there. */
#ifndef LQ_TESTS_MODEL_FIXTURE_H
#define LQ_TESTS_MODEL_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "../oracle.h"

/* The reference's settings: windows of REF_CTX tokens over the first
 * REF_TOKENS tokens of heldout.txt, every REF_LOGITS_EVERY-th scored row kept. */
#define REF_CTX 128
#define REF_TOKENS 1024
#define REF_LOGITS_EVERY 16

typedef struct {
    int32_t n_vocab, n_text_tokens, n_tokens, ctx, stride, windows, scored;
    double nll, ppl;
    int32_t *tokens;    /* n_text_tokens: the whole text, BOS first */
    int32_t n_rows;
    int32_t *row_window, *row_j;
    float *logits;      /* n_rows * n_vocab */
} lqt_ref;

static inline const char *lqt_path(const char *relative)
{
    static char buf[4][1024];
    static int next;
    const char *root = getenv("LQ_SOURCE_ROOT");
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", root ? root : ".", relative);
    return p;
}

static inline const char *lqt_fixture(void) { return lqt_path("tests/model/fixture/tiny-llama-f32.gguf"); }
static inline const char *lqt_heldout(void) { return lqt_path("tests/model/fixture/heldout.txt"); }

/* A whole file, NUL-terminated; NULL when unreadable. */
static inline char *lqt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static inline void lqt_ref_free(lqt_ref *r)
{
    if (!r)
        return;
    free(r->tokens);
    free(r->row_window);
    free(r->row_j);
    free(r->logits);
    free(r);
}

/* Read a llama_ref.mjs output file, checking every size against the file. */
static inline lqt_ref *lqt_ref_read(const char *path)
{
    size_t len = 0, at;
    char *b = lqt_read_file(path, &len);
    lqt_ref *r = calloc(1, sizeof *r);
    if (!b || !r || len < 52 || memcmp(b, "LQREF001", 8) != 0)
        goto bad;
    memcpy(&r->n_vocab, b + 8, 7 * 4);
    memcpy(&r->nll, b + 36, 8);
    memcpy(&r->ppl, b + 44, 8);
    at = 52;
    if (r->n_vocab < 1 || r->n_text_tokens < 1 || r->n_tokens > r->n_text_tokens ||
        (len - at) / 4 < (size_t)r->n_text_tokens + 1)
        goto bad;
    r->tokens = malloc((size_t)r->n_text_tokens * 4);
    memcpy(r->tokens, b + at, (size_t)r->n_text_tokens * 4);
    at += (size_t)r->n_text_tokens * 4;
    memcpy(&r->n_rows, b + at, 4);
    at += 4;
    size_t row = 8 + (size_t)r->n_vocab * 4;
    if (r->n_rows < 0 || (len - at) / row != (size_t)r->n_rows || (len - at) % row != 0)
        goto bad;
    r->row_window = malloc((size_t)r->n_rows * 4 + 1);
    r->row_j = malloc((size_t)r->n_rows * 4 + 1);
    r->logits = malloc((size_t)r->n_rows * (size_t)r->n_vocab * 4 + 1);
    for (int32_t i = 0; i < r->n_rows; i++, at += row) {
        memcpy(&r->row_window[i], b + at, 4);
        memcpy(&r->row_j[i], b + at + 4, 4);
        memcpy(r->logits + (size_t)i * (size_t)r->n_vocab, b + at + 8, (size_t)r->n_vocab * 4);
    }
    free(b);
    return r;
bad:
    free(b);
    lqt_ref_free(r);
    return NULL;
}

/* Run llama_ref.mjs on `model` with the reference settings, evaluating the
 * first `max_tokens` tokens (fewer than REF_CTX: tokenize only). Returns NULL
 * and skips the running case (ORACLE_SKIP_CASE) when node or node-llama-cpp is
 * missing (exit status 77); *failed is set when the script ran and failed. */
static inline lqt_ref *lqt_ref_live(const char *model, int max_tokens, int *failed)
{
    *failed = 0;
    const char *node = getenv("LQ_NODE");
    if (!node || !*node) {
        ORACLE_SKIP_CASE("LQ_NODE is not set (node was not found at setup)");
        return NULL;
    }
    char out[] = "/tmp/lq_model_ref_XXXXXX";
    int fd = mkstemp(out);
    if (fd < 0) {
        *failed = 1;
        return NULL;
    }
    close(fd);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' '%s' --model '%s' --text '%s' --ctx %d --max-tokens %d "
             "--logits-every %d --out '%s' >/dev/null", node, lqt_path("tests/model/llama_ref.mjs"),
             model, lqt_heldout(), REF_CTX, max_tokens, REF_LOGITS_EVERY, out);
    int rc = system(cmd);
    lqt_ref *r = NULL;
    if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 77)
        ORACLE_SKIP_CASE("node-llama-cpp is not in %s", lqt_oracle_path("node_modules"));
    else if (rc != 0 || !(r = lqt_ref_read(out)))
        *failed = 1;
    unlink(out);
    return r;
}

/* The stored reference (always present; NULL only if the fixture is broken). */
static inline lqt_ref *lqt_ref_stored(void)
{
    return lqt_ref_read(lqt_path("tests/model/fixture/llama_ref_f32.bin"));
}

#endif
