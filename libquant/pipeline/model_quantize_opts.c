/* model_quantize_opts.c — lq_model_quantize_opts: a model quantized in
 * memory by a calibrated method (gptq, awq) into the tensor types that
 * lq_gguf_quantize's options give its file — a size budget, --tensor-type
 * patterns and the rest — so that every option of the plain path combines
 * with the methods. The plan is made here (pipeline/qopts.h) and handed to
 * the model quantizer, which takes its types; lq_model_save_gguf then
 * writes the plan's metadata (the budget's keys too). */
#include <string.h>

#include <lq/lq.h>
#include <lq/lq_pipeline.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../methods/mixture_plan.h"
#include "../model/model.h"
#include "../model/quantize.h"
#include "qopts.h"

lq_status lq_model_quantize_opts(lq_ctx *ctx, lq_model *base, const lq_scheme *scheme,
                                 const lq_qopts *opts, const int32_t *calib, int64_t n_calib,
                                 int64_t n_ctx, int kv_type, lq_model **out)
{
    static const char fn[] = "lq_model_quantize_opts";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!base || !scheme || !opts)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    int64_t mixture = 0;
    lq_scheme_get_int(scheme, LQ_PARAM_MIXTURE, &mixture);
    if (mixture != opts->ftype)
        return lq__fail(LQ_ERR_INVALID, "%s: '%s' is not the options' file type", fn,
                        lq_scheme_string(scheme));
    lq__plan *p = lq__calloc(1, sizeof *p);
    if (!p)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    lq_status st = lq__qopts_plan(fn, base->src, opts, lq__ctx_threads(ctx), p);
    if (st != LQ_OK) {
        lq__free(p);
        return st;
    }
    return lq__model_quantize_planned(ctx, base, scheme, opts->imatrix, p, calib, n_calib, n_ctx,
                                      kv_type, out);
}
