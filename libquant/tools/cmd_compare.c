/* cmd_compare.c — lq compare: per-tensor error between two model files,
 * after decoding both (e.g. an f16 model and its quantized copy). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "model_file.h"
#include "tool.h"

static const char usage_text[] =
    "usage: lq compare A B [--threads N]\n\n"
    "Decodes every tensor present in both files (GGUF or safetensors, any\n"
    "types) and prints its RMSE, SQNR, max error and cosine similarity, A being\n"
    "the reference; then the tensors found in only one file, and totals.\n";

int lq_cmd_compare(int argc, char **argv)
{
    static const char cmd[] = "compare";
    const char *paths[2] = {NULL, NULL};
    int64_t threads = 0;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if ((v = lq_tool_option(argc, argv, &i, "--threads", &missing))) {
            if (!lq_tool_parse_i64(v, 0, 1024, &threads))
                return lq_tool_usage_error(cmd, "--threads wants 0..1024, got '%s'", v);
        } else if (missing) {
            return lq_tool_usage_error(cmd, "%s needs a value", argv[i]);
        } else if (argv[i][0] == '-' || paths[1]) {
            return lq_tool_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        } else {
            paths[paths[0] ? 1 : 0] = argv[i];
        }
    }
    if (!paths[1])
        return lq_tool_usage_error(cmd, "wants two files, A and B");
    model_file a, b;
    lq_ctx *ctx = NULL;
    lq_status st = model_file_open(paths[0], &a);
    if (st != LQ_OK)
        return lq_tool_lib_error(cmd, paths[0], st);
    if ((st = model_file_open(paths[1], &b)) != LQ_OK) {
        model_file_close(&a);
        return lq_tool_lib_error(cmd, paths[1], st);
    }
    if ((st = lq_ctx_create(&ctx)) == LQ_OK)
        st = lq_ctx_set_threads(ctx, (int)threads);
    printf("%-40s %-8s %-8s %11s %8s %10s %9s\n", "tensor", "A", "B", "RMSE", "SQNR dB",
           "max err", "cosine");
    int64_t compared = 0, only_a = 0, only_b = 0;
    double worst_sqnr = INFINITY;
    const char *worst = "";
    for (int64_t i = 0; st == LQ_OK && i < model_file_count(&a); i++) {
        const char *name = model_file_name(&a, i);
        int64_t j = model_file_find(&b, name);
        if (j < 0) {
            printf("%-40s only in A\n", name);
            only_a++;
            continue;
        }
        lq_tensor *ta = NULL, *tb = NULL;
        double mt[LQ_METRIC_COUNT_V1];
        st = model_file_tensor(&a, i, &ta);
        if (st == LQ_OK)
            st = model_file_tensor(&b, j, &tb);
        if (st == LQ_OK && lq_tensor_numel(ta) == 0 && lq_tensor_numel(tb) == 0) {
            /* legal, and nothing to measure: no error metric is defined on no values */
            printf("%-40s %-8s %-8s %11s\n", name, model_file_type(&a, i), model_file_type(&b, j),
                   "(empty)");
            compared++;
            lq_tensor_free(ta);
            lq_tensor_free(tb);
            continue;
        }
        if (st == LQ_OK)
            st = lq_tensor_error_metrics(ctx, ta, tb, mt, LQ_METRIC_COUNT_V1);
        if (st == LQ_OK) {
            printf("%-40s %-8s %-8s %11.4e %8.2f %10.3e %9.6f\n", name, model_file_type(&a, i),
                   model_file_type(&b, j), mt[LQ_METRIC_RMSE], mt[LQ_METRIC_SQNR_DB],
                   mt[LQ_METRIC_MAX_ABS], mt[LQ_METRIC_COSINE]);
            compared++;
            if (mt[LQ_METRIC_SQNR_DB] < worst_sqnr) {
                worst_sqnr = mt[LQ_METRIC_SQNR_DB];
                worst = name;
            }
        } else {
            fprintf(stderr, "lq compare: %s: %s\n", name, lq_last_error());
        }
        lq_tensor_free(ta);
        lq_tensor_free(tb);
    }
    for (int64_t j = 0; st == LQ_OK && j < model_file_count(&b); j++) {
        if (model_file_find(&a, model_file_name(&b, j)) < 0) {
            printf("%-40s only in B\n", model_file_name(&b, j));
            only_b++;
        }
    }
    if (st == LQ_OK) {
        printf("\n%lld tensors compared, %lld only in A, %lld only in B", (long long)compared,
               (long long)only_a, (long long)only_b);
        if (*worst) /* none when every tensor compared was empty */
            printf("; lowest SQNR %.2f dB (%s)", worst_sqnr, worst);
        printf("\n");
    }
    lq_ctx_free(ctx);
    model_file_close(&a);
    model_file_close(&b);
    return st == LQ_OK ? 0 : 1;
}
