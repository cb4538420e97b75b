/* calib_tokens.c — calibration windows from text files (calib_tokens.h). */
#include "calib_tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* splitmix64: a small, well-mixed generator whose stream depends on the seed
 * alone, so every platform draws the same windows. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Append the tokens of one file to *all. */
static int append_file(const char *cmd, const lq_model *m, const char *path, int32_t **all,
                       int64_t *n_all)
{
    size_t len = 0;
    char *text = lq_tool_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "lq %s: cannot read %s\n", cmd, path);
        return 1;
    }
    int32_t *tok = NULL;
    int64_t n = 0;
    lq_status st = lq_model_tokenize(m, text, len, 1, &tok, &n);
    free(text);
    if (st != LQ_OK)
        return lq_tool_lib_error(cmd, path, st);
    int32_t *grown = realloc(*all, (size_t)(*n_all + n + 1) * sizeof *grown);
    if (!grown) {
        lq_free(tok);
        fprintf(stderr, "lq %s: out of memory reading %s\n", cmd, path);
        return 1;
    }
    if (n > 0)
        memcpy(grown + *n_all, tok, (size_t)n * sizeof *tok);
    lq_free(tok);
    *all = grown;
    *n_all += n;
    return 0;
}

int calib_tokens(const char *cmd, const lq_model *m, const calib_request *r, int32_t **tokens,
                 int64_t *seqlen)
{
    *tokens = NULL;
    int32_t *all = NULL;
    int64_t n_all = 0;
    for (int f = 0; f < r->n_files; f++) {
        int rc = append_file(cmd, m, r->files[f], &all, &n_all);
        if (rc) {
            free(all);
            return rc;
        }
    }
    int64_t len = r->seqlen, ctx_train = lq_model_info(m, LQ_MODEL_N_CTX_TRAIN);
    if (ctx_train > 0 && len > ctx_train)
        len = ctx_train;
    if (n_all < len) {
        free(all);
        return lq_tool_usage_error(cmd,
                                   "the calibration text has %lld tokens, fewer than one window of "
                                   "%lld (lower --calib-seqlen or give more text)",
                                   (long long)n_all, (long long)len);
    }
    int32_t *out = malloc((size_t)(r->samples * len) * sizeof *out);
    if (!out) {
        free(all);
        fprintf(stderr, "lq %s: out of memory for %lld calibration tokens\n", cmd,
                (long long)(r->samples * len));
        return 1;
    }
    uint64_t state = r->seed;
    int32_t bos = (int32_t)lq_model_info(m, LQ_MODEL_TOKEN_BOS);
    int add_bos = lq_model_info(m, LQ_MODEL_ADD_BOS) == 1 && bos >= 0;
    uint64_t starts = (uint64_t)(n_all - len + 1);
    for (int64_t s = 0; s < r->samples; s++) {
        /* the modulo bias is below starts / 2^64: negligible for any text */
        int64_t at = (int64_t)(next_random(&state) % starts);
        memcpy(out + s * len, all + at, (size_t)len * sizeof *out);
        if (add_bos)
            out[s * len] = bos;
    }
    free(all);
    *tokens = out;
    *seqlen = len;
    return 0;
}
