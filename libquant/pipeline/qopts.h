/* qopts.h — what lq_qopts holds, and the plan it gives a GGUF model
 * (internal): shared by lq_gguf_quantize and lq_model_quantize_opts. */
#ifndef LQ_PIPELINE_QOPTS_H
#define LQ_PIPELINE_QOPTS_H

#include <lq/lq_pipeline.h>

#include "../methods/budget.h"
#include "../methods/mixture.h"
#include "../methods/plan.h"

struct lq_qopts {
    int ftype;
    lq__mixture rules; /* options only; the model facts are filled per file */
    lq_imatrix *imatrix;
    int allow_requantize;
    lq__budget budget; /* kind, value and ftype; the rest is filled per run */
};

/* Every tensor's type and the output's metadata for `in` under `o`
 * (methods/mixture_plan.c), with o's size budget measured on `threads`
 * threads (0: all cores). LQ_ERR_INVALID also when a type the plan chose
 * needs an importance matrix `o` lacks. On error *p is empty. */
lq_status lq__qopts_plan(const char *fn, const lq_gguf *in, const lq_qopts *o, int threads,
                         lq__plan *p);

#endif
