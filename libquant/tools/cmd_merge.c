/* cmd_merge.c — lq merge: a split GGUF model (llama-gguf-split's files) as
 * one file. Opening the first file of a split model opens the whole model
 * without the split keys, so merging is opening and saving; the result is
 * the file the model was split from, byte for byte. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tool.h"

static const char usage_text[] =
    "usage: lq merge FIRST.gguf OUT.gguf\n\n"
    "Writes the split model whose first file is FIRST (PREFIX-00001-of-0000n.gguf)\n"
    "as one file: the metadata of the first file without the split.* keys, then\n"
    "every tensor in order; a model split from a file gives that file back.\n";

int lq_cmd_merge(int argc, char **argv)
{
    static const char cmd[] = "merge";
    const char *paths[2] = {NULL, NULL};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if (argv[i][0] == '-' || paths[1]) {
            return lq_tool_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        } else {
            paths[paths[0] ? 1 : 0] = argv[i];
        }
    }
    if (!paths[1])
        return lq_tool_usage_error(cmd, "wants FIRST.gguf and OUT.gguf");
    lq_gguf *g = NULL;
    lq_ctx *ctx = NULL;
    lq_tool_progress pr;
    lq_tool_progress_init(&pr, cmd);
    lq_status st = lq_gguf_open(paths[0], &g);
    if (st != LQ_OK)
        return lq_tool_lib_error(cmd, paths[0], st);
    if ((st = lq_ctx_create(&ctx)) == LQ_OK)
        st = lq_ctx_set_progress(ctx, lq_tool_progress_cb, &pr);
    if (st == LQ_OK)
        st = lq_gguf_save(ctx, g, paths[1]);
    lq_tool_progress_done(&pr);
    if (st == LQ_OK)
        printf("%lld tensors written to %s\n", (long long)lq_gguf_tensor_count(g), paths[1]);
    lq_ctx_free(ctx);
    lq_gguf_free(g);
    return st == LQ_OK ? 0 : lq_tool_lib_error(cmd, paths[1], st);
}
