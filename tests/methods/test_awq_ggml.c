/* test_awq_ggml.c — AWQ's scale search with a ggml block type's own
 * quantizer in the loop (lq__awq_search_ggml, for lq_model_quantize's
 * "awq:q4_k_m" and the other mixtures): on a layer whose inputs have outlier
 * channels, the effective weight Q(W diag(s)) diag(s)^-1 of the scales found
 * has a smaller output error on the calibration tokens than rounding to
 * nearest in the same type, for each block type the k-quant mixtures and the
 * size budget write, with and without importance weights. The errors are
 * computed from their definition over the tokens (synth.h), the
 * quantizations by the public lq_quantize, so neither depends on the
 * search's own Hessian arithmetic. */
#include "libquant/core/ctx.h"
#include "libquant/methods/awq.h"
#include "libquant/methods/layer_error.h"
#include "synth.h"

enum { TOKENS = 1024, IN = 512, OUT = 128 };

static lqt_layer L;
static lq_calib *C;
static float imatrix[IN]; /* mean x^2, as llama-imatrix computes it */

static void setup(void)
{
    lqt_layer_make(&L, TOKENS, IN, OUT, 11);
    CHECK_OK(lq_calib_create(IN, &C));
    CHECK_OK(lq_calib_add(C, L.x, TOKENS));
    for (int64_t t = 0; t < TOKENS; t++)
        for (int j = 0; j < IN; j++)
            imatrix[j] += L.x[t * IN + j] * L.x[t * IN + j] / TOKENS;
}

/* Q(W diag(s)) diag(s)^-1 in `type`, the importance weights divided by s^2
 * as the model quantizer divides them (NULL im: none). */
static float *effective(lq_type type, const float *s, const float *im)
{
    float *ws = malloc(sizeof(float) * OUT * IN), *out = calloc(OUT * IN, sizeof(float));
    float ims[IN];
    for (int i = 0; i < OUT * IN; i++)
        ws[i] = L.w[i] * s[i % IN];
    for (int j = 0; j < IN; j++)
        ims[j] = im ? im[j] / (s[j] * s[j]) : 0.0f;
    lq_tensor *w = lqt_wrap(ws, OUT, IN, "w"), *q = NULL;
    lq_scheme *sc = lqt_scheme(lq_type_name(type));
    CHECKF(lq_quantize(NULL, w, sc, NULL, im ? ims : NULL, &q) == LQ_OK, "%s: %s",
           lq_type_name(type), lq_last_error());
    if (q)
        CHECK_OK(lq_dequantize_f32(NULL, q, out, OUT * IN));
    for (int i = 0; i < OUT * IN; i++)
        out[i] /= s[i % IN];
    lq_tensor_free(q);
    lq_tensor_free(w);
    lq_scheme_free(sc);
    free(ws);
    return out;
}

/* Measured (deterministic, printed): AWQ / RTN output error ratios of
 * 0.06-0.09 without importance weights (the outlier channels set every
 * block's range) and 0.16-0.49 with them (the quantizers already favour
 * those channels); Q8_0 takes no importance weights. The bound 0.6 is
 * above every measured ratio with room for another libm's powf in the
 * candidates, and far below 1, which the s = 1 candidate alone gives. */
#define AWQ_BOUND 0.6

static void below_rtn(void)
{
    static const lq_type types[] = {LQ_TYPE_Q2_K, LQ_TYPE_Q3_K, LQ_TYPE_Q4_K, LQ_TYPE_Q5_K,
                                    LQ_TYPE_Q6_K, LQ_TYPE_Q4_0, LQ_TYPE_IQ4_XS, LQ_TYPE_Q8_0};
    float one[IN], s[IN];
    for (int j = 0; j < IN; j++)
        one[j] = 1.0f;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        for (int with_im = 0; with_im < 2; with_im++) {
            const float *im[1] = {with_im ? imatrix : NULL};
            lq_tensor *w = lqt_wrap(L.w, OUT, IN, "w");
            lq_type t[1] = {types[i]};
            CHECK_OK(lq__awq_search_ggml(NULL, C, (const lq_tensor *const *)&w, t, im,
                                         1, s));
            lq_tensor_free(w);
            float *awq = effective(types[i], s, im[0]), *rtn = effective(types[i], one, im[0]);
            double ea = lqt_output_error(L.x, TOKENS, IN, L.w, awq, OUT);
            double er = lqt_output_error(L.x, TOKENS, IN, L.w, rtn, OUT);
            printf("# %-7s %s: output error awq %.3e, rtn %.3e, ratio %.3f\n",
                   lq_type_name(types[i]), with_im ? "imatrix" : "plain  ", ea, er, ea / er);
            CHECKF(ea < AWQ_BOUND * er, "%s: awq %g, rtn %g", lq_type_name(types[i]), ea,
                   er);
            free(awq);
            free(rtn);
        }
    }
}

/* A weight whose type has no ggml row quantizer (kept as it is) adds no
 * error, so any candidate is as good: the first, s = 1. A row length
 * the block does not divide is refused with a message. */
static void kept_and_refused(void)
{
    const float *im[1] = {NULL};
    lq_tensor *w = lqt_wrap(L.w, OUT, IN, "w");
    const lq_tensor *const *ws = (const lq_tensor *const *)&w;
    lq_type t[1] = {LQ_TYPE_F32};
    float s[IN];
    CHECK_OK(lq__awq_search_ggml(NULL, C, ws, t, im, 1, s));
    int ones = 1;
    for (int j = 0; j < IN; j++)
        ones &= s[j] == 1.0f;
    CHECK(ones);
    lq_calib *odd = NULL;
    CHECK_OK(lq_calib_create(IN - 32, &odd)); /* 480 columns: no whole 256-blocks */
    float *x = malloc(sizeof(float) * TOKENS * (IN - 32));
    for (int64_t k = 0; k < TOKENS; k++)
        memcpy(x + k * (IN - 32), L.x + k * IN, sizeof(float) * (IN - 32));
    CHECK_OK(lq_calib_add(odd, x, TOKENS));
    t[0] = LQ_TYPE_Q4_K;
    CHECK_STATUS(lq__awq_search_ggml(NULL, odd, ws, t, im, 1, s), LQ_ERR_SHAPE);
    CHECK(strstr(lq_last_error(), "multiple of 256") != NULL);
    lq_tensor_free(w);
    free(x);
    lq_calib_free(odd);
}

/* Under a memory limit (the ctx's small_buffers) the searches score a
 * weight's rows in chunks (lq__hessian_chunk_rows); the error's sum must keep
 * its order, so the errors and the scales found are the same bits as in one
 * pass. A narrow layer (32 inputs: 32768 rows per block of the error's sum,
 * and per chunk on one thread) with 150000 rows gives five chunks, the
 * last one short, at little cost. */
static void chunked_same_bits(void)
{
    enum { NARROW = 32, TALL = 150000 };
    lqt_layer n;
    lqt_layer_make(&n, 256, NARROW, TALL, 5);
    lq_calib *c = NULL;
    CHECK_OK(lq_calib_create(NARROW, &c));
    CHECK_OK(lq_calib_add(c, n.x, 256));
    lq_ctx whole = {.threads = 1}, small = {.threads = 1, .small_buffers = true};
    const int64_t chunk = lq__hessian_chunk_rows(&small, c, TALL);
    CHECK(chunk < TALL / 2 && lq__hessian_chunk_rows(&whole, c, TALL) == TALL);
    /* a sum that regrouped the blocks (a chunk's sum, then the total) would
     * differ in the last bits for some of these weights: the second chunk's
     * rows are grown by 10% at each of 16 tries */
    float *grown = malloc(sizeof(float) * TALL * NARROW);
    memcpy(grown, n.w, sizeof(float) * TALL * NARROW);
    int same = 0;
    for (int k = 0; k < 16; k++) {
        double one = 0, parts = 0;
        CHECK_OK(lq__hessian_error(&whole, c, grown, TALL, &one));
        for (int64_t r0 = 0; r0 < TALL; r0 += chunk)
            CHECK_OK(lq__hessian_error_add(&small, c, grown + r0 * NARROW,
                                           TALL - r0 < chunk ? TALL - r0 : chunk, &parts));
        same += memcmp(&one, &parts, sizeof one) == 0;
        for (int64_t i = chunk * NARROW; i < 2 * chunk * NARROW; i++)
            grown[i] *= 1.1f;
    }
    CHECKF(same == 16, "%d of 16 errors the same bits", same);
    free(grown);

    const float *im[2] = {NULL, NULL};
    lq_tensor *w[2] = {lqt_wrap(n.w, TALL, NARROW, "w"),
                       lqt_wrap(n.w + NARROW, TALL - 1, NARROW, "w1")};
    const lq_tensor *const *ws = (const lq_tensor *const *)w;
    lq_type t[2] = {LQ_TYPE_Q8_0, LQ_TYPE_Q4_0};
    float a[NARROW], b[NARROW];
    CHECK_OK(lq__awq_search_ggml(&whole, c, ws, t, im, 2, a));
    CHECK_OK(lq__awq_search_ggml(&small, c, ws, t, im, 2, b));
    CHECK(memcmp(a, b, sizeof a) == 0);
    lq_scheme *sc = lqt_scheme("awq:int4:g32");
    CHECK_OK(lq_awq_search(&whole, sc, c, ws, 1, a));
    CHECK_OK(lq_awq_search(&small, sc, c, ws, 1, b));
    CHECK(memcmp(a, b, sizeof a) == 0);
    /* an f16 weight is read a chunk of rows at a time, each widened (exact):
     * the same scales as from its whole f32 copy */
    lq_scheme *f16 = lqt_scheme("f16");
    lq_tensor *h = NULL, *hf = NULL;
    CHECK_OK(lq_quantize(&whole, w[0], f16, NULL, NULL, &h));
    CHECK_OK(lq_dequantize(&whole, h, LQ_TYPE_F32, &hf));
    CHECK_OK(lq__awq_search_ggml(&small, c, (const lq_tensor *const *)&h, t, im, 1,
                                 a));
    CHECK_OK(lq__awq_search_ggml(&whole, c, (const lq_tensor *const *)&hf, t, im, 1,
                                 b));
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK_OK(lq_awq_search(&small, sc, c, (const lq_tensor *const *)&h, 1, a));
    CHECK_OK(lq_awq_search(&whole, sc, c, (const lq_tensor *const *)&hf, 1, b));
    CHECK(memcmp(a, b, sizeof a) == 0);
    lq_tensor_free(h);
    lq_tensor_free(hf);
    lq_scheme_free(f16);
    lq_scheme_free(sc);
    lq_tensor_free(w[0]);
    lq_tensor_free(w[1]);
    lq_calib_free(c);
    lqt_layer_free(&n);
}

static void teardown(void)
{
    lq_calib_free(C);
    lqt_layer_free(&L);
}

LQT_MAIN(setup, below_rtn, kept_and_refused, chunked_same_bits, teardown)
