/* quant_weights.c — quantized Hugging Face checkpoints in (quant_weights.h):
 * one row per scheme of quantization_config, the layer's tensor set read
 * through the layouts (layouts.h) and decoded on demand, or written as the
 * ggml block type that holds it exactly. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <lq/lq_hf.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/half.h"
#include "fp8_weights.h"
#include "hf.h"
#include "layouts.h"
#include "quant_weights.h"

typedef lq_status (*shape_fn)(const char *fn, const lq__json *qcfg, const lq_safetensors *st,
                              const char *prefix, lq__hf_qlayer *L);
typedef lq_status (*blocks_fn)(const char *fn, const lq_safetensors *st, const char *prefix,
                               const lq__hf_qlayer *L, uint8_t *dst);

struct lq__hf_qscheme {
    const char *method;   /* quantization_config.quant_method */
    const char *key;      /* the member telling the variant apart; NULL: none */
    const char *value;    /* its string value; NULL: it must be true */
    bool absent_ok;       /* a config without `key` is this variant */
    int format;           /* LQ_HF_* */
    const char *anchor;   /* the part holding the codes, "<layer>.<anchor>" */
    const char *anchor_dtype; /* its dtype ("qweight" is checked by the layout) */
    const char *companions[7]; /* name endings of the parts stored beside */
    shape_fn shape;
    /* layers the converter writes as their own ggml type whatever the
     * outtype, and first (NVFP4); NULL: exact on request only (GPTQ, AWQ) */
    const struct kept_layers *kept;
};

struct kept_layers {
    blocks_fn blocks;
    /* per-layer scalars the converter writes as their reciprocals, F32 [1]
     * tensors "<GGUF stem>.<suffix>", unless within 1e-6 of 1 */
    struct { const char *part, *suffix; } scalars[2];
    uint32_t ftype; /* general.file_type of such a model at a float outtype */
};

/* ---- shapes, without decoding -------------------------------------------- */

static int64_t cfg_int(const lq__json *qcfg, const char *key, int64_t dflt)
{
    const lq__json *v = lq__json_get(qcfg, key);
    return v && v->kind == LQ__JSON_INT ? v->integer : dflt;
}

static bool cfg_bool(const lq__json *qcfg, const char *key, bool dflt)
{
    const lq__json *v = lq__json_get(qcfg, key);
    return v && v->kind == LQ__JSON_BOOL ? v->boolean : dflt;
}

/* The ggml type of a GPTQ/AWQ weight of `bits` bits in groups of `group`
 * columns taken in column order, with F16 scales, or -1. */
static int exact_type(int bits, bool in_order, bool sym, int64_t group, int64_t in,
                      const char *scale_dtype)
{
    if (!in_order || group % 32 || in % group || strcmp(scale_dtype, "F16") != 0)
        return -1;
    if (bits == 4)
        return sym ? LQ_TYPE_Q4_0 : LQ_TYPE_Q4_1;
    if (bits == 8 && sym)
        return LQ_TYPE_Q8_0;
    return -1;
}

static lq_status bits_differ(const char *fn, const char *prefix, int64_t have, int64_t said)
{
    return lq__fail(LQ_ERR_FORMAT, "%s: '%s': its tensors hold %lld-bit codes, but "
                    "quantization_config says bits %lld", fn, prefix, (long long)have,
                    (long long)said);
}

static lq_status shape_gptq(const char *fn, const lq__json *qcfg, const lq_safetensors *st,
                            const char *prefix, lq__hf_qlayer *L)
{
    lq__hf_part qw, gi, sc;
    lq_status s = lq__hf_find(st, prefix, "qweight", "I32", 2, &qw);
    if (s == LQ_OK)
        s = lq__hf_find(st, prefix, "g_idx", "I32", 1, &gi);
    if (s == LQ_OK)
        s = lq__hf_find(st, prefix, "scales", "F16,BF16,F32", 2, &sc);
    if (s != LQ_OK) {
        lq__error_prefix(fn);
        return s;
    }
    const int64_t in = gi.shape[0], ngroups = sc.shape[0];
    if (in < 1 || ngroups < 1 || qw.shape[1] < 1 || (qw.shape[0] * 32) % in)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': qweight [%lld, %lld] and g_idx [%lld] give no "
                        "bit width", fn, prefix, (long long)qw.shape[0], (long long)qw.shape[1],
                        (long long)in);
    const int64_t bits = qw.shape[0] * 32 / in, said = cfg_int(qcfg, "bits", -1);
    if (bits != said)
        return bits_differ(fn, prefix, bits, said);
    L->out = qw.shape[1];
    L->in = in;
    /* desc_act orders the columns by importance (g_idx is then a
     * permutation of groups); without it g_idx is c / group_size */
    L->exact = exact_type((int)bits, !cfg_bool(qcfg, "desc_act", false),
                          cfg_bool(qcfg, "sym", true), in % ngroups ? 1 : in / ngroups, in,
                          sc.dtype);
    return LQ_OK;
}

static lq_status shape_awq(const char *fn, const lq__json *qcfg, const lq_safetensors *st,
                           const char *prefix, lq__hf_qlayer *L)
{
    lq__hf_part qw, sc;
    lq_status s = lq__hf_find(st, prefix, "qweight", "I32", 2, &qw);
    if (s == LQ_OK)
        s = lq__hf_find(st, prefix, "scales", "F16,BF16,F32", 2, &sc);
    if (s != LQ_OK) {
        lq__error_prefix(fn);
        return s;
    }
    const int64_t said = cfg_int(qcfg, "bits", cfg_int(qcfg, "w_bit", 4));
    if (said != 4)
        return bits_differ(fn, prefix, 4, said);
    const int64_t in = qw.shape[0], ngroups = sc.shape[0];
    if (in < 1 || qw.shape[1] < 1 || ngroups < 1)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': qweight [%lld, %lld] or scales [%lld, ...] is "
                        "empty", fn, prefix, (long long)in, (long long)qw.shape[1],
                        (long long)ngroups);
    L->out = 8 * qw.shape[1];
    L->in = in;
    L->exact = exact_type(4, true, !cfg_bool(qcfg, "zero_point", true),
                          in % ngroups ? 1 : in / ngroups, in, sc.dtype);
    return LQ_OK;
}

static lq_status shape_bnb4(const char *fn, const lq__json *qcfg, const lq_safetensors *st,
                            const char *prefix, lq__hf_qlayer *L)
{
    (void)qcfg;
    L->exact = -1; /* NF4/FP4 levels are no ggml type's */
    return lq__hf_bnb4_shape(fn, st, prefix, &L->out, &L->in);
}

static lq_status shape_int8(const char *fn, const lq__json *qcfg, const lq_safetensors *st,
                            const char *prefix, lq__hf_qlayer *L)
{
    (void)qcfg;
    lq__hf_part w;
    lq_status s = lq__hf_find(st, prefix, "weight", "I8", 2, &w);
    if (s != LQ_OK) {
        lq__error_prefix(fn);
        return s;
    }
    L->out = w.shape[0];
    L->in = w.shape[1];
    L->exact = -1; /* the scale SCB / 127 is no f16 */
    return LQ_OK;
}

static lq_status shape_nvfp4(const char *fn, const lq__json *qcfg, const lq_safetensors *st,
                             const char *prefix, lq__hf_qlayer *L)
{
    (void)qcfg;
    lq__hf_part w;
    lq_status s = lq__hf_find(st, prefix, "weight_packed", "U8", 2, &w);
    if (s != LQ_OK) {
        lq__error_prefix(fn);
        return s;
    }
    L->out = w.shape[0];
    L->in = 2 * w.shape[1];
    if (L->in % 64) /* the converter would cut the rows' last blocks */
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: '%s' has %lld columns; ggml's NVFP4 blocks take "
                        "multiples of 64", fn, prefix, (long long)L->in);
    L->exact = LQ_TYPE_NVFP4;
    return LQ_OK;
}

static lq_status blocks_nvfp4(const char *fn, const lq_safetensors *st, const char *prefix,
                              const lq__hf_qlayer *L, uint8_t *dst)
{
    float global; /* the layer's ".scale" tensor, not the blocks' */
    return lq__hf_nvfp4_blocks(fn, st, prefix, L->out, L->in, dst, &global);
}

/* llm-compressor's NVFP4: the converter keeps the codes and UE4M3 scales as
 * NVFP4 blocks (Q/K rows reordered whole for the Llama class) and writes
 * 1 / global scale as "<name>.scale", which llama.cpp's graph multiplies the
 * product by; file type MOSTLY_NVFP4 (39) */
static const struct kept_layers nvfp4_kept = {
    blocks_nvfp4, {{"weight_global_scale", "scale"}, {"input_global_scale", "input_scale"}}, 39};

/* ---- the table --------------------------------------------------------------- */

static const lq__hf_qscheme SCHEMES[] = {
    /* AutoGPTQ's v1 stores zero - 1; a config without checkpoint_format is v1 */
    {"gptq", "checkpoint_format", "gptq", true, LQ_HF_GPTQ, "qweight", NULL,
     {".qzeros", ".scales", ".g_idx", NULL}, shape_gptq, NULL},
    {"gptq", "checkpoint_format", "gptq_v2", false, LQ_HF_GPTQ_V2, "qweight", NULL,
     {".qzeros", ".scales", ".g_idx", NULL}, shape_gptq, NULL},
    {"awq", "version", "gemm", true, LQ_HF_AWQ, "qweight", NULL,
     {".qzeros", ".scales", NULL}, shape_awq, NULL},
    {"bitsandbytes", "load_in_4bit", NULL, false, LQ_HF_BNB4, "weight", "U8",
     {".weight.absmax", ".weight.quant_map", ".weight.nested_absmax", ".weight.nested_quant_map",
      ".weight.quant_state.bitsandbytes__nf4", ".weight.quant_state.bitsandbytes__fp4", NULL},
     shape_bnb4, NULL},
    {"bitsandbytes", "load_in_8bit", NULL, false, LQ_HF_INT8, "weight", "I8",
     {".SCB", ".weight_format", NULL}, shape_int8, NULL},
    {"compressed-tensors", "format", "nvfp4-pack-quantized", false, LQ_HF_NVFP4, "weight_packed",
     "U8", {".weight_scale", ".weight_global_scale", ".input_global_scale", NULL}, shape_nvfp4,
     &nvfp4_kept},
};

static bool row_matches(const lq__hf_qscheme *r, const lq__json *qcfg)
{
    if (!lq__json_is_str(lq__json_get(qcfg, "quant_method"), r->method))
        return false;
    const lq__json *v = r->key ? lq__json_get(qcfg, r->key) : NULL;
    if (!r->key || (!v && r->absent_ok))
        return true;
    return r->value ? lq__json_is_str(v, r->value) : v && v->kind == LQ__JSON_BOOL && v->boolean;
}

lq_status lq__hf_qscheme_of(const char *fn, const lq__json *qcfg, const lq__hf_qscheme **out)
{
    *out = NULL;
    if (!qcfg)
        return LQ_OK;
    if (qcfg->kind != LQ__JSON_OBJECT)
        return lq__fail(LQ_ERR_FORMAT, "%s: config.json: quantization_config is %s, not an "
                        "object", fn, lq__json_kind_name(qcfg->kind));
    if (lq__hf_fp8_known(qcfg))
        return LQ_OK;
    for (size_t i = 0; i < sizeof SCHEMES / sizeof *SCHEMES; i++)
        if (row_matches(&SCHEMES[i], qcfg)) {
            *out = &SCHEMES[i];
            return LQ_OK;
        }
    const lq__json *m = lq__json_get(qcfg, "quant_method");
    return lq__fail(LQ_ERR_UNSUPPORTED, "%s: config.json: quantization_config with quant_method "
                    "'%.64s' is not read; read are gptq (checkpoint_format gptq, gptq_v2), awq "
                    "(version gemm), bitsandbytes (load_in_4bit, load_in_8bit), fp8 (with "
                    "weight_block_size) and compressed-tensors float-quantized and "
                    "nvfp4-pack-quantized", fn,
                    m && m->kind == LQ__JSON_STRING ? m->str : "(none)");
}

int lq__hf_qscheme_format(const lq__hf_qscheme *q) { return q->format; }

bool lq__hf_qscheme_kept(const lq__hf_qscheme *q) { return q->kept != NULL; }

uint32_t lq__hf_qscheme_ftype(const lq__hf_qscheme *q) { return q->kept ? q->kept->ftype : 0; }

const char *lq__hf_qscheme_scalar_suffix(const lq__hf_qscheme *q, int k)
{
    return q->kept && k >= 0 && k < 2 ? q->kept->scalars[k].suffix : NULL;
}

lq_status lq__hf_qscheme_scalar(const char *fn, const lq__hf_qscheme *q, const lq_safetensors *st,
                                const char *prefix, int k, float *value)
{
    *value = 1.0f;
    char name[LQ_MAX_NAME + 1];
    const char *part = q->kept->scalars[k].part;
    if (!lq__hf_name(name, prefix, part) || lq_safetensors_find_tensor(st, name) < 0)
        return LQ_OK;
    lq__hf_part p;
    lq_status s = lq__hf_find(st, prefix, part, "F32,F16,BF16", -1, &p);
    if (s != LQ_OK) {
        lq__error_prefix(fn);
        return s;
    }
    if (p.nbytes != (strcmp(p.dtype, "F32") == 0 ? 4u : 2u))
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s' holds %llu bytes, not one value", fn, name,
                        (unsigned long long)p.nbytes);
    float v = lq__hf_float(&p, 0);
    if (!(isfinite(v) && v != 0.0f))
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s' = %g divides no scale", fn, name, (double)v);
    *value = 1.0f / v; /* in float32, as torch divides a float32 tensor */
    return LQ_OK;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && memcmp(s + n - t, tail, t) == 0;
}

bool lq__hf_qscheme_companion(const lq__hf_qscheme *q, const char *name)
{
    for (int i = 0; q->companions[i]; i++)
        if (ends_with(name, q->companions[i]))
            return true;
    return false;
}

bool lq__hf_qscheme_anchor(const lq__hf_qscheme *q, const lq_safetensors *st, int64_t i,
                           char *weight, char *prefix)
{
    const char *name = lq_safetensors_tensor_name(st, i);
    size_t n = strlen(name), a = strlen(q->anchor);
    if (n <= a + 1 || name[n - a - 1] != '.' || strcmp(name + n - a, q->anchor) != 0 ||
        n - a - 1 > LQ_MAX_NAME - strlen(".weight"))
        return false;
    /* an unquantized layer (lm_head, modules_to_not_convert) keeps its float
     * "weight": only the codes' dtype marks the quantized ones */
    if (q->anchor_dtype && strcmp(lq_safetensors_tensor_dtype(st, i), q->anchor_dtype) != 0)
        return false;
    memcpy(prefix, name, n - a - 1);
    prefix[n - a - 1] = '\0';
    snprintf(weight, LQ_MAX_NAME + 1, "%s.weight", prefix);
    return true;
}

lq_status lq__hf_qscheme_layer(const char *fn, const lq__hf_qscheme *q, const lq__json *qcfg,
                               const lq_safetensors *st, const char *prefix, lq__hf_qlayer *L)
{
    memset(L, 0, sizeof *L);
    return q->shape(fn, qcfg, st, prefix, L);
}

/* ---- decoding ------------------------------------------------------------------ */

lq_status lq__hf_qscheme_decode(const lq__hf_qscheme *q, const lq_safetensors *st,
                                const char *prefix, const lq__hf_qlayer *L, float *dst)
{
    const int64_t n = L->out * L->in;
    lq_status s = lq_hf_dequantize(st, q->format, prefix, dst, n);
    for (int64_t i = 0; s == LQ_OK && i < n; i++)
        if (!isfinite(dst[i]))
            s = lq__fail(LQ_ERR_FORMAT, "'%s' decodes to %g at [%lld, %lld]", prefix, dst[i],
                         (long long)(i / L->in), (long long)(i % L->in));
    return s;
}

static void put_f16(uint8_t *p, float v)
{
    uint16_t h = lq__f32_to_f16(v);
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
}

/* The promises of exact_type, checked on the data. */
static lq_status check_exact(const char *prefix, const lq__hf_int *h, int type)
{
    const int64_t group = h->group;
    if (group % 32 || group * h->ngroups != h->in)
        return lq__fail(LQ_ERR_FORMAT, "'%s': %lld groups do not split %lld columns into "
                        "multiples of 32", prefix, (long long)h->ngroups, (long long)h->in);
    for (int64_t c = 0; c < h->in; c++)
        if (h->g_idx[c] != c / group)
            return lq__fail(LQ_ERR_FORMAT, "'%s': g_idx[%lld] = %d, but quantization_config "
                            "promises columns in order (group %lld)", prefix, (long long)c,
                            (int)h->g_idx[c], (long long)(c / group));
    const int32_t mid = type == LQ_TYPE_Q8_0 ? 128 : 8;
    for (int64_t i = 0; i < h->ngroups * h->out; i++) {
        if (type != LQ_TYPE_Q4_1 && h->zeros[i] != mid)
            return lq__fail(LQ_ERR_FORMAT, "'%s': zero point %d in a layer quantization_config "
                            "calls symmetric (every zero point %d)", prefix, (int)h->zeros[i],
                            (int)mid);
        /* the offset -scale * zero must be a finite f16 (scale times a 4-bit
         * zero is exact in f32, then rounded once) */
        float v = h->scales[i];
        if (!isfinite(v) || (type == LQ_TYPE_Q4_1 &&
                             !isfinite(lq__f16_to_f32(lq__f32_to_f16(-v * (float)h->zeros[i])))))
            return lq__fail(LQ_ERR_FORMAT, "'%s': scale %g with zero point %d is beyond f16",
                            prefix, v, (int)h->zeros[i]);
    }
    return LQ_OK;
}

/* ggml's blocks of 32 (ggml-common.h): Q4_0 {f16 d; u8 qs[16]}, Q4_1
 * {f16 d, m; u8 qs[16]}, element j in the low nibble of qs[j] and j + 16 in
 * the high one, value d * (q - 8) resp. d * q + m; Q8_0 {f16 d; i8 qs[32]},
 * value d * q. */
static void write_blocks(const lq__hf_int *h, int type, uint8_t *dst)
{
    const int64_t nb = h->in / 32;
    const size_t bytes = type == LQ_TYPE_Q4_0 ? 18 : type == LQ_TYPE_Q4_1 ? 20 : 34;
    for (int64_t o = 0; o < h->out; o++) {
        const uint8_t *codes = h->codes + o * h->in;
        for (int64_t b = 0; b < nb; b++) {
            uint8_t *blk = dst + (size_t)(o * nb + b) * bytes;
            const int64_t p = (b * 32 / h->group) * h->out + o;
            const float scale = h->scales[p];
            const uint8_t *q = codes + b * 32;
            put_f16(blk, scale); /* exact: the scales are F16 */
            if (type == LQ_TYPE_Q8_0) {
                for (int j = 0; j < 32; j++)
                    blk[2 + j] = (uint8_t)(int8_t)(q[j] - 128);
                continue;
            }
            uint8_t *qs = blk + 2;
            if (type == LQ_TYPE_Q4_1) {
                put_f16(blk + 2, -scale * (float)h->zeros[p]);
                qs = blk + 4;
            }
            for (int j = 0; j < 16; j++)
                qs[j] = (uint8_t)(q[j] | q[j + 16] << 4);
        }
    }
}

lq_status lq__hf_qscheme_exact(const lq__hf_qscheme *q, const lq_safetensors *st,
                               const char *prefix, const lq__hf_qlayer *L, uint8_t *dst)
{
    static const char fn[] = "exact";
    if (q->kept)
        return q->kept->blocks(fn, st, prefix, L, dst);
    const lq__hf_layout *l = lq__hf_layout_of(q->format);
    lq__hf_int h;
    lq_status s = l->read_int(fn, l, st, prefix, &h);
    if (s != LQ_OK)
        return s;
    if (h.out != L->out || h.in != L->in)
        s = lq__fail(LQ_ERR_FORMAT, "'%s': [%lld, %lld] when opened, [%lld, %lld] now", prefix,
                     (long long)L->out, (long long)L->in, (long long)h.out, (long long)h.in);
    if (s == LQ_OK)
        s = check_exact(prefix, &h, L->exact);
    if (s == LQ_OK)
        write_blocks(&h, L->exact, dst);
    lq__hf_int_free(&h);
    return s;
}
