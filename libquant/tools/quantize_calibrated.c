/* quantize_calibrated.c — lq quantize --method: the calibrated path. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "calib_tokens.h"
#include "memory_budget.h"
#include "quantize_calibrated.h"
#include "tool.h"

int calibrated_option(const char *cmd, int argc, char **argv, int *i, calibrated_options *o)
{
    bool missing = false;
    const char *v;
    if ((v = lq_tool_option(argc, argv, i, "--method", &missing))) {
        if (strcmp(v, "gptq") != 0 && strcmp(v, "awq") != 0 && strcmp(v, "rtn") != 0) {
            lq_tool_usage_error(cmd, "--method wants gptq, awq or rtn, got '%s'", v);
            return -1;
        }
        o->method = v;
    } else if ((v = lq_tool_option(argc, argv, i, "--calib", &missing))) {
        if (o->n_files == CALIBRATED_MAX_FILES) {
            lq_tool_usage_error(cmd, "at most %d --calib files", CALIBRATED_MAX_FILES);
            return -1;
        }
        o->files[o->n_files++] = v;
    } else if ((v = lq_tool_option(argc, argv, i, "--calib-samples", &missing))) {
        if (!lq_tool_parse_i64(v, 1, 1 << 20, &o->samples)) {
            lq_tool_usage_error(cmd, "--calib-samples wants 1..%d, got '%s'", 1 << 20, v);
            return -1;
        }
    } else if ((v = lq_tool_option(argc, argv, i, "--calib-seqlen", &missing))) {
        if (!lq_tool_parse_i64(v, 1, 1 << 20, &o->seqlen)) {
            lq_tool_usage_error(cmd, "--calib-seqlen wants 1..%d, got '%s'", 1 << 20, v);
            return -1;
        }
    } else if ((v = lq_tool_option(argc, argv, i, "--seed", &missing))) {
        if (!lq_tool_parse_i64(v, 0, INT64_MAX, &o->seed)) {
            lq_tool_usage_error(cmd, "--seed wants a whole number >= 0, got '%s'", v);
            return -1;
        }
    } else if ((v = lq_tool_option(argc, argv, i, "--max-memory", &missing))) {
        if (!memory_budget_parse(cmd, v, &o->max_memory))
            return -1;
    } else if (!missing) {
        return 0;
    }
    if (missing) {
        lq_tool_usage_error(cmd, "%s needs a value", argv[*i]);
        return -1;
    }
    return 1;
}

/* "METHOD:type" with the file type's name in lower case (the scheme
 * grammar's mixture names); false when it does not fit. */
static bool scheme_text(const char *method, const char *type, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s:%s", method, type);
    if (n < 0 || (size_t)n >= cap)
        return false;
    for (char *p = buf; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return true;
}

int quantize_calibrated(lq_ctx *ctx, const char *in, const char *out, const char *type,
                        const lq_qopts *opts, const calibrated_options *o)
{
    static const char cmd[] = "quantize";
    bool calibrate = strcmp(o->method, "rtn") != 0;
    if (calibrate && o->n_files == 0)
        return lq_tool_usage_error(cmd, "--method %s needs calibration text (--calib FILE)",
                                   o->method);
    struct stat a, b;
    if (stat(in, &a) == 0 && stat(out, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
        fprintf(stderr, "lq %s: the output %s is the input %s (the same file, maybe through a "
                "link); write to another name\n", cmd, out, in);
        return 1;
    }
    char text[64];
    lq_scheme *s = NULL;
    int64_t mixture = 0;
    if (!scheme_text(o->method, type, text, sizeof text) || lq_scheme_parse(text, &s) != LQ_OK)
        return lq_tool_usage_error(cmd, "--method %s: '%s' is not a file type it takes",
                                   o->method, type);
    lq_scheme_get_int(s, LQ_PARAM_MIXTURE, &mixture);
    if (!mixture) {
        lq_scheme_free(s);
        return lq_tool_usage_error(cmd, "--method takes the k-quant mixtures (Q2_K_S, Q3_K_S, "
                                   "Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M), not %s",
                                   type);
    }
    calib_request req = {o->files, o->n_files, o->samples ? o->samples : CALIB_DEFAULT_SAMPLES,
                         o->seqlen ? o->seqlen : CALIB_DEFAULT_SEQLEN, (uint64_t)o->seed};
    lq_model *base = NULL, *q = NULL;
    int32_t *tokens = NULL;
    int64_t seqlen = 0;
    int rc = 0;
    /* a cache of one token until the window's length is known (the
     * training context's cache may be far larger than any window) */
    lq_status st = lq_model_load(ctx, in, 1, LQ_KV_F16, &base);
    if (st != LQ_OK)
        rc = lq_tool_lib_error(cmd, in, st);
    if (rc == 0 && (st = lq_model_set_max_memory(base, memory_budget_for(cmd, in, o->max_memory))) != LQ_OK)
        rc = lq_tool_lib_error(cmd, in, st);
    if (rc == 0 && calibrate)
        rc = calib_tokens(cmd, base, &req, &tokens, &seqlen);
    if (rc == 0 && seqlen > 0 && (st = lq_model_set_cache(base, seqlen, LQ_KV_F16)) != LQ_OK)
        rc = lq_tool_lib_error(cmd, in, st);
    /* the new model runs the calibration windows through the quantized
     * layers, then only gets saved */
    if (rc == 0 && (st = lq_model_quantize_opts(ctx, base, s, opts, tokens,
                                                calibrate ? req.samples * seqlen : 0,
                                                calibrate ? seqlen : 1, LQ_KV_F16, &q)) != LQ_OK)
        rc = lq_tool_lib_error(cmd, in, st);
    if (rc == 0 && (st = lq_model_save_gguf(ctx, q, out)) != LQ_OK)
        rc = lq_tool_lib_error(cmd, out, st);
    lq_model_free(q);
    lq_model_free(base);
    lq_scheme_free(s);
    free(tokens);
    return rc;
}
