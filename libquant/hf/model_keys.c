/* model_keys.c — the metadata convert_hf_to_gguf.py writes for a model
 * folder, in its order: general.*, the architecture's keys, the file type,
 * then the tokenizer's keys (tokenizer_keys.h). */
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "../core/ftype_list.h"
#include "model.h"
#include "tokenizer_keys.h"

/* llama.cpp's file type of a file whose weights are all `type` (the row of
 * ftype_list.h named after the type itself). */
static uint32_t file_type_of(lq_type type)
{
#define LQ__PURE(N, n, id, t) if (strcmp(#N, #t) == 0 && type == LQ_TYPE_##t) return id;
    LQ__FTYPES(LQ__PURE)
#undef LQ__PURE
    return 0;
}

/* The type general.file_type names: the outtype, or with LQ_HF_EXACT_QUANT
 * the type that holds the most weights (a GPTQ model kept as Q4_0 is
 * "mostly Q4_0", as llama-quantize would call it). */
static lq_type main_type(const lq__hf_model *m)
{
    if (!m->exact)
        return m->outtype;
    lq_type best = m->outtype;
    int64_t best_n = 0;
    for (int64_t i = 0; i < m->n_out; i++) {
        const lq_type t = m->out[i].type;
        int64_t n = 0;
        for (int64_t j = 0; j < m->n_out; j++)
            if (m->out[j].ndim == 2 && m->out[j].type == t)
                n += m->out[j].rows * m->out[j].cols;
        if (n > best_n) {
            best = t;
            best_n = n;
        }
    }
    return best;
}

/* general.file_type: the main type's, or at a float outtype the file type
 * the converter names a model of kept layers by (NVFP4). */
static uint32_t file_type(const lq__hf_model *m)
{
    uint32_t kept = m->qscheme ? lq__hf_qscheme_ftype(m->qscheme) : 0;
    if (kept && (m->outtype == LQ_TYPE_F32 || m->outtype == LQ_TYPE_F16 ||
                 m->outtype == LQ_TYPE_BF16))
        return kept;
    return file_type_of(main_type(m));
}

/* generation_config.json's sampling values, in the order gguf-py writes
 * them (before general.name); a second JSON name is read when the first is
 * absent. */
static const struct {
    const char *json, *json_alt, *key;
    int type; /* LQ_GGUF_TYPE_STRING, _I32 or _F32 */
} sampling[] = {
    {"sequence", NULL, "general.sampling.sequence", LQ_GGUF_TYPE_STRING},
    {"top_k", NULL, "general.sampling.top_k", LQ_GGUF_TYPE_I32},
    {"top_p", NULL, "general.sampling.top_p", LQ_GGUF_TYPE_F32},
    {"min_p", NULL, "general.sampling.min_p", LQ_GGUF_TYPE_F32},
    {"xtc_probability", NULL, "general.sampling.xtc_probability", LQ_GGUF_TYPE_F32},
    {"xtc_threshold", NULL, "general.sampling.xtc_threshold", LQ_GGUF_TYPE_F32},
    {"temperature", NULL, "general.sampling.temp", LQ_GGUF_TYPE_F32},
    {"penalty_last_n", NULL, "general.sampling.penalty_last_n", LQ_GGUF_TYPE_I32},
    {"penalty_repeat", "repetition_penalty", "general.sampling.penalty_repeat", LQ_GGUF_TYPE_F32},
    {"mirostat", NULL, "general.sampling.mirostat", LQ_GGUF_TYPE_I32},
    {"mirostat_tau", NULL, "general.sampling.mirostat_tau", LQ_GGUF_TYPE_F32},
    {"mirostat_eta", NULL, "general.sampling.mirostat_eta", LQ_GGUF_TYPE_F32},
};

static lq_status sampling_keys(const char *fn, const lq__hf_model *m, lq_gguf *g)
{
    const lq__json *gen = m->gen_doc ? lq__json_root(m->gen_doc) : NULL;
    lq_status st = LQ_OK;
    for (size_t i = 0; gen && st == LQ_OK && i < sizeof sampling / sizeof *sampling; i++) {
        const lq__json *v = lq__json_get(gen, sampling[i].json);
        if (!v && sampling[i].json_alt)
            v = lq__json_get(gen, sampling[i].json_alt);
        if (!v || v->kind == LQ__JSON_NULL)
            continue;
        int t = sampling[i].type;
        bool fits = t == LQ_GGUF_TYPE_STRING ? v->kind == LQ__JSON_STRING && !memchr(v->str, 0, v->len)
                    : t == LQ_GGUF_TYPE_I32  ? v->kind == LQ__JSON_INT && v->integer >= INT32_MIN &&
                                                  v->integer <= INT32_MAX
                                             : v->kind == LQ__JSON_INT || v->kind == LQ__JSON_REAL;
        if (!fits)
            return lq__fail(LQ_ERR_FORMAT, "%s: generation_config.json: '%s' is %s, not a%s", fn,
                            sampling[i].json, lq__json_kind_name(v->kind),
                            t == LQ_GGUF_TYPE_STRING ? " string" : t == LQ_GGUF_TYPE_I32
                                                                       ? " 32-bit integer"
                                                                       : " number");
        if (t == LQ_GGUF_TYPE_STRING)
            st = lq_gguf_set_string(g, sampling[i].key, v->str);
        else if (t == LQ_GGUF_TYPE_I32)
            st = lq_gguf_set_i32(g, sampling[i].key, (int32_t)v->integer);
        else
            st = lq_gguf_set_f32(g, sampling[i].key, (float)v->real);
    }
    return st;
}

static lq_status set_str(lq_status st, lq_gguf *g, const char *key, const char *v)
{
    return st == LQ_OK && v[0] ? lq_gguf_set_string(g, key, v) : st;
}

static lq_status key(lq_status st, lq_gguf *g, const char *arch, const char *k, uint32_t v)
{
    char name[128];
    snprintf(name, sizeof name, "%s.%s", arch, k);
    return st == LQ_OK ? lq_gguf_set_u32(g, name, v) : st;
}

static lq_status key_f32(lq_status st, lq_gguf *g, const char *arch, const char *k, double v)
{
    char name[128];
    snprintf(name, sizeof name, "%s.%s", arch, k);
    return st == LQ_OK ? lq_gguf_set_f32(g, name, (float)v) : st;
}

lq_status lq__hf_model_keys(const char *fn, const lq__hf_model *m, lq_gguf *g)
{
    const lq__hf_cfg *c = &m->cfg;
    const char *a = m->arch->gguf_arch;
    int64_t params = 0;
    for (int64_t i = 0; i < m->n_out; i++)
        params += m->out[i].rows * m->out[i].cols;
    lq__hf_naming n;
    lq__hf_naming_of(m, params, &n);

    lq_status st = lq_gguf_set_string(g, "general.architecture", a);
    if (st == LQ_OK)
        st = lq_gguf_set_string(g, "general.type", "model");
    if (st == LQ_OK)
        st = sampling_keys(fn, m, g);
    if (st == LQ_OK)
        st = lq_gguf_set_string(g, "general.name", n.name);
    st = set_str(st, g, "general.version", n.version);
    st = set_str(st, g, "general.organization", n.organization);
    st = set_str(st, g, "general.finetune", n.finetune);
    st = set_str(st, g, "general.basename", n.basename);
    st = set_str(st, g, "general.size_label", n.size_label);
    st = key(st, g, a, "block_count", (uint32_t)c->n_layer);
    if (c->has_ctx)
        st = key(st, g, a, "context_length", (uint32_t)c->n_ctx);
    st = key(st, g, a, "embedding_length", (uint32_t)c->n_embd);
    st = key(st, g, a, "feed_forward_length", (uint32_t)c->n_ff);
    st = key(st, g, a, "attention.head_count", (uint32_t)c->n_head);
    if (c->has_head_kv)
        st = key(st, g, a, "attention.head_count_kv", (uint32_t)c->n_head_kv);
    if (c->has_theta)
        st = key_f32(st, g, a, "rope.freq_base", c->rope_theta);
    if (c->has_eps)
        st = key_f32(st, g, a, "attention.layer_norm_rms_epsilon", c->rms_eps);
    if (c->has_head_dim) {
        st = key(st, g, a, "attention.key_length", (uint32_t)c->head_dim);
        st = key(st, g, a, "attention.value_length", (uint32_t)c->head_dim);
    }
    if (st == LQ_OK)
        st = lq_gguf_set_u32(g, "general.file_type", file_type(m));
    if (m->arch->llama) {
        st = key(st, g, a, "vocab_size", (uint32_t)c->n_vocab);
        st = key(st, g, a, "rope.dimension_count", (uint32_t)c->head_dim);
    }
    if (st == LQ_OK)
        st = lq_gguf_set_u32(g, "general.quantization_version", 2);
    if (st == LQ_OK)
        st = lq__hf_tokenizer_keys(m->dir, a, c->n_vocab, g);
    if (st != LQ_OK && lq_last_error()[0] && strncmp(lq_last_error(), fn, strlen(fn)) != 0)
        lq__error_prefix(fn);
    return st;
}
