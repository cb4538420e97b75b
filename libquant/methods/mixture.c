/* mixture.c — llama.cpp's per-tensor type rules for its file types. The
 * facts (categories, counters, thresholds, fallbacks) were read from
 * llama-quant.cpp of the llama.cpp that node-llama-cpp 3.22.1 ships; the code
 * is our own. Every file type of ftype_list.h is covered. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/ftype_list.h"
#include "../core/type_info.h"
#include "../core/type_list.h"
#include "mixture.h"

/* the ids the rules below test */
#define FTYPE_ID(N, n, id, t) N = id,
enum { LQ__FTYPES(FTYPE_ID) };
#undef FTYPE_ID

static const struct {
    int ftype;
    const char *name;
    lq_type type;
} ftypes[] = {
#define FTYPE_ROW(N, n, id, t) {id, #N, LQ_TYPE_##t},
    LQ__FTYPES(FTYPE_ROW)
#undef FTYPE_ROW
};
#define N_FTYPES (int)(sizeof ftypes / sizeof *ftypes)

bool lq__ftype_info(int ftype, lq_type *default_type, const char **name)
{
    for (int i = 0; i < N_FTYPES; i++) {
        if (ftypes[i].ftype == ftype) {
            if (default_type)
                *default_type = ftypes[i].type;
            if (name)
                *name = ftypes[i].name;
            return true;
        }
    }
    return false;
}

const char *lq__ftype_names(void)
{
    static const char names[] = LQ__FTYPES(LQ__FTYPE_COMMA_NAME);
    return names + 2;
}

bool lq__ftype_from_name(const char *name, int *ftype)
{
    for (int i = 0; i < N_FTYPES; i++) {
        const char *a = ftypes[i].name, *b = name;
        while (*a && toupper((unsigned char)*b) == *a)
            a++, b++;
        if (!*a && !*b) {
            *ftype = ftypes[i].ftype;
            return true;
        }
    }
    return false;
}

lq_status lq__mixture_init(lq__mixture *m, int ftype)
{
    memset(m, 0, sizeof *m);
    if (!lq__ftype_info(ftype, &m->default_type, NULL))
        return lq__fail(LQ_ERR_INVALID, "file type %d is not one libquant writes", ftype);
    m->ftype = ftype;
    m->quantize_output = true;
    m->output_type = m->token_embd_type = -1;
    m->tied_embeddings = true; /* until output.weight is seen */
    return LQ_OK;
}

lq_status lq__mixture_add_override(lq__mixture *m, const char *pattern, lq_type type)
{
    if (m->n_overrides == LQ__MIX_MAX_OVERRIDES)
        return lq__fail(LQ_ERR_INVALID, "more than %d tensor-type overrides", LQ__MIX_MAX_OVERRIDES);
    if (regcomp(&m->override_re[m->n_overrides], pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return lq__fail(LQ_ERR_INVALID, "'%s' is not a regular expression", pattern);
    m->override_type[m->n_overrides++] = type;
    return LQ_OK;
}

void lq__mixture_free(lq__mixture *m)
{
    for (int i = 0; i < m->n_overrides; i++)
        regfree(&m->override_re[i]);
    m->n_overrides = 0;
}

typedef enum {
    CAT_OUTPUT, CAT_TOKEN_EMBD, CAT_ATTN_QKV, CAT_ATTN_KV_B, CAT_ATTN_V, CAT_ATTN_K,
    CAT_ATTN_Q, CAT_ATTN_OUTPUT, CAT_FFN_UP, CAT_FFN_GATE, CAT_FFN_DOWN, CAT_OTHER
} category;

static bool is_token_embd(const char *n)
{
    return strcmp(n, "token_embd.weight") == 0 || strcmp(n, "per_layer_token_embd.weight") == 0;
}

static category category_of(const char *n)
{
    static const struct {
        const char *part;
        category cat;
    } parts[] = {
        {"attn_qkv.weight", CAT_ATTN_QKV}, {"attn_kv_b.weight", CAT_ATTN_KV_B},
        {"attn_v.weight", CAT_ATTN_V},     {"attn_k.weight", CAT_ATTN_K},
        {"attn_q.weight", CAT_ATTN_Q},     {"attn_output.weight", CAT_ATTN_OUTPUT},
        {"ffn_up", CAT_FFN_UP},            {"ffn_gate", CAT_FFN_GATE},
        {"ffn_down", CAT_FFN_DOWN},
    };
    if (strcmp(n, "output.weight") == 0)
        return CAT_OUTPUT;
    if (is_token_embd(n))
        return CAT_TOKEN_EMBD;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        if (strstr(n, parts[i].part))
            return parts[i].cat;
    return CAT_OTHER;
}

static bool is_attn_v_like(category c)
{
    return c == CAT_ATTN_V || c == CAT_ATTN_QKV || c == CAT_ATTN_KV_B;
}

void lq__mixture_scan(lq__mixture *m, const char *const *names, int64_t n)
{
    m->n_attention_wv = 0;
    m->tied_embeddings = true;
    for (int64_t i = 0; i < n; i++) {
        category c = category_of(names[i]);
        if (is_attn_v_like(c))
            m->n_attention_wv++;
        if (c == CAT_OUTPUT)
            m->tied_embeddings = false;
    }
}

static int layer_of(const char *name)
{
    int layer = -1;
    if (sscanf(name, "blk.%d.", &layer) != 1)
        layer = -1;
    return layer;
}

typedef struct {
    int layer;
    const char *name;
    int64_t index;
} order_key;

static int order_cmp(const void *pa, const void *pb)
{
    const order_key *a = pa, *b = pb;
    if (a->layer != b->layer)
        return a->layer < b->layer ? -1 : 1;
    return strcmp(a->name, b->name);
}

lq_status lq__mixture_order(const char *fn, const char *const *names, int64_t n, int64_t *order)
{
    /* no fallback to file order: the order is the output file's, and the
     * layer counters of lq__mixture_pick advance in it */
    order_key *keys = lq__calloc((size_t)(n ? n : 1), sizeof *keys);
    if (!keys)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    for (int64_t i = 0; i < n; i++)
        keys[i] = (order_key){layer_of(names[i]), names[i], i};
    qsort(keys, (size_t)n, sizeof *keys, order_cmp);
    for (int64_t i = 0; i < n; i++)
        order[i] = keys[i].index;
    lq__free(keys);
    return LQ_OK;
}

bool lq__mixture_allows(const lq__mixture *m, const char *name, int ndims)
{
    static const char *const never[] = {
        "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel",
        "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight",
        "indexer.q_proj.weight", "time_mix_first.weight", "time_mix_w0.weight",
        "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight",
        "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight",
        "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight",
        "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight",
        ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd",
        ".patch_merger", "a.rvq.codebook", "mm.a.code_embd",
    };
    if (ndims < 2)
        return false;
    /* llama.cpp tests rfind("weight") == size - 6, which a 5-byte name
     * without "weight" also passes (npos == size_t(-1)); kept for parity. */
    size_t len = strlen(name);
    const char *last = NULL;
    for (const char *p = strstr(name, "weight"); p; p = strstr(p + 1, "weight"))
        last = p;
    bool ends_weight = last ? (size_t)(last - name) == len - 6 : len == 5;
    if (!ends_weight)
        return false;
    if (!m->quantize_output && strcmp(name, "output.weight") == 0)
        return false;
    if (strcmp(name, "position_embd.weight") == 0 || strcmp(name, "token_types.weight") == 0)
        return false;
    for (size_t i = 0; i < sizeof never / sizeof *never; i++)
        if (strstr(name, never[i]))
            return false;
    return true;
}

static bool use_more_bits(int i, int n)
{
    return i < n / 8 || i >= 7 * (int64_t)n / 8 || (i - n / 8) % 3 == 2; /* 7n overflows int */
}

static int block_elems(lq_type t)
{
    return lq__type(t)->block_elems;
}

/* The layer of an FFN tensor: the counter for dense models, the name for MoE
 * (whose expert tensors are not in layer order). */
static lq_status layer_info(const lq__mixture *m, int counter, const char *name, int *layer)
{
    if (m->n_expert > 1) {
        int l = layer_of(name);
        if (l < 0 || l >= m->n_layer)
            return lq__fail(LQ_ERR_FORMAT, "tensor '%s' has no layer in 0..%d", name, m->n_layer - 1);
        *layer = l;
        return LQ_OK;
    }
    *layer = counter;
    return LQ_OK;
}

/* The file types of llama.cpp's 2-bit i-quant branch, the 1-bit ones
 * included. */
static bool is_iq2_mix(int f)
{
    return f == IQ2_XXS || f == IQ2_XS || f == IQ2_S || f == IQ2_M || f == IQ1_S || f == IQ1_M;
}

/* In that branch, what IQ2_S and IQ2_M give the tensors the others give Q2_K. */
static lq_type iq2_mix_low(int f)
{
    return f == IQ2_S || f == IQ2_M ? LQ_TYPE_IQ3_S : LQ_TYPE_Q2_K;
}

/* MXFP4_MOE: llama.cpp makes the experts' stacked matrices MXFP4 and every
 * other quantizable tensor Q8_0. An expert tensor is one with more than one
 * matrix (ne2 > 1); bailingmoe3's attention projections are 3-D too, so
 * there only the FFN roles count. */
static lq_type mxfp4_moe_type(const lq__mixture *m, category cat, int64_t ne2)
{
    bool ffn = cat == CAT_FFN_UP || cat == CAT_FFN_GATE || cat == CAT_FFN_DOWN;
    return ne2 > 1 && (!m->bailingmoe3 || ffn) ? LQ_TYPE_MXFP4 : LQ_TYPE_Q8_0;
}

/* llama_tensor_get_type_impl, for every file type libquant writes. */
static lq_status by_role(lq__mixture *m, category cat, const char *name, int64_t ne0, int64_t ne2,
                         lq_type *t)
{
    const int f = m->ftype, n = m->n_layer;
    lq_status st = LQ_OK;
    int i;
    if (cat == CAT_OUTPUT || (m->tied_embeddings && cat == CAT_TOKEN_EMBD)) {
        if (m->output_type >= 0)
            *t = m->output_type;
        else if (f == MXFP4_MOE || m->falcon || ne0 % block_elems(*t) != 0)
            *t = LQ_TYPE_Q8_0;
        else if (is_iq2_mix(f) || f == IQ3_XXS)
            *t = LQ_TYPE_Q5_K;
        else if (*t != LQ_TYPE_Q8_0)
            *t = LQ_TYPE_Q6_K;
    } else if (f == MXFP4_MOE) {
        *t = mxfp4_moe_type(m, cat, ne2);
    } else if (cat == CAT_TOKEN_EMBD) {
        if (m->token_embd_type >= 0)
            *t = m->token_embd_type;
        else if (is_iq2_mix(f) || f == IQ3_XXS)
            *t = f == IQ2_XXS || f == IQ2_XS || f == IQ1_S || f == IQ1_M ? LQ_TYPE_Q2_K
                                                                          : LQ_TYPE_IQ3_S;
        else if (f == TQ1_0 || f == TQ2_0)
            *t = LQ_TYPE_Q4_K;
    } else if (is_iq2_mix(f)) {
        /* the 2-bit i-quant mixes have rules of their own, and only these */
        if (is_attn_v_like(cat)) {
            *t = m->n_gqa >= 4 || m->n_expert >= 4 ? LQ_TYPE_Q4_K : iq2_mix_low(f);
            m->i_attention_wv++;
        } else if (m->n_expert == 8 && cat == CAT_ATTN_K) {
            *t = LQ_TYPE_Q4_K;
        } else if (cat == CAT_FFN_DOWN) {
            /* llama.cpp counts ffn_down tensors here, not layers */
            if (m->i_ffn_down < n / 8)
                *t = iq2_mix_low(f);
            m->i_ffn_down++;
        } else if (cat == CAT_ATTN_OUTPUT) {
            if (m->n_expert == 8)
                *t = LQ_TYPE_Q5_K;
            else if (f == IQ2_S || f == IQ2_M)
                *t = LQ_TYPE_IQ3_S;
            else if (f == IQ1_S || f == IQ1_M)
                *t = LQ_TYPE_IQ2_XXS;
        }
    } else if (is_attn_v_like(cat)) {
        i = m->i_attention_wv;
        if (f == Q2_K)
            *t = m->n_gqa >= 4 ? LQ_TYPE_Q4_K : LQ_TYPE_Q3_K;
        else if (f == Q2_K_S && m->n_gqa >= 4)
            *t = LQ_TYPE_Q4_K;
        else if (f == IQ3_XXS)
            *t = m->n_gqa >= 4 ? LQ_TYPE_Q4_K : !m->has_imatrix ? LQ_TYPE_IQ3_S : LQ_TYPE_IQ3_XXS;
        else if ((f == IQ3_XS || f == IQ3_S) && m->n_gqa >= 4)
            *t = LQ_TYPE_Q4_K;
        else if (f == IQ3_M)
            *t = LQ_TYPE_Q4_K;
        else if (f == Q3_K_M)
            *t = i < 2 ? LQ_TYPE_Q5_K : LQ_TYPE_Q4_K;
        else if (f == Q3_K_L)
            *t = LQ_TYPE_Q5_K;
        else if ((f == IQ4_NL || f == IQ4_XS) && m->n_gqa >= 4)
            *t = LQ_TYPE_Q5_K;
        else if ((f == Q4_K_M || f == Q5_K_M) && use_more_bits(i, m->n_attention_wv))
            *t = LQ_TYPE_Q6_K;
        else if (f == Q4_K_S && i < 4)
            *t = LQ_TYPE_Q5_K;
        if (m->is_70b && (*t == LQ_TYPE_Q3_K || *t == LQ_TYPE_Q4_K))
            *t = LQ_TYPE_Q5_K;
        if (m->n_expert == 8)
            *t = LQ_TYPE_Q8_0;
        m->i_attention_wv++;
    } else if (cat == CAT_ATTN_K || cat == CAT_ATTN_Q) {
        if (cat == CAT_ATTN_K && m->n_expert == 8)
            *t = LQ_TYPE_Q8_0;
        else if (f == IQ3_XS)
            *t = LQ_TYPE_IQ3_XXS;
        else if (f == IQ3_XXS)
            *t = LQ_TYPE_IQ2_S;
    } else if (cat == CAT_FFN_DOWN) {
        st = layer_info(m, m->i_ffn_down, name, &i);
        if (st != LQ_OK)
            return st;
        bool more = use_more_bits(i, n);
        if (f == Q2_K)
            *t = LQ_TYPE_Q3_K;
        else if (f == Q2_K_S) {
            if (i < n / 8)
                *t = LQ_TYPE_Q4_K;
        } else if (f == IQ3_XXS && !m->has_imatrix)
            *t = i < n / 8 ? LQ_TYPE_Q4_K : LQ_TYPE_Q3_K;
        else if (f == Q3_K_M)
            *t = i < n / 16 ? LQ_TYPE_Q5_K : !m->falcon || more ? LQ_TYPE_Q4_K : LQ_TYPE_Q3_K;
        else if (f == IQ3_M && (i < n / 8 || (m->n_expert == 8 && more)))
            *t = LQ_TYPE_Q4_K;
        else if (f == Q3_K_L)
            *t = m->falcon ? LQ_TYPE_Q4_K : LQ_TYPE_Q5_K;
        else if (f == Q4_K_M) {
            if (m->falcon)
                *t = i < n / 16 ? LQ_TYPE_Q6_K : more ? LQ_TYPE_Q5_K : LQ_TYPE_Q4_K;
            else if (more)
                *t = LQ_TYPE_Q6_K;
        } else if (i < n / 8 && (f == IQ4_NL || f == IQ4_XS) && !m->has_imatrix)
            *t = LQ_TYPE_Q5_K;
        else if (f == Q5_K_M && more)
            *t = LQ_TYPE_Q6_K;
        else if (f == Q4_K_S && !m->falcon && i < n / 8)
            *t = LQ_TYPE_Q5_K;
        else if ((f == Q4_0 || f == Q5_0) && m->has_imatrix && i < n / 8)
            *t = f == Q4_0 ? LQ_TYPE_Q4_1 : LQ_TYPE_Q5_1;
        m->i_ffn_down++;
    } else if (cat == CAT_ATTN_OUTPUT) {
        if (!m->falcon) {
            if (m->n_expert == 8) {
                if (f == Q2_K || f == IQ3_XS || f == IQ3_XXS || f == Q3_K_S || f == Q3_K_M ||
                    f == IQ4_NL || f == Q4_K_S || f == Q4_K_M || f == IQ3_S || f == IQ3_M ||
                    f == IQ4_XS)
                    *t = LQ_TYPE_Q5_K;
            } else if (f == Q2_K) {
                *t = LQ_TYPE_Q3_K;
            } else if (f == IQ3_XXS) {
                *t = LQ_TYPE_IQ3_S;
            } else if (f == Q3_K_M || f == IQ3_M) {
                *t = LQ_TYPE_Q4_K;
            } else if (f == Q3_K_L) {
                *t = LQ_TYPE_Q5_K;
            }
        } else if (f == Q3_K_L) {
            *t = LQ_TYPE_Q4_K;
        }
    } else if (cat == CAT_FFN_GATE || cat == CAT_FFN_UP) {
        /* only the IQ3 mixes change these; the layer is still checked for MoE */
        int *counter = cat == CAT_FFN_GATE ? &m->i_ffn_gate : &m->i_ffn_up;
        st = layer_info(m, *counter, name, &i);
        if (st == LQ_OK && f == IQ3_XS && i >= n / 8 && i < 7 * n / 8)
            *t = LQ_TYPE_IQ3_XXS;
        (*counter)++;
    }
    return st;
}

/* Rows whose length is not a multiple of the block get a type that fits. */
static lq_status fallback(const char *name, int64_t ne0, lq_type *t)
{
    if (ne0 % block_elems(*t) == 0)
        return LQ_OK;
    /* the fallback column of core/type_list.h; plain and parameterised
     * types have blocks of one element and never get here */
#define FALLBACK(T, n, v, g, be, bb, bits, fl, act, kern, fb) [LQ_TYPE_##T] = LQ_TYPE_##fb,
    static const lq_type fallbacks[LQ_TYPE_COUNT_] = {LQ__GGML_TYPES(FALLBACK)};
#undef FALLBACK
    lq_type r = fallbacks[*t];
    if (r == *t && block_elems(*t) > 32)
        return lq__fail(LQ_ERR_UNSUPPORTED, "tensor '%s': no fallback for type %s", name,
                        lq_type_name(*t));
    *t = ne0 % block_elems(r) == 0 ? r : LQ_TYPE_F16;
    return LQ_OK;
}

lq_status lq__mixture_pick(lq__mixture *m, const char *name, int ndims, int64_t ne0,
                           int64_t ne2, lq_type current, lq_type *out)
{
    if (!lq__mixture_allows(m, name, ndims)) {
        *out = current;
        return LQ_OK;
    }
    category cat = category_of(name);
    if (m->token_embd_type >= 0 && cat == CAT_TOKEN_EMBD) {
        *out = m->token_embd_type;
        return LQ_OK;
    }
    if (m->output_type >= 0 && cat == CAT_OUTPUT) {
        *out = m->output_type;
        return LQ_OK;
    }
    lq_type t = m->default_type;
    if (!lq_type_is_quantized(t)) {
        *out = t;
        return LQ_OK;
    }
    bool manual = false;
    for (int i = 0; i < m->n_overrides && !manual; i++) {
        if (regexec(&m->override_re[i], name, 0, NULL, 0) == 0) {
            t = m->override_type[i];
            manual = true;
        }
    }
    lq_status st = LQ_OK;
    if (!manual && !m->pure)
        st = by_role(m, cat, name, ne0, ne2, &t);
    if (st == LQ_OK)
        st = fallback(name, ne0, &t);
    if (st == LQ_OK)
        *out = t;
    return st;
}

bool lq__mixture_pinned(const lq__mixture *m, const char *name)
{
    category cat = category_of(name);
    if ((m->token_embd_type >= 0 && cat == CAT_TOKEN_EMBD) ||
        (m->output_type >= 0 && cat == CAT_OUTPUT))
        return true;
    for (int i = 0; i < m->n_overrides; i++)
        if (regexec(&m->override_re[i], name, 0, NULL, 0) == 0)
            return true;
    return false;
}

bool lq__mixture_needs_imatrix(const lq__mixture *m, const char *name, lq_type type)
{
    if (is_token_embd(name) || strcmp(name, "output.weight") == 0)
        return false;
    /* llama.cpp's tensor_requires_imatrix: wider than ggml's own list
     * (LQ__T_IMATRIX), IQ2_S and IQ1_M are refused without one here */
    return type == LQ_TYPE_IQ2_XXS || type == LQ_TYPE_IQ2_XS || type == LQ_TYPE_IQ2_S ||
           type == LQ_TYPE_IQ3_XXS || type == LQ_TYPE_IQ1_S || type == LQ_TYPE_IQ1_M ||
           (type == LQ_TYPE_Q2_K && m->ftype == Q2_K_S);
}
