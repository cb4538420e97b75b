/* scales.c — lq_scales_apply: move per-channel scales from a layer's input
 * columns into the operation before it (AWQ, SmoothQuant). */
#include <math.h>

#include "../core/error.h"
#include "../core/half.h"
#include "../core/tensor.h"
#include <lq/lq_methods.h>

static float get(const lq_tensor *t, int64_t i)
{
    if (t->type == LQ_TYPE_F32)
        return ((const float *)t->data)[i];
    uint16_t h = ((const uint16_t *)t->data)[i];
    return t->type == LQ_TYPE_F16 ? lq__f16_to_f32(h) : lq__bf16_to_f32(h);
}

static void put(lq_tensor *t, int64_t i, float v)
{
    if (t->type == LQ_TYPE_F32)
        ((float *)t->data)[i] = v;
    else
        ((uint16_t *)t->data)[i] = t->type == LQ_TYPE_F16 ? lq__f32_to_f16(v) : lq__f32_to_bf16(v);
}

static lq_status check_float(const char *fn, const char *what, const lq_tensor *t)
{
    if (t->type != LQ_TYPE_F32 && t->type != LQ_TYPE_F16 && t->type != LQ_TYPE_BF16)
        return lq__fail(LQ_ERR_INVALID, "%s: %s '%s' is %s; scales apply to f32, f16 or bf16", fn,
                        what, t->name, lq_type_name(t->type));
    return LQ_OK;
}

lq_status lq_scales_apply(const float *scales, int64_t n_in, lq_tensor *prev, lq_tensor *prev_bias,
                          lq_tensor *const *next, int n_next)
{
    static const char fn[] = "lq_scales_apply";
    if (!scales || n_in < 1 || n_next < 0 || (n_next > 0 && !next))
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument or empty scales", fn);
    for (int64_t j = 0; j < n_in; j++)
        if (!isfinite(scales[j]) || !(scales[j] > 0))
            return lq__fail(LQ_ERR_INVALID, "%s: scale %lld is %g", fn, (long long)j, scales[j]);
    lq_status st = LQ_OK;
    /* prev: a norm weight [n_in], or a linear whose last n_in rows feed x */
    int64_t prev_out = 0;
    if (prev) {
        if ((st = check_float(fn, "prev", prev)) != LQ_OK)
            return st;
        prev_out = prev->shape[0];
        if (prev->ndim > 2 || prev_out < n_in || (prev->ndim == 1 && prev_out != n_in))
            return lq__fail(LQ_ERR_SHAPE, "%s: prev '%s' must be [%lld] or [>= %lld, k]", fn,
                            prev->name, (long long)n_in, (long long)n_in);
    }
    if (prev_bias) {
        if ((st = check_float(fn, "prev_bias", prev_bias)) != LQ_OK)
            return st;
        int64_t want = prev ? prev_out : n_in;
        if (prev_bias->ndim != 1 || prev_bias->shape[0] != want)
            return lq__fail(LQ_ERR_SHAPE, "%s: prev_bias '%s' must be [%lld]", fn,
                            prev_bias->name, (long long)want);
    }
    for (int i = 0; i < n_next; i++) {
        if (!next[i])
            return lq__fail(LQ_ERR_INVALID, "%s: next[%d] is NULL", fn, i);
        if ((st = check_float(fn, "next", next[i])) != LQ_OK)
            return st;
        if (next[i]->ndim != 2 || next[i]->shape[1] != n_in)
            return lq__fail(LQ_ERR_SHAPE, "%s: next[%d] '%s' must be [out, %lld]", fn, i,
                            next[i]->name, (long long)n_in);
    }

    if (prev) {
        int64_t k = prev->ndim == 2 ? prev->shape[1] : 1, first = prev_out - n_in;
        for (int64_t j = 0; j < n_in; j++)
            for (int64_t c = 0; c < k; c++)
                put(prev, (first + j) * k + c, get(prev, (first + j) * k + c) / scales[j]);
    }
    if (prev_bias) {
        int64_t first = prev_bias->shape[0] - n_in;
        for (int64_t j = 0; j < n_in; j++)
            put(prev_bias, first + j, get(prev_bias, first + j) / scales[j]);
    }
    for (int i = 0; i < n_next; i++)
        for (int64_t r = 0; r < next[i]->shape[0]; r++)
            for (int64_t j = 0; j < n_in; j++)
                put(next[i], r * n_in + j, get(next[i], r * n_in + j) * scales[j]);
    return LQ_OK;
}
