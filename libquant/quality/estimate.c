/* estimate.c — the memory estimator: weights at a scheme, the exact size of a
 * model's file in a llama.cpp file type, and the KV cache. */
#include <string.h>

#include <lq/lq_quality.h>

#include "../core/error.h"
#include "../core/scheme.h"
#include "../core/type_info.h"
#include "../io/gguf_size.h"
#include "../methods/mixture_plan.h"

/* Nominal bits per weight of a scheme: codes plus per-group/per-block overhead. */
static double nominal_bpw(const struct lq_scheme *s)
{
    const lq__qparams *qp = &s->qp;
    const lq__type_info *ti = lq__type(qp->type);
    if (ti->flags & LQ__T_GGML)
        return 8.0 * ti->block_bytes / ti->block_elems;
    if (!(ti->flags & LQ__T_QUANT))
        return ti->code_bits;
    double bits = ti->code_bits;
    if (qp->type == LQ_TYPE_NF4 || qp->type == LQ_TYPE_FP4) {
        /* absmax: f32 per block, or 8 bits per block + f32 per 256 blocks */
        return bits + (qp->double_quant ? 8.0 / qp->block + 32.0 / (256.0 * qp->block)
                                        : 32.0 / qp->block);
    }
    if (qp->group > 0) {
        double scale_bits = qp->scale_type == LQ_TYPE_F32 ? 32 : 16;
        bits += (scale_bits + (qp->sym ? 0 : 8)) / (double)qp->group;
    }
    return bits;
}

lq_status lq_estimate_weights(const lq_scheme *scheme, double n_params, double *bytes)
{
    if (!scheme || !bytes)
        return lq__fail(LQ_ERR_INVALID, "lq_estimate_weights: NULL argument");
    if (!(n_params >= 0))
        return lq__fail(LQ_ERR_INVALID, "lq_estimate_weights: n_params must be >= 0");
    *bytes = n_params * nominal_bpw(scheme) / 8.0;
    return LQ_OK;
}

lq_status lq_estimate_file_size(const lq_gguf *model, const char *file_type, uint64_t *bytes)
{
    static const char fn[] = "lq_estimate_file_size";
    if (!model || !file_type || !bytes)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    int ftype;
    if (!lq__ftype_from_name(file_type, &ftype))
        return lq__fail(LQ_ERR_INVALID, "%s: unknown file type '%.32s' (%s)", fn, file_type,
                        lq__ftype_names());
    lq__mixture rules;
    lq__plan plan;
    lq_status st = lq__mixture_init(&rules, ftype);
    if (st == LQ_OK)
        st = lq__plan_make(fn, model, &rules, NULL, &plan);
    if (st == LQ_OK) {
        /* plan.needs_imatrix is no error here: the types of the file type
         * that requires an importance matrix (Q2_K_S) do not depend on it,
         * so this is the size of the file made with one */
        st = lq__gguf_file_size(fn, plan.out, bytes);
        lq__plan_free(&plan);
    }
    lq__mixture_free(&rules);
    return st;
}

static const char *const kv_names[] = {"f32", "f16", "int8", "fp8"};
static const int kv_elem_bytes[] = {4, 2, 1, 1};
static const int kv_scale_bytes[] = {0, 0, 4, 4};

const char *lq_kv_type_name(int kv_type)
{
    return kv_type >= 0 && kv_type < 4 ? kv_names[kv_type] : NULL;
}

lq_status lq_kv_type_from_name(const char *name, int *out)
{
    if (!name || !out)
        return lq__fail(LQ_ERR_INVALID, "lq_kv_type_from_name: NULL argument");
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, kv_names[i]) == 0) {
            *out = i;
            return LQ_OK;
        }
    }
    if (strcmp(name, "fp8_e4m3") == 0) {
        *out = LQ_KV_FP8;
        return LQ_OK;
    }
    return lq__fail(LQ_ERR_INVALID, "lq_kv_type_from_name: unknown KV type '%.32s' "
                    "(f32, f16, int8, fp8)", name);
}

lq_status lq_estimate_kv(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t ctx,
                         int64_t batch, int kv_type, double *bytes)
{
    static const char fn[] = "lq_estimate_kv";
    if (!bytes)
        return lq__fail(LQ_ERR_INVALID, "%s: bytes is NULL", fn);
    if (layers < 1 || kv_heads < 1 || head_dim < 1 || ctx < 1 || batch < 1)
        return lq__fail(LQ_ERR_INVALID, "%s: layers, kv_heads, head_dim, ctx and batch must be >= 1",
                        fn);
    if (!lq_kv_type_name(kv_type))
        return lq__fail(LQ_ERR_INVALID, "%s: unknown KV type %d", fn, kv_type);
    double per_head = (double)head_dim * kv_elem_bytes[kv_type] + kv_scale_bytes[kv_type];
    *bytes = 2.0 * (double)layers * (double)kv_heads * (double)ctx * (double)batch * per_head;
    return LQ_OK;
}
