/* llama_shape.c — lq_estimate_llama_model: the tensor list of a Llama-3-style
 * model of a given parameter count, for sizing files of a model not at hand.
 * The rule is documented at the declaration in lq_quality.h. */
#include <math.h>
#include <stdio.h>

#include <lq/lq_io.h>
#include <lq/lq_quality.h>

#include "../core/error.h"

enum { HEAD_DIM = 128, KV_HEADS = 8, VOCAB = 128256, GGML_F32 = 0, GGML_F16 = 1 };

typedef struct shape {
    int64_t hidden, ffn, layers;
} shape;

/* The published Llama-3 shapes (8B, 70B, 405B), smallest first. */
static const shape published[] = {{4096, 14336, 32}, {8192, 28672, 80}, {16384, 53248, 126}};
#define N_PUBLISHED (int)(sizeof published / sizeof *published)

static double per_layer(int64_t h, int64_t ffn)
{
    /* q and output h x h, k and v (KV_HEADS x HEAD_DIM) x h, three FFN
     * matrices, two norms */
    return 2.0 * h * h + 2.0 * KV_HEADS * HEAD_DIM * h + 3.0 * h * ffn + 2.0 * h;
}

static double params_of(shape s)
{
    /* token embedding and untied output, the final norm, the layers */
    return 2.0 * VOCAB * s.hidden + s.hidden + s.layers * per_layer(s.hidden, s.ffn);
}

static int64_t round_to(double v, int64_t step, int64_t least)
{
    int64_t r = (int64_t)llround(v / (double)step) * step;
    return r < least ? least : r;
}

static shape shape_for(double n)
{
    for (int i = 0; i < N_PUBLISHED; i++) {
        double p = params_of(published[i]);
        if (n >= p / 1.1 && n <= p * 1.1)
            return published[i];
    }
    int a = n < params_of(published[1]) ? 0 : 1; /* the segment, extended beyond its ends */
    double pa = log(params_of(published[a])), pb = log(params_of(published[a + 1]));
    double t = (log(n) - pa) / (pb - pa);
#define LERP_LOG(f) exp(log((double)published[a].f) + t * (log((double)published[a + 1].f) - \
                                                          log((double)published[a].f)))
    shape s = {round_to(LERP_LOG(hidden), KV_HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM),
               round_to(LERP_LOG(ffn), 512, 512), 1};
#undef LERP_LOG
    double layers = (n - params_of(s)) / per_layer(s.hidden, s.ffn) + 1.0;
    s.layers = layers < 1.0 ? 1 : llround(layers);
    return s;
}

static lq_status declare(lq_gguf *g, const char *name, int type, int64_t rows, int64_t cols)
{
    int64_t dims[2] = {rows, cols};
    return rows ? lq_gguf_declare_tensor(g, name, type, 2, dims)
                : lq_gguf_declare_tensor(g, name, type, 1, dims + 1);
}

static lq_status build(lq_gguf *g, shape s)
{
    const struct {
        const char *key;
        int64_t v;
    } u32s[] = {
        {"llama.block_count", s.layers},           {"llama.context_length", 8192},
        {"llama.embedding_length", s.hidden},      {"llama.feed_forward_length", s.ffn},
        {"llama.attention.head_count", s.hidden / HEAD_DIM},
        {"llama.attention.head_count_kv", KV_HEADS},
        {"llama.rope.dimension_count", HEAD_DIM},  {"llama.vocab_size", VOCAB},
        {"general.file_type", 1}, /* LLAMA_FTYPE_MOSTLY_F16 */
    };
    const int64_t kv = KV_HEADS * HEAD_DIM;
    lq_status st = lq_gguf_set_string(g, "general.architecture", "llama");
    for (size_t i = 0; st == LQ_OK && i < sizeof u32s / sizeof *u32s; i++)
        st = lq_gguf_set_u32(g, u32s[i].key, (uint32_t)u32s[i].v);
    if (st == LQ_OK)
        st = lq_gguf_set_f32(g, "llama.rope.freq_base", 500000.0f);
    if (st == LQ_OK)
        st = lq_gguf_set_f32(g, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    if (st == LQ_OK)
        st = declare(g, "token_embd.weight", GGML_F16, VOCAB, s.hidden);
    if (st == LQ_OK)
        st = declare(g, "output_norm.weight", GGML_F32, 0, s.hidden);
    if (st == LQ_OK)
        st = declare(g, "output.weight", GGML_F16, VOCAB, s.hidden);
    for (int64_t l = 0; st == LQ_OK && l < s.layers; l++) {
        const struct {
            const char *part;
            int type;
            int64_t rows, cols;
        } w[] = {
            {"attn_norm", GGML_F32, 0, s.hidden},       {"attn_q", GGML_F16, s.hidden, s.hidden},
            {"attn_k", GGML_F16, kv, s.hidden},         {"attn_v", GGML_F16, kv, s.hidden},
            {"attn_output", GGML_F16, s.hidden, s.hidden}, {"ffn_norm", GGML_F32, 0, s.hidden},
            {"ffn_gate", GGML_F16, s.ffn, s.hidden},    {"ffn_up", GGML_F16, s.ffn, s.hidden},
            {"ffn_down", GGML_F16, s.hidden, s.ffn},
        };
        char name[64];
        for (size_t i = 0; st == LQ_OK && i < sizeof w / sizeof *w; i++) {
            snprintf(name, sizeof name, "blk.%lld.%s.weight", (long long)l, w[i].part);
            st = declare(g, name, w[i].type, w[i].rows, w[i].cols);
        }
    }
    return st;
}

lq_status lq_estimate_llama_model(double n_params, lq_gguf **out)
{
    static const char fn[] = "lq_estimate_llama_model";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!(n_params >= 1e6 && n_params <= 1e14))
        return lq__fail(LQ_ERR_INVALID, "%s: n_params must be in 1e6..1e14", fn);
    lq_gguf *g = NULL;
    lq_status st = lq_gguf_create(&g);
    if (st == LQ_OK)
        st = build(g, shape_for(n_params));
    if (st != LQ_OK) {
        lq_gguf_free(g);
        return st;
    }
    *out = g;
    return LQ_OK;
}
