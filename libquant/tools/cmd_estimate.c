/* cmd_estimate.c — lq estimate: "will it fit": weights at a scheme plus KV cache. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tool.h"

static const char usage_text[] =
    "usage: lq estimate --params N --scheme S[,S...] [--layers L --kv-heads H --head-dim D\n"
    "                   --ctx C [--batch B] [--kv f16|f32|int8|fp8]]\n\n"
    "Memory for the weights of an N-parameter model at each scheme (nominal bits per\n"
    "weight, scales included), plus the KV cache when the attention shape is given:\n"
    "2 x layers x kv_heads x head_dim x ctx x batch x bytes per element.\n"
    "Example: lq estimate --params 70e9 --scheme q4_k_m --layers 80 --kv-heads 8 \\\n"
    "             --head-dim 128 --ctx 8192\n";

typedef struct {
    double params;
    const char *schemes;
    int64_t layers, kv_heads, head_dim, ctx, batch;
    int kv;
} estimate_args;

static int parse(int argc, char **argv, estimate_args *a)
{
    static const char cmd[] = "estimate";
    const char *kv = "f16";
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        int64_t *counts[] = {&a->layers, &a->kv_heads, &a->head_dim, &a->ctx, &a->batch};
        static const char *const count_opts[] = {"--layers", "--kv-heads", "--head-dim", "--ctx",
                                                 "--batch"};
        int matched = 0;
        if ((v = lq_tool_option(argc, argv, &i, "--params", &missing))) {
            if (!lq_tool_parse_double(v, &a->params) || a->params <= 0)
                return lq_tool_usage_error(cmd, "--params wants a positive number, got '%s'", v);
            matched = 1;
        } else if ((v = lq_tool_option(argc, argv, &i, "--scheme", &missing))) {
            a->schemes = v;
            matched = 1;
        } else if ((v = lq_tool_option(argc, argv, &i, "--kv", &missing))) {
            kv = v;
            matched = 1;
        }
        for (int k = 0; !matched && !missing && k < 5; k++) {
            if ((v = lq_tool_option(argc, argv, &i, count_opts[k], &missing))) {
                if (!lq_tool_parse_i64(v, 1, (int64_t)1 << 40, counts[k]))
                    return lq_tool_usage_error(cmd, "%s wants a positive integer, got '%s'",
                                               count_opts[k], v);
                matched = 1;
            }
        }
        if (missing)
            return lq_tool_usage_error(cmd, "%s needs a value", argv[i]);
        if (!matched)
            return lq_tool_usage_error(cmd, "unknown argument '%s'", argv[i]);
    }
    if (a->params <= 0 || !a->schemes)
        return lq_tool_usage_error(cmd, "--params and --scheme are required");
    int have_kv = (a->layers > 0) + (a->kv_heads > 0) + (a->head_dim > 0) + (a->ctx > 0);
    if (have_kv != 0 && have_kv != 4)
        return lq_tool_usage_error(cmd, "the KV cache needs all of --layers, --kv-heads, "
                                        "--head-dim and --ctx");
    if (lq_kv_type_from_name(kv, &a->kv) != LQ_OK)
        return lq_tool_usage_error(cmd, "%s", lq_last_error());
    return 0;
}

int lq_cmd_estimate(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    estimate_args a = {0, NULL, 0, 0, 0, 0, 1, LQ_KV_F16};
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc;
    double kv_bytes = 0;
    if (a.layers > 0) {
        lq_status st = lq_estimate_kv(a.layers, a.kv_heads, a.head_dim, a.ctx, a.batch, a.kv,
                                      &kv_bytes);
        if (st != LQ_OK)
            return lq_tool_lib_error("estimate", "KV cache", st);
    }
    printf("%-24s %12s %12s %12s\n", "scheme", "weights GiB", "KV GiB", "total GiB");
    char list[1024];
    snprintf(list, sizeof list, "%s", a.schemes);
    char *save = NULL;
    for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        lq_scheme *s = NULL;
        double w = 0;
        lq_status st = lq_scheme_parse(name, &s);
        if (st == LQ_OK)
            st = lq_estimate_weights(s, a.params, &w);
        if (st != LQ_OK) {
            lq_scheme_free(s);
            return lq_tool_usage_error("estimate", "%s", lq_last_error());
        }
        const double gib = 1024.0 * 1024 * 1024;
        printf("%-24s %12.2f %12.2f %12.2f\n", lq_scheme_string(s), w / gib, kv_bytes / gib,
               (w + kv_bytes) / gib);
        lq_scheme_free(s);
    }
    if (a.layers > 0)
        printf("KV cache: %s, 2 x %lld layers x %lld heads x %lld dims x %lld tokens x %lld batch\n",
               lq_kv_type_name(a.kv), (long long)a.layers, (long long)a.kv_heads,
               (long long)a.head_dim, (long long)a.ctx, (long long)a.batch);
    return 0;
}
