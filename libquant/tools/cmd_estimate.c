/* cmd_estimate.c — lq estimate: "will it fit". The exact size of a model's
 * file in each llama.cpp file type (the mixture rules run on its real tensor
 * list, header and padding included: lq_estimate_file_size), or, without a
 * model, of a Llama-3-style model of --params parameters (shape rule at
 * lq_estimate_llama_model in lq_quality.h, repeated in the help below); other
 * schemes at their nominal bits per weight; plus the KV cache. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../core/ftype_list.h"
#include "commands.h"
#include "model_file.h"
#include "tool.h"

static const char usage_text[] =
    "usage: lq estimate MODEL.gguf [--scheme S[,S...]] [--json] [KV options]\n"
    "       lq estimate --params N [--scheme S[,S...]] [--json] [KV options]\n"
    "KV options: --layers L --kv-heads H --head-dim D --ctx C [--batch B]\n"
    "            [--kv f16|f32|int8|fp8]\n\n"
    "The size of the model's file in each llama.cpp file type (Q4_K_M, Q8_0, ...),\n"
    "exactly as lq quantize and llama-quantize write it: the file type's rules run on\n"
    "the model's tensor list, and the header (keys, tensor infos) and the padding are\n"
    "counted (default options, no importance matrix: with one, IQ4_NL and IQ4_XS\n"
    "come out smaller and Q4_0 and Q5_0 larger). Without --scheme every file type\n"
    "is listed; a scheme that is not a file type (int4:g128, nf4, ...) counts at its\n"
    "nominal bits per weight (scales included) over the model's parameters.\n"
    "bits/weight is 8 x bytes / parameters.\n\n"
    "--params N sizes a Llama-3-style model of about N parameters instead: within\n"
    "10% of a published size (8.03e9, 70.55e9, 405.85e9) that shape; otherwise head\n"
    "size 128, 8 KV heads, vocabulary 128256, untied output, hidden size and FFN\n"
    "width interpolated log-linearly in N between the nearest published shapes\n"
    "(hidden a multiple of 1024, FFN of 512) and the layer count that comes nearest\n"
    "N. Its weights are F16; it has no tokenizer, which adds some MB to a real file.\n\n"
    "The KV cache, when its shape is given: 2 x layers x kv_heads x head_dim x ctx\n"
    "x batch x bytes per element. --json prints the rows as JSON.\n"
    "Example: lq estimate --params 70e9 --scheme q4_k_m --layers 80 --kv-heads 8 \\\n"
    "             --head-dim 128 --ctx 8192\n";

/* The file types, from the library's list (a macro header). */
#define FTYPE_NAME(N, n, id, t) #N,
static const char *const ftype_names[] = {LQ__FTYPES(FTYPE_NAME)};
#undef FTYPE_NAME
#define N_FTYPES (sizeof ftype_names / sizeof *ftype_names)

typedef struct {
    const char *model;
    double params;
    const char *schemes;
    int64_t layers, kv_heads, head_dim, ctx, batch;
    int kv;
    bool json;
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
        } else if (strcmp(argv[i], "--json") == 0) {
            a->json = true;
            matched = 1;
        } else if (argv[i][0] != '-' && !a->model) {
            a->model = argv[i];
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
    if ((a->params > 0) == (a->model != NULL))
        return lq_tool_usage_error(cmd, "give a model file or --params N (one of the two)");
    int have_kv = (a->layers > 0) + (a->kv_heads > 0) + (a->head_dim > 0) + (a->ctx > 0);
    if (have_kv != 0 && have_kv != 4)
        return lq_tool_usage_error(cmd, "the KV cache needs all of --layers, --kv-heads, "
                                        "--head-dim and --ctx");
    if (lq_kv_type_from_name(kv, &a->kv) != LQ_OK)
        return lq_tool_usage_error(cmd, "%s", lq_last_error());
    return 0;
}

static const char *file_type_named(const char *name)
{
    for (size_t i = 0; i < N_FTYPES; i++)
        if (strcasecmp(name, ftype_names[i]) == 0)
            return ftype_names[i];
    return NULL;
}

typedef struct {
    const lq_gguf *model;
    double params; /* every element of the model's tensors */
    double kv_bytes;
    bool json;
    int rows;
} report;

static void print_row(report *r, const char *name, double bytes, bool exact)
{
    const double gib = 1024.0 * 1024 * 1024;
    double bpw = r->params > 0 ? 8.0 * bytes / r->params : 0;
    if (r->json) {
        printf("%s\n  {\"name\": \"%s\", \"exact\": %s, \"bytes\": %.0f, \"gib\": %.6f, "
               "\"bits_per_weight\": %.4f, \"kv_bytes\": %.0f, \"total_bytes\": %.0f}",
               r->rows ? "," : "[", name, exact ? "true" : "false", bytes, bytes / gib, bpw,
               r->kv_bytes, bytes + r->kv_bytes);
    } else {
        if (r->rows == 0)
            printf("%-24s %16s %10s %8s %10s %10s\n", "file type / scheme", "bytes", "GiB",
                   "bits/w", "KV GiB", "total GiB");
        printf("%-24s %16.0f %10.2f %8.3f %10.2f %10.2f%s\n", name, bytes, bytes / gib, bpw,
               r->kv_bytes / gib, (bytes + r->kv_bytes) / gib, exact ? "" : "  (nominal)");
    }
    r->rows++;
}

/* One row: a file type exactly, or a scheme at its nominal bits. 0, or the
 * exit status. */
static int one_row(report *r, const char *name)
{
    const char *ftype = file_type_named(name);
    if (ftype) {
        uint64_t bytes = 0;
        lq_status st = lq_estimate_file_size(r->model, ftype, &bytes);
        if (st != LQ_OK)
            return lq_tool_lib_error("estimate", ftype, st);
        print_row(r, ftype, (double)bytes, true);
        return 0;
    }
    lq_scheme *s = NULL;
    double w = 0;
    lq_status st = lq_scheme_parse(name, &s);
    if (st == LQ_OK)
        st = lq_estimate_weights(s, r->params, &w);
    if (st != LQ_OK) {
        lq_scheme_free(s);
        return lq_tool_usage_error("estimate", "%s", lq_last_error());
    }
    print_row(r, lq_scheme_string(s), w, false);
    lq_scheme_free(s);
    return 0;
}

static int rows(report *r, const char *schemes)
{
    int rc = 0;
    if (!schemes) {
        for (size_t i = 0; !rc && i < N_FTYPES; i++)
            rc = one_row(r, ftype_names[i]);
        return rc;
    }
    char list[1024];
    snprintf(list, sizeof list, "%s", schemes);
    char *save = NULL;
    for (char *name = strtok_r(list, ",", &save); !rc && name; name = strtok_r(NULL, ",", &save))
        rc = one_row(r, name);
    return rc;
}

int lq_cmd_estimate(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    estimate_args a = {NULL, 0, NULL, 0, 0, 0, 0, 1, LQ_KV_F16, false};
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc;
    report r = {0};
    r.json = a.json;
    if (a.layers > 0) {
        lq_status st = lq_estimate_kv(a.layers, a.kv_heads, a.head_dim, a.ctx, a.batch, a.kv,
                                      &r.kv_bytes);
        if (st != LQ_OK)
            return lq_tool_lib_error("estimate", "KV cache", st);
    }
    lq_gguf *g = NULL;
    lq_status st = a.model ? model_gguf_open(a.model, LQ_TYPE_F32, &g)
                           : lq_estimate_llama_model(a.params, &g);
    if (st != LQ_OK)
        return a.model ? lq_tool_lib_error("estimate", a.model, st)
                       : lq_tool_usage_error("estimate", "%s", lq_last_error());
    r.model = g;
    for (int64_t i = 0; i < lq_gguf_tensor_count(g); i++) {
        double e = 1;
        for (int d = 0; d < lq_gguf_tensor_ndim(g, i); d++)
            e *= (double)lq_gguf_tensor_dim(g, i, d);
        r.params += e;
    }
    rc = rows(&r, a.schemes);
    if (a.json && r.rows)
        printf("\n]\n");
    if (!rc && !a.json && !a.model) {
        int64_t h = 0, layers = 0, ffn = 0;
        lq_gguf_get_int(g, "llama.embedding_length", &h);
        lq_gguf_get_int(g, "llama.block_count", &layers);
        lq_gguf_get_int(g, "llama.feed_forward_length", &ffn);
        printf("Llama-3-style model of %.4g parameters: hidden %lld, %lld layers, FFN %lld "
               "(--help: the rule)\n", r.params, (long long)h, (long long)layers, (long long)ffn);
    }
    lq_gguf_free(g);
    if (rc || a.json)
        return rc;
    if (a.layers > 0)
        printf("KV cache: %s, 2 x %lld layers x %lld heads x %lld dims x %lld tokens x %lld batch\n",
               lq_kv_type_name(a.kv), (long long)a.layers, (long long)a.kv_heads,
               (long long)a.head_dim, (long long)a.ctx, (long long)a.batch);
    return 0;
}
