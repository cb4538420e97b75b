/* hf_fp8.c — FP8 checkpoints as vLLM and compressed-tensors store them
 * (doc/hf-formats.md; algorithms.md 6.3). Per layer:
 *
 *   weight        F8_E4M3 [out, in]   (F8_E5M2 for fp8_e5m2 tensors)
 *   weight_scale  F32 []              per tensor (vLLM "fp8")
 *                 F32 [out, 1]        per output channel (compressed-tensors)
 *   input_scale   F32 []              static activations only: max |x| / 448
 *
 * W = weight * weight_scale. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../calib/calib.h"
#include "../core/alloc.h"
#include "../core/error.h"
#include "hf.h"
#include "layouts.h"

lq_status lq__hf_fp8_export(const char *fn, const lq_tensor *q, const lq_calib *calib,
                            const char *prefix, lq_safetensors *st)
{
    const lq_scheme *s = q->scheme;
    if (!s || (s->qp.type != LQ_TYPE_FP8_E4M3 && s->qp.type != LQ_TYPE_FP8_E5M2) || q->ndim != 2)
        return lq__fail(LQ_ERR_INVALID, "%s: fp8 stores 2-D fp8_e4m3 or fp8_e5m2 weights; '%s' is "
                        "%s", fn, q->name, lq_type_name(q->type));
    lq__layout l;
    lq_status r = lq__codec_layout(fn, &s->qp, q->shape[0], q->shape[1], &l);
    if (r != LQ_OK)
        return r;
    const int per_tensor = s->qp.group == LQ_GROUP_TENSOR;
    int64_t shape[2] = {q->shape[0], q->shape[1]}, sshape[2] = {q->shape[0], 1};
    r = lq__hf_add(st, prefix, "weight", s->qp.type == LQ_TYPE_FP8_E4M3 ? "F8_E4M3" : "F8_E5M2", 2,
                   shape, q->data, l.bytes[0]);
    if (r == LQ_OK)
        r = lq__hf_add(st, prefix, "weight_scale", "F32", per_tensor ? 0 : 2, sshape,
                       q->data + l.offset[1], l.bytes[1]);
    if (r == LQ_OK && calib) {
        /* as the weights' scale: the largest activation maps to 448, and the
         * scale is at least FLT_EPSILON (formats.md) */
        if ((r = lq__calib_check(fn, calib, q->shape[1])) != LQ_OK)
            return r;
        float amax = 0.0f;
        for (int64_t j = 0; j < calib->n; j++)
            amax = fmaxf(amax, calib->max_abs[j]);
        float in_scale = fmaxf(amax / 448.0f, FLT_EPSILON);
        /* compressed-tensors (per-channel weights) holds a per-tensor scale
         * as [1], and its loader refuses a scalar; vLLM's own fp8 takes [] */
        int64_t one[1] = {1};
        r = lq__hf_add(st, prefix, "input_scale", "F32", per_tensor ? 0 : 1, one, &in_scale, 4);
    }
    return r;
}

lq_status lq__hf_fp8_import(const char *fn, const lq_safetensors *st, const char *prefix,
                            lq_tensor **out)
{
    lq__hf_part w, sc;
    lq_status r = lq__hf_find(st, prefix, "weight", "F8_E4M3,F8_E5M2", 2, &w);
    if (r == LQ_OK)
        r = lq__hf_find(st, prefix, "weight_scale", "F32,F16,BF16", -1, &sc);
    if (r != LQ_OK) {
        lq__error_prefix(fn);
        return r;
    }
    int64_t rows = w.shape[0], n = 1;
    for (int d = 0; d < sc.ndim; d++)
        n *= sc.shape[d];
    if (n != 1 && n != rows)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: '%s': %lld scales for %lld rows: only per-tensor "
                        "and per-channel fp8 scales are supported (not blocks)", fn, prefix,
                        (long long)n, (long long)rows);
    const int e4m3 = strcmp(w.dtype, "F8_E4M3") == 0;
    char text[32];
    snprintf(text, sizeof text, "%s:%s", e4m3 ? "fp8_e4m3" : "fp8_e5m2",
             n == 1 ? "tensor" : "channel");
    lq_scheme *s = NULL;
    lq__layout l;
    uint8_t *bytes = NULL;
    if ((r = lq_scheme_parse(text, &s)) == LQ_OK)
        r = lq__codec_layout(fn, &s->qp, rows, w.shape[1], &l);
    if (r == LQ_OK && !(bytes = lq__malloc(l.total + 1)))
        r = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (r == LQ_OK) {
        memcpy(bytes, w.data, l.bytes[0]);
        for (int64_t i = 0; i < n; i++) {
            float v = lq__hf_float(&sc, i);
            memcpy(bytes + l.offset[1] + 4 * i, &v, 4);
        }
        char name[LQ_MAX_NAME + 1];
        lq__hf_name(name, prefix, "weight");
        int64_t shape[2] = {rows, w.shape[1]};
        r = lq_tensor_wrap_quantized(s, 2, shape, bytes, l.total, LQ_COPY, name, out);
    }
    lq__free(bytes);
    lq_scheme_free(s);
    return r;
}
