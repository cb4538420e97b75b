/* mixture_plan.h — the output of quantizing a GGUF model to a llama.cpp file
 * type, before any byte of it is computed (internal).
 *
 * One plan serves lq_gguf_quantize, which then writes the tensors' bytes, and
 * the file-size estimate, which only adds up the sizes: so the estimate is
 * the size of the file that is written, by construction. */
#ifndef LQ_METHODS_MIXTURE_PLAN_H
#define LQ_METHODS_MIXTURE_PLAN_H

#include <stdint.h>

#include <lq/lq_io.h>

#include "budget.h"
#include "mixture.h"
#include "plan.h"

/* Plan the quantization of `in` with `rules` (from lq__mixture_init and the
 * options; the model facts are read from `in` here) and, unless `budget` is
 * NULL or of kind LQ__BUDGET_NONE, the types of the quantizable tensors
 * chosen under it instead (budget.h; its errors then come too). Errors: LQ_ERR_FORMAT
 * (block_count contradicts the tensors, an MoE tensor without a layer),
 * LQ_ERR_UNSUPPORTED (a tensor to convert whose type libquant cannot decode,
 * a row no type fits), LQ_ERR_NOMEM; messages start with `fn`. On failure
 * *p holds nothing to free. */
lq_status lq__plan_make(const char *fn, const lq_gguf *in, const lq__mixture *rules,
                        const lq__budget *budget, lq__plan *p);
void lq__plan_free(lq__plan *p);

#endif
