/* hf.c — lq_hf_export / _import / _dequantize / _config, and what the
 * Hugging Face layouts share (hf.h). One file per layout does the rest. */
#include <stdio.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/half.h"
#include "../kernels/dequantize.h"
#include "../formats/linear.h"
#include "../io/json.h"
#include "hf.h"

/* ---- tensors of a layer ---------------------------------------------------- */

bool lq__hf_name(char *name, const char *prefix, const char *part)
{
    size_t a = strlen(prefix), b = strlen(part);
    if (a + 1 + b > LQ_MAX_NAME)
        return false;
    memcpy(name, prefix, a);
    name[a] = '.';
    memcpy(name + a + 1, part, b + 1);
    return true;
}

/* Is dtype one of the comma-separated names in list? */
static bool dtype_in(const char *dtype, const char *list)
{
    size_t n = strlen(dtype);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, dtype, n) == 0)
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

lq_status lq__hf_find(const lq_safetensors *st, const char *prefix, const char *part,
                      const char *dtypes, int ndim, lq__hf_part *out)
{
    char name[LQ_MAX_NAME + 1];
    if (!lq__hf_name(name, prefix, part))
        return lq__fail(LQ_ERR_INVALID, "prefix '%.64s...' is too long", prefix);
    int64_t i = lq_safetensors_find_tensor(st, name);
    if (i < 0)
        return lq__fail(LQ_ERR_FORMAT, "no tensor '%s'", name);
    out->dtype = lq_safetensors_tensor_dtype(st, i);
    out->ndim = lq_safetensors_tensor_ndim(st, i);
    if (!dtype_in(out->dtype, dtypes))
        return lq__fail(LQ_ERR_FORMAT, "tensor '%s' is %s; expected %s", name, out->dtype, dtypes);
    if (ndim >= 0 && out->ndim != ndim)
        return lq__fail(LQ_ERR_FORMAT, "tensor '%s' has %d dimensions; expected %d", name,
                        out->ndim, ndim);
    if (out->ndim > 8)
        return lq__fail(LQ_ERR_FORMAT, "tensor '%s' has %d dimensions", name, out->ndim);
    for (int d = 0; d < out->ndim; d++)
        out->shape[d] = lq_safetensors_tensor_dim(st, i, d);
    const void *data;
    lq_status s = lq_safetensors_tensor_raw(st, i, &data, &out->nbytes);
    out->data = data;
    return s;
}

lq_status lq__hf_add(lq_safetensors *st, const char *prefix, const char *part, const char *dtype,
                     int ndim, const int64_t *shape, const void *data, uint64_t nbytes)
{
    char name[LQ_MAX_NAME + 1];
    if (!lq__hf_name(name, prefix, part))
        return lq__fail(LQ_ERR_INVALID, "prefix '%.64s...' is too long", prefix);
    return lq_safetensors_add_tensor_raw(st, name, dtype, ndim, shape, data, nbytes, LQ_COPY);
}

float lq__hf_float(const lq__hf_part *p, int64_t i)
{
    if (strcmp(p->dtype, "F32") == 0) {
        float f;
        memcpy(&f, p->data + 4 * i, 4);
        return f;
    }
    uint16_t h;
    memcpy(&h, p->data + 2 * i, 2);
    return strcmp(p->dtype, "F16") == 0 ? lq__f16_to_f32(h) : lq__bf16_to_f32(h);
}

int32_t lq__hf_i32(const lq__hf_part *p, int64_t i)
{
    int32_t v;
    memcpy(&v, p->data + 4 * i, 4);
    return v;
}

void lq__hf_put_bits(int32_t *words, int64_t stride, int64_t j, int bits, uint32_t v)
{
    int64_t bit = j * bits, k = bit / 32;
    int off = (int)(bit % 32);
    v &= (1u << bits) - 1u;
    words[k * stride] = (int32_t)((uint32_t)words[k * stride] | v << off);
    if (off + bits > 32)
        words[(k + 1) * stride] = (int32_t)((uint32_t)words[(k + 1) * stride] | v >> (32 - off));
}

static uint32_t word_at(const uint8_t *words, int64_t k)
{
    uint32_t w;
    memcpy(&w, words + 4 * k, 4); /* file data need not be aligned */
    return w;
}

uint32_t lq__hf_get_bits(const uint8_t *words, int64_t stride, int64_t j, int bits)
{
    int64_t bit = j * bits, k = bit / 32;
    int off = (int)(bit % 32);
    uint64_t v = word_at(words, k * stride) >> off;
    if (off + bits > 32)
        v |= (uint64_t)word_at(words, (k + 1) * stride) << (32 - off);
    return (uint32_t)v & ((1u << bits) - 1u);
}

/* ---- the int weight of GPTQ and AWQ ---------------------------------------- */

lq_status lq__hf_int_alloc(lq__hf_int *h, int64_t out, int64_t in, int64_t ngroups)
{
    memset(h, 0, sizeof *h);
    h->out = out;
    h->in = in;
    h->ngroups = ngroups;
    size_t cells = (size_t)(out * in), params = (size_t)(ngroups * out);
    h->codes = lq__malloc(cells + 1);
    h->zeros = lq__malloc((params + 1) * sizeof *h->zeros);
    h->scales = lq__malloc((params + 1) * sizeof *h->scales);
    h->g_idx = lq__malloc((size_t)(in + 1) * sizeof *h->g_idx);
    if (!h->codes || !h->zeros || !h->scales || !h->g_idx) {
        lq__hf_int_free(h);
        return lq__fail(LQ_ERR_NOMEM, "out of memory for a [%lld, %lld] layer", (long long)out,
                        (long long)in);
    }
    return LQ_OK;
}

void lq__hf_int_free(lq__hf_int *h)
{
    lq__free(h->codes);
    lq__free(h->zeros);
    lq__free(h->scales);
    lq__free(h->g_idx);
    memset(h, 0, sizeof *h);
}

lq_status lq__hf_int_from_tensor(const char *fn, const lq_tensor *q, const int32_t *perm,
                                 lq__hf_int *h)
{
    const lq_scheme *s = q->scheme;
    int bits = s ? lq__linear_bits(s->qp.type) : 0;
    if (!bits || q->ndim != 2)
        return lq__fail(LQ_ERR_INVALID, "%s: tensor '%s' is not a 2-D int8/int4/int3/int2 weight",
                        fn, q->name);
    int64_t out = q->shape[0], in = q->shape[1];
    lq__layout layout;
    lq_status st = lq__codec_layout(fn, &s->qp, out, in, &layout);
    if (st != LQ_OK)
        return st;
    lq__linear_map m;
    lq__linear_map_init(&m, &s->qp, out, in, &layout);
    int64_t ngroups = m.per_tensor ? 1 : m.row_params;
    if ((st = lq__hf_int_alloc(h, out, in, ngroups)) != LQ_OK)
        return st;
    h->bits = bits;
    h->sym = s->qp.sym;
    h->scale_type = s->qp.scale_type;
    h->group = in / ngroups;
    uint8_t *seen = lq__calloc((size_t)in + 1, 1);
    for (int64_t j = 0; seen && j < in; j++) {
        int64_t src = perm ? perm[j] : j;
        if (src < 0 || src >= in || seen[src]++) {
            st = lq__fail(LQ_ERR_INVALID, "%s: perm is not a permutation of 0..%lld", fn,
                          (long long)(in - 1));
            break;
        }
        h->g_idx[src] = (int32_t)(j / h->group);
        for (int64_t o = 0; o < out; o++)
            h->codes[o * in + src] =
                (uint8_t)lq__linear_get_code(q->data + m.codes + (size_t)o * m.row_bytes, j, bits);
    }
    if (!seen)
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    lq__free(seen);
    for (int64_t g = 0; st == LQ_OK && g < ngroups; g++)
        for (int64_t o = 0; o < out; o++) {
            size_t index = m.per_tensor ? 0 : (size_t)(o * m.row_params + g);
            lq__linear_param p = lq__linear_load_param(q->data, &m, index);
            h->scales[g * out + o] = p.scale;
            h->zeros[g * out + o] = p.zero;
        }
    if (st != LQ_OK)
        lq__hf_int_free(h);
    return st;
}

lq_status lq__hf_int_to_tensor(const char *fn, const lq__hf_int *h, const char *name,
                               lq_tensor **out, int32_t *perm)
{
    const int64_t in = h->in, no = h->out, group = h->group;
    if (group * h->ngroups != in)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: %lld groups do not split %lld columns evenly", fn,
                        (long long)h->ngroups, (long long)in);
    /* columns in order of their group, stably: a group's columns must then
     * be consecutive and exactly `group` of them */
    int32_t *order = lq__malloc((size_t)(in + 1) * sizeof *order);
    int64_t *fill = lq__calloc((size_t)h->ngroups + 1, sizeof *fill);
    lq_status st = order && fill ? LQ_OK : lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    int identity = 1, sym = 1;
    for (int64_t c = 0; st == LQ_OK && c < in; c++) {
        int64_t g = h->g_idx[c];
        if (fill[g] == group) {
            st = lq__fail(LQ_ERR_UNSUPPORTED, "%s: group %lld of g_idx has more than %lld columns",
                          fn, (long long)g, (long long)group);
            break;
        }
        order[g * group + fill[g]++] = (int32_t)c;
    }
    for (int64_t j = 0; st == LQ_OK && j < in; j++)
        identity &= order[j] == j;
    if (st == LQ_OK && !identity && !perm)
        st = lq__fail(LQ_ERR_INVALID, "%s: g_idx orders the columns; pass perm to receive the "
                      "order", fn);
    for (int64_t i = 0; st == LQ_OK && i < h->ngroups * no; i++) {
        if (h->zeros[i] < 0 || h->zeros[i] > 255)
            st = lq__fail(LQ_ERR_UNSUPPORTED, "%s: zero point %d does not fit a byte", fn,
                          (int)h->zeros[i]);
        sym &= h->zeros[i] == 1 << (h->bits - 1);
    }
    char text[64];
    char gtext[24];
    if (h->ngroups == 1)
        strcpy(gtext, "channel");
    else
        snprintf(gtext, sizeof gtext, "g%lld", (long long)group);
    snprintf(text, sizeof text, "int%d:%s:%s:scale=%s", h->bits, gtext, sym ? "sym" : "asym",
             h->scale_type == LQ_TYPE_F32 ? "f32" : "f16");
    lq_scheme *s = NULL;
    lq__layout layout;
    uint8_t *bytes = NULL;
    if (st == LQ_OK)
        st = lq_scheme_parse(text, &s);
    if (st == LQ_OK)
        st = lq__codec_layout(fn, &s->qp, no, in, &layout);
    if (st == LQ_OK && !(bytes = lq__calloc(layout.total + 1, 1)))
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (st == LQ_OK) {
        lq__linear_map m;
        lq__linear_map_init(&m, &s->qp, no, in, &layout);
        for (int64_t o = 0; o < no; o++) {
            uint8_t *row = bytes + m.codes + (size_t)o * m.row_bytes;
            for (int64_t j = 0; j < in; j++)
                lq__linear_put_code(row, j, h->bits, h->codes[o * in + order[j]]);
            for (int64_t g = 0; g < h->ngroups; g++) {
                lq__linear_param p = {h->scales[g * no + o], h->zeros[g * no + o]};
                lq__linear_store_param(bytes, &m, (size_t)(o * m.row_params + g), p);
            }
        }
        int64_t shape[2] = {no, in};
        st = lq_tensor_wrap_quantized(s, 2, shape, bytes, layout.total, LQ_COPY, name, out);
    }
    for (int64_t j = 0; st == LQ_OK && perm && j < in; j++)
        perm[j] = order[j];
    lq_scheme_free(s);
    lq__free(bytes);
    lq__free(order);
    lq__free(fill);
    return st;
}

lq_status lq__hf_add_scales(lq_safetensors *st, const char *prefix, const lq__hf_int *h)
{
    const int f32 = h->scale_type == LQ_TYPE_F32;
    const int64_t n = h->ngroups * h->out, shape[2] = {h->ngroups, h->out};
    uint8_t *b = lq__malloc((size_t)n * (f32 ? 4 : 2) + 1);
    if (!b)
        return lq__fail(LQ_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        uint16_t hv = lq__f32_to_f16(h->scales[i]); /* exact: the scales came from f16 */
        if (f32)
            memcpy(b + 4 * i, &h->scales[i], 4);
        else
            memcpy(b + 2 * i, &hv, 2);
    }
    lq_status s = lq__hf_add(st, prefix, "scales", f32 ? "F32" : "F16", 2, shape, b,
                             (uint64_t)n * (f32 ? 4 : 2));
    lq__free(b);
    return s;
}

void lq__hf_int_decode(const lq__hf_int *h, float *out)
{
    for (int64_t o = 0; o < h->out; o++)
        for (int64_t c = 0; c < h->in; c++) {
            int64_t i = h->g_idx[c] * h->out + o;
            out[o * h->in + c] = h->scales[i] * (float)((int)h->codes[o * h->in + c] - h->zeros[i]);
        }
}

/* ---- the public entry points ------------------------------------------------ */

static const char *format_name(int format)
{
    static const char *const names[] = {"gptq", "gptq_v2", "awq", "bnb4", "fp8", "int8",
                                        "fp8_static"};
    return format >= 0 && format <= LQ_HF_FP8_STATIC ? names[format] : NULL;
}

lq_status lq_hf_export(const lq_tensor *q, const int32_t *perm, const lq_calib *calib, int format,
                       const char *prefix, lq_safetensors *st)
{
    static const char fn[] = "lq_hf_export";
    if (!q || !prefix || !st)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (!format_name(format))
        return lq__fail(LQ_ERR_INVALID, "%s: unknown format %d", fn, format);
    if (perm && format != LQ_HF_GPTQ && format != LQ_HF_GPTQ_V2)
        for (int64_t j = 0; j < lq_tensor_dim(q, 1); j++)
            if (perm[j] != j)
                return lq__fail(LQ_ERR_INVALID, "%s: only gptq stores a column order", fn);
    lq_status s;
    switch (format) {
    case LQ_HF_GPTQ:
    case LQ_HF_GPTQ_V2:
        s = lq__hf_gptq_export(fn, q, perm, format == LQ_HF_GPTQ_V2, prefix, st);
        break;
    case LQ_HF_AWQ: s = lq__hf_awq_export(fn, q, prefix, st); break;
    case LQ_HF_BNB4: s = lq__hf_bnb4_export(fn, q, prefix, st); break;
    case LQ_HF_FP8: s = lq__hf_fp8_export(fn, q, NULL, prefix, st); break;
    case LQ_HF_FP8_STATIC:
        s = calib ? lq__hf_fp8_export(fn, q, calib, prefix, st)
                  : lq__fail(LQ_ERR_INVALID, "%s: fp8_static needs a calibration set", fn);
        break;
    default: s = lq__hf_int8_export(fn, q, prefix, st); break;
    }
    return s;
}

/* GPTQ and AWQ: the int weight of the layer. */
static lq_status read_int(const char *fn, const lq_safetensors *st, int format, const char *prefix,
                          lq__hf_int *h)
{
    if (format == LQ_HF_AWQ)
        return lq__hf_awq_read(fn, st, prefix, h);
    return lq__hf_gptq_read(fn, st, format == LQ_HF_GPTQ_V2, prefix, h);
}

static lq_status check_args(const char *fn, const lq_safetensors *st, int format,
                            const char *prefix)
{
    if (!st || !prefix)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (!format_name(format))
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
    lq_status s = check_args(fn, st, format, prefix);
    if (s != LQ_OK)
        return s;
    char name[LQ_MAX_NAME + 1];
    if (!lq__hf_name(name, prefix, "weight"))
        return lq__fail(LQ_ERR_INVALID, "%s: prefix too long", fn);
    if (format <= LQ_HF_AWQ) {
        lq__hf_int h;
        s = read_int(fn, st, format, prefix, &h);
        if (s == LQ_OK) {
            s = lq__hf_int_to_tensor(fn, &h, name, out, perm);
            lq__hf_int_free(&h);
        }
        return s;
    }
    if (format == LQ_HF_BNB4)
        s = lq__hf_bnb4_import(fn, st, prefix, out);
    else if (format == LQ_HF_FP8 || format == LQ_HF_FP8_STATIC)
        s = lq__hf_fp8_import(fn, st, prefix, out);
    else
        s = lq__hf_int8_import(fn, st, prefix, out);
    for (int64_t j = 0; s == LQ_OK && perm && j < lq_tensor_dim(*out, (*out)->ndim - 1); j++)
        perm[j] = (int32_t)j;
    return s;
}

lq_status lq_hf_dequantize(const lq_safetensors *st, int format, const char *prefix, float *out,
                           int64_t count)
{
    static const char fn[] = "lq_hf_dequantize";
    lq_status s = check_args(fn, st, format, prefix);
    if (s == LQ_OK && !out)
        s = lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    if (s != LQ_OK)
        return s;
    if (format <= LQ_HF_AWQ) {
        lq__hf_int h;
        if ((s = read_int(fn, st, format, prefix, &h)) != LQ_OK)
            return s;
        if (count != h.out * h.in)
            s = lq__fail(LQ_ERR_SHAPE, "%s: '%s' has %lld weights, the buffer %lld", fn, prefix,
                         (long long)(h.out * h.in), (long long)count);
        else
            lq__hf_int_decode(&h, out);
        lq__hf_int_free(&h);
        return s;
    }
    if (format == LQ_HF_INT8) /* bitsandbytes' own order of operations */
        return lq__hf_int8_decode(fn, st, prefix, out, count);
    lq_tensor *t = NULL;
    s = lq_hf_import(st, format, prefix, &t, NULL);
    if (s == LQ_OK)
        s = lq_dequantize_f32(NULL, t, out, count);
    lq_tensor_free(t);
    return s;
}

/* ---- quantization_config --------------------------------------------------- */

static void key_int(lq__jw *w, const char *k, int64_t v)
{
    lq__jw_key(w, k, strlen(k));
    lq__jw_int(w, v);
}

static void key_bool(lq__jw *w, const char *k, bool v)
{
    lq__jw_key(w, k, strlen(k));
    lq__jw_bool(w, v);
}

static void key_str(lq__jw *w, const char *k, const char *v)
{
    lq__jw_key(w, k, strlen(k));
    if (v)
        lq__jw_string(w, v, strlen(v));
    else
        lq__jw_null(w);
}

static void key_real(lq__jw *w, const char *k, double v)
{
    lq__jw_key(w, k, strlen(k));
    lq__jw_real(w, v);
}

/* The fields of each format's config (algorithms.md 1.8, 2.6, 3.4, 6.3). */
static const char *write_config(lq__jw *w, int format, const lq_scheme *s)
{
    const lq__qparams *qp = &s->qp;
    int bits = lq__linear_bits(qp->type);
    int64_t group = qp->group > 0 ? qp->group : -1;
    lq__jw_object(w);
    switch (format) {
    case LQ_HF_GPTQ:
    case LQ_HF_GPTQ_V2:
        if (!bits)
            return "gptq stores int8/int4/int3/int2";
        key_str(w, "quant_method", "gptq");
        key_int(w, "bits", bits);
        key_int(w, "group_size", group);
        key_real(w, "damp_percent", s->method == LQ_METHOD_GPTQ ? s->damp : 0.01);
        key_bool(w, "desc_act", s->act_order != 0);
        key_bool(w, "static_groups", s->static_groups != 0);
        key_bool(w, "sym", qp->sym != 0);
        key_bool(w, "true_sequential", true);
        key_str(w, "model_name_or_path", NULL);
        key_str(w, "model_file_base_name", NULL);
        key_str(w, "checkpoint_format", format == LQ_HF_GPTQ ? "gptq" : "gptq_v2");
        break;
    case LQ_HF_AWQ:
        if (qp->type != LQ_TYPE_INT4 || group < 0)
            return "awq stores int4 with a group size";
        key_str(w, "quant_method", "awq");
        key_bool(w, "zero_point", !qp->sym);
        key_int(w, "group_size", group);
        key_int(w, "bits", 4);
        key_str(w, "version", "gemm");
        key_str(w, "modules_to_not_convert", NULL);
        break;
    case LQ_HF_BNB4:
    case LQ_HF_INT8: {
        int four = format == LQ_HF_BNB4;
        if (four && qp->type != LQ_TYPE_NF4 && qp->type != LQ_TYPE_FP4)
            return "bnb4 stores nf4 or fp4";
        if (!four && (qp->type != LQ_TYPE_INT8 || qp->group != LQ_GROUP_CHANNEL || !qp->sym))
            return "int8 stores int8:channel:sym";
        key_str(w, "quant_method", "bitsandbytes");
        key_bool(w, "load_in_4bit", four);
        key_bool(w, "load_in_8bit", !four);
        key_str(w, "bnb_4bit_quant_type", qp->type == LQ_TYPE_FP4 ? "fp4" : "nf4");
        key_bool(w, "bnb_4bit_use_double_quant", four && qp->double_quant);
        key_str(w, "bnb_4bit_compute_dtype", "bfloat16");
        key_str(w, "bnb_4bit_quant_storage", "uint8");
        key_real(w, "llm_int8_threshold", s->method == LQ_METHOD_LLM_INT8 ? s->threshold : 6.0);
        key_str(w, "llm_int8_skip_modules", NULL);
        key_bool(w, "llm_int8_enable_fp32_cpu_offload", false);
        key_bool(w, "llm_int8_has_fp16_weight", false);
        break;
    }
    case LQ_HF_FP8:
    case LQ_HF_FP8_STATIC: {
        int stat = format == LQ_HF_FP8_STATIC;
        if (qp->type != LQ_TYPE_FP8_E4M3)
            return "fp8 checkpoints store fp8_e4m3";
        if (qp->group == LQ_GROUP_TENSOR) { /* vLLM's own fp8 config */
            key_str(w, "quant_method", "fp8");
            key_str(w, "activation_scheme", stat ? "static" : "dynamic");
            break;
        }
        /* per channel: compressed-tensors' FP8_DYNAMIC preset, or with a
         * static per-tensor activation scale */
        key_str(w, "quant_method", "compressed-tensors");
        key_str(w, "format", "float-quantized");
        lq__jw_key(w, "config_groups", 13);
        lq__jw_object(w);
        lq__jw_key(w, "group_0", 7);
        lq__jw_object(w);
        lq__jw_key(w, "targets", 7);
        lq__jw_array(w);
        lq__jw_string(w, "Linear", 6);
        lq__jw_end(w);
        for (int part = 0; part < 2; part++) {
            lq__jw_key(w, part ? "input_activations" : "weights", part ? 17 : 7);
            lq__jw_object(w);
            key_int(w, "num_bits", 8);
            key_str(w, "type", "float");
            key_str(w, "strategy", part ? (stat ? "tensor" : "token") : "channel");
            key_bool(w, "symmetric", true);
            key_bool(w, "dynamic", part && !stat);
            lq__jw_end(w);
        }
        lq__jw_end(w);
        lq__jw_end(w);
        lq__jw_key(w, "ignore", 6);
        lq__jw_array(w);
        lq__jw_string(w, "lm_head", 7);
        lq__jw_end(w);
        break;
    }
    }
    lq__jw_end(w);
    return NULL;
}

lq_status lq_hf_config(int format, const lq_scheme *scheme, char **json)
{
    static const char fn[] = "lq_hf_config";
    if (!scheme || !json)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    *json = NULL;
    if (!format_name(format))
        return lq__fail(LQ_ERR_INVALID, "%s: unknown format %d", fn, format);
    lq__buf b = {0};
    lq__jw w;
    lq__jw_init(&w, &b, 2);
    const char *why = write_config(&w, format, scheme);
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
