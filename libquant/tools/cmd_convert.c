/* cmd_convert.c — lq convert: a Hugging Face model folder to the GGUF file
 * llama.cpp's convert_hf_to_gguf.py writes for it, without Python. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <lq/lq.h>
#include <lq/lq_hf.h>

#include "commands.h"
#include "tool.h"

static const char usage_text[] =
    "usage: lq convert MODEL_DIR OUT.gguf [--outtype f32|f16|bf16|q8_0|auto]\n\n"
    "Converts a Hugging Face model folder (config.json, model.safetensors or its\n"
    "shards with model.safetensors.index.json, the tokenizer files) to GGUF as\n"
    "llama.cpp's convert_hf_to_gguf.py does: the same keys in the same order, the\n"
    "same tensor names, order, types and bytes. One tensor at a time is in memory;\n"
    "OUT appears only when complete. --outtype (default: auto, as the converter's\n"
    "auto: bf16 or f16 after the checkpoint, f16 for an f32 checkpoint).\n"
    "Architectures: Llama, Mistral, Qwen2, Qwen3.\n";

/* One row per --outtype value. */
static const struct {
    const char *name;
    int outtype;
} outtypes[] = {
    {"f32", LQ_TYPE_F32}, {"f16", LQ_TYPE_F16}, {"bf16", LQ_TYPE_BF16},
    {"q8_0", LQ_TYPE_Q8_0}, {"auto", LQ_HF_OUTTYPE_AUTO},
};

/* Does dir/README.md start with YAML front matter (a model card)? The
 * converter turns it into general.* keys (license, tags, base models, ...);
 * libquant does not read it, so the user is told. */
static bool has_model_card(const char *dir)
{
    char path[4096], line[8] = "";
    snprintf(path, sizeof path, "%s/README.md", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool card = fgets(line, sizeof line, f) && (strcmp(line, "---\n") == 0 ||
                                                  strcmp(line, "---\r\n") == 0);
    fclose(f);
    return card;
}

int lq_cmd_convert(int argc, char **argv)
{
    static const char cmd[] = "convert";
    static const char *const valued[] = {"--outtype", NULL};
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    int first = lq_tool_options_first(&argc, argv, valued);
    int outtype = LQ_HF_OUTTYPE_AUTO;
    for (int i = 1; i < first; i++) {
        bool missing = false;
        const char *v = lq_tool_option(argc, argv, &i, "--outtype", &missing);
        if (missing)
            return lq_tool_usage_error(cmd, "--outtype wants a value");
        if (!v)
            return lq_tool_usage_error(cmd, "unknown option '%s'", argv[i]);
        size_t k = 0;
        while (k < sizeof outtypes / sizeof *outtypes && strcmp(outtypes[k].name, v) != 0)
            k++;
        if (k == sizeof outtypes / sizeof *outtypes)
            return lq_tool_usage_error(cmd, "--outtype '%s' is none of f32, f16, bf16, q8_0, "
                                       "auto", v);
        outtype = outtypes[k].outtype;
    }
    if (argc - first != 2)
        return lq_tool_usage_error(cmd, "wants MODEL_DIR OUT.gguf (see lq convert --help)");
    const char *dir = argv[first], *out = argv[first + 1];
    lq_ctx *ctx = NULL;
    lq_tool_progress bar;
    lq_status st = lq_ctx_create(&ctx);
    if (st == LQ_OK) {
        lq_tool_progress_init(&bar, "convert");
        lq_ctx_set_progress(ctx, lq_tool_progress_cb, &bar);
        double t0 = lq_tool_now();
        st = lq_hf_convert(ctx, dir, outtype, out);
        lq_tool_progress_done(&bar);
        if (st == LQ_OK)
            fprintf(stderr, "lq convert: %s -> %s in %.1f s\n", dir, out, lq_tool_now() - t0);
        if (st == LQ_OK && has_model_card(dir))
            fprintf(stderr, "lq convert: note: the model card in README.md (license, tags, base "
                    "models, ...) is not converted; convert_hf_to_gguf.py writes it as "
                    "general.* keys\n");
    }
    lq_ctx_free(ctx);
    return st == LQ_OK ? 0 : lq_tool_lib_error(cmd, dir, st);
}
