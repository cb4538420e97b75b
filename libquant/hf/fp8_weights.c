/* fp8_weights.c — FP8 checkpoints in (fp8_weights.h): an F8_E4M3 weight
 * times the scale stored beside it, as convert_hf_to_gguf.py's
 * dequant_model computes it (doc/hf-input.md, "FP8 checkpoints"): both
 * operands widened to float32, one float32 product per element, the scale
 * repeated over its block, row or the whole tensor. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../formats/fp8.h"
#include "fp8_weights.h"
#include "hf.h"

/* How one scale covers the weight: `rows` x `cols` elements per scale
 * (0: the whole dimension). Per tensor is {0, 0}, per output channel {1, 0}. */
typedef struct grid {
    int64_t rows, cols;
} grid;

typedef lq_status (*grid_fn)(const lq__json *qcfg, grid *g);

/* ---- the schemes' configs ------------------------------------------------ */

/* A positive block edge from JSON (bounded so block arithmetic cannot overflow). */
static bool block_edge(const lq__json *v, int64_t *out)
{
    if (!v || v->kind != LQ__JSON_INT || v->integer < 1 || v->integer > ((int64_t)1 << 30))
        return false;
    *out = v->integer;
    return true;
}

static lq_status block_pair(const lq__json *v, const char *key, grid *g)
{
    if (!v || v->kind != LQ__JSON_ARRAY || v->count != 2 || !block_edge(&v->items[0], &g->rows) ||
        !block_edge(&v->items[1], &g->cols))
        return lq__fail(LQ_ERR_FORMAT, "quantization_config.%s is not two positive "
                        "integers [rows, cols]", key);
    return LQ_OK;
}

/* DeepSeek-V3 / Qwen3 "fp8": weight_block_size [rows, cols]. */
static lq_status grid_fp8(const lq__json *qcfg, grid *g)
{
    const lq__json *bs = lq__json_get(qcfg, "weight_block_size");
    if (!bs)
        return lq__fail(LQ_ERR_UNSUPPORTED, "quantization_config has no weight_block_size "
                        "(only block-wise \"fp8\" checkpoints are decoded)");
    return block_pair(bs, "weight_block_size", g);
}

/* compressed-tensors "float-quantized": its one config group's weights are
 * 8-bit floats, per "tensor", "channel" or "block" (block_structure). */
static lq_status grid_ct(const lq__json *qcfg, grid *g)
{
    const lq__json *groups = lq__json_get(qcfg, "config_groups");
    if (!groups || groups->kind != LQ__JSON_OBJECT || groups->count != 1)
        return lq__fail(LQ_ERR_UNSUPPORTED, "compressed-tensors config_groups must be an "
                        "object with one group (as the converter requires)");
    const lq__json *w = lq__json_get(&groups->items[0], "weights");
    const lq__json *bits = lq__json_get(w, "num_bits"), *gs = lq__json_get(w, "group_size");
    const lq__json *strategy = lq__json_get(w, "strategy");
    if (!lq__json_is_str(lq__json_get(w, "type"), "float") || !bits || bits->kind != LQ__JSON_INT ||
        bits->integer != 8)
        return lq__fail(LQ_ERR_UNSUPPORTED, "compressed-tensors group '%s': weights are not "
                        "8-bit floats", groups->items[0].key);
    if (gs && gs->kind != LQ__JSON_NULL)
        return lq__fail(LQ_ERR_UNSUPPORTED, "compressed-tensors group '%s': weights with a "
                        "group_size are not decoded", groups->items[0].key);
    if (lq__json_is_str(strategy, "tensor")) {
        *g = (grid){0, 0};
        return LQ_OK;
    }
    if (lq__json_is_str(strategy, "channel")) {
        *g = (grid){1, 0};
        return LQ_OK;
    }
    if (lq__json_is_str(strategy, "block"))
        return block_pair(lq__json_get(w, "block_structure"), "weights.block_structure", g);
    return lq__fail(LQ_ERR_UNSUPPORTED, "compressed-tensors group '%s': weight strategy is "
                    "not tensor, channel or block", groups->items[0].key);
}

/* ---- the table ------------------------------------------------------------- */

/* One row per scheme: how config.json names it, where a weight's scale is
 * ("<prefix>.<part>" for the weight "<prefix>.weight", the first found), the
 * name endings of everything stored beside the weights (dropped by the
 * converter), and how the scale covers the weight. */
typedef struct scheme {
    const char *method; /* quantization_config.quant_method */
    const char *format; /* quantization_config.format; NULL: not looked at */
    const char *scale_parts[3];
    const char *companions[6];
    grid_fn grid;
} scheme;

static const scheme SCHEMES[] = {
    /* weight_scale_inv multiplies despite its name (the inverse of the
     * quantizer's divisor); Mistral's own names are qscale_weight/_act */
    {"fp8", NULL, {"weight_scale_inv", "qscale_weight", NULL},
     {"_scale_inv", ".activation_scale", "_activation_scale", ".qscale_weight", ".qscale_act", NULL},
     grid_fp8},
    /* the converter keeps input_scale and then fails to map it; it only
     * serves static activation quantization, so it is dropped here */
    {"compressed-tensors", "float-quantized", {"weight_scale", NULL},
     {".weight_scale", ".input_scale", NULL},
     grid_ct},
};

static const scheme *scheme_of(const lq__json *qcfg)
{
    const lq__json *method = lq__json_get(qcfg, "quant_method");
    for (size_t i = 0; i < sizeof SCHEMES / sizeof *SCHEMES; i++)
        if (lq__json_is_str(method, SCHEMES[i].method) &&
            (!SCHEMES[i].format || lq__json_is_str(lq__json_get(qcfg, "format"), SCHEMES[i].format)))
            return &SCHEMES[i];
    return NULL;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && memcmp(s + n - t, tail, t) == 0;
}

bool lq__hf_fp8_known(const lq__json *qcfg) { return scheme_of(qcfg) != NULL; }

bool lq__hf_fp8_is_companion(const lq__json *qcfg, const char *name)
{
    const scheme *s = scheme_of(qcfg);
    for (int i = 0; s && s->companions[i]; i++)
        if (ends_with(name, s->companions[i]))
            return true;
    return false;
}

/* ---- decoding -------------------------------------------------------------- */

static int64_t ceil_div(int64_t a, int64_t b) { return a / b + (a % b != 0); }

/* The scales of weight `name` ([out, in]) as floats (`*scales`, lq__free),
 * their shape checked against g and every one finite. */
static lq_status read_scales(const scheme *s, const lq_safetensors *st, const char *name,
                             int64_t out, int64_t in, const grid *g, float **scales)
{
    char prefix[LQ_MAX_NAME + 1], scale_name[LQ_MAX_NAME + 1];
    size_t len = strlen(name) - strlen(".weight");
    if (len > LQ_MAX_NAME)
        return lq__fail(LQ_ERR_FORMAT, "fp8: weight name '%.64s...' is too long", name);
    memcpy(prefix, name, len);
    prefix[len] = '\0';
    const char *part = NULL;
    for (int i = 0; !part && s->scale_parts[i]; i++)
        if (lq__hf_name(scale_name, prefix, s->scale_parts[i]) &&
            lq_safetensors_find_tensor(st, scale_name) >= 0)
            part = s->scale_parts[i];
    if (!part)
        return lq__fail(LQ_ERR_FORMAT, "fp8: weight '%s' has no scale '%s.%s'", name, prefix,
                        s->scale_parts[0]);
    lq__hf_part sc;
    lq_status r = lq__hf_find(st, prefix, part, "F32,BF16,F16", -1, &sc);
    if (r != LQ_OK)
        return r;
    /* the one shape each granularity allows (a channel scale may also be 1-D) */
    const int64_t rows = g->rows ? ceil_div(out, g->rows) : 1;
    const int64_t cols = g->cols ? ceil_div(in, g->cols) : 1;
    bool ok;
    if (!g->rows && !g->cols)
        ok = sc.ndim == 0 || (sc.ndim == 1 && sc.shape[0] == 1) ||
             (sc.ndim == 2 && sc.shape[0] == 1 && sc.shape[1] == 1);
    else if (!g->cols)
        ok = (sc.ndim == 1 && sc.shape[0] == rows) ||
             (sc.ndim == 2 && sc.shape[0] == rows && sc.shape[1] == 1);
    else
        ok = sc.ndim == 2 && sc.shape[0] == rows && sc.shape[1] == cols;
    const uint64_t esize = strcmp(sc.dtype, "F32") == 0 ? 4 : 2;
    if (!ok || sc.nbytes != (uint64_t)(rows * cols) * esize)
        return lq__fail(LQ_ERR_FORMAT, "fp8: scale '%s' of weight '%s' [%lld, %lld] has %d "
                        "dimensions [%lld, %lld]; expected [%lld, %lld]", scale_name, name,
                        (long long)out, (long long)in, sc.ndim,
                        (long long)(sc.ndim > 0 ? sc.shape[0] : 1),
                        (long long)(sc.ndim > 1 ? sc.shape[1] : 1), (long long)rows, (long long)cols);
    float *v = lq__malloc((size_t)(rows * cols) * sizeof *v);
    if (!v)
        return lq__fail(LQ_ERR_NOMEM, "fp8: out of memory for the scales of '%s'", name);
    for (int64_t i = 0; i < rows * cols; i++) {
        v[i] = lq__hf_float(&sc, i);
        if (!isfinite(v[i])) {
            lq__free(v);
            return lq__fail(LQ_ERR_FORMAT, "fp8: scale '%s' of weight '%s' holds a non-finite "
                            "value at element %lld", scale_name, name, (long long)i);
        }
    }
    *scales = v;
    return LQ_OK;
}

lq_status lq__hf_fp8_decode(const lq__json *qcfg, const lq_safetensors *st, int64_t index,
                            float *dst)
{
    const char *name = lq_safetensors_tensor_name(st, index);
    if (!name)
        return lq__fail(LQ_ERR_INVALID, "fp8: no tensor %lld", (long long)index);
    const scheme *s = scheme_of(qcfg);
    if (!s) {
        const lq__json *m = lq__json_get(qcfg, "quant_method");
        return lq__fail(LQ_ERR_UNSUPPORTED, "fp8: weight '%s': quantization_config quant_method "
                        "'%s' is not an FP8 scheme decoded here (\"fp8\" with weight_block_size, "
                        "compressed-tensors \"float-quantized\")",
                        name, m && m->kind == LQ__JSON_STRING ? m->str : "(none)");
    }
    const char *dtype = lq_safetensors_tensor_dtype(st, index);
    int ndim = lq_safetensors_tensor_ndim(st, index);
    if (strcmp(dtype, "F8_E4M3") != 0 || ndim != 2 || !ends_with(name, ".weight"))
        return lq__fail(LQ_ERR_FORMAT, "fp8: '%s' is %s with %d dimensions; expected a 2-D "
                        "F8_E4M3 '<layer>.weight'", name, dtype, ndim);
    const int64_t out = lq_safetensors_tensor_dim(st, index, 0);
    const int64_t in = lq_safetensors_tensor_dim(st, index, 1);
    const void *raw;
    uint64_t nbytes;
    lq_status r = lq_safetensors_tensor_raw(st, index, &raw, &nbytes);
    if (r != LQ_OK)
        return r;
    if (nbytes != (uint64_t)(out * in))
        return lq__fail(LQ_ERR_FORMAT, "fp8: weight '%s' [%lld, %lld] holds %llu bytes", name,
                        (long long)out, (long long)in, (unsigned long long)nbytes);
    grid g;
    float *scales = NULL;
    if ((r = s->grid(qcfg, &g)) != LQ_OK ||
        (r = read_scales(s, st, name, out, in, &g, &scales)) != LQ_OK) {
        if (r != LQ_ERR_NOMEM && !strstr(lq_last_error(), name)) {
            char where[LQ_MAX_NAME + 32];
            snprintf(where, sizeof where, "fp8: weight '%s'", name);
            lq__error_prefix(where);
        }
        return r;
    }

    const uint8_t *w = raw;
    const int64_t scale_cols = g.cols ? ceil_div(in, g.cols) : 1;
    for (int64_t i = 0; i < out && r == LQ_OK; i++) {
        const float *row = scales + (g.rows ? i / g.rows : 0) * scale_cols;
        for (int64_t j = 0; j < in; j++) {
            const uint8_t c = w[i * in + j];
            /* E4M3FN's only non-finite codes; no quantizer writes them (they
             * saturate at 448), and a GGUF holding NaN is of no use */
            if ((c & 0x7f) == 0x7f) {
                r = lq__fail(LQ_ERR_FORMAT, "fp8: weight '%s' holds NaN at [%lld, %lld]", name,
                             (long long)i, (long long)j);
                break;
            }
            /* one float32 product, rounded once: the converter's
             * weight.float() * scale.float() */
            dst[i * in + j] = lq__e4m3_to_f32(c) * row[g.cols ? j / g.cols : 0];
        }
    }
    lq__free(scales);
    return r;
}
