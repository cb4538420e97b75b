/* test_mixture.c — llama.cpp's file-type mixtures on a Llama-shaped tensor
 * list, against rules worked out by hand from llama-quant.cpp. (The interop
 * test compares whole files with llama.cpp itself.) */
#include "../harness.h"

#include "libquant/methods/mixture.h"

#define LAYERS 32
static char names[LAYERS * 9 + 3][64];
static const char *ptrs[LAYERS * 9 + 3];
static int ndims[LAYERS * 9 + 3];
static int n_names;

static void add(const char *name, int nd)
{
    snprintf(names[n_names], sizeof names[0], "%s", name);
    ptrs[n_names] = names[n_names];
    ndims[n_names++] = nd;
}

static void make_llama(bool with_output)
{
    static const char *const parts[] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                        "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};
    n_names = 0;
    add("token_embd.weight", 2);
    add("output_norm.weight", 1);
    if (with_output)
        add("output.weight", 2);
    char buf[64];
    for (int l = 0; l < LAYERS; l++) {
        for (int p = 0; p < 9; p++) {
            snprintf(buf, sizeof buf, "blk.%d.%s.weight", l, parts[p]);
            add(buf, strstr(parts[p], "norm") ? 1 : 2);
        }
    }
}

static bool more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

/* Pick every tensor's type in llama.cpp's order; types[k] for names[k]. */
static void pick_all(lq__mixture *m, lq_type *types)
{
    int64_t order[LAYERS * 9 + 3];
    lq__mixture_scan(m, ptrs, n_names);
    CHECK_OK(lq__mixture_order("test", ptrs, n_names, order));
    for (int k = 0; k < n_names; k++) {
        int64_t i = order[k];
        CHECK_OK(lq__mixture_pick(m, ptrs[i], ndims[i], 4096, 1, LQ_TYPE_F32, &types[i]));
    }
}

static lq_type type_of(const lq_type *types, const char *name)
{
    for (int k = 0; k < n_names; k++)
        if (strcmp(names[k], name) == 0)
            return types[k];
    return -1;
}

static void q4_k_m_on_llama(void)
{
    lq__mixture m;
    lq_type types[LAYERS * 9 + 3];
    make_llama(true);
    CHECK_OK(lq__mixture_init(&m, 15));
    m.n_layer = LAYERS;
    m.n_gqa = 1;
    pick_all(&m, types);
    CHECK(type_of(types, "output.weight") == LQ_TYPE_Q6_K);
    CHECK(type_of(types, "token_embd.weight") == LQ_TYPE_Q4_K);
    CHECK(type_of(types, "output_norm.weight") == LQ_TYPE_F32);
    char buf[64];
    for (int l = 0; l < LAYERS; l++) {
        lq_type want = more_bits(l, LAYERS) ? LQ_TYPE_Q6_K : LQ_TYPE_Q4_K;
        snprintf(buf, sizeof buf, "blk.%d.attn_v.weight", l);
        CHECKF(type_of(types, buf) == want, "%s", buf);
        snprintf(buf, sizeof buf, "blk.%d.ffn_down.weight", l);
        CHECKF(type_of(types, buf) == want, "%s", buf);
        snprintf(buf, sizeof buf, "blk.%d.attn_q.weight", l);
        CHECK(type_of(types, buf) == LQ_TYPE_Q4_K);
        snprintf(buf, sizeof buf, "blk.%d.ffn_norm.weight", l);
        CHECK(type_of(types, buf) == LQ_TYPE_F32);
    }
    lq__mixture_free(&m);
}

static void q3_k_m_q2_k_and_tied(void)
{
    lq__mixture m;
    lq_type types[LAYERS * 9 + 3];
    make_llama(false); /* tied embeddings: token_embd follows the output rule */
    CHECK_OK(lq__mixture_init(&m, 12));
    m.n_layer = LAYERS;
    m.n_gqa = 4;
    pick_all(&m, types);
    CHECK(type_of(types, "token_embd.weight") == LQ_TYPE_Q6_K);
    CHECK(type_of(types, "blk.0.attn_v.weight") == LQ_TYPE_Q5_K);
    CHECK(type_of(types, "blk.1.attn_v.weight") == LQ_TYPE_Q5_K);
    CHECK(type_of(types, "blk.2.attn_v.weight") == LQ_TYPE_Q4_K);
    CHECK(type_of(types, "blk.1.ffn_down.weight") == LQ_TYPE_Q5_K); /* 1 < 32/16 */
    CHECK(type_of(types, "blk.2.ffn_down.weight") == LQ_TYPE_Q4_K);
    CHECK(type_of(types, "blk.5.attn_output.weight") == LQ_TYPE_Q4_K);
    CHECK(type_of(types, "blk.5.attn_q.weight") == LQ_TYPE_Q3_K);
    lq__mixture_free(&m);

    make_llama(true);
    CHECK_OK(lq__mixture_init(&m, 10)); /* Q2_K with n_gqa >= 4 */
    m.n_layer = LAYERS;
    m.n_gqa = 8;
    pick_all(&m, types);
    CHECK(type_of(types, "blk.7.attn_v.weight") == LQ_TYPE_Q4_K);
    CHECK(type_of(types, "blk.7.ffn_down.weight") == LQ_TYPE_Q3_K);
    CHECK(type_of(types, "blk.7.attn_output.weight") == LQ_TYPE_Q3_K);
    CHECK(type_of(types, "blk.7.ffn_up.weight") == LQ_TYPE_Q2_K);
    lq__mixture_free(&m);
}

static void pure_overrides_and_fallbacks(void)
{
    lq__mixture m;
    lq_type t;
    CHECK_OK(lq__mixture_init(&m, 15));
    m.n_layer = 4;
    m.pure = true;
    CHECK_OK(lq__mixture_pick(&m, "blk.0.attn_v.weight", 2, 4096, 1, LQ_TYPE_F32, &t));
    CHECK(t == LQ_TYPE_Q4_K);
    m.pure = false;
    CHECK_OK(lq__mixture_add_override(&m, "attn_(q|k)", LQ_TYPE_Q8_0));
    CHECK_OK(lq__mixture_pick(&m, "blk.3.attn_k.weight", 2, 4096, 1, LQ_TYPE_F32, &t));
    CHECK(t == LQ_TYPE_Q8_0);
    /* rows that do not fit a 256 block fall back as llama.cpp does */
    CHECK_OK(lq__mixture_pick(&m, "blk.3.ffn_up.weight", 2, 4096 + 32, 1, LQ_TYPE_F32, &t));
    CHECK(t == LQ_TYPE_Q5_0);
    CHECK_OK(lq__mixture_pick(&m, "blk.3.ffn_up.weight", 2, 100, 1, LQ_TYPE_F32, &t));
    CHECK(t == LQ_TYPE_F16);
    CHECK(!lq__mixture_allows(&m, "blk.3.ffn_up.bias", 2));
    CHECK(!lq__mixture_allows(&m, "blk.0.ffn_gate_inp.weight", 2));
    m.quantize_output = false;
    CHECK(!lq__mixture_allows(&m, "output.weight", 2));
    CHECK_STATUS(lq__mixture_add_override(&m, "(", LQ_TYPE_Q8_0), LQ_ERR_INVALID);
    lq__mixture_free(&m);
    /* Q4_0_4_4: removed from llama.cpp, which no longer writes it either */
    CHECK_STATUS(lq__mixture_init(&m, 33), LQ_ERR_INVALID);
    int f;
    CHECK(lq__ftype_from_name("q4_k_m", &f) && f == 15);
    CHECK(!lq__ftype_from_name("q4_k_x", &f));
}

/* The ternary and MXFP4_MOE file types: what llama.cpp's rules leave to
 * their default type and what they move (llama-quant.cpp). */
static void ternary_and_mxfp4_moe(void)
{
    lq__mixture m;
    lq_type t;
    for (int f = 36; f <= 37; f++) { /* TQ1_0, TQ2_0 */
        CHECK_OK(lq__mixture_init(&m, f));
        m.n_layer = 4;
        m.tied_embeddings = false;
        CHECK_OK(lq__mixture_pick(&m, "token_embd.weight", 2, 4096, 1, LQ_TYPE_F32, &t));
        CHECK(t == LQ_TYPE_Q4_K);
        CHECK_OK(lq__mixture_pick(&m, "output.weight", 2, 4096, 1, LQ_TYPE_F32, &t));
        CHECK(t == LQ_TYPE_Q6_K);
        CHECK_OK(lq__mixture_pick(&m, "blk.0.attn_v.weight", 2, 4096, 1, LQ_TYPE_F32, &t));
        CHECK(t == (f == 36 ? LQ_TYPE_TQ1_0 : LQ_TYPE_TQ2_0));
        CHECK_OK(lq__mixture_pick(&m, "blk.0.ffn_down.weight", 2, 4096 + 32, 1, LQ_TYPE_F32, &t));
        CHECK(t == LQ_TYPE_Q4_0); /* the 256-block does not fit */
        lq__mixture_free(&m);
    }
    CHECK_OK(lq__mixture_init(&m, 38)); /* MXFP4_MOE */
    m.n_layer = 4;
    m.n_expert = 4;
    CHECK_OK(lq__mixture_pick(&m, "blk.1.ffn_up_exps.weight", 3, 4096, 4, LQ_TYPE_F32, &t));
    CHECK(t == LQ_TYPE_MXFP4);
    CHECK_OK(lq__mixture_pick(&m, "blk.1.ffn_down.weight", 2, 4096, 1, LQ_TYPE_F32, &t));
    CHECK(t == LQ_TYPE_Q8_0);
    CHECK_OK(lq__mixture_pick(&m, "output.weight", 2, 4096, 1, LQ_TYPE_F32, &t));
    CHECK(t == LQ_TYPE_Q8_0);
    CHECK_OK(lq__mixture_pick(&m, "blk.1.attn_q.weight", 3, 4096, 4, LQ_TYPE_F32, &t));
    CHECK(t == LQ_TYPE_MXFP4); /* any stack of matrices ... */
    m.bailingmoe3 = true;
    CHECK_OK(lq__mixture_pick(&m, "blk.1.attn_q.weight", 3, 4096, 4, LQ_TYPE_F32, &t));
    CHECK(t == LQ_TYPE_Q8_0); /* ... but the experts' alone on bailingmoe3 */
    CHECK_OK(lq__mixture_pick(&m, "blk.1.ffn_gate_exps.weight", 3, 4096, 4, LQ_TYPE_F32, &t));
    CHECK(t == LQ_TYPE_MXFP4);
    lq__mixture_free(&m);
}

static void processing_order(void)
{
    const char *n[] = {"blk.10.attn_q.weight", "output.weight", "blk.2.attn_q.weight",
                       "blk.2.attn_k.weight", "token_embd.weight"};
    int64_t order[5];
    CHECK_OK(lq__mixture_order("test", n, 5, order));
    CHECK(order[0] == 1 && order[1] == 4 && order[2] == 3 && order[3] == 2 && order[4] == 0);
}

LQT_MAIN(q4_k_m_on_llama, q3_k_m_q2_k_and_tied, pure_overrides_and_fallbacks, ternary_and_mxfp4_moe,
         processing_order)
