/* cmd_quantize.c — lq quantize: a GGUF model to a llama.cpp file type, with
 * llama-quantize's options; progress on a terminal, a summary at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/ftype_list.h"
#include "budget_table.h"
#include "commands.h"
#include "memory_budget.h"
#include "model_file.h"
#include "quantize_calibrated.h"
#include "split_options.h"
#include "tool.h"

static const char usage_head[] =
    "usage: lq quantize IN.gguf OUT.gguf TYPE [--imatrix FILE] [--threads N]\n"
    "       lq quantize IN.gguf OUT.gguf [TYPE] --target-bpw X|--target-size SIZE\n"
    "                   [--tensor-type PATTERN=TYPE]... [--output-tensor-type T]\n"
    "                   [--token-embedding-type T] [--pure] [--leave-output-tensor]\n"
    "                   [--allow-requantize] [split options]\n"
    "       lq quantize IN.gguf OUT.gguf TYPE --method gptq|awq --calib FILE...\n"
    "                   [--imatrix FILE] [--calib-samples N] [--calib-seqlen L]\n"
    "                   [--seed S] [--max-memory BYTES] [--threads N]\n\n"
    "Quantizes a GGUF model as llama.cpp's llama-quantize does: the same type for\n"
    "every tensor and the same bytes. TYPE is one of";
static const char usage_tail[] =
    ".\nTYPE is a file type, any case; the T of --tensor-type, --output-tensor-type\n"
    "and --token-embedding-type is a tensor type: IQ2_S is llama.cpp's file type\n"
    "(mostly iq2_xs), iq2_s as T the iq2_s format.\n"
    "--imatrix takes llama.cpp importance matrices (.dat or GGUF) or libquant's own.\n"
    "--target-bpw X (bits per weight) or --target-size SIZE, bytes (the whole file)\n"
    "or a file type (the size of its file), chooses each tensor's type under\n"
    "that budget for the least estimated error (doc/size-budget.md); TYPE is then\n"
    "optional and only types the tensors the budget leaves alone.\n"
    "PATTERN is a POSIX extended regular expression matched against tensor names.\n"
    "Options may come before, between or after IN, OUT and TYPE. OUT must not be\n"
    "IN, and if it exists it must be a regular file (not a link, FIFO or device).\n"
    "IN may be a Hugging Face model folder: the result equals quantizing its f32\n"
    "conversion (lq convert DIR F32.gguf --outtype f32). IN may also be the first\n"
    "file of a split model. Split options write OUT as split files named after OUT\n"
    "without \".gguf\", each complete before any is renamed into place:\n"
    SPLIT_USAGE SHARD_USAGE CALIBRATED_USAGE
    "With --format, MODEL is written as a Hugging Face checkpoint folder instead\n"
    "(GPTQ, AWQ, FP8, bitsandbytes): lq quantize --format gptq --help.\n";

/* The file types' names come from the library's list (a macro header: no
 * call into the library's internals). */
#define FTYPE_NAME(N, n, id, t) #N,
static const char *const ftype_names[] = {LQ__FTYPES(FTYPE_NAME)};
#undef FTYPE_NAME

static void print_usage(void)
{
    fputs(usage_head, stdout);
    size_t col = strlen(strrchr(usage_head, '\n') + 1);
    for (size_t i = 0; i < sizeof ftype_names / sizeof *ftype_names; i++) {
        size_t len = strlen(ftype_names[i]);
        if (col + 1 + len + 1 > 80) { /* wrapped under 80 columns with the final '.' */
            putchar('\n');
            col = 0;
        } else {
            putchar(' ');
            col++;
        }
        fputs(ftype_names[i], stdout);
        col += len;
    }
    fputs(usage_tail, stdout);
}

/* Apply one option to opts; 0, or the exit status for a bad option. */
static int apply_option(lq_qopts *o, int argc, char **argv, int *i, int64_t *threads,
                        split_options *split, calibrated_options *cal)
{
    static const char cmd[] = "quantize";
    bool missing = false;
    const char *v;
    lq_status st = LQ_OK;
    int r = split_option_sharded(cmd, argc, argv, i, split);
    if (r == 0)
        r = calibrated_option(cmd, argc, argv, i, cal);
    if (r != 0)
        return r < 0 ? LQ_TOOL_USAGE : 0;
    if ((v = lq_tool_option(argc, argv, i, "--imatrix", &missing))) {
        st = lq_qopts_set_imatrix(o, v);
    } else if ((v = lq_tool_option(argc, argv, i, "--target-bpw", &missing))) {
        double bpw;
        if (!lq_tool_parse_double(v, &bpw) || !(bpw > 0))
            return lq_tool_usage_error(cmd, "--target-bpw wants a positive number, got '%s'", v);
        st = lq_qopts_set_target_bpw(o, bpw);
    } else if ((v = lq_tool_option(argc, argv, i, "--target-size", &missing))) {
        int64_t bytes;
        if (lq_tool_parse_i64(v, 1, INT64_MAX, &bytes))
            st = lq_qopts_set_target_bytes(o, (uint64_t)bytes);
        else
            st = lq_qopts_set_target_file_type(o, v);
    } else if ((v = lq_tool_option(argc, argv, i, "--threads", &missing))) {
        if (!lq_tool_parse_i64(v, 0, 1024, threads))
            return lq_tool_usage_error(cmd, "--threads wants 0..1024, got '%s'", v);
    } else if ((v = lq_tool_option(argc, argv, i, "--tensor-type", &missing))) {
        const char *eq = strrchr(v, '=');
        if (!eq || eq == v)
            return lq_tool_usage_error(cmd, "--tensor-type wants PATTERN=TYPE, got '%s'", v);
        char *pattern = strndup(v, (size_t)(eq - v)); /* any length: regcomp decides */
        if (!pattern)
            return lq_tool_usage_error(cmd, "out of memory");
        st = lq_qopts_add_tensor_type(o, pattern, eq + 1);
        free(pattern);
    } else if ((v = lq_tool_option(argc, argv, i, "--output-tensor-type", &missing))) {
        st = lq_qopts_set_output_type(o, v);
    } else if ((v = lq_tool_option(argc, argv, i, "--token-embedding-type", &missing))) {
        st = lq_qopts_set_token_embedding_type(o, v);
    } else if (strcmp(argv[*i], "--pure") == 0) {
        st = lq_qopts_set_flag(o, LQ_QOPT_PURE, 1);
    } else if (strcmp(argv[*i], "--leave-output-tensor") == 0) {
        st = lq_qopts_set_flag(o, LQ_QOPT_LEAVE_OUTPUT, 1);
    } else if (strcmp(argv[*i], "--allow-requantize") == 0) {
        st = lq_qopts_set_flag(o, LQ_QOPT_ALLOW_REQUANTIZE, 1);
    } else if (!missing) {
        return lq_tool_usage_error(cmd, "unknown argument '%s'", argv[*i]);
    }
    if (missing)
        return lq_tool_usage_error(cmd, "%s needs a value", argv[*i]);
    if (st == LQ_ERR_INVALID)
        return lq_tool_usage_error(cmd, "%s", lq_last_error());
    if (st != LQ_OK)
        return lq_tool_lib_error(cmd, argv[*i], st);
    return 0;
}

static void summary(const char *in, const char *out, double seconds)
{
    lq_gguf *a = NULL, *b = NULL;
    if (model_gguf_open(in, LQ_TYPE_F32, &a) != LQ_OK || lq_gguf_open(out, &b) != LQ_OK) {
        lq_gguf_free(a);
        return;
    }
    double before = 0, after = 0, params = 0;
    int64_t changed = 0;
    for (int64_t i = 0; i < lq_gguf_tensor_count(b); i++) {
        int64_t j = lq_gguf_find_tensor(a, lq_gguf_tensor_name(b, i));
        double n = 1;
        for (int d = 0; d < lq_gguf_tensor_ndim(b, i); d++)
            n *= (double)lq_gguf_tensor_dim(b, i, d);
        params += n;
        after += (double)lq_gguf_tensor_nbytes(b, i);
        if (j >= 0) {
            before += (double)lq_gguf_tensor_nbytes(a, j);
            changed += lq_gguf_tensor_ggml_type(a, j) != lq_gguf_tensor_ggml_type(b, i);
        }
    }
    char s1[32], s2[32];
    printf("%lld tensors (%lld converted), %s -> %s, %.3f bits per weight, %.1f s\n",
           (long long)lq_gguf_tensor_count(b), (long long)changed,
           lq_tool_bytes(before, s1, sizeof s1), lq_tool_bytes(after, s2, sizeof s2),
           params > 0 ? 8 * after / params : 0.0, seconds);
    lq_gguf_free(a);
    lq_gguf_free(b);
}

/* The split files' prefix: `out` without ".gguf" (llama-gguf-split's PREFIX). */
static void split_prefix(const char *out, char *prefix, size_t cap)
{
    size_t len = strlen(out);
    if (len > 5 && strcmp(out + len - 5, ".gguf") == 0)
        len -= 5;
    snprintf(prefix, cap, "%.*s", (int)len, out);
}

/* Quantize straight into split files named after `out`: all of them, or
 * with split->shard_count only file split->shard (1-based) of that many,
 * which must be the plan's count; with split->print_count only print it. */
static int quantize_split(lq_ctx *ctx, const char *in, const char *out, const lq_qopts *o,
                          const split_options *split, lq_tool_progress *bar, double t0)
{
    static const char cmd[] = "quantize";
    char prefix[4096];
    split_prefix(out, prefix, sizeof prefix);
    uint64_t max_bytes;
    int64_t max_tensors;
    split_limits(split, &max_bytes, &max_tensors);
    int n_files = 0;
    lq_status st = LQ_OK;
    if (split->shard_count || split->print_count)
        st = lq_gguf_quantize_split(NULL, in, prefix, o, max_bytes, max_tensors, split->flags,
                                    LQ_SPLIT_PLAN, &n_files);
    if (st == LQ_OK && split->print_count) {
        lq_tool_progress_done(bar);
        printf("%d\n", n_files);
        return 0;
    }
    if (st == LQ_OK && split->shard_count && split->shard_count != n_files) {
        lq_tool_progress_done(bar);
        return lq_tool_usage_error(cmd, "these split options make %d files, not %lld: run the "
                                   "shards as --shard I/%d (--print-split-count prints the "
                                   "number)", n_files, (long long)split->shard_count, n_files);
    }
    int shard = split->shard_count ? (int)split->shard - 1 : LQ_SPLIT_ALL;
    if (st == LQ_OK)
        st = lq_gguf_quantize_split(ctx, in, prefix, o, max_bytes, max_tensors, split->flags,
                                    shard, &n_files);
    lq_tool_progress_done(bar);
    if (st != LQ_OK)
        return lq_tool_lib_error(cmd, in, st);
    if (split->shard_count) {
        printf("written file %lld of %d: %s-%05lld-of-%05d.gguf, %.1f s\n",
               (long long)split->shard, n_files, prefix, (long long)split->shard, n_files,
               lq_tool_now() - t0);
    } else {
        char first[4200];
        snprintf(first, sizeof first, "%s-%05d-of-%05d.gguf", prefix, 1, n_files);
        summary(in, first, lq_tool_now() - t0); /* the first file opens the whole model */
        printf("written as %d files: %s, ...\n", n_files, first);
    }
    return 0;
}

int lq_cmd_quantize(int argc, char **argv)
{
    static const char cmd[] = "quantize";
    static const char *const valued[] = {"--imatrix", "--threads", "--tensor-type", "--target-bpw",
                                         "--target-size",
                                         "--output-tensor-type", "--token-embedding-type",
                                         SHARD_VALUED_OPTIONS, CALIBRATED_VALUED_OPTIONS, NULL};
    for (int i = 1; i < argc; i++) /* a Hugging Face checkpoint folder out */
        if (strncmp(argv[i], "--format", 8) == 0 && (!argv[i][8] || argv[i][8] == '='))
            return lq_cmd_quantize_hf(argc, argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            print_usage();
            return 0;
        }
    }
    int first = lq_tool_options_first(&argc, argv, valued);
    /* with a size budget TYPE may be left out: any quantized file type
     * then gives the tensors the budget leaves alone their rules */
    bool target = false;
    for (int i = 1; i < first; i++)
        target |= strcmp(argv[i], "--target-bpw") == 0 || strcmp(argv[i], "--target-size") == 0;
    if (argc - first < 3 - target)
        return lq_tool_usage_error(cmd, "wants IN.gguf (or a Hugging Face model folder) OUT.gguf TYPE");
    if (argc - first > 3)
        return lq_tool_usage_error(cmd, "unexpected argument '%s'", argv[first + 3]);
    const char *pos[3] = {argv[first], argv[first + 1], argc - first > 2 ? argv[first + 2] : "Q4_K_M"};
    lq_qopts *o = NULL;
    lq_status st = lq_qopts_create(pos[2], &o);
    if (st != LQ_OK)
        return lq_tool_usage_error(cmd, "%s", lq_last_error());
    int64_t threads = 0;
    int rc = 0;
    split_options split = {0};
    calibrated_options cal = {.max_memory = MEMORY_BUDGET_AUTO};
    for (int i = 1; i < first && rc == 0; i++)
        rc = apply_option(o, first, argv, &i, &threads, &split, &cal);
    if (rc == 0 && cal.method && split.set)
        rc = lq_tool_usage_error(cmd, "--method does not take split options");
    if (rc == 0 && !cal.method && (cal.n_files || cal.samples || cal.seqlen || cal.seed ||
                                    cal.max_memory != MEMORY_BUDGET_AUTO))
        rc = lq_tool_usage_error(cmd, "the calibration options need --method");
    lq_ctx *ctx = NULL;
    lq_tool_progress bar;
    if (rc == 0 && (st = lq_ctx_create(&ctx)) == LQ_OK)
        st = lq_ctx_set_threads(ctx, (int)threads);
    if (rc == 0 && st == LQ_OK) {
        lq_tool_progress_init(&bar, "");
        bar.label = NULL; /* the stage (tensor name) is the label */
        struct stat sb;
        if (stat(pos[0], &sb) == 0 && S_ISREG(sb.st_mode)) /* unknown for a model folder */
            bar.total_bytes = (double)sb.st_size;
        lq_ctx_set_progress(ctx, lq_tool_progress_cb, &bar);
        double t0 = lq_tool_now();
        if (cal.method) {
            rc = quantize_calibrated(ctx, pos[0], pos[1], pos[2], o, &cal);
            lq_tool_progress_done(&bar);
            if (rc == 0) {
                budget_table_print(pos[1]);
                summary(pos[0], pos[1], lq_tool_now() - t0);
            }
        } else if (split.set) {
            rc = quantize_split(ctx, pos[0], pos[1], o, &split, &bar, t0);
        } else {
            st = lq_gguf_quantize(ctx, pos[0], pos[1], o);
            lq_tool_progress_done(&bar);
            if (st == LQ_OK) {
                budget_table_print(pos[1]);
                summary(pos[0], pos[1], lq_tool_now() - t0);
            }
        }
    }
    if (rc == 0 && st != LQ_OK)
        rc = lq_tool_lib_error(cmd, pos[0], st);
    lq_ctx_free(ctx);
    lq_qopts_free(o);
    return rc;
}
