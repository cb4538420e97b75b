/* model_tensors.c — the tensors of a Hugging Face checkpoint as the
 * converter writes them: GGUF names, order, types and shapes, and their
 * bytes made on demand (dtype decoded, Q/K rows reordered for the Llama
 * class, narrowed or quantized to the output type). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <lq/lq_hf.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/half.h"
#include "../formats/codec.h"
#include "../io/safetensors_internal.h"
#include "fp8_weights.h"
#include "model.h"

/* ---- names ---- */

/* Sizes a tensor's dimensions must have, from config.json. */
enum { D_VOCAB = 1, D_EMBD, D_Q, D_KV, D_FF, D_HEAD };

typedef struct name_row {
    const char *hf, *gguf;  /* after "model.layers.N." / "blk.N." for layer rows */
    int extras;             /* LQ__HF_* needed, 0 for every class */
    char qk;                /* 'q', 'k': rows reordered (Llama class), else 0 */
    int dims[2];            /* outermost first; dims[1] = 0 for 1-D */
} name_row;

static const name_row globals[] = {
    {"model.embed_tokens.weight", "token_embd.weight", 0, 0, {D_VOCAB, D_EMBD}},
    {"lm_head.weight", "output.weight", 0, 0, {D_VOCAB, D_EMBD}},
    {"model.norm.weight", "output_norm.weight", 0, 0, {D_EMBD, 0}},
};

static const name_row layer_rows[] = {
    {"input_layernorm.weight", "attn_norm.weight", 0, 0, {D_EMBD, 0}},
    {"post_attention_layernorm.weight", "ffn_norm.weight", 0, 0, {D_EMBD, 0}},
    {"self_attn.q_proj.weight", "attn_q.weight", 0, 'q', {D_Q, D_EMBD}},
    {"self_attn.k_proj.weight", "attn_k.weight", 0, 'k', {D_KV, D_EMBD}},
    {"self_attn.v_proj.weight", "attn_v.weight", 0, 0, {D_KV, D_EMBD}},
    {"self_attn.o_proj.weight", "attn_output.weight", 0, 0, {D_EMBD, D_Q}},
    {"mlp.gate_proj.weight", "ffn_gate.weight", 0, 0, {D_FF, D_EMBD}},
    {"mlp.up_proj.weight", "ffn_up.weight", 0, 0, {D_FF, D_EMBD}},
    {"mlp.down_proj.weight", "ffn_down.weight", 0, 0, {D_EMBD, D_FF}},
    {"self_attn.q_proj.bias", "attn_q.bias", LQ__HF_QKV_BIAS, 'q', {D_Q, 0}},
    {"self_attn.k_proj.bias", "attn_k.bias", LQ__HF_QKV_BIAS, 'k', {D_KV, 0}},
    {"self_attn.v_proj.bias", "attn_v.bias", LQ__HF_QKV_BIAS, 0, {D_KV, 0}},
    {"self_attn.q_norm.weight", "attn_q_norm.weight", LQ__HF_QK_NORM, 0, {D_HEAD, 0}},
    {"self_attn.k_norm.weight", "attn_k_norm.weight", LQ__HF_QK_NORM, 0, {D_HEAD, 0}},
};

static int64_t dim_size(const lq__hf_cfg *c, int d)
{
    switch (d) {
    case D_VOCAB: return c->n_vocab;
    case D_EMBD: return c->n_embd;
    case D_Q: return c->n_head * c->head_dim;
    case D_KV: return c->n_head_kv * c->head_dim;
    case D_FF: return c->n_ff;
    case D_HEAD: return c->head_dim;
    default: return 0;
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The row of checkpoint name `hf` and its layer (-1 for none); NULL when the
 * converter has no GGUF name for it in this class. */
static const name_row *map_name(const lq__hf_model *m, const char *hf, int64_t *layer)
{
    *layer = -1;
    for (size_t i = 0; i < sizeof globals / sizeof *globals; i++)
        if (strcmp(hf, globals[i].hf) == 0)
            return &globals[i];
    /* "model.layers.N." with N in plain decimal, as the converter's name
     * patterns spell it (no sign, no leading zero) */
    static const char prefix[] = "model.layers.";
    if (strncmp(hf, prefix, sizeof prefix - 1) != 0)
        return NULL;
    const char *p = hf + sizeof prefix - 1;
    int64_t n = 0;
    size_t digits = 0;
    while (isdigit((unsigned char)p[digits]) && digits < 10)
        n = n * 10 + (p[digits++] - '0');
    if (!digits || p[digits] != '.' || (p[0] == '0' && digits > 1))
        return NULL;
    size_t used = (size_t)(p - hf) + digits + 1;
    for (size_t i = 0; i < sizeof layer_rows / sizeof *layer_rows; i++) {
        const name_row *r = &layer_rows[i];
        if ((r->extras & ~m->arch->extras) == 0 && strcmp(hf + used, r->hf) == 0) {
            *layer = n;
            return r;
        }
    }
    return NULL;
}

/* ---- checkpoint dtypes: one row each ---- */

static void dec_f32(const uint8_t *s, float *d, int64_t n) { memcpy(d, s, (size_t)n * 4); }

static void dec_f16(const uint8_t *s, float *d, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        d[i] = lq__f16_to_f32((uint16_t)(s[2 * i] | s[2 * i + 1] << 8));
}

static void dec_bf16(const uint8_t *s, float *d, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        d[i] = lq__bf16_to_f32((uint16_t)(s[2 * i] | s[2 * i + 1] << 8));
}

typedef struct dtype_row {
    const char *name;       /* as safetensors spells it */
    int bytes;
    void (*decode)(const uint8_t *src, float *dst, int64_t n);
    /* the output type the converter writes these bytes to unchanged: it keeps
     * F32 and F16 data as they are and widens the rest to F32 first */
    lq_type kept;
    lq_type own; /* the type of these bytes (LQ__HF_STORED_TYPES) */
} dtype_row;

/* FP8 weights (F8_E4M3) have no row: they are decoded whole with the scale
 * stored beside them (fp8_weights.h), then converted as F32 rows. */
static const dtype_row dtypes[] = {
    {"F32", 4, dec_f32, LQ_TYPE_F32, LQ_TYPE_F32},
    {"F16", 2, dec_f16, LQ_TYPE_F16, LQ_TYPE_F16},
    {"BF16", 2, dec_bf16, (lq_type)-1, LQ_TYPE_BF16},
};

static bool is_fp8(const char *dtype) { return strcmp(dtype, "F8_E4M3") == 0; }

/* config.json's quantization_config, NULL when absent */
static const lq__json *quant_config(const lq__hf_model *m)
{
    return lq__json_get(lq__json_root(m->cfg_doc), "quantization_config");
}

static const dtype_row *dtype_find(const char *name)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (strcmp(dtypes[i].name, name) == 0)
            return &dtypes[i];
    return NULL;
}

/* ---- output types ---- */

static void enc_f32(const float *x, uint8_t *y, int64_t n) { memcpy(y, x, (size_t)n * 4); }

static void enc_f16(const float *x, uint8_t *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        uint16_t h = lq__f32_to_f16(x[i]);
        y[2 * i] = (uint8_t)h;
        y[2 * i + 1] = (uint8_t)(h >> 8);
    }
}

static void enc_bf16(const float *x, uint8_t *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        uint16_t h = lq__f32_to_bf16(x[i]);
        y[2 * i] = (uint8_t)h;
        y[2 * i + 1] = (uint8_t)(h >> 8);
    }
}

/* gguf-py's Q8_0 is bit-exact with ggml's reference quantizer, which the
 * codec is */
static void enc_q8_0(const float *x, uint8_t *y, int64_t n)
{
    lq__codec_for(LQ_TYPE_Q8_0)->quantize_row(x, y, n, NULL);
}

typedef struct out_row {
    lq_type type;
    /* NULL: written only as a quantized layer's exact blocks (quant_weights.h),
     * never an outtype */
    void (*encode)(const float *x, uint8_t *y, int64_t n);
    int block_elems, block_bytes;
} out_row;

static const out_row outs[] = {
    {LQ_TYPE_F32, enc_f32, 1, 4},
    {LQ_TYPE_F16, enc_f16, 1, 2},
    {LQ_TYPE_BF16, enc_bf16, 1, 2},
    {LQ_TYPE_Q8_0, enc_q8_0, 32, 34},
    {LQ_TYPE_Q4_0, NULL, 32, 18},
    {LQ_TYPE_Q4_1, NULL, 32, 20},
    {LQ_TYPE_NVFP4, NULL, 64, 36},
};

static const out_row *out_find(lq_type t)
{
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++)
        if (outs[i].type == t)
            return &outs[i];
    return NULL;
}

static bool is_outtype(int t)
{
    const out_row *r = t >= 0 ? out_find((lq_type)t) : NULL;
    return r && r->encode;
}

/* --outtype auto: the first tensor of 2 or more dimensions stored as BF16 or
 * F16 decides; an all-F32 checkpoint gives F16. */
static lq_type auto_type(const lq__hf_model *m)
{
    for (int64_t k = 0; k < m->n_order; k++) {
        int64_t i = m->order[k];
        const char *dt = lq_safetensors_tensor_dtype(m->st, i);
        if (lq_safetensors_tensor_ndim(m->st, i) < 2)
            continue;
        if (strcmp(dt, "BF16") == 0)
            return LQ_TYPE_BF16;
        if (strcmp(dt, "F16") == 0)
            return LQ_TYPE_F16;
    }
    return LQ_TYPE_F16;
}

/* The converter's type rule: 1-D tensors, norms and anything not a weight
 * stay F32; Q8_0 falls back to F16 on rows that are not whole blocks. */
static lq_type type_of(const lq__hf_out *o, lq_type outtype)
{
    if (o->ndim <= 1 || ends_with(o->name, "_norm.weight") || !ends_with(o->name, ".weight"))
        return LQ_TYPE_F32;
    if (outtype == LQ_TYPE_Q8_0 && o->cols % 32)
        return LQ_TYPE_F16;
    return outtype;
}

/* LQ__HF_STORED_TYPES: a plain tensor's own type (F32, F16, BF16); F32 for
 * the ones that are decoded (quantized layers, FP8) or made (rope_freqs). */
static lq_type stored_type(const lq__hf_model *m, const lq__hf_out *o)
{
    const dtype_row *d = o->quant || o->src < 0
                             ? NULL
                             : dtype_find(lq_safetensors_tensor_dtype(m->st, o->src));
    return d ? d->own : LQ_TYPE_F32;
}

static lq_status add_out(const char *fn, lq__hf_model *m, lq__hf_out *o)
{
    lq__hf_out *grown = lq__grow(m->out, m->n_out, &m->cap_out, sizeof *grown);
    if (!grown)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    m->out = grown;
    m->out[m->n_out++] = *o;
    return LQ_OK;
}

/* One checkpoint tensor (index i, named hf, of nd dimensions `dims`): its
 * GGUF name, checked against config.json. */
static lq_status map_tensor(const char *fn, lq__hf_model *m, int64_t i, const char *hf, int nd,
                            const int64_t *dims, lq__hf_out *o)
{
    int64_t layer;
    const name_row *r = map_name(m, hf, &layer);
    if (!r)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: tensor '%.200s' has no GGUF name in a %s model",
                        fn, hf, m->arch->hf_class);
    if (layer >= m->cfg.n_layer)
        return lq__fail(LQ_ERR_SHAPE, "%s: tensor '%.200s' is in layer %lld, but config.json "
                        "has %lld layers", fn, hf, (long long)layer, (long long)m->cfg.n_layer);
    memset(o, 0, sizeof *o);
    if (layer >= 0)
        snprintf(o->name, sizeof o->name, "blk.%lld.%s", (long long)layer, r->gguf);
    else
        snprintf(o->name, sizeof o->name, "%s", r->gguf);
    o->src = i;
    o->ndim = r->dims[1] ? 2 : 1;
    bool fits = nd == o->ndim;
    for (int d = 0; fits && d < nd; d++)
        fits = dims[d] == dim_size(&m->cfg, r->dims[d]);
    if (!fits) {
        char want[64], got[64] = "";
        snprintf(want, sizeof want, o->ndim == 2 ? "[%lld, %lld]" : "[%lld]",
                 (long long)dim_size(&m->cfg, r->dims[0]), (long long)dim_size(&m->cfg, r->dims[1]));
        for (int d = 0, n = 0; d < nd && n < (int)sizeof got; d++)
            n += snprintf(got + n, sizeof got - (size_t)n, "%s%lld", d ? ", " : "",
                          (long long)dims[d]);
        return lq__fail(LQ_ERR_SHAPE, "%s: tensor '%.200s' has shape [%s], but config.json "
                        "makes it %s", fn, hf, got, want);
    }
    o->rows = dims[0];
    o->cols = o->ndim == 2 ? dims[1] : 1;
    if (m->arch->llama && r->qk)
        o->heads = r->qk == 'q' ? m->cfg.n_head : m->cfg.n_head_kv;
    return LQ_OK;
}

/* A plain checkpoint tensor. */
static lq_status map_plain(const char *fn, lq__hf_model *m, int64_t i, lq__hf_out *o)
{
    const char *hf = lq_safetensors_tensor_name(m->st, i);
    const char *dt = lq_safetensors_tensor_dtype(m->st, i);
    if (!dtype_find(dt) && !(is_fp8(dt) && quant_config(m) && !m->qscheme))
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: tensor '%.200s' is stored as %s; F32, F16, "
                        "BF16 and F8_E4M3 with a quantization_config are read", fn, hf, dt);
    int nd = lq_safetensors_tensor_ndim(m->st, i);
    int64_t dims[8];
    for (int d = 0; d < nd && d < 8; d++)
        dims[d] = lq_safetensors_tensor_dim(m->st, i, d);
    return map_tensor(fn, m, i, hf, nd > 8 ? 8 : nd, dims, o);
}

/* The codes of a quantized layer: the layer's weight, of the shape its
 * tensors give. */
static lq_status map_quant(const char *fn, lq__hf_model *m, int64_t i, const char *weight,
                           const char *prefix, lq__hf_out *o)
{
    int64_t plain = lq_safetensors_find_tensor(m->st, weight);
    if (plain >= 0 && plain != i)
        return lq__fail(LQ_ERR_FORMAT, "%s: layer '%.200s' is stored twice: as '%.200s' and "
                        "quantized as '%.200s'", fn, prefix, weight,
                        lq_safetensors_tensor_name(m->st, i));
    lq__hf_qlayer L;
    lq_status st = lq__hf_qscheme_layer(fn, m->qscheme, quant_config(m), m->st, prefix, &L);
    int64_t dims[2] = {L.out, L.in};
    /* (a name of a 1-D tensor fails here: 2 dimensions are not its shape) */
    if (st == LQ_OK)
        st = map_tensor(fn, m, i, weight, 2, dims, o);
    o->quant = true;
    o->layer = L;
    return st;
}

/* After a kept layer's weight: its scalars that are not 1, each an F32 [1]
 * tensor named after the weight ("blk.0.attn_q.scale"), as the converter's
 * _scale_is_trivial decides (|v - 1| < 1e-6, in double). */
static lq_status add_scalars(const char *fn, lq__hf_model *m, const lq__hf_out *w,
                             const char *prefix)
{
    const char *suffix;
    for (int k = 0; (suffix = lq__hf_qscheme_scalar_suffix(m->qscheme, k)); k++) {
        float v;
        lq_status st = lq__hf_qscheme_scalar(fn, m->qscheme, m->st, prefix, k, &v);
        if (st != LQ_OK)
            return st;
        if (fabs((double)v - 1.0) < 1e-6)
            continue;
        lq__hf_out o = {.src = w->src, .scalar = k + 1, .type = LQ_TYPE_F32, .ndim = 1, .rows = 1,
                        .cols = 1};
        size_t stem = strlen(w->name) - strlen(".weight");
        snprintf(o.name, sizeof o.name, "%.*s.%s", (int)stem, w->name, suffix);
        if ((st = add_out(fn, m, &o)) != LQ_OK)
            return st;
    }
    return LQ_OK;
}

/* The checkpoint's plain tensors (pass 0) or its quantized layers (pass 1),
 * in the converter's order. */
static lq_status add_pass(const char *fn, lq__hf_model *m, int pass)
{
    char weight[LQ_MAX_NAME + 1], prefix[LQ_MAX_NAME + 1];
    lq_status st = LQ_OK;
    for (int64_t k = 0; st == LQ_OK && k < m->n_order; k++) {
        int64_t i = m->order[k];
        const char *hf = lq_safetensors_tensor_name(m->st, i);
        if (lq__hf_fp8_is_companion(quant_config(m), hf)) /* scales the FP8 weights take in */
            continue;
        if (ends_with(hf, ".rotary_emb.inv_freq")) /* the converter drops these */
            continue;
        bool quant = m->qscheme && lq__hf_qscheme_anchor(m->qscheme, m->st, i, weight, prefix);
        if (!quant && m->qscheme && lq__hf_qscheme_companion(m->qscheme, hf))
            continue;
        if (quant != (pass == 1))
            continue;
        lq__hf_out o;
        st = quant ? map_quant(fn, m, i, weight, prefix, &o) : map_plain(fn, m, i, &o);
        if (st == LQ_OK)
            st = add_out(fn, m, &o);
        if (st == LQ_OK && quant && lq__hf_qscheme_kept(m->qscheme))
            st = add_scalars(fn, m, &o, prefix);
    }
    return st;
}

lq_status lq__hf_model_tensors(const char *fn, lq__hf_model *m, int outtype, unsigned flags)
{
    if (outtype != LQ_HF_OUTTYPE_AUTO && !is_outtype(outtype))
        return lq__fail(LQ_ERR_INVALID, "%s: outtype %d is none of LQ_TYPE_F32, LQ_TYPE_F16, "
                        "LQ_TYPE_BF16, LQ_TYPE_Q8_0, LQ_HF_OUTTYPE_AUTO", fn, outtype);
    if (flags & ~(unsigned)(LQ_HF_EXACT_QUANT | LQ__HF_STORED_TYPES))
        return lq__fail(LQ_ERR_INVALID, "%s: flags %#x: only LQ_HF_EXACT_QUANT is defined", fn,
                        flags);
    m->exact = flags & LQ_HF_EXACT_QUANT;
    lq_status st = lq__hf_qscheme_of(fn, quant_config(m), &m->qscheme);
    if (st != LQ_OK)
        return st;
    m->outtype = outtype == LQ_HF_OUTTYPE_AUTO ? auto_type(m) : (lq_type)outtype;
    /* The converter's order: layers it keeps in their own type (NVFP4) are
     * written first, in its prepare_tensors; then rope_freqs, the plain
     * tensors, and last the quantized layers it decodes. */
    const bool kept = m->qscheme && lq__hf_qscheme_kept(m->qscheme);
    if (kept)
        st = add_pass(fn, m, 1);
    if (st == LQ_OK && m->arch->llama && m->cfg.llama3_rope) {
        lq__hf_out o = {.src = -1, .ndim = 1, .rows = m->cfg.head_dim / 2, .cols = 1};
        snprintf(o.name, sizeof o.name, "rope_freqs.weight");
        st = add_out(fn, m, &o);
    }
    if (st == LQ_OK)
        st = add_pass(fn, m, 0);
    if (st == LQ_OK && !kept)
        st = add_pass(fn, m, 1);
    for (int64_t i = 0; st == LQ_OK && i < m->n_out; i++) {
        lq__hf_out *o = &m->out[i];
        if (o->scalar)
            continue; /* F32 */
        o->type = (m->exact || kept) && o->quant && o->layer.exact >= 0
                      ? (lq_type)o->layer.exact
                      : type_of(o, flags & LQ__HF_STORED_TYPES ? stored_type(m, o) : m->outtype);
    }
    return st;
}

/* ---- bytes ---- */

/* llama3 rope scaling as the converter computes it, in float32 as torch does
 * (the scalars are rounded to float32 where torch combines them with a
 * float32 tensor). */
static void rope_freqs(const lq__hf_cfg *c, float *dst)
{
    int64_t dim = c->head_dim;
    float low_wavelen = (float)(c->rope_orig / c->rope_low);
    float high_wavelen = (float)(c->rope_orig / c->rope_high);
    for (int64_t i = 0; i < dim / 2; i++) {
        float e = (float)(2 * i) / (float)dim;
        float freq = 1.0f / powf((float)c->rope_theta, e);
        float wavelen = (float)(2 * M_PI) / freq;
        if (wavelen < high_wavelen)
            dst[i] = 1.0f;
        else if (wavelen > low_wavelen)
            dst[i] = (float)c->rope_factor;
        else {
            float smooth = ((float)c->rope_orig / wavelen - (float)c->rope_low) /
                           (float)(c->rope_high - c->rope_low);
            dst[i] = 1.0f / ((1.0f - smooth) / (float)c->rope_factor + smooth);
        }
    }
}

/* Within each head of d rows, GGUF rows 2i and 2i+1 are checkpoint rows i
 * and d/2 + i (the converter's reshape(heads, 2, d/2) and swap of the last
 * two axes). */
int64_t lq__hf_qk_src_row(int64_t rows, int64_t heads, int64_t r)
{
    if (!heads)
        return r;
    int64_t d = rows / heads, h = r / d, j = r % d;
    return h * d + (j % 2) * (d / 2) + j / 2;
}

/* Row r of the output is stored row src_row(r). */
static int64_t src_row(const lq__hf_out *o, int64_t r)
{
    return lq__hf_qk_src_row(o->rows, o->heads, r);
}

/* A quantized layer's rows as stored, into `whole`: F32, or its exact
 * type's blocks when o->type is that type. */
static lq_status read_quant(const lq__hf_model *m, const lq__hf_out *o, void *whole)
{
    char weight[LQ_MAX_NAME + 1], prefix[LQ_MAX_NAME + 1];
    lq__hf_qscheme_anchor(m->qscheme, m->st, o->src, weight, prefix);
    if (o->layer.exact >= 0 && o->type == (lq_type)o->layer.exact)
        return lq__hf_qscheme_exact(m->qscheme, m->st, prefix, &o->layer, whole);
    return lq__hf_qscheme_decode(m->qscheme, m->st, prefix, &o->layer, whole);
}

lq_status lq__hf_tensor_read(const lq__hf_model *m, int64_t i, int64_t r0, int64_t r1,
                             void *dst)
{
    const lq__hf_out *o = &m->out[i];
    if (o->ndim < 2) { /* one row as a GGUF tensor: read whole */
        r0 = 0;
        r1 = o->rows;
    }
    if (o->src < 0) {
        rope_freqs(&m->cfg, dst);
        return LQ_OK;
    }
    if (o->scalar) {
        char weight[LQ_MAX_NAME + 1], prefix[LQ_MAX_NAME + 1];
        lq__hf_qscheme_anchor(m->qscheme, m->st, o->src, weight, prefix);
        return lq__hf_qscheme_scalar("read", m->qscheme, m->st, prefix, o->scalar - 1, dst);
    }
    const void *raw;
    uint64_t nbytes;
    lq_status st = lq_safetensors_tensor_raw(m->st, o->src, &raw, &nbytes);
    if (st != LQ_OK)
        return st;
    const char *dtype = lq_safetensors_tensor_dtype(m->st, o->src);
    const dtype_row *dt = o->quant ? NULL : dtype_find(dtype);
    const out_row *enc = out_find(o->type);
    size_t out_row_bytes = (size_t)(o->cols / enc->block_elems * enc->block_bytes);
    /* an FP8 weight or a quantized layer is decoded whole (scales cover
     * blocks of rows; codes are packed across rows), then taken row by row:
     * as F32, or as the blocks of its exact type (also for a piece of rows) */
    bool whole_first = !dt;
    bool blocks = o->quant && o->layer.exact >= 0 && o->type == (lq_type)o->layer.exact;
    size_t in_row = blocks ? out_row_bytes
                  : (size_t)o->cols * (whole_first ? sizeof(float) : (size_t)dt->bytes);
    float *row = lq__malloc((size_t)o->cols * sizeof *row);
    void *whole = whole_first ? lq__malloc((size_t)o->rows * in_row) : NULL;
    if (!row || (whole_first && !whole)) {
        lq__free(row);
        lq__free(whole);
        return lq__fail(LQ_ERR_NOMEM, "tensor '%s': out of memory converting it", o->name);
    }
    if (o->quant)
        st = read_quant(m, o, whole);
    else if (whole_first)
        st = lq__hf_fp8_decode(quant_config(m), m->st, o->src, whole);
    if (whole_first)
        raw = whole;
    for (int64_t r = r0; st == LQ_OK && r < r1; r++) {
        const uint8_t *s = (const uint8_t *)raw + (size_t)src_row(o, r) * in_row;
        uint8_t *d = (uint8_t *)dst + (size_t)(r - r0) * out_row_bytes;
        if (blocks)
            memcpy(d, s, in_row); /* a row's blocks stay whole under the Q/K row order */
        else if (whole_first)
            enc->encode((const float *)s, d, o->cols);
        else if (dt->kept == o->type)
            memcpy(d, s, in_row);
        else {
            dt->decode(s, row, o->cols);
            enc->encode(row, d, o->cols);
        }
    }
    lq__free(row);
    lq__free(whole);
    /* each tensor is read once per conversion: its input pages need not stay
     * (an FP8 weight's scale is small and may be shared, so it stays) */
    lq__safetensors_tensor_release(m->st, o->src);
    if (st != LQ_OK && st != LQ_ERR_NOMEM && !strstr(lq_last_error(), o->name)) {
        char where[LQ_GGUF_MAX_NAME + 16];
        snprintf(where, sizeof where, "tensor '%s'", o->name);
        lq__error_prefix(where);
    }
    return st;
}
