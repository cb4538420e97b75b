/* plan.h — what quantizing a GGUF model will write, before any byte of it
 * is computed (internal): made by mixture_plan.c, whose types the size
 * budget (budget_plan.c) may replace. */
#ifndef LQ_METHODS_PLAN_H
#define LQ_METHODS_PLAN_H

#include <stdint.h>

#include <lq/lq_io.h>

typedef struct lq__plan {
    /* the output's metadata, as llama-quantize writes it, and its tensors
     * declared (no bytes) in llama.cpp's processing order */
    lq_gguf *out;
    int64_t n;               /* tensors, input and output */
    int64_t *order;          /* order[k]: the input index of the output's tensor k */
    lq_type *target;         /* per input index: its output type; -1 for a ggml type
                              * libquant cannot decode (copied as it is) */
    int64_t needs_imatrix;   /* an input index whose type needs an importance
                              * matrix that `rules` says is absent; -1 if none */
} lq__plan;

#endif
