/* split_options.h — the options that write a model as split GGUF files, as
 * llama-gguf-split takes them (lq split, lq quantize). */
#ifndef LQ_TOOLS_SPLIT_OPTIONS_H
#define LQ_TOOLS_SPLIT_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct split_options {
    bool set;            /* any of the options was given */
    uint64_t max_bytes;  /* --split-max-size, 0 when not given */
    int64_t max_tensors; /* --split-max-tensors, 0 when not given */
    unsigned flags;      /* LQ_GGUF_SPLIT_* */
    /* lq quantize only: --shard I/N (1-based; shard_count 0 when not given)
     * and --print-split-count */
    int64_t shard, shard_count;
    bool print_count;
} split_options;

/* When argv[*i] is one of the options, apply it (advancing *i past its value)
 * and return 1; 0 when it is not one; -1 (after printing why) when its value
 * is bad or missing, or both limits are given. */
int split_option(const char *cmd, int argc, char **argv, int *i, split_options *o);

/* As split_option, also taking lq quantize's --shard and --print-split-count. */
int split_option_sharded(const char *cmd, int argc, char **argv, int *i, split_options *o);

/* The limits for lq_gguf_save_split: the one given, else 128 tensors. */
void split_limits(const split_options *o, uint64_t *max_bytes, int64_t *max_tensors);

/* The options that take a value (for lq_tool_options_first). */
#define SPLIT_VALUED_OPTIONS "--split-max-size", "--split-max-tensors"
#define SHARD_VALUED_OPTIONS SPLIT_VALUED_OPTIONS, "--shard"

#define SPLIT_USAGE                                                                  \
    "--split-max-tensors N (default 128) or --split-max-size N(M|G) (10^6 or 10^9\n" \
    "bytes of tensor data per file, the metadata not counted) and\n"                 \
    "--no-tensor-first-split (the first file holds the metadata only) split the\n"   \
    "output as llama-gguf-split does: PREFIX-00001-of-0000n.gguf, ...\n"

#define SHARD_USAGE                                                                  \
    "--shard I/N writes file I (1..N) of the N that the split options give, and\n"   \
    "only that file: N processes (a job array) write the whole model between\n"     \
    "them, byte for byte what one run writes; --print-split-count prints N and\n"   \
    "writes nothing (doc/split-gguf.md has Slurm and Kubernetes examples).\n"

#endif
