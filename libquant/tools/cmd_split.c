/* cmd_split.c — lq split and lq merge: a GGUF model written as llama.cpp's
 * split files (as llama-gguf-split --split writes them) and back as one file.
 * Opening the first file of a split model opens the whole model, so merging
 * is opening and saving. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "split_options.h"
#include "tool.h"

static const char split_usage[] =
    "usage: lq split IN.gguf PREFIX [--split-max-tensors N | --split-max-size N(M|G)]\n"
    "                [--no-tensor-first-split]\n\n"
    "Writes the model IN (one file, or the first file of a split model) as\n"
    "PREFIX-00001-of-0000n.gguf, ..., the same files as llama-gguf-split --split.\n"
    SPLIT_USAGE;

static const char merge_usage[] =
    "usage: lq merge FIRST.gguf OUT.gguf\n\n"
    "Writes the split model whose first file is FIRST (PREFIX-00001-of-0000n.gguf)\n"
    "as one file: the metadata of the first file without the split.* keys, then\n"
    "every tensor in order; a model split from a file gives that file back.\n";

/* Open in, then save it as one file (split_opts NULL) or split. */
static int rewrite(const char *cmd, const char *in, const char *out, const split_options *split)
{
    lq_gguf *g = NULL;
    lq_ctx *ctx = NULL;
    lq_tool_progress pr;
    lq_tool_progress_init(&pr, cmd);
    lq_status st = lq_gguf_open(in, &g);
    if (st != LQ_OK)
        return lq_tool_lib_error(cmd, in, st);
    if ((st = lq_ctx_create(&ctx)) == LQ_OK)
        st = lq_ctx_set_progress(ctx, lq_tool_progress_cb, &pr);
    int n_files = 1;
    if (st == LQ_OK && split) {
        uint64_t max_bytes;
        int64_t max_tensors;
        split_limits(split, &max_bytes, &max_tensors);
        st = lq_gguf_save_split(ctx, g, out, max_bytes, max_tensors, split->flags, &n_files);
    } else if (st == LQ_OK) {
        st = lq_gguf_save(ctx, g, out);
    }
    lq_tool_progress_done(&pr);
    if (st == LQ_OK)
        printf("%s: %lld tensors written to %d file%s\n", out,
               (long long)lq_gguf_tensor_count(g), n_files, n_files == 1 ? "" : "s");
    lq_ctx_free(ctx);
    lq_gguf_free(g);
    return st == LQ_OK ? 0 : lq_tool_lib_error(cmd, out, st);
}

int lq_cmd_split(int argc, char **argv)
{
    static const char cmd[] = "split";
    const char *paths[2] = {NULL, NULL};
    split_options opts = {0};
    for (int i = 1; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(split_usage, stdout);
            return 0;
        } else if ((r = split_option(cmd, argc, argv, &i, &opts)) != 0) {
            if (r < 0)
                return LQ_TOOL_USAGE;
        } else if (argv[i][0] == '-' || paths[1]) {
            return lq_tool_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        } else {
            paths[paths[0] ? 1 : 0] = argv[i];
        }
    }
    if (!paths[1])
        return lq_tool_usage_error(cmd, "wants IN.gguf and PREFIX");
    return rewrite(cmd, paths[0], paths[1], &opts);
}

int lq_cmd_merge(int argc, char **argv)
{
    static const char cmd[] = "merge";
    const char *paths[2] = {NULL, NULL};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(merge_usage, stdout);
            return 0;
        } else if (argv[i][0] == '-' || paths[1]) {
            return lq_tool_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        } else {
            paths[paths[0] ? 1 : 0] = argv[i];
        }
    }
    if (!paths[1])
        return lq_tool_usage_error(cmd, "wants FIRST.gguf and OUT.gguf");
    return rewrite(cmd, paths[0], paths[1], NULL);
}
