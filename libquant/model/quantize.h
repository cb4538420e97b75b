/* quantize.h — lq_model_quantize with the types of a GGUF plan (internal). */
#ifndef LQ_MODEL_QUANTIZE_H
#define LQ_MODEL_QUANTIZE_H

#include <lq/lq_model.h>

#include "../methods/plan.h"

/* lq_model_quantize with a mixture scheme, each weight taking the type
 * `plan` (made for base's file with lq__plan_make: a size budget,
 * llama-quantize's options) gives it instead of the mixture's rules; the
 * other tensors must keep their type. `plan` (allocated with lq__malloc)
 * is taken in every case: the new model keeps it, and lq_model_save_gguf
 * writes its metadata and types. */
lq_status lq__model_quantize_planned(lq_ctx *ctx, lq_model *base, const lq_scheme *scheme,
                                     const lq_imatrix *imatrix, lq__plan *plan,
                                     const int32_t *calib, int64_t n_calib, int64_t n_ctx,
                                     int kv_type, lq_model **out);

#endif
