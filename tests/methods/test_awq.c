/* test_awq.c — AWQ: the whole per-layer flow (scale search, moving the scales
 * into the previous operation, clipping, quantizing) against plain rounding
 * on data with outlier channels; that moving scales changes nothing in
 * float; the clipping search; and argument checks. */
#include "synth.h"

enum { TOKENS = 2048, IN = 512, OUT = 256 };

static lqt_layer L;
static lq_calib *C;

static void setup(void)
{
    lqt_layer_make(&L, TOKENS, IN, OUT, 3);
    CHECK_OK(lq_calib_create(IN, &C));
    CHECK_OK(lq_calib_add(C, L.x, TOKENS));
}

static float *decode(const lq_tensor *q)
{
    float *v = malloc(sizeof(float) * OUT * IN);
    CHECK_OK(lq_dequantize_f32(NULL, q, v, OUT * IN));
    return v;
}

/* The flow a model quantizer runs for a norm -> linear pair: search, apply
 * to the norm and the weight, scale the calibration set, quantize. Returns
 * the effective weight Q(W diag(s)) diag(s)^-1. */
static float *awq_flow(const char *scheme, const char *name, float *norm)
{
    lq_scheme *s = lqt_scheme(scheme);
    float *ws = malloc(sizeof(float) * OUT * IN), sc[IN], inv[IN];
    memcpy(ws, L.w, sizeof(float) * OUT * IN);
    lq_tensor *w = lqt_wrap(ws, OUT, IN, name), *q = NULL;
    int64_t nshape[1] = {IN};
    lq_tensor *nt = NULL;
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 1, nshape, norm, sizeof(float) * IN, LQ_BORROW, "norm", &nt));
    const lq_tensor *ws_list[1] = {w};
    CHECK_OK(lq_awq_search(NULL, s, C, ws_list, 1, sc));
    lq_tensor *next[1] = {w};
    CHECK_OK(lq_scales_apply(sc, IN, nt, NULL, next, 1));
    lq_calib *cs = NULL;
    CHECK_OK(lq_calib_create(IN, &cs));
    CHECK_OK(lq_calib_merge(cs, C));
    for (int j = 0; j < IN; j++)
        inv[j] = 1.0f / sc[j];
    CHECK_OK(lq_calib_scale_channels(cs, inv));
    CHECK_OK(lq_quantize(NULL, w, s, cs, NULL, &q));
    float *out = q ? decode(q) : calloc(OUT * IN, sizeof(float));
    for (int i = 0; i < OUT * IN; i++)
        out[i] /= sc[i % IN];
    /* the norm now divides by s, the weight's columns multiply by it */
    for (int j = 0; j < IN; j++)
        /* divided by s, or multiplied by a rounded 1/s: two float roundings */
        CHECK(norm[j] == 1.0f / sc[j] || fabsf(norm[j] * sc[j] - 1.0f) < 1e-6f);
    CHECK(ws[3 * IN + 17] == L.w[3 * IN + 17] * sc[17]);
    lq_tensor_free(q), lq_tensor_free(w), lq_tensor_free(nt);
    lq_calib_free(cs);
    lq_scheme_free(s);
    free(ws);
    return out;
}

static float *rtn(const char *scheme)
{
    lq_scheme *s = lqt_scheme(scheme);
    lq_tensor *w = lqt_wrap(L.w, OUT, IN, "w"), *q = NULL;
    CHECK_OK(lq_quantize(NULL, w, s, NULL, NULL, &q));
    float *out = q ? decode(q) : calloc(OUT * IN, sizeof(float));
    lq_tensor_free(q), lq_tensor_free(w);
    lq_scheme_free(s);
    return out;
}

static void better_than_rtn(void)
{
    const char *cfgs[][2] = {{"awq:int4:g128", "int4:g128:asym"},
                             {"awq:int3:g128", "int3:g128:asym"},
                             {"awq:int4:g64:sym", "int4:g64:sym"},
                             {"awq:int3:channel", "int3:channel:asym"}};
    for (int i = 0; i < 4; i++) {
        float norm[IN];
        for (int j = 0; j < IN; j++)
            norm[j] = 1.0f;
        float *a = awq_flow(cfgs[i][0], "blk.0.ffn_up.weight", norm), *r = rtn(cfgs[i][1]);
        double ea = lqt_output_error(L.x, 512, IN, L.w, a, OUT);
        double er = lqt_output_error(L.x, 512, IN, L.w, r, OUT);
        /* the report's figure for the same layer */
        lq_scheme *s = lqt_scheme(cfgs[i][0]);
        lq_tensor *w = lqt_wrap(L.w, OUT, IN, "blk.0.ffn_up.weight");
        double rm = -1, rr = -1;
        CHECK_OK(lq_method_error(NULL, w, s, C, &rm, &rr));
        printf("# %-18s awq %.3e  rtn %.3e  ratio %.2f   (lq_method_error: %.3e vs %.3e)\n",
               cfgs[i][0], ea, er, ea / er, rm, rr);
        CHECKF(ea < 0.75 * er, "%s: awq %g is not clearly below rtn %g", cfgs[i][0], ea, er);
        CHECKF(fabs(rm - ea) < 0.1 * ea && fabs(rr - er) < 0.1 * er, "report %g/%g vs %g/%g", rm,
               rr, ea, er);
        lq_tensor_free(w);
        lq_scheme_free(s);
        free(a), free(r);
    }
}

/* Clipping alone (no scales) never hurts: q and k skip it by name. */
static void clipping_search(void)
{
    lq_scheme *s = lqt_scheme("awq:int3:g128");
    lq_tensor *w1 = lqt_wrap(L.w, OUT, IN, "blk.0.ffn_up.weight"), *q1 = NULL;
    lq_tensor *w2 = lqt_wrap(L.w, OUT, IN, "blk.0.attn_q.weight"), *q2 = NULL;
    CHECK_OK(lq_quantize(NULL, w1, s, C, NULL, &q1));
    CHECK_OK(lq_quantize(NULL, w2, s, C, NULL, &q2));
    float *a = decode(q1), *b = decode(q2);
    double ea = lqt_output_error(L.x, 512, IN, L.w, a, OUT);
    double eb = lqt_output_error(L.x, 512, IN, L.w, b, OUT);
    printf("# awq:int3:g128 without scales: clipped %.3e, not clipped (attn_q) %.3e\n", ea, eb);
    CHECK(ea < 0.8 * eb);
    free(a), free(b);
    lq_tensor_free(q1), lq_tensor_free(q2), lq_tensor_free(w1), lq_tensor_free(w2);
    lq_scheme_free(s);
}

/* A linear -> linear pair (v_proj -> o_proj): dividing the last n rows of
 * the first (and its bias) and multiplying the second's columns keeps
 * y = W2 (W1 x + b) the same. */
static void scales_keep_the_function(void)
{
    enum { K = 40, MID = 48, N = 32, O = 24 };
    static float w1[MID * K], b1[MID], w2[O * N], x[K], s[N];
    lqt_rng r = {99};
    for (int i = 0; i < MID * K; i++)
        w1[i] = lqt_normal(&r);
    for (int i = 0; i < MID; i++)
        b1[i] = lqt_normal(&r);
    for (int i = 0; i < O * N; i++)
        w2[i] = lqt_normal(&r);
    for (int i = 0; i < K; i++)
        x[i] = lqt_normal(&r);
    for (int j = 0; j < N; j++)
        s[j] = (float)pow(2.0, (double)(j % 9) - 4.0) * 1.3f;
    double before[O], after[O];
    for (int pass = 0; pass < 2; pass++) {
        for (int o = 0; o < O; o++) {
            double acc = 0;
            for (int j = 0; j < N; j++) {
                double h = b1[MID - N + j];
                for (int k = 0; k < K; k++)
                    h += (double)w1[(MID - N + j) * K + k] * x[k];
                acc += h * w2[o * N + j];
            }
            (pass ? after : before)[o] = acc;
        }
        if (pass)
            break;
        lq_tensor *t1 = lqt_wrap(w1, MID, K, "v_proj"), *t2 = lqt_wrap(w2, O, N, "o_proj"), *tb = NULL;
        int64_t bs[1] = {MID};
        CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 1, bs, b1, sizeof b1, LQ_BORROW, "bias", &tb));
        lq_tensor *next[1] = {t2};
        float first_row = w1[0], first_bias = b1[0];
        CHECK_OK(lq_scales_apply(s, N, t1, tb, next, 1));
        CHECK(w1[0] == first_row && b1[0] == first_bias); /* rows before the last N stay */
        lq_tensor_free(t1), lq_tensor_free(t2), lq_tensor_free(tb);
    }
    double worst = 0;
    for (int o = 0; o < O; o++)
        worst = fmax(worst, fabs(after[o] - before[o]) / (1 + fabs(before[o])));
    /* scaling a layer's rows and dividing the next layer's columns leaves the
     * function exact but for float rounding of the two products and their
     * sums (K + MID terms, (K + MID) * 2^-24 = 5e-6 relative to 1 + |y|) */
    CHECKF(worst < 1e-5, "the function moved by %g", worst);

    /* shape and value checks, nothing changed on failure */
    float keep = w2[0], bad[N];
    memcpy(bad, s, sizeof bad);
    bad[3] = 0.0f;
    lq_tensor *t2 = lqt_wrap(w2, O, N, "o_proj"), *t3 = lqt_wrap(w1, MID, K, "wrong");
    lq_tensor *next[2] = {t2, t3};
    CHECK_STATUS(lq_scales_apply(bad, N, NULL, NULL, next, 1), LQ_ERR_INVALID);
    CHECK_STATUS(lq_scales_apply(s, N, NULL, NULL, next, 2), LQ_ERR_SHAPE);
    CHECK(w2[0] == keep);
    lq_tensor_free(t2), lq_tensor_free(t3);
}

static void arguments_are_checked(void)
{
    lq_scheme *s = lqt_scheme("awq:int4"), *g = lqt_scheme("gptq:int4");
    lq_tensor *w = lqt_wrap(L.w, OUT, IN, "w"), *q = NULL;
    const lq_tensor *ws[1] = {w};
    float sc[IN];
    CHECK_STATUS(lq_awq_search(NULL, g, C, ws, 1, sc), LQ_ERR_INVALID);
    CHECK_STATUS(lq_awq_search(NULL, s, C, ws, 0, sc), LQ_ERR_INVALID);
    lq_calib *c = NULL;
    CHECK_OK(lq_calib_create(IN + 1, &c));
    CHECK_STATUS(lq_awq_search(NULL, s, c, ws, 1, sc), LQ_ERR_SHAPE);
    CHECK_STATUS(lq_quantize(NULL, w, s, NULL, NULL, &q), LQ_ERR_INVALID);
    lq_calib_free(c);
    lq_tensor_free(w);
    lq_scheme_free(s), lq_scheme_free(g);
}

static void teardown(void)
{
    lq_calib_free(C);
    lqt_layer_free(&L);
}

LQT_MAIN(setup, better_than_rtn, clipping_search, scales_keep_the_function, arguments_are_checked,
         teardown)
