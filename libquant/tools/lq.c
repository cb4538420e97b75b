/* lq.c — the lq command: dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tool.h"

static const lq_tool_cmd commands[] = {
    {"bench", "kernel speed: bandwidth, sgemm, dequant and matmul per format, vs llama.cpp", lq_cmd_bench},
    {"compare", "per-tensor error between two model files", lq_cmd_compare},
    {"convert", "a Hugging Face model folder to GGUF, as convert_hf_to_gguf.py", lq_cmd_convert},
    {"demo", "quantize a synthetic weight matrix with every scheme and compare", lq_cmd_demo},
    {"estimate", "file size in each file type, and KV cache", lq_cmd_estimate},
    {"eval", "size, speed and quality of many schemes on a model, side by side", lq_cmd_eval},
    {"imatrix", "the importance matrix of a text for --imatrix, as llama-imatrix", lq_cmd_imatrix},
    {"inspect", "metadata, tensors, types and sizes of a GGUF, safetensors file or HF folder", lq_cmd_inspect},
    {"merge", "a split GGUF model (llama-gguf-split's files) as one file", lq_cmd_merge},
    {"quantize", "quantize a GGUF model to a llama.cpp file type, as llama-quantize", lq_cmd_quantize},
    {"split", "a GGUF model as split files, as llama-gguf-split --split", lq_cmd_split},
    {"version", "library version and build information", lq_cmd_version},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: lq COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'lq COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return LQ_TOOL_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    lq_tool_blas_setup(argv);
    lq_tool_malloc_setup();
    if (strcmp(argv[1], "--version") == 0)
        return lq_cmd_version(1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "lq: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return LQ_TOOL_USAGE;
}
