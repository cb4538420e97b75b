/* quantize_calibrated.h — lq quantize's calibrated path: a llama.cpp
 * mixture whose layer weights and output head are quantized by gptq (or
 * whose layers are scaled by awq) on calibration text
 * (lq_model_quantize), written as the file that mixture makes
 * (lq_model_save_gguf). */
#ifndef LQ_TOOLS_QUANTIZE_CALIBRATED_H
#define LQ_TOOLS_QUANTIZE_CALIBRATED_H

#include <stdbool.h>
#include <stdint.h>

#include <lq/lq.h>

#include "memory_budget.h"

#define CALIBRATED_MAX_FILES 64

typedef struct calibrated_options {
    const char *method;          /* --method, NULL when not given (llama-quantize's path) */
    const char *files[CALIBRATED_MAX_FILES]; /* --calib, repeatable */
    int n_files;
    int64_t samples, seqlen;     /* --calib-samples, --calib-seqlen (0: the defaults) */
    int64_t seed;                /* --seed */
    int64_t max_memory;          /* --max-memory: bytes of calibration states in memory, 0 = any,
                                  * MEMORY_BUDGET_AUTO when not given */
} calibrated_options;

/* When argv[*i] is one of --method, --calib, --calib-samples, --calib-seqlen,
 * --seed or --max-memory, apply it (advancing *i past its value) and return
 * 1; 0 when it is not one; -1 (after printing why) when its value is bad or missing. */
int calibrated_option(const char *cmd, int argc, char **argv, int *i, calibrated_options *o);

/* The options that take a value (for lq_tool_options_first). */
#define CALIBRATED_VALUED_OPTIONS \
    "--method", "--calib", "--calib-samples", "--calib-seqlen", "--seed", "--max-memory"

#define CALIBRATED_USAGE                                                                  \
    "--method gptq quantizes the layers' weights and the output head by GPTQ into\n"      \
    "the types TYPE gives them (TYPE one of the k-quant mixtures Q2_K_S ... Q5_K_M),\n"   \
    "on windows drawn from the text files of --calib FILE (repeatable;\n"                 \
    "--calib-samples N, default 128, --calib-seqlen L, default 2048 or the training\n"    \
    "context, --seed S, default 0); --imatrix then gives GPTQ's block scales their\n"     \
    "importance weights; the options of the plain command (--target-bpw,\n"            \
    "--target-size, --tensor-type, ...) choose the types as they do there.\n"         \
    "--method awq instead searches AWQ's per-channel scales\n"     \
    "with each weight's own block type in the loop, folds them into the norms and\n"    \
    "weights before (a plain llama.cpp file), then rounds to nearest.\n"                \
    "--method rtn takes the same path without calibration (the bytes of the plain\n"   \
    "command). --max-memory BYTES keeps the calibration states\n"    \
    "(4 x samples x seqlen x width bytes) in a temporary file, read one window at a\n"  \
    "time, when they would take more (the same result).\n"                            \
    MEMORY_BUDGET_USAGE

/* Quantize `in` to the mixture `type` with o->method into the types the
 * plain path's options `opts` (its imatrix, size budget, --tensor-type, ...)
 * give each tensor, and write `out`; returns the exit status after printing
 * any error. */
int quantize_calibrated(lq_ctx *ctx, const char *in, const char *out, const char *type,
                        const lq_qopts *opts, const calibrated_options *o);

#endif
