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
    "usage: lq convert MODEL_DIR OUT.gguf [--outtype f32|f16|bf16|q8_0|auto] [--exact]\n\n"
    "Converts a Hugging Face model folder (config.json, model.safetensors or its\n"
    "shards with model.safetensors.index.json, the tokenizer files) to GGUF as\n"
    "llama.cpp's convert_hf_to_gguf.py does: the same keys in the same order, the\n"
    "same tensor names, order, types and bytes. One tensor at a time is in memory;\n"
    "OUT appears only when complete. --outtype (default: auto, as the converter's\n"
    "auto: bf16 or f16 after the checkpoint, f16 for an f32 checkpoint).\n"
    "Architectures: Llama, Mistral, Qwen2, Qwen3.\n\n"
    "Quantized checkpoints (GPTQ, AWQ, bitsandbytes NF4/FP4 and LLM.int8, FP8) are\n"
    "decoded as their loaders decode them, then written as --outtype. With --exact,\n"
    "4-bit GPTQ/AWQ layers in groups of a multiple of 32 columns (no act-order)\n"
    "become Q4_0 (symmetric) or Q4_1 (zero points; the offset rounded to f16) and\n"
    "symmetric 8-bit GPTQ becomes Q8_0, keeping their values; the other quantized\n"
    "layers are decoded and rounded to --outtype, and a note lists them.\n";

/* One row per --outtype value. */
static const struct {
    const char *name;
    int outtype;
} outtypes[] = {
    {"f32", LQ_TYPE_F32}, {"f16", LQ_TYPE_F16}, {"bf16", LQ_TYPE_BF16},
    {"q8_0", LQ_TYPE_Q8_0}, {"auto", LQ_HF_OUTTYPE_AUTO},
};

/* The quantized layers that --exact could not keep exactly, on stderr. */
static void note_lossy(const lq_gguf *g, const char *outtype_name)
{
    int64_t n = 0;
    for (int64_t i = 0; i < lq_gguf_tensor_count(g); i++) {
        int format, exact;
        if (lq_hf_model_tensor_origin(g, i, &format, &exact) != LQ_OK || exact)
            continue;
        if (n++ == 0)
            fprintf(stderr, "lq convert: note: these quantized layers have no ggml type that "
                    "holds them exactly; they were decoded and rounded to %s:\n", outtype_name);
        fprintf(stderr, "  %s\n", lq_gguf_tensor_name(g, i));
    }
}

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
    const char *outtype_name = "auto";
    unsigned flags = 0;
    for (int i = 1; i < first; i++) {
        if (strcmp(argv[i], "--exact") == 0) {
            flags |= LQ_HF_EXACT_QUANT;
            continue;
        }
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
        outtype_name = outtypes[k].name;
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
        lq_gguf *g = NULL;
        st = lq_hf_model_open_v2(dir, outtype, flags, &g);
        if (st == LQ_OK)
            st = lq_gguf_save(ctx, g, out);
        lq_tool_progress_done(&bar);
        if (st == LQ_OK && (flags & LQ_HF_EXACT_QUANT))
            note_lossy(g, outtype_name);
        lq_gguf_free(g);
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
