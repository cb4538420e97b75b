/* hf_api.c — lq_hf_export / _import / _dequantize / _config: the checks
 * every layout shares, then the layout's row (layouts.c). */
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../kernels/dequantize.h"
#include "layouts.h"

lq_status lq_hf_export(const lq_tensor *q, const int32_t *perm, const lq_calib *calib, int format,
                       const char *prefix, lq_safetensors *st)
{
    static const char fn[] = "lq_hf_export";
    if (!q || !prefix || !st)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    const lq__hf_layout *l = lq__hf_layout_of(format);
    if (!l)
        return lq__fail(LQ_ERR_INVALID, "%s: unknown format %d", fn, format);
    if (perm && !l->stores_perm)
        for (int64_t j = 0; j < lq_tensor_dim(q, 1); j++)
            if (perm[j] != j)
                return lq__fail(LQ_ERR_INVALID, "%s: only gptq stores a column order", fn);
    if (l->uses_calib && !calib)
        return lq__fail(LQ_ERR_INVALID, "%s: %s needs a calibration set", fn, l->name);
    return l->export_(fn, l, q, l->stores_perm ? perm : NULL, l->uses_calib ? calib : NULL,
                      prefix, st);
}

static lq_status check_args(const char *fn, const lq_safetensors *st, int format,
                            const char *prefix, const lq__hf_layout **l)
{
    if (!st || !prefix)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (!(*l = lq__hf_layout_of(format)))
        return lq__fail(LQ_ERR_INVALID, "%s: unknown format %d", fn, format);
    return LQ_OK;
}

lq_status lq_hf_import(const lq_safetensors *st, int format, const char *prefix, lq_tensor **out,
                       int32_t *perm)
{
    static const char fn[] = "lq_hf_import";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    const lq__hf_layout *l;
    lq_status s = check_args(fn, st, format, prefix, &l);
    if (s != LQ_OK)
        return s;
    char name[LQ_MAX_NAME + 1];
    if (!lq__hf_name(name, prefix, "weight"))
        return lq__fail(LQ_ERR_INVALID, "%s: prefix too long", fn);
    if (l->read_int) {
        lq__hf_int h;
        s = l->read_int(fn, l, st, prefix, &h);
        if (s == LQ_OK) {
            s = lq__hf_int_to_tensor(fn, &h, name, out, perm);
            lq__hf_int_free(&h);
        }
        return s;
    }
    s = l->import(fn, st, prefix, out);
    for (int64_t j = 0; s == LQ_OK && perm && j < lq_tensor_dim(*out, (*out)->ndim - 1); j++)
        perm[j] = (int32_t)j;
    return s;
}

lq_status lq_hf_dequantize(const lq_safetensors *st, int format, const char *prefix, float *out,
                           int64_t count)
{
    static const char fn[] = "lq_hf_dequantize";
    const lq__hf_layout *l;
    lq_status s = check_args(fn, st, format, prefix, &l);
    if (s == LQ_OK && !out)
        s = lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    if (s != LQ_OK)
        return s;
    if (l->read_int) {
        lq__hf_int h;
        if ((s = l->read_int(fn, l, st, prefix, &h)) != LQ_OK)
            return s;
        if (count != h.out * h.in)
            s = lq__fail(LQ_ERR_SHAPE, "%s: '%s' has %lld weights, the buffer %lld", fn, prefix,
                         (long long)(h.out * h.in), (long long)count);
        else
            lq__hf_int_decode(&h, out);
        lq__hf_int_free(&h);
        return s;
    }
    if (l->decode)
        return l->decode(fn, st, prefix, out, count);
    lq_tensor *t = NULL;
    s = lq_hf_import(st, format, prefix, &t, NULL);
    if (s == LQ_OK)
        s = lq_dequantize_f32(NULL, t, out, count);
    lq_tensor_free(t);
    return s;
}

lq_status lq_hf_config(int format, const lq_scheme *scheme, char **json)
{
    static const char fn[] = "lq_hf_config";
    if (!scheme || !json)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    *json = NULL;
    const lq__hf_layout *l = lq__hf_layout_of(format);
    if (!l)
        return lq__fail(LQ_ERR_INVALID, "%s: unknown format %d", fn, format);
    lq__buf b = {0};
    lq__jw w;
    lq__jw_init(&w, &b, 2);
    lq__jw_object(&w);
    const char *why = l->config(&w, l, scheme);
    lq__jw_end(&w);
    if (why) {
        lq__buf_free(&b);
        return lq__fail(LQ_ERR_INVALID, "%s: '%s': %s", fn, scheme->text, why);
    }
    char *text = b.failed ? NULL : lq__malloc(b.len + 1);
    if (text) {
        memcpy(text, b.data, b.len);
        text[b.len] = 0;
    }
    lq__buf_free(&b);
    if (!text)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    *json = text;
    return LQ_OK;
}
