/* cmd_split.c — lq split: a GGUF model written as llama.cpp's split files,
 * the same files as llama-gguf-split --split writes. */
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

static int split_file(const char *cmd, const char *in, const char *prefix,
                      const split_options *split)
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
    int n_files = 0;
    if (st == LQ_OK) {
        uint64_t max_bytes;
        int64_t max_tensors;
        split_limits(split, &max_bytes, &max_tensors);
        st = lq_gguf_save_split(ctx, g, prefix, max_bytes, max_tensors, split->flags, &n_files);
    }
    lq_tool_progress_done(&pr);
    if (st == LQ_OK)
        printf("%lld tensors written to %s-00001-of-%05d.gguf ... %s-%05d-of-%05d.gguf\n",
               (long long)lq_gguf_tensor_count(g), prefix, n_files, prefix, n_files, n_files);
    lq_ctx_free(ctx);
    lq_gguf_free(g);
    return st == LQ_OK ? 0 : lq_tool_lib_error(cmd, prefix, st);
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
    return split_file(cmd, paths[0], paths[1], &opts);
}
