/* calib_tokens.h — the calibration set of the calibrated commands (lq
 * quantize --method gptq|awq, --format gptq|awq|...): token windows drawn
 * reproducibly from text files, as the reference scripts draw them. */
#ifndef LQ_TOOLS_CALIB_TOKENS_H
#define LQ_TOOLS_CALIB_TOKENS_H

#include <stdint.h>

#include <lq/lq.h> /* built with LQ_EXPERIMENTAL_API (tools/meson.build) */

/* The reference tools' defaults: 128 samples of 2048 tokens. */
#define CALIB_DEFAULT_SAMPLES 128
#define CALIB_DEFAULT_SEQLEN 2048

typedef struct {
    const char *const *files; /* text files, read whole */
    int n_files;
    int64_t samples; /* windows wanted (> 0) */
    int64_t seqlen;  /* tokens per window (> 0); at most the model's training context */
    uint64_t seed;
} calib_request;

/* Tokenize every file (each as one text, BOS first when the vocabulary asks
 * for it) and concatenate them; draw r->samples windows of the smaller of
 * r->seqlen and the model's training context, each starting at an offset
 * drawn uniformly from the stream by a generator seeded with r->seed (as
 * GPTQ's reference draws them from wikitext2: windows may overlap when the
 * text is short). The first token of each window is set to BOS when the
 * vocabulary asks for it. *tokens (free with free()) receives samples *
 * *seqlen tokens. A text with fewer tokens than one window is refused
 * (exit status 2, message naming the files and both counts). Returns 0 or
 * the command's exit status after printing the reason for `cmd`. */
int calib_tokens(const char *cmd, const lq_model *m, const calib_request *r, int32_t **tokens,
                 int64_t *seqlen);

#endif
