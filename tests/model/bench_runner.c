/* bench_runner.c — tokens per second of libquant's runner on one GGUF: a
 * perplexity pass (prefill, windows of CTX tokens, as llama-perplexity runs
 * them) and decode (one token at a time through the KV cache, each with its
 * logits, as llama-bench's tg test). Not a test: bench_runner.sh runs it
 * beside llama.cpp's tools.
 *
 * usage: bench_runner MODEL.gguf TEXT CTX THREADS MAX_TOKENS DECODE_TOKENS
 * prints: "prefill TOK_S PPL WINDOWS" and "decode TOK_S" lines. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <lq/lq.h> /* the build defines LQ_EXPERIMENTAL_API */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            char *p = realloc(buf, cap = cap ? 2 * cap : 1 << 16);
            if (!p)
                break;
            buf = p;
        }
        size_t got = fread(buf + *len, 1, cap - *len, f);
        if (!got)
            break;
        *len += got;
    }
    fclose(f);
    return buf;
}

static int fail(const char *what, lq_status st)
{
    fprintf(stderr, "bench_runner: %s: %s\n", what, lq_last_error());
    (void)st;
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s MODEL.gguf TEXT CTX THREADS MAX_TOKENS DECODE_TOKENS\n",
                argv[0]);
        return 2;
    }
    int64_t n_ctx = atoll(argv[3]), max_tokens = atoll(argv[5]), n_decode = atoll(argv[6]);
    lq_ctx *ctx;
    lq_model *m;
    lq_status st;
    if ((st = lq_ctx_create(&ctx)) || (st = lq_ctx_set_threads(ctx, atoi(argv[4]))))
        return fail("context", st);
    if ((st = lq_model_load(ctx, argv[1], n_ctx, LQ_KV_F32, &m)))
        return fail(argv[1], st);
    size_t len;
    char *text = read_text(argv[2], &len);
    if (!text) {
        fprintf(stderr, "bench_runner: cannot read %s\n", argv[2]);
        return 1;
    }
    int32_t *tok = NULL;
    int64_t n_tok = 0;
    if ((st = lq_model_tokenize(m, text, len, 1, &tok, &n_tok)))
        return fail("tokenize", st);
    if (max_tokens > 0 && n_tok > max_tokens)
        n_tok = max_tokens;
    double r[LQ_EVAL_COUNT_V2];
    double t0 = now(); /* the whole call, scoring included, as llama-perplexity is timed */
    if ((st = lq_model_perplexity(ctx, m, tok, n_tok, n_ctx, 0, r, LQ_EVAL_COUNT_V2)))
        return fail("perplexity", st);
    printf("prefill %.1f %.4f %.0f\n", r[LQ_EVAL_WINDOWS] * (double)n_ctx / (now() - t0),
           r[LQ_EVAL_PPL], r[LQ_EVAL_WINDOWS]);
    if (n_decode > 0) {
        if (n_decode > n_ctx)
            n_decode = n_ctx;
        /* each step's logits, as llama-bench's tg test computes them (its
         * one-token batches output their last token): the output weight is
         * read once per token on both sides */
        float *logits = malloc((size_t)lq_model_info(m, LQ_MODEL_N_VOCAB) * sizeof *logits);
        if (!logits) {
            fprintf(stderr, "bench_runner: out of memory\n");
            return 1;
        }
        t0 = now();
        for (int64_t i = 0; i < n_decode; i++)
            if ((st = lq_model_eval(ctx, m, tok + i, 1, i, 0, logits)))
                return fail("decode", st);
        printf("decode %.1f\n", (double)n_decode / (now() - t0));
        free(logits);
    }
    lq_free(tok);
    free(text);
    lq_model_free(m);
    lq_ctx_free(ctx);
    return 0;
}
