/* quantized_fixture.h — what the tests of lq_model_quantize share: the
 * fixture loaded as a base model with its held-out text (evaluation from the
 * start, calibration from the end), quantizing it, and KL divergence. */
#ifndef LQ_TESTS_QUANTIZED_FIXTURE_H
#define LQ_TESTS_QUANTIZED_FIXTURE_H

#include "model_fixture.h"

#define CALIB_TOKENS 512 /* from the end of the held-out text */

typedef struct {
    lq_gguf *src;
    lq_model *base;
    int32_t *tok;  /* the held-out text; evaluation from the start, calibration from the end */
    int64_t n;
} fixture;

static inline int open_fixture(fixture *f)
{
    memset(f, 0, sizeof *f);
    size_t len = 0;
    char *text = lqt_read_file(lqt_heldout(), &len);
    CHECK_OK(lq_gguf_open(lqt_fixture(), &f->src));
    if (f->src)
        CHECK_OK(lq_model_from_gguf(NULL, f->src, REF_CTX, LQ_KV_F16, &f->base));
    if (f->base && text)
        CHECK_OK(lq_model_tokenize(f->base, text, len, 1, &f->tok, &f->n));
    free(text);
    CHECK(f->n >= 4 * CALIB_TOKENS); /* room to evaluate before the calibration tokens */
    return f->n >= 4 * CALIB_TOKENS;
}

static inline void close_fixture(fixture *f)
{
    lq_free(f->tok);
    lq_model_free(f->base);
    lq_gguf_free(f->src);
}

static inline const int32_t *calib_tokens(const fixture *f)
{
    return f->tok + f->n - CALIB_TOKENS;
}

static inline lq_model *quantize(fixture *f, const char *text, int calibrate)
{
    lq_scheme *s = NULL;
    lq_model *m = NULL;
    CHECK_OK(lq_scheme_parse(text, &s));
    if (s)
        CHECKF(lq_model_quantize(NULL, f->base, s, NULL, calibrate ? calib_tokens(f) : NULL,
                                 calibrate ? CALIB_TOKENS : 0, REF_CTX, LQ_KV_F16, &m) == LQ_OK,
               "%s: %s", text, lq_last_error());
    lq_scheme_free(s);
    return m;
}

static inline void kl(fixture *f, lq_model *m, int64_t n_tokens, double *out)
{
    CHECK_OK(lq_model_kl_divergence(NULL, f->base, m, f->tok, n_tokens, REF_CTX, 0, out,
                                    LQ_EVAL_COUNT_V2));
}

#endif
