/* model_api.c — lq_hf_model_open and lq_hf_convert: a Hugging Face model
 * folder as a read-only lq_gguf whose tensors the folder's checkpoint makes
 * on demand (io/gguf_source.h). */
#include <string.h>

#include <lq/lq_hf.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../io/gguf_source.h"
#include "model.h"

static lq_status read_tensor(void *user, int64_t index, int64_t r0, int64_t r1, void *dst)
{
    return lq__hf_tensor_read(user, index, r0, r1, dst);
}

static void free_model(void *user)
{
    lq__hf_model_clear(user);
    lq__free(user);
}

static const lq__gguf_source_ops model_source = {read_tensor, free_model};

static lq_status open_model(const char *fn, const char *dir, int outtype, unsigned flags,
                            lq_gguf **out)
{
    lq__hf_model *m = lq__calloc(1, sizeof *m);
    if (!m)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    lq_gguf *g = NULL;
    lq_status st = lq__hf_model_load(fn, dir, m);
    if (st == LQ_OK)
        st = lq__hf_model_tensors(fn, m, outtype, flags);
    if (st == LQ_OK)
        st = lq_gguf_create(&g);
    if (st == LQ_OK)
        st = lq__hf_model_keys(fn, m, g);
    for (int64_t i = 0; st == LQ_OK && i < m->n_out; i++) {
        const lq__hf_out *o = &m->out[i];
        int64_t shape[2] = {o->rows, o->cols};
        st = lq_gguf_declare_tensor(g, o->name, lq_type_ggml_id(o->type), o->ndim, shape);
    }
    if (st == LQ_OK) {
        st = lq__gguf_set_source(g, &model_source, m); /* g owns m from here */
        m = NULL;
    }
    if (st != LQ_OK) {
        if (m)
            free_model(m);
        lq_gguf_free(g);
        return st;
    }
    *out = g;
    return LQ_OK;
}

/* The flags a caller of the public functions may give. */
static lq_status public_flags(const char *fn, unsigned flags)
{
    return flags & LQ__HF_STORED_TYPES
               ? lq__fail(LQ_ERR_INVALID, "%s: flags %#x: only LQ_HF_EXACT_QUANT is defined", fn,
                          flags)
               : LQ_OK;
}

static lq_status model_open(const char *fn, const char *dir, int outtype, unsigned flags,
                            lq_gguf **out)
{
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!dir)
        return lq__fail(LQ_ERR_INVALID, "%s: dir is NULL", fn);
    lq_status st = public_flags(fn, flags);
    return st == LQ_OK ? open_model(fn, dir, outtype, flags, out) : st;
}

lq_status lq__hf_model_open_stored(const char *dir, lq_gguf **out)
{
    *out = NULL;
    return open_model("lq_hf_model_open", dir, LQ_TYPE_F32, LQ__HF_STORED_TYPES, out);
}

lq_status lq_hf_model_open(const char *dir, int outtype, lq_gguf **out)
{
    return model_open("lq_hf_model_open", dir, outtype, 0, out);
}

lq_status lq_hf_model_open_v2(const char *dir, int outtype, unsigned flags, lq_gguf **out)
{
    return model_open("lq_hf_model_open_v2", dir, outtype, flags, out);
}

static lq_status convert(const char *fn, lq_ctx *ctx, const char *dir, int outtype,
                         unsigned flags, const char *out_path)
{
    if (!dir || !out_path)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    lq_gguf *g;
    lq_status st = public_flags(fn, flags);
    if (st == LQ_OK)
        st = open_model(fn, dir, outtype, flags, &g);
    if (st == LQ_OK) {
        st = lq_gguf_save(ctx, g, out_path);
        lq_gguf_free(g);
    }
    return st;
}

lq_status lq_hf_convert(lq_ctx *ctx, const char *dir, int outtype, const char *out_path)
{
    return convert("lq_hf_convert", ctx, dir, outtype, 0, out_path);
}

lq_status lq_hf_convert_v2(lq_ctx *ctx, const char *dir, int outtype, unsigned flags,
                           const char *out_path)
{
    return convert("lq_hf_convert_v2", ctx, dir, outtype, flags, out_path);
}

lq_status lq_hf_model_tensor_origin(const lq_gguf *g, int64_t index, int *hf_format, int *exact)
{
    static const char fn[] = "lq_hf_model_tensor_origin";
    if (!g || !hf_format || !exact)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    const lq__hf_model *m = lq__gguf_source_user(g, &model_source);
    if (!m)
        return lq__fail(LQ_ERR_INVALID, "%s: the handle is not from lq_hf_model_open", fn);
    if (index < 0 || index >= m->n_out)
        return lq__fail(LQ_ERR_INVALID, "%s: index %lld is not a tensor of the model (0..%lld)",
                        fn, (long long)index, (long long)(m->n_out - 1));
    const lq__hf_out *o = &m->out[index];
    /* FP8 weights are decoded with their scales (fp8_weights.h): exact in f32 only */
    bool fp8 = !o->quant && o->src >= 0 &&
               strcmp(lq_safetensors_tensor_dtype(m->st, o->src), "F8_E4M3") == 0;
    *hf_format = o->quant ? lq__hf_qscheme_format(m->qscheme) : fp8 ? LQ_HF_FP8 : -1;
    *exact = (!o->quant && !fp8) || o->type == LQ_TYPE_F32 || (int)o->type == o->layer.exact;
    return LQ_OK;
}
