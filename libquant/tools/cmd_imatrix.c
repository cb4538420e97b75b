/* cmd_imatrix.c — lq imatrix: the importance matrix llama.cpp's llama-imatrix
 * computes from a text (lq_model_imatrix_v2 says exactly how), written in
 * either of its file forms; progress with ETA on a terminal, a summary with
 * the speed at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "tool.h"

static const char usage_text[] =
    "usage: lq imatrix MODEL.gguf --text FILE [-o OUT] [--ctx N] [--chunks N]\n"
    "                  [--threads N] [--format dat|gguf] [--process-output] [--kv f32|f16]\n\n"
    "Computes the importance matrix llama.cpp's llama-imatrix computes from the text\n"
    "(for llama-quantize --imatrix and lq quantize --imatrix): the text is tokenized\n"
    "once (BOS first, one final newline dropped, special-token text read as plain\n"
    "text), cut into chunks of --ctx tokens (the rest is not run), and each chunk\n"
    "runs from an empty cache with BOS as its first token; every token adds x^2 per\n"
    "input column of each weight of each layer.\n\n"
    "  -o, --output OUT   the file to write (default imatrix.gguf, as llama-imatrix;\n"
    "                     replaced atomically).\n"
    "  --format dat|gguf  its form: llama-imatrix's GGUF file (sums of x^2 and token\n"
    "                     counts) or the legacy .dat (means times the chunk count).\n"
    "                     Default: dat when OUT ends in .dat, otherwise gguf.\n"
    "  --ctx N            tokens per chunk (default 512, as llama-imatrix).\n"
    "  --chunks N         run at most N chunks (default: all whole chunks).\n"
    "  --process-output   also the output head (not when it is tied to the token\n"
    "                     embedding, which llama-imatrix leaves out too).\n"
    "  --kv f32|f16       KV-cache elements (default f32; llama.cpp's default is f16).\n"
    "  --threads N        worker threads (default: all CPUs).\n";

typedef struct {
    const char *model, *text, *out;
    int64_t ctx, chunks, threads;
    int format, kv, flags;
} imatrix_args;

static int parse_args(int argc, char **argv, imatrix_args *a)
{
    static const char cmd[] = "imatrix";
    static const char *const valued[] = {"--text", "-o", "--output", "--ctx", "--chunks",
                                         "--threads", "--format", "--kv", NULL};
    int first = lq_tool_options_first(&argc, argv, valued);
    const char *format = NULL;
    for (int i = 1; i < first; i++) {
        bool missing = false;
        const char *v;
        if ((v = lq_tool_option(first, argv, &i, "--text", &missing))) {
            a->text = v;
        } else if ((v = lq_tool_option(first, argv, &i, "-o", &missing)) ||
                   (v = lq_tool_option(first, argv, &i, "--output", &missing))) {
            a->out = v;
        } else if ((v = lq_tool_option(first, argv, &i, "--ctx", &missing))) {
            if (!lq_tool_parse_i64(v, 1, 1 << 20, &a->ctx))
                return lq_tool_usage_error(cmd, "--ctx wants 1..1048576, got '%s'", v);
        } else if ((v = lq_tool_option(first, argv, &i, "--chunks", &missing))) {
            if (!lq_tool_parse_i64(v, 1, INT32_MAX, &a->chunks))
                return lq_tool_usage_error(cmd, "--chunks wants a positive count, got '%s'", v);
        } else if ((v = lq_tool_option(first, argv, &i, "--threads", &missing))) {
            if (!lq_tool_parse_i64(v, 0, 1024, &a->threads))
                return lq_tool_usage_error(cmd, "--threads wants 0..1024, got '%s'", v);
        } else if ((v = lq_tool_option(first, argv, &i, "--format", &missing))) {
            format = v;
        } else if ((v = lq_tool_option(first, argv, &i, "--kv", &missing))) {
            if (strcmp(v, "f32") && strcmp(v, "f16"))
                return lq_tool_usage_error(cmd, "--kv wants f32 or f16, got '%s'", v);
            a->kv = strcmp(v, "f16") == 0 ? LQ_KV_F16 : LQ_KV_F32;
        } else if (strcmp(argv[i], "--process-output") == 0) {
            a->flags |= LQ_IMATRIX_PROCESS_OUTPUT;
        } else if (!missing) {
            return lq_tool_usage_error(cmd, "unknown argument '%s'", argv[i]);
        }
        if (missing)
            return lq_tool_usage_error(cmd, "%s needs a value", argv[i]);
    }
    if (argc == first)
        return lq_tool_usage_error(cmd, "wants MODEL.gguf");
    if (argc - first > 1)
        return lq_tool_usage_error(cmd, "unexpected argument '%s'", argv[first + 1]);
    a->model = argv[first];
    if (!a->text)
        return lq_tool_usage_error(cmd, "wants --text FILE");
    size_t len = strlen(a->out);
    if (!format)
        a->format = len >= 4 && strcmp(a->out + len - 4, ".dat") == 0 ? LQ_IMATRIX_DAT
                                                                      : LQ_IMATRIX_GGUF;
    else if (strcmp(format, "dat") == 0 || strcmp(format, "gguf") == 0)
        a->format = strcmp(format, "dat") == 0 ? LQ_IMATRIX_DAT : LQ_IMATRIX_GGUF;
    else
        return lq_tool_usage_error(cmd, "--format wants dat or gguf, got '%s'", format);
    /* the output replaces its file: never one of the inputs */
    struct stat so, si;
    const char *inputs[2] = {a->model, a->text};
    for (int k = 0; k < 2; k++)
        if (stat(a->out, &so) == 0 && stat(inputs[k], &si) == 0 && so.st_dev == si.st_dev &&
            so.st_ino == si.st_ino)
            return lq_tool_usage_error(cmd, "-o %s is the input %s", a->out, inputs[k]);
    return 0;
}

/* The model, the one place a model path is opened (a GGUF file or a Hugging
 * Face folder: lq_model_load takes both). */
static lq_status open_model(lq_ctx *ctx, const imatrix_args *a, lq_model **m)
{
    return lq_model_load(ctx, a->model, a->ctx, a->kv, m);
}

/* The whole text as llama-imatrix reads it: one final newline dropped. */
static char *read_text(const char *path, size_t *len)
{
    char *buf = lq_tool_read_file(path, len);
    if (buf && *len > 0 && buf[*len - 1] == '\n')
        (*len)--;
    return buf;
}

static int run(const imatrix_args *a)
{
    static const char cmd[] = "imatrix";
    lq_ctx *ctx = NULL;
    lq_model *m = NULL;
    lq_imatrix *im = NULL;
    int32_t *tok = NULL;
    int64_t n = 0;
    size_t len = 0;
    char *text = read_text(a->text, &len);
    if (!text) {
        fprintf(stderr, "lq %s: cannot read %s\n", cmd, a->text);
        return 1;
    }
    lq_tool_progress bar;
    const char *what = a->model;
    lq_status st = lq_ctx_create(&ctx);
    if (st == LQ_OK)
        st = lq_ctx_set_threads(ctx, (int)a->threads);
    if (st == LQ_OK) {
        lq_tool_progress_init(&bar, NULL);
        lq_ctx_set_progress(ctx, lq_tool_progress_cb, &bar);
        st = open_model(ctx, a, &m);
        lq_tool_progress_done(&bar);
    }
    if (st == LQ_OK && (st = lq_model_tokenize(m, text, len, 1, &tok, &n)) != LQ_OK)
        what = a->text;
    free(text);
    int rc = 0;
    int64_t chunks = n / a->ctx;
    if (st == LQ_OK && chunks < 1)
        rc = lq_tool_usage_error(cmd, "%s has %lld tokens, fewer than one chunk of %lld (see --ctx)",
                                 a->text, (long long)n, (long long)a->ctx);
    if (a->chunks && chunks > a->chunks)
        chunks = a->chunks;
    double t0 = lq_tool_now(), seconds = 0;
    if (st == LQ_OK && rc == 0) {
        lq_tool_progress_init(&bar, "imatrix");
        st = lq_model_imatrix_v2(ctx, m, tok, chunks * a->ctx, a->ctx, a->flags, &im);
        lq_tool_progress_done(&bar);
        seconds = lq_tool_now() - t0;
    }
    if (st == LQ_OK && rc == 0 && (st = lq_imatrix_save(im, a->out, a->format, a->text)) != LQ_OK)
        what = a->out;
    if (st == LQ_OK && rc == 0)
        printf("%lld chunks of %lld tokens, %lld entries, %.2f s, %.1f tokens/s -> %s (%s)\n",
               (long long)chunks, (long long)a->ctx, (long long)lq_imatrix_count(im), seconds,
               seconds > 0 ? (double)(chunks * a->ctx) / seconds : 0.0, a->out,
               a->format == LQ_IMATRIX_DAT ? "dat" : "gguf");
    if (st != LQ_OK)
        rc = lq_tool_lib_error(cmd, what, st);
    lq_imatrix_free(im);
    lq_free(tok);
    lq_model_free(m);
    lq_ctx_free(ctx);
    return rc;
}

int lq_cmd_imatrix(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    imatrix_args a = {.out = "imatrix.gguf", .ctx = 512, .kv = LQ_KV_F32};
    int rc = parse_args(argc, argv, &a);
    return rc ? rc : run(&a);
}
