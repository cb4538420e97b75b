/* cmd_quantize_hf.c — lq quantize MODEL OUT_DIR --format F: a model
 * quantized in memory (calibrated layer by layer where the method needs it)
 * and written as the Hugging Face checkpoint folder that transformers and
 * vLLM load for that format (lq_hf_save_quantized). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "calib_tokens.h"
#include "commands.h"
#include "memory_budget.h"
#include "tool.h"

/* One row per --format: the layout and the reference tools' defaults. */
typedef struct {
    const char *name;
    int format;          /* enum lq_hf_format */
    const char *scheme;  /* default --scheme */
    int calibrated;      /* needs --calib */
} hf_format;

static const hf_format formats[] = {
    /* AutoGPTQ / GPTQModel: 4 bits, group 128, act_order with static groups,
     * damping 0.01 (the scheme's default), symmetric */
    {"gptq", LQ_HF_GPTQ, "gptq:int4:g128:sym:act_order:static_groups", 1},
    {"gptq_v2", LQ_HF_GPTQ_V2, "gptq:int4:g128:sym:act_order:static_groups", 1},
    /* AutoAWQ: 4 bits, group 128, zero point */
    {"awq", LQ_HF_AWQ, "awq:int4:g128:asym", 1},
    /* llm-compressor's FP8_DYNAMIC: per-channel weights, dynamic tokens */
    {"fp8", LQ_HF_FP8, "fp8_e4m3:channel", 0},
    /* static per-tensor activation scales (its FP8 preset), with per-channel
     * weights as in fp8: compressed-tensors then holds them, which transformers
     * loads as well as vLLM (its own "fp8" config of per-tensor weights,
     * --scheme fp8_e4m3:tensor, is vLLM only) */
    {"fp8_static", LQ_HF_FP8_STATIC, "fp8_e4m3:channel", 1},
    /* transformers' BitsAndBytesConfig defaults: blocks of 64, no double quant */
    {"bnb_nf4", LQ_HF_BNB4, "nf4:b64", 0},
    {"bnb_fp4", LQ_HF_BNB4, "fp4:b64", 0},
    {"llm_int8", LQ_HF_INT8, "llm_int8:int8:channel:sym", 0},
};

static const char usage[] =
    "usage: lq quantize MODEL OUT_DIR --format FORMAT [--scheme S] [--calib FILE]...\n"
    "                   [--calib-samples N] [--calib-seqlen L] [--seed S] [--force]\n"
    "                   [--max-shard-size BYTES] [--max-memory BYTES]\n"
    "                   [--threads N]\n\n"
    "Quantizes MODEL (a Hugging Face model folder) and writes it to the folder\n"
    "OUT_DIR as the checkpoint transformers and vLLM load for FORMAT:\n"
    "  gptq, gptq_v2  gptq:int4:g128:sym:act_order:static_groups (needs --calib)\n"
    "  awq            awq:int4:g128:asym (needs --calib)\n"
    "  fp8            fp8_e4m3:channel, dynamic activations\n"
    "  fp8_static     fp8_e4m3:channel, static activation scales (needs --calib)\n"
    "  bnb_nf4        nf4:b64\n"
    "  bnb_fp4        fp4:b64\n"
    "  llm_int8       llm_int8:int8:channel:sym\n"
    "--scheme replaces the default (doc/schemes.md). The calibrated formats learn\n"
    "layer by layer from --calib-samples windows (default 128) of --calib-seqlen\n"
    "tokens (default 2048, at most the model's context) drawn with --seed\n"
    "(default 0) from the text files given. OUT_DIR must not exist unless --force;\n"
    "it is written beside itself and renamed when complete. Shards hold at most\n"
    "--max-shard-size bytes (default 5000000000, as save_pretrained). --max-memory\n"
    "BYTES keeps the calibration states (4 x samples x seqlen x hidden size bytes)\n"
    "in a temporary file, read one window at a time, when they would take more,\n"
    "and the quantized weights there until written (the same result).\n"
    MEMORY_BUDGET_USAGE;

typedef struct {
    const char *model, *out;
    const hf_format *format;
    const char *scheme;
    const char **calib;
    int n_calib;
    int64_t samples, seqlen, threads;
    uint64_t seed, max_shard;
    int64_t max_memory; /* bytes of calibration states in memory, 0: no limit,
                        * MEMORY_BUDGET_AUTO when not given */
    int force;
} args;

static int parse(int argc, char **argv, args *a)
{
    static const char cmd[] = "quantize";
    static const char *const valued[] = {"--format", "--scheme", "--calib", "--calib-samples",
                                         "--calib-seqlen", "--seed", "--threads",
                                         "--max-shard-size", "--max-memory", NULL};
    *a = (args){.samples = CALIB_DEFAULT_SAMPLES, .seqlen = CALIB_DEFAULT_SEQLEN,
                .max_memory = MEMORY_BUDGET_AUTO};
    int first = lq_tool_options_first(&argc, argv, valued);
    a->calib = calloc((size_t)argc, sizeof *a->calib);
    if (!a->calib)
        return lq_tool_usage_error(cmd, "out of memory");
    for (int i = 1; i < first; i++) {
        const char *v;
        bool missing = false;
        int64_t n;
        if ((v = lq_tool_option(first, argv, &i, "--format", &missing))) {
            for (size_t k = 0; k < sizeof formats / sizeof *formats; k++)
                if (strcmp(v, formats[k].name) == 0)
                    a->format = &formats[k];
            if (!a->format)
                return lq_tool_usage_error(cmd, "--format wants gptq, gptq_v2, awq, fp8, "
                                           "fp8_static, bnb_nf4, bnb_fp4 or llm_int8, got '%s'", v);
        } else if ((v = lq_tool_option(first, argv, &i, "--scheme", &missing))) {
            a->scheme = v;
        } else if ((v = lq_tool_option(first, argv, &i, "--calib", &missing))) {
            a->calib[a->n_calib++] = v;
        } else if ((v = lq_tool_option(first, argv, &i, "--calib-samples", &missing))) {
            if (!lq_tool_parse_i64(v, 1, 1 << 20, &a->samples))
                return lq_tool_usage_error(cmd, "--calib-samples wants 1..1048576, got '%s'", v);
        } else if ((v = lq_tool_option(first, argv, &i, "--calib-seqlen", &missing))) {
            if (!lq_tool_parse_i64(v, 2, 1 << 20, &a->seqlen))
                return lq_tool_usage_error(cmd, "--calib-seqlen wants 2..1048576, got '%s'", v);
        } else if ((v = lq_tool_option(first, argv, &i, "--seed", &missing))) {
            if (!lq_tool_parse_i64(v, 0, INT64_MAX, &n))
                return lq_tool_usage_error(cmd, "--seed wants a number >= 0, got '%s'", v);
            a->seed = (uint64_t)n;
        } else if ((v = lq_tool_option(first, argv, &i, "--threads", &missing))) {
            if (!lq_tool_parse_i64(v, 0, 1024, &a->threads))
                return lq_tool_usage_error(cmd, "--threads wants 0..1024, got '%s'", v);
        } else if ((v = lq_tool_option(first, argv, &i, "--max-shard-size", &missing))) {
            if (!lq_tool_parse_i64(v, 1, INT64_MAX, &n))
                return lq_tool_usage_error(cmd, "--max-shard-size wants bytes > 0, got '%s'", v);
            a->max_shard = (uint64_t)n;
        } else if ((v = lq_tool_option(first, argv, &i, "--max-memory", &missing))) {
            if (!memory_budget_parse(cmd, v, &a->max_memory))
                return LQ_TOOL_USAGE;
        } else if (strcmp(argv[i], "--force") == 0) {
            a->force = 1;
        } else if (!missing) {
            return lq_tool_usage_error(cmd, "unknown argument '%s'", argv[i]);
        }
        if (missing)
            return lq_tool_usage_error(cmd, "%s needs a value", argv[i]);
    }
    if (argc - first != 2)
        return lq_tool_usage_error(cmd, "wants MODEL OUT_DIR --format FORMAT");
    if (!a->format)
        return lq_tool_usage_error(cmd, "--format is missing");
    a->model = argv[first];
    a->out = argv[first + 1];
    if (!a->scheme)
        a->scheme = a->format->scheme;
    if (a->format->calibrated && !a->n_calib)
        return lq_tool_usage_error(cmd, "--format %s needs calibration text: --calib FILE",
                                   a->format->name);
    struct stat sb;
    if (!a->force && lstat(a->out, &sb) == 0)
        return lq_tool_usage_error(cmd, "%s exists (--force replaces it)", a->out);
    return 0;
}

/* Quantize and write; 0 or the exit status. */
static int run(lq_ctx *ctx, const args *a, const lq_scheme *scheme)
{
    static const char cmd[] = "quantize";
    lq_model *base = NULL, *q = NULL;
    int32_t *tokens = NULL;
    int64_t seqlen = 0, n_tokens = 0;
    int rc = 0;
    struct stat sb;
    if (stat(a->model, &sb) == 0 && !S_ISDIR(sb.st_mode)) { /* before the long part */
        fprintf(stderr, "lq %s: %s: a GGUF model cannot be written as a Hugging Face checkpoint "
                "yet: give the Hugging Face folder it came from\n", cmd, a->model);
        return 1;
    }
    /* the cache is sized for the calibration windows once their length is known */
    lq_status st = lq_model_load(ctx, a->model, 1, LQ_KV_F32, &base);
    if (st != LQ_OK)
        rc = lq_tool_lib_error(cmd, a->model, st);
    if (rc == 0 && (st = lq_model_set_max_memory(base, memory_budget_for(cmd, a->model, a->max_memory))) != LQ_OK)
        rc = lq_tool_lib_error(cmd, a->model, st);
    if (rc == 0 && a->format->calibrated) {
        calib_request r = {a->calib, a->n_calib, a->samples, a->seqlen, a->seed};
        rc = calib_tokens(cmd, base, &r, &tokens, &seqlen);
        n_tokens = a->samples * seqlen;
        if (rc == 0 && (st = lq_model_set_cache(base, seqlen, LQ_KV_F32)) != LQ_OK)
            rc = lq_tool_lib_error(cmd, a->model, st);
    }
    if (rc == 0 && (st = lq_model_quantize(ctx, base, scheme, NULL, tokens, n_tokens,
                                           seqlen ? seqlen : 1, LQ_KV_F32, &q)) != LQ_OK)
        rc = lq_tool_lib_error(cmd, a->model, st);
    if (rc == 0 && (st = lq_hf_save_quantized(ctx, q, scheme, a->model, a->format->format,
                                              tokens, n_tokens, a->out, a->max_shard,
                                              a->force ? LQ_HF_SAVE_FORCE : 0)) != LQ_OK)
        rc = lq_tool_lib_error(cmd, a->out, st);
    lq_model_free(q);
    lq_model_free(base);
    free(tokens);
    return rc;
}

int lq_cmd_quantize_hf(int argc, char **argv)
{
    static const char cmd[] = "quantize";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
    }
    args a;
    int rc = parse(argc, argv, &a);
    lq_scheme *scheme = NULL;
    lq_ctx *ctx = NULL;
    lq_tool_progress bar;
    lq_status st = LQ_OK;
    char *qc = NULL;
    if (rc == 0 && (st = lq_scheme_parse(a.scheme, &scheme)) != LQ_OK)
        rc = lq_tool_usage_error(cmd, "%s", lq_last_error());
    /* a scheme the format cannot hold is refused before any work */
    if (rc == 0 && (st = lq_hf_config(a.format->format, scheme, &qc)) != LQ_OK)
        rc = lq_tool_usage_error(cmd, "--format %s: %s", a.format->name, lq_last_error());
    lq_free(qc);
    if (rc == 0 && (st = lq_ctx_create(&ctx)) == LQ_OK)
        st = lq_ctx_set_threads(ctx, (int)a.threads);
    if (rc == 0 && st != LQ_OK)
        rc = lq_tool_lib_error(cmd, "threads", st);
    if (rc == 0) {
        lq_tool_progress_init(&bar, NULL);
        lq_ctx_set_progress(ctx, lq_tool_progress_cb, &bar);
        double t0 = lq_tool_now();
        rc = run(ctx, &a, scheme);
        lq_tool_progress_done(&bar);
        if (rc == 0)
            printf("%s (%s) written to %s in %.1f s\n", a.format->name,
                   lq_scheme_string(scheme), a.out, lq_tool_now() - t0);
    }
    lq_ctx_free(ctx);
    lq_scheme_free(scheme);
    free(a.calib);
    return rc;
}
