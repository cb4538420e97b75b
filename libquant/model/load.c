/* load.c — building an lq_model from a GGUF of an architecture in arch.h: hyperparameters,
 * weights, vocabulary and KV cache (lq_model_load, lq_model_from_gguf,
 * lq_model_free, lq_model_set_cache, lq_model_info). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lq/lq_hf.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../hf/model.h"
#include "../io/file.h"
#include "../kernels/dequantize.h"
#include "../methods/mixture_plan.h"
#include "model.h"

/* Largest hyperparameter accepted: keeps every product of a few of them far
 * from overflow, and BLAS sizes inside int. */
#define MAX_DIM ((int64_t)1 << 24)

typedef struct {
    lq_model *m;
    const lq_gguf *g;
    const lq_ctx *ctx;
    int64_t loaded, total; /* tensors, for progress */
    const char *fn;
} loader;

/* "ARCH.suffix" in buf: the architecture's own name for an hparam key. */
static const char *arch_key(const loader *L, const char *suffix, char *buf, size_t size)
{
    snprintf(buf, size, "%s.%s", L->m->hp.arch->name, suffix);
    return buf;
}

static lq_status get_dim(loader *L, const char *suffix, int64_t def, int64_t *out)
{
    char key[96];
    arch_key(L, suffix, key, sizeof key);
    if (lq_gguf_find_key(L->g, key) < 0) {
        if (def < 0)
            return lq__fail(LQ_ERR_FORMAT, "%s: key %s is missing", L->fn, key);
        *out = def;
        return LQ_OK;
    }
    if (lq_gguf_get_int(L->g, key, out) != LQ_OK)
        return lq__fail(LQ_ERR_FORMAT, "%s: key %s is not an integer", L->fn, key);
    if (*out < 1 || *out > MAX_DIM)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s = %lld is outside 1..%lld", L->fn, key,
                        (long long)*out, (long long)MAX_DIM);
    return LQ_OK;
}

static lq_status get_float(loader *L, const char *suffix, double def, float *out)
{
    char key[96];
    arch_key(L, suffix, key, sizeof key);
    if (lq_gguf_find_key(L->g, key) < 0) {
        if (def < 0)
            return lq__fail(LQ_ERR_FORMAT, "%s: key %s is missing", L->fn, key);
        *out = (float)def;
        return LQ_OK;
    }
    if (lq_gguf_get_f32(L->g, key, out) != LQ_OK || !(*out > 0) || *out > 1e30f)
        return lq__fail(LQ_ERR_FORMAT, "%s: key %s is not a positive f32", L->fn, key);
    return LQ_OK;
}

static lq_status find_arch(loader *L)
{
    const char *name;
    if (lq_gguf_find_key(L->g, "general.architecture") < 0 ||
        lq_gguf_get_string(L->g, "general.architecture", &name, NULL) != LQ_OK)
        return lq__fail(LQ_ERR_FORMAT, "%s: general.architecture is missing or not a string", L->fn);
    L->m->hp.arch = lq__arch_find(name);
    if (!L->m->hp.arch) {
        char names[96];
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: architecture '%.32s' (the runner runs %s)", L->fn,
                        name, lq__arch_names(names, sizeof names));
    }
    /* linear and YaRN scaling change every angle (and YaRN the attention
     * scale): refused rather than run wrong */
    char key[96];
    const char *scaling;
    arch_key(L, "rope.scaling.type", key, sizeof key);
    if (lq_gguf_find_key(L->g, key) >= 0 &&
        (lq_gguf_get_string(L->g, key, &scaling, NULL) != LQ_OK || strcmp(scaling, "none") != 0))
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: RoPE scaling (%s) is not supported", L->fn, key);
    if (!(L->m->hp.arch->tensors & LQ__ARCH_ROPE_FREQS) &&
        lq_gguf_find_tensor(L->g, "rope_freqs.weight") >= 0)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: per-dimension RoPE frequencies (rope_freqs.weight) "
                        "are not read for architecture '%s'", L->fn, L->m->hp.arch->name);
    return LQ_OK;
}

static lq_status read_hparams(loader *L)
{
    lq__hparams *hp = &L->m->hp;
    lq_status st = find_arch(L);
    if (st ||
        (st = get_dim(L, "context_length", -1, &hp->n_ctx_train)) ||
        (st = get_dim(L, "embedding_length", -1, &hp->n_embd)) ||
        (st = get_dim(L, "block_count", -1, &hp->n_layer)) ||
        (st = get_dim(L, "feed_forward_length", -1, &hp->n_ff)) ||
        (st = get_dim(L, "attention.head_count", -1, &hp->n_head)) ||
        (st = get_dim(L, "attention.head_count_kv", hp->n_head, &hp->n_head_kv)) ||
        (st = get_float(L, "attention.layer_norm_rms_epsilon", -1, &hp->norm_eps)) ||
        (st = get_float(L, "rope.freq_base", 10000.0, &hp->rope_base)))
        return st;
    if (hp->n_head % hp->n_head_kv != 0)
        return lq__fail(LQ_ERR_FORMAT, "%s: %lld KV heads do not divide %lld heads", L->fn,
                        (long long)hp->n_head_kv, (long long)hp->n_head);
    /* the head size is key_length when given (Qwen3's differs from
     * n_embd / n_head in the published models), else n_embd / n_head */
    int64_t k_len, v_len, even = hp->n_embd % hp->n_head == 0 ? hp->n_embd / hp->n_head : -1;
    char key[96];
    if (even < 0 && lq_gguf_find_key(L->g, arch_key(L, "attention.key_length", key, sizeof key)) < 0)
        return lq__fail(LQ_ERR_FORMAT, "%s: %lld heads do not divide the embedding width %lld, "
                        "and %s is missing", L->fn, (long long)hp->n_head, (long long)hp->n_embd,
                        key);
    if ((st = get_dim(L, "attention.key_length", even, &k_len)) ||
        (st = get_dim(L, "attention.value_length", k_len, &v_len)))
        return st;
    if (k_len != v_len)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: key length %lld differs from value length %lld",
                        L->fn, (long long)k_len, (long long)v_len);
    hp->head_dim = k_len;
    if (hp->head_dim * hp->n_head > MAX_DIM)
        return lq__fail(LQ_ERR_FORMAT, "%s: %lld heads of %lld exceed %lld", L->fn,
                        (long long)hp->n_head, (long long)hp->head_dim, (long long)MAX_DIM);
    if ((st = get_dim(L, "rope.dimension_count", hp->head_dim, &hp->n_rot)))
        return st;
    if (hp->n_rot > hp->head_dim || hp->n_rot % 2 != 0)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s.rope.dimension_count %lld is odd or above the "
                        "head size %lld", L->fn, hp->arch->name, (long long)hp->n_rot,
                        (long long)hp->head_dim);
    hp->n_vocab = L->m->vocab.n;
    return LQ_OK;
}

static lq_status report(loader *L)
{
    L->loaded++;
    if (L->ctx && L->ctx->progress &&
        L->ctx->progress(L->ctx->progress_user, "load", (double)L->loaded / (double)L->total) != 0)
        return lq__fail(LQ_ERR_CANCELLED, "%s: cancelled by the progress callback", L->fn);
    return LQ_OK;
}

/* "[d0, d1, ...]" of n dimensions. */
static const char *shape_text(char *buf, size_t size, int n, const int64_t *d)
{
    size_t at = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < n && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%lld", i ? ", " : "", (long long)d[i]);
    if (at < size)
        snprintf(buf + at, size - at, "]");
    return buf;
}

/* The tensor called `name` with the given shape (outermost first), as a view
 * the model frees; *out stays NULL when optional and absent. With `weight`,
 * in a model whose weights are made on use (m->lazy), a view without bytes. */
static lq_status get_tensor(loader *L, const char *name, int ndim, int64_t d0, int64_t d1,
                            int optional, bool weight, const lq_tensor **out)
{
    *out = NULL;
    int64_t i = lq_gguf_find_tensor(L->g, name);
    if (i < 0)
        return optional ? LQ_OK : lq__fail(LQ_ERR_FORMAT, "%s: tensor '%s' is missing", L->fn, name);
    int64_t want[2] = {d0, d1}, have[LQ_MAX_DIMS] = {0};
    int nd = lq_gguf_tensor_ndim(L->g, i);
    bool ok = nd == ndim;
    for (int d = 0; d < nd && d < LQ_MAX_DIMS; d++) {
        have[d] = lq_gguf_tensor_dim(L->g, i, d);
        ok = ok && have[d] == want[d];
    }
    if (!ok) {
        char a[96], b[96];
        return lq__fail(LQ_ERR_SHAPE, "%s: tensor '%s' has shape %s, wanted %s", L->fn, name,
                        shape_text(a, sizeof a, nd, have), shape_text(b, sizeof b, ndim, want));
    }
    lq_tensor *t = NULL;
    bool lazy = weight && L->m->lazy;
    lq_status st = lazy ? lq__model_lazy_view(L->fn, L->g, i, &t)
                        : lq_gguf_get_tensor(L->g, i, &t);
    if (st != LQ_OK) {
        if (!lazy)
            lq__error_prefix(L->fn);
        return st;
    }
    if (lazy)
        L->m->lazy[L->m->n_tensors] = true;
    L->m->tensors[L->m->n_tensors++] = t;
    L->m->n_params += lq_tensor_numel(t);
    *out = t;
    return report(L);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* lq__linear_init, and for a weight made on use from a Hugging Face folder
 * (F16 or BF16 as stored, lq_model_load) the product of its F32 values: the
 * same numbers as when the folder was read as F32 (f32_sums). */
static lq_status init_linear(const loader *L, lq__linear *l, const lq_tensor *t)
{
    lq_status st = lq__linear_init(l, t, L->fn);
    l->f32_sums = L->m->lazy != NULL;
    return st;
}

/* The weight `name` ("<x>.weight") with its optional per-tensor factor
 * "<x>.scale" (llama.cpp's NVFP4 scale2; its graph multiplies the product
 * by it, as lq__linear_forward does) and activation scale "<x>.input_scale"
 * (kept with the model, unused: llama.cpp's graphs multiply in 8 bits, as
 * this runner does, and never read it). */
static lq_status get_linear(loader *L, const char *name, int64_t rows, int64_t cols, lq__linear *l)
{
    const lq_tensor *t, *s = NULL;
    lq_status st = get_tensor(L, name, 2, rows, cols, 0, true, &t);
    if (st == LQ_OK)
        st = init_linear(L, l, t);
    char sname[LQ_GGUF_MAX_NAME + 1];
    size_t stem = strlen(name) - strlen(".weight");
    if (st != LQ_OK || !ends_with(name, ".weight") || stem + 6 >= sizeof sname)
        return st;
    snprintf(sname, sizeof sname, "%.*s.input_scale", (int)stem, name);
    if (stem + 12 < sizeof sname && (st = get_tensor(L, sname, 1, 1, 0, 1, false, &s)) != LQ_OK)
        return st;
    snprintf(sname, sizeof sname, "%.*s.scale", (int)stem, name);
    st = get_tensor(L, sname, 1, 1, 0, 1, false, &s);
    if (st != LQ_OK || !s)
        return st;
    float *v = NULL;
    st = lq__to_f32(NULL, L->fn, s, &v);
    if (st == LQ_OK && !(isfinite(v[0]) && v[0] != 0.0f))
        st = lq__fail(LQ_ERR_FORMAT, "%s: tensor '%s' = %g is no factor for '%s'", L->fn, sname,
                      (double)v[0], name);
    if (st == LQ_OK)
        l->scale = v[0];
    lq__free(v);
    return st;
}

/* A 1-D tensor of `len` values (a norm, bias or rope factors), held as f32. */
static lq_status get_vector(loader *L, const char *name, int64_t len, float **out)
{
    const lq_tensor *t;
    lq_status st = get_tensor(L, name, 1, len, 0, 0, false, &t);
    return st != LQ_OK ? st : lq__to_f32(NULL, L->fn, t, out); /* small: no progress */
}

/* Tensors per layer: the norms and seven weights, plus the architecture's own. */
static int64_t layer_tensors(const lq__arch *a)
{
    return 9 + (a->tensors & LQ__ARCH_QKV_BIAS ? 3 : 0) + (a->tensors & LQ__ARCH_QK_NORM ? 2 : 0);
}

/* A layer's 1-D tensors: where the runner keeps each (as f32) and its length. */
typedef struct { const char *name; float **v; int64_t len; unsigned needs; } layer_vec;
enum { LAYER_VECS = 7 };

static void layer_vectors(const lq__hparams *hp, lq__layer *y, layer_vec *vec)
{
    int64_t e = hp->n_embd, qd = hp->n_head * hp->head_dim, kvd = hp->n_head_kv * hp->head_dim;
    const layer_vec rows[LAYER_VECS] = {
        {"attn_norm.weight", &y->attn_norm, e, 0},
        {"ffn_norm.weight", &y->ffn_norm, e, 0},
        {"attn_q.bias", &y->bias[0], qd, LQ__ARCH_QKV_BIAS},
        {"attn_k.bias", &y->bias[1], kvd, LQ__ARCH_QKV_BIAS},
        {"attn_v.bias", &y->bias[2], kvd, LQ__ARCH_QKV_BIAS},
        {"attn_q_norm.weight", &y->q_norm, hp->head_dim, LQ__ARCH_QK_NORM},
        {"attn_k_norm.weight", &y->k_norm, hp->head_dim, LQ__ARCH_QK_NORM},
    };
    memcpy(vec, rows, sizeof rows);
}

static lq_status read_layer(loader *L, int64_t il)
{
    const lq__hparams *hp = &L->m->hp;
    lq__layer *y = &L->m->layers[il];
    int64_t e = hp->n_embd, qd = hp->n_head * hp->head_dim, kvd = hp->n_head_kv * hp->head_dim;
    struct { const char *part; lq__linear *l; int64_t rows, cols; } lin[] = {
        {"attn_q", &y->q, qd, e},         {"attn_k", &y->k, kvd, e},
        {"attn_v", &y->v, kvd, e},        {"attn_output", &y->o, e, qd},
        {"ffn_gate", &y->gate, hp->n_ff, e}, {"ffn_up", &y->up, hp->n_ff, e},
        {"ffn_down", &y->down, e, hp->n_ff},
    };
    layer_vec vec[LAYER_VECS];
    layer_vectors(hp, y, vec);
    char name[64];
    lq_status st;
    for (size_t i = 0; i < LAYER_VECS; i++) {
        if ((vec[i].needs & hp->arch->tensors) != vec[i].needs)
            continue;
        snprintf(name, sizeof name, "blk.%lld.%s", (long long)il, vec[i].name);
        if ((st = get_vector(L, name, vec[i].len, vec[i].v)) != LQ_OK)
            return st;
    }
    for (size_t i = 0; i < sizeof lin / sizeof *lin; i++) {
        snprintf(name, sizeof name, "blk.%lld.%s.weight", (long long)il, lin[i].part);
        if ((st = get_linear(L, name, lin[i].rows, lin[i].cols, lin[i].l)) != LQ_OK)
            return st;
    }
    return LQ_OK;
}

/* The angle per position of each rotated pair: base^(-2i/n_rot), divided by
 * rope_freqs.weight's factor i when the file has one (llama3 scaling, as
 * ggml_rope_ext's freq_factors). */
static lq_status read_rope(loader *L)
{
    lq_model *m = L->m;
    const lq__hparams *hp = &m->hp;
    int64_t half = hp->n_rot / 2;
    float *factor = NULL;
    lq_status st = LQ_OK;
    if ((hp->arch->tensors & LQ__ARCH_ROPE_FREQS) &&
        lq_gguf_find_tensor(L->g, "rope_freqs.weight") >= 0)
        st = get_vector(L, "rope_freqs.weight", half, &factor);
    if (st != LQ_OK)
        return st;
    m->rope_freq = lq__calloc((size_t)half, sizeof *m->rope_freq);
    for (int64_t i = 0; m->rope_freq && i < half; i++) {
        m->rope_freq[i] = pow(hp->rope_base, -2.0 * (double)i / (double)hp->n_rot);
        if (factor && !(factor[i] > 0 && factor[i] < 1e30f))
            st = lq__fail(LQ_ERR_FORMAT, "%s: rope_freqs.weight[%lld] = %g is not a positive "
                          "factor", L->fn, (long long)i, (double)factor[i]);
        else if (factor)
            m->rope_freq[i] /= factor[i];
    }
    lq__free(factor);
    if (!m->rope_freq)
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate %lld RoPE frequencies", L->fn,
                        (long long)half);
    return st;
}

static lq_status read_weights(loader *L)
{
    lq_model *m = L->m;
    const lq__hparams *hp = &m->hp;
    int64_t per_layer = layer_tensors(hp->arch);
    L->total = 2 + hp->n_layer * per_layer + (lq_gguf_find_tensor(L->g, "output.weight") >= 0) +
               (lq_gguf_find_tensor(L->g, "rope_freqs.weight") >= 0);
    for (int64_t i = 0; i < lq_gguf_tensor_count(L->g); i++) { /* the weights' scalars */
        const char *name = lq_gguf_tensor_name(L->g, i);
        L->total += ends_with(name, ".scale") || ends_with(name, ".input_scale");
    }
    /* The header's counts decide what is allocated below: hold them to the
     * tensors the file has, so a small file cannot ask for gigabytes (the
     * tensor count is itself bounded by the file's size). */
    int64_t have = lq_gguf_tensor_count(L->g);
    if (have < hp->n_layer * per_layer) /* a missing tensor of a plausible count is named below */
        return lq__fail(LQ_ERR_FORMAT, "%s: %s.block_count = %lld needs at least %lld tensors, "
                        "the file has %lld", L->fn, hp->arch->name, (long long)hp->n_layer,
                        (long long)(hp->n_layer * per_layer), (long long)have);
    char last[64];
    snprintf(last, sizeof last, "blk.%lld.attn_norm.weight", (long long)(hp->n_layer - 1));
    if (lq_gguf_find_tensor(L->g, last) < 0)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s.block_count = %lld, but tensor '%s' of the last "
                        "layer is missing", L->fn, hp->arch->name, (long long)hp->n_layer, last);
    m->tensors = lq__calloc((size_t)L->total, sizeof *m->tensors);
    m->layers = lq__calloc((size_t)hp->n_layer, sizeof *m->layers);
    /* a source's weights are made on use (weights.c): a Hugging Face folder
     * is not widened whole up front */
    if (lq__model_lazy_source(L->g))
        m->lazy = lq__calloc((size_t)L->total, sizeof *m->lazy);
    if (!m->tensors || !m->layers || (lq__model_lazy_source(L->g) && !m->lazy))
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate %lld layers", L->fn, (long long)hp->n_layer);
    lq_status st = read_rope(L);
    if (st == LQ_OK)
        st = get_linear(L, "token_embd.weight", hp->n_vocab, hp->n_embd, &m->embd);
    for (int64_t il = 0; st == LQ_OK && il < hp->n_layer; il++)
        st = read_layer(L, il);
    if (st == LQ_OK)
        st = get_vector(L, "output_norm.weight", hp->n_embd, &m->output_norm);
    const lq_tensor *out = NULL;
    if (st == LQ_OK)
        st = get_tensor(L, "output.weight", 2, hp->n_vocab, hp->n_embd, 1, true, &out);
    if (st == LQ_OK && out)
        st = init_linear(L, &m->output, out);
    if (st == LQ_OK && !out)
        m->output = m->embd; /* tied embeddings */
    return st;
}

/* Every tensor of the file must be one the architecture reads: a tensor left
 * over (a bias this runner does not add, an unknown part) would be silently
 * ignored and the model run wrong. llama.cpp refuses such files too. */
static lq_status check_all_read(loader *L)
{
    int64_t n = lq_gguf_tensor_count(L->g);
    if (L->m->n_tensors == n)
        return LQ_OK;
    for (int64_t i = 0; i < n; i++) {
        const char *name = lq_gguf_tensor_name(L->g, i);
        int64_t k = 0;
        while (k < L->m->n_tensors && strcmp(lq_tensor_name(L->m->tensors[k]), name) != 0)
            k++;
        if (k == L->m->n_tensors)
            return lq__fail(LQ_ERR_UNSUPPORTED, "%s: tensor '%s' is not part of architecture "
                            "'%s' as this runner runs it", L->fn, name, L->m->hp.arch->name);
    }
    return LQ_OK;
}

lq_status lq__model_build(lq_ctx *ctx, const lq_gguf *g, int64_t n_ctx, int kv_type,
                          lq_model **out, const char *fn)
{
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!g)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (n_ctx < 0 || n_ctx > MAX_DIM)
        return lq__fail(LQ_ERR_INVALID, "%s: n_ctx %lld is outside 0..%lld", fn, (long long)n_ctx,
                        (long long)MAX_DIM);
    if (!lq_kv_type_name(kv_type))
        return lq__fail(LQ_ERR_INVALID, "%s: unknown KV type %d", fn, kv_type);
    lq_model *m = lq__calloc(1, sizeof *m);
    if (!m)
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate the model", fn);
    m->src = g;
    m->spill_fd = -1;
    loader L = {m, g, ctx, 0, 1, fn};
    lq_status st = lq__vocab_load(&m->vocab, g, fn);
    if (st == LQ_OK)
        st = read_hparams(&L);
    if (st == LQ_OK)
        st = read_weights(&L);
    if (st == LQ_OK)
        st = check_all_read(&L);
    if (st == LQ_OK)
        st = lq__kv_init(&m->kv, kv_type, m->hp.n_layer, m->hp.n_head_kv, m->hp.head_dim,
                         n_ctx ? n_ctx : m->hp.n_ctx_train, fn);
    if (st != LQ_OK) {
        lq_model_free(m);
        return st;
    }
    *out = m;
    return LQ_OK;
}

lq_status lq_model_from_gguf(lq_ctx *ctx, const lq_gguf *g, int64_t n_ctx, int kv_type,
                             lq_model **out)
{
    return lq__model_build(ctx, g, n_ctx, kv_type, out, "lq_model_from_gguf");
}

lq_status lq_model_load(lq_ctx *ctx, const char *path, int64_t n_ctx, int kv_type, lq_model **out)
{
    static const char fn[] = "lq_model_load";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!path)
        return lq__fail(LQ_ERR_INVALID, "%s: path is NULL", fn);
    lq_gguf *g = NULL;
    /* a Hugging Face model folder runs as its F32 conversion, each weight
     * made when it is first used (weights.c), not the folder up front, and
     * in the type it is stored in where that is F16 or BF16 (quantized and
     * FP8 layers are decoded to F32): half the bytes, the same products
     * (f32_sums) and the same quantized weights (the methods widen them
     * first), and a weight GPTQ reads a chunk of rows at a time is not held
     * whole as F32 (ffn_down of the calib_mem model: 46 -> 23 MB; the GPTQ
     * checkpoint run's peak, --max-memory 1: 165 -> 151 MB) */
    lq_status st = lq__is_dir(path) ? lq__hf_model_open_stored(path, &g)
                                    : lq_gguf_open(path, &g);
    if (st != LQ_OK) {
        lq__error_prefix(fn);
        return st;
    }
    st = lq__model_build(ctx, g, n_ctx, kv_type, out, fn);
    if (st != LQ_OK) {
        lq_gguf_free(g);
        return st;
    }
    (*out)->file = g;
    return LQ_OK;
}

void lq_model_free(lq_model *m)
{
    if (!m)
        return;
    for (int64_t il = 0; m->layers && il < m->hp.n_layer; il++) {
        lq__layer *y = &m->layers[il];
        lq__free(y->attn_norm);
        lq__free(y->ffn_norm);
        for (int k = 0; k < 3; k++)
            lq__free(y->bias[k]);
        lq__free(y->q_norm);
        lq__free(y->k_norm);
    }
    lq__free(m->layers);
    lq__free(m->output_norm);
    lq__free(m->rope_freq);
    lq__free(m->scratch);
    lq__model_free_resident(m);
    for (int64_t i = 0; i < m->n_tensors; i++)
        lq_tensor_free(m->tensors[i]);
    lq__free(m->tensors);
    lq__free(m->lazy);
    lq__free(m->spill_at);
    if (m->spill_fd >= 0)
        close(m->spill_fd);
    lq__kv_free(&m->kv);
    lq__vocab_free(&m->vocab);
    lq_gguf_free(m->file);
    if (m->plan)
        lq__plan_free(m->plan);
    lq__free(m->plan);
    lq__free(m);
}

lq_status lq_model_set_cache(lq_model *m, int64_t n_ctx, int kv_type)
{
    static const char fn[] = "lq_model_set_cache";
    if (!m)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL model", fn);
    if (n_ctx < 0 || n_ctx > MAX_DIM)
        return lq__fail(LQ_ERR_INVALID, "%s: n_ctx %lld is outside 0..%lld", fn, (long long)n_ctx,
                        (long long)MAX_DIM);
    lq__kv kv;
    lq_status st = lq__kv_init(&kv, kv_type, m->hp.n_layer, m->hp.n_head_kv, m->hp.head_dim,
                               n_ctx ? n_ctx : m->hp.n_ctx_train, fn);
    if (st != LQ_OK)
        return st; /* the old cache stays */
    lq__kv_free(&m->kv);
    m->kv = kv;
    m->n_past = 0;
    return LQ_OK;
}

lq_status lq_model_set_max_memory(lq_model *m, int64_t bytes)
{
    if (!m || bytes < 0)
        return lq__fail(LQ_ERR_INVALID, "lq_model_set_max_memory: %s",
                        m ? "a negative number of bytes" : "NULL model");
    m->max_memory = bytes;
    return LQ_OK;
}

static int64_t weight_bytes(const lq_model *m)
{
    int64_t b = 0;
    for (int64_t i = 0; i < m->n_tensors; i++) /* 1-D tensors (norms, biases) are held as f32 */
        b += lq_tensor_ndim(m->tensors[i]) == 2 ? (int64_t)lq_tensor_nbytes(m->tensors[i])
                                                : lq_tensor_numel(m->tensors[i]) * (int64_t)sizeof(float);
    return b;
}

int64_t lq_model_info(const lq_model *m, int field)
{
    if (!m)
        return -1;
    const lq__hparams *hp = &m->hp;
    switch (field) {
    case LQ_MODEL_N_VOCAB: return hp->n_vocab;
    case LQ_MODEL_N_EMBD: return hp->n_embd;
    case LQ_MODEL_N_LAYER: return hp->n_layer;
    case LQ_MODEL_N_HEAD: return hp->n_head;
    case LQ_MODEL_N_HEAD_KV: return hp->n_head_kv;
    case LQ_MODEL_HEAD_DIM: return hp->head_dim;
    case LQ_MODEL_N_FF: return hp->n_ff;
    case LQ_MODEL_N_CTX_TRAIN: return hp->n_ctx_train;
    case LQ_MODEL_N_CTX: return m->kv.n_ctx;
    case LQ_MODEL_KV_TYPE: return m->kv.type;
    case LQ_MODEL_KV_BYTES: return (int64_t)m->kv.bytes;
    case LQ_MODEL_WEIGHT_BYTES: return weight_bytes(m);
    case LQ_MODEL_N_PARAMS: return m->n_params;
    case LQ_MODEL_TOKEN_BOS: return m->vocab.bos;
    case LQ_MODEL_TOKEN_EOS: return m->vocab.eos;
    case LQ_MODEL_TOKEN_UNK: return m->vocab.unk;
    case LQ_MODEL_ADD_BOS: return m->vocab.add_bos;
    case LQ_MODEL_N_PAST: return m->n_past;
    default: return -1;
    }
}

bool lq__model_weight(const lq_model *m, const char *name, const lq_tensor **mat,
                      const float **vec, int64_t *len)
{
    *mat = NULL;
    *vec = NULL;
    *len = 0;
    if (strcmp(name, "output_norm.weight") == 0) {
        *vec = m->output_norm;
        *len = m->hp.n_embd;
        return true;
    }
    long long il;
    int used = 0;
    if (sscanf(name, "blk.%lld.%n", &il, &used) == 1 && used > 0 && il >= 0 &&
        il < m->hp.n_layer) {
        layer_vec v[LAYER_VECS];
        layer_vectors(&m->hp, &m->layers[il], v);
        for (int i = 0; i < LAYER_VECS; i++) {
            if (strcmp(name + used, v[i].name) == 0 && *v[i].v) {
                *vec = *v[i].v;
                *len = v[i].len;
                return true;
            }
        }
    }
    for (int64_t i = 0; i < m->n_tensors; i++) {
        if (lq_tensor_ndim(m->tensors[i]) == 2 && strcmp(lq_tensor_name(m->tensors[i]), name) == 0) {
            *mat = m->tensors[i];
            return true;
        }
    }
    return false;
}
