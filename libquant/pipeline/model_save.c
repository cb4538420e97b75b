/* model_save.c — lq_model_save_gguf: a model quantized in memory by
 * lq_model_quantize with a llama.cpp mixture, written as the file
 * lq_gguf_quantize would write for that file type (the same plan: metadata,
 * key and tensor order, types), with the model's own tensor bytes. So with
 * method rtn the file is byte for byte lq_gguf_quantize's, and with gptq it
 * differs only in the quantized tensors' codes and scales. A model made by
 * lq_model_quantize_opts carries the plan of its options, which is written
 * instead. */
#include <string.h>

#include <lq/lq.h>
#include <lq/lq_io.h>
#include <lq/lq_model.h>
#include <lq/lq_pipeline.h>

#include "../core/error.h"
#include "../core/ctx.h"
#include "../methods/mixture_plan.h"
#include "../model/model.h"

static const lq_tensor *model_tensor(const lq_model *m, const char *name)
{
    for (int64_t k = 0; k < m->n_tensors; k++)
        if (strcmp(lq_tensor_name(m->tensors[k]), name) == 0)
            return m->tensors[k];
    return NULL;
}

/* Tensor i of the plan: the model's tensor, which must have the plan's type. */
static lq_status write_one(const char *fn, const lq_model *m, const lq__plan *p, int64_t i,
                           lq_gguf_writer *w)
{
    const char *name = lq_gguf_tensor_name(m->src, i);
    const lq_tensor *t = model_tensor(m, name);
    if (!t)
        return lq__fail(LQ_ERR_INVALID, "%s: the model holds no tensor '%s'", fn, name);
    if (p->target[i] < 0 || lq_tensor_type(t) != p->target[i])
        return lq__fail(LQ_ERR_INVALID, "%s: tensor '%s' is %s in the model, %s in its file type",
                        fn, name, lq_type_name(lq_tensor_type(t)),
                        p->target[i] < 0 ? "(a type libquant cannot decode)"
                                         : lq_type_name(p->target[i]));
    /* (the pages of a tensor kept from the source are not released: the
     * model reads them, and a converted source would free them outright);
     * a weight kept in a temporary file is read back for its write only */
    lq_status st = lq__model_fetch(fn, (lq_model *)m, t);
    if (st == LQ_OK)
        st = lq_gguf_writer_write_tensor(w, t);
    lq__model_drop((lq_model *)m, t);
    return st;
}

lq_status lq_model_save_gguf(lq_ctx *ctx, const lq_model *m, const char *path)
{
    static const char fn[] = "lq_model_save_gguf";
    if (!m || !path)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (!m->quantized || !m->mixture)
        return lq__fail(LQ_ERR_INVALID, "%s: the model was not made by lq_model_quantize with a "
                        "llama.cpp mixture (q4_k_m, ...), so no file type says its types", fn);
    /* the plan the model took its types from (lq_model_quantize_opts), or
     * the mixture's own */
    lq__plan own, *p = m->plan;
    lq_status st = LQ_OK;
    if (!p) {
        lq__mixture rules;
        memset(&own, 0, sizeof own);
        p = &own;
        if ((st = lq__mixture_init(&rules, m->mixture)) != LQ_OK)
            return st;
        rules.has_imatrix = m->mixture_imatrix;
        st = lq__plan_make(fn, m->src, &rules, NULL, &own);
        lq__mixture_free(&rules);
    }
    lq_gguf_writer *w = NULL;
    if (st == LQ_OK)
        st = lq_gguf_writer_create(p->out, path, &w);
    for (int64_t k = 0; st == LQ_OK && k < p->n; k++) {
        st = write_one(fn, m, p, p->order[k], w);
        if (st == LQ_OK && ctx && ctx->progress &&
            ctx->progress(ctx->progress_user, "save", (double)(k + 1) / (double)p->n))
            st = lq__fail(LQ_ERR_CANCELLED, "%s: cancelled by the progress callback", fn);
    }
    if (st == LQ_OK)
        st = lq_gguf_writer_finish(w);
    lq_gguf_writer_free(w); /* removes the temporary file unless finished */
    if (p == &own)
        lq__plan_free(&own);
    return st;
}
