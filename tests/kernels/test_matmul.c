/* test_matmul.c — lq_matmul and lq_matmul_w8a8_raw through the public API, for
 * every type this build can quantize to, against a double-precision product
 * with the weight as lq_dequantize_f32 decodes it. Registered once per level
 * (LQ_ARCH), like test_kernels. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../oracle.h"
#include "kernel_test.h"
#include "libquant/core/tensor.h"
#include "libquant/core/type_list.h"
#include "libquant/formats/convert.h"
#include "libquant/kernels/decode.h"
#include "libquant/kernels/matmul.h"

/* Shapes: n is odd; k is a multiple of 256 (every block) and of 128 (groups). */
enum { N = 37, K = 512 };
/* Row counts: one (decoding), a few, both sides of LQ__MATMUL_GEMM_ROWS, and
 * a prefill (a weight of one gemm chunk is then split over blocks of X's
 * rows, the last one partial). */
enum { M_MAX = 300 };
static const int64_t row_counts[] = {1, 3, LQ__MATMUL_GEMM_ROWS - 1, LQ__MATMUL_GEMM_ROWS, 40,
                                     M_MAX};

/* every ggml weight type of core/type_list.h (those with kernels) */
#define GGML_SCHEME(T, n, v, g, be, bb, bits, fl, act, kern, ...) LQ__IF_KERNELS_REF_##kern(#n,)
static const char *const schemes[] = {
    "f32", "f16", "bf16", LQ__GGML_TYPES(GGML_SCHEME) "int8", "int8:channel", "int8:g32:asym",
    "int8:tensor:scale=f32", "int4", "int4:g32:asym", "int4:channel", "int4:g128:scale=f32",
    "int4:g16", "int3", "int2:asym", "int3:g64:asym", "int2:g32", "nf4", "fp4", "nf4:b32:dq",
    "nf4:b1024", "fp8_e4m3", "fp8_e5m2:channel"};

/* Tolerance for an output computed in f32 against the exact (double) sum, as
 * a fraction of sum |w x|: one float sum of K products in any order (sgemm
 * picks its kernel by CPU; the f32 dot path may apply a group's scale after
 * summing its codes times x, a second rounding per term). Half of
 * kt_sum_tol's two-sided bound: only one side is a float sum. */
#define F32_TOL (kt_sum_tol(K, 2) / 2)

static lq_tensor *make_weight(const char *scheme, lqt_rng *rng, float *w)
{
    for (int i = 0; i < N * K; i++)
        w[i] = 0.05f * lqt_normal(rng) + (i % 97 == 0 ? 0.5f : 0.0f);
    int64_t shape[2] = {N, K};
    lq_tensor *src = NULL, *q = NULL;
    lq_scheme *s = NULL;
    CHECK_OK(lq_scheme_parse(scheme, &s));
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, w, sizeof(float) * N * K, LQ_BORROW, "w", &src));
    lq_status st = lq_quantize(NULL, src, s, NULL, kt_imatrix_for(scheme, K), &q);
    if (st == LQ_ERR_UNSUPPORTED)
        printf("# %s: not available in this build yet (%s)\n", scheme, lq_last_error());
    else
        CHECK_OK(st);
    lq_tensor_free(src);
    lq_scheme_free(s);
    return q;
}

static void every_type_against_double(void)
{
    lqt_rng rng = {21};
    static float w[N * K], wd[N * K], x[M_MAX * K], y[M_MAX * N], y1[M_MAX * N];
    lq_ctx *one = NULL;
    CHECK_OK(lq_ctx_create(&one));
    CHECK_OK(lq_ctx_set_threads(one, 1));
    for (int s = 0; s < (int)(sizeof schemes / sizeof *schemes); s++) {
        lq_tensor *q = make_weight(schemes[s], &rng, w);
        if (!q)
            continue;
        CHECK_OK(lq_dequantize_f32(NULL, q, wd, N * K));
        for (int r = 0; r < (int)(sizeof row_counts / sizeof *row_counts); r++) {
            int64_t m = row_counts[r];
            kt_fill_floats(x, m * K, r == 1 ? KT_EXTREME : KT_NORMAL, &rng);
            CHECK_OK(lq_matmul(NULL, x, m, q, y));
            CHECK_OK(lq_matmul(one, x, m, q, y1));
            CHECKF(memcmp(y, y1, sizeof(float) * (size_t)(m * N)) == 0,
                   "%s m=%lld: 1 thread and all threads differ", schemes[s], (long long)m);
            int q8 = lq__matmul_quantizes_activations(q, m, 0);
            int64_t worst = -1;
            double worst_ratio = 0;
            for (int64_t i = 0; i < m; i++) {
                for (int64_t j = 0; j < N; j++) {
                    double exact = 0, mag = 0, q8_bound = 0;
                    for (int64_t t = 0; t < K; t++) {
                        double p = (double)x[i * K + t] * wd[j * K + t];
                        exact += p;
                        mag += fabs(p);
                    }
                    if (q8) { /* the activation error bound of lq_matmul.h, blocks of 32 or 256 */
                        int blk = lq__kernels_get()->t[lq_tensor_type(q)].act_type == LQ_TYPE_Q8_K ? 256 : 32;
                        for (int64_t t0 = 0; t0 < K; t0 += blk) {
                            double amax = 0, sw = 0;
                            for (int64_t t = t0; t < t0 + blk; t++) {
                                amax = fmax(amax, fabs(x[i * K + t]));
                                sw += fabs(wd[j * K + t]);
                            }
                            q8_bound += sw * amax / 200.0;
                        }
                    }
                    double allowed = F32_TOL * mag + q8_bound + 1e-30;
                    double ratio = fabs(y[i * N + j] - exact) / allowed;
                    if (!(ratio <= worst_ratio) || worst < 0) {
                        worst_ratio = ratio;
                        worst = i * N + j;
                    }
                }
            }
            CHECKF(worst_ratio <= 1.0, "%s m=%lld (%s): output %lld off by %.3g of its tolerance",
                   schemes[s], (long long)m, q8 ? "8-bit activations" : "f32", (long long)worst,
                   worst_ratio);
        }
        lq_tensor_free(q);
    }
    lq_ctx_free(one);
}

/* The kernels' decoding (what the gemm path multiplies) is bit-identical to
 * the codec's, which lq_dequantize_f32 uses, for every type. */
static void decoder_matches_codec(void)
{
    lqt_rng rng = {23};
    static float w[N * K], want[N * K], got[N * K];
    for (int s = 0; s < (int)(sizeof schemes / sizeof *schemes); s++) {
        lq_tensor *q = make_weight(schemes[s], &rng, w);
        if (!q)
            continue;
        CHECK_OK(lq_dequantize_f32(NULL, q, want, N * K));
        lq__qparams qp;
        lq__tensor_qparams(q, &qp);
        lq__qview view = {lq_tensor_data(q), N, K, &qp, {0}};
        CHECK_OK(lq__codec_layout("test", &qp, N, K, &view.layout));
        lq__row_decoder dec;
        lq__row_decoder_init(&dec, lq__kernels_get(), &view);
        lq__row_decoder_run(&dec, 0, 5, got);
        lq__row_decoder_run(&dec, 5, N, got + 5 * K);
        int64_t bad = kt_first_diff(want, got, N * K);
        CHECKF(bad < 0, "%s: element %lld: codec %a, kernels %a", schemes[s], (long long)bad,
               bad < 0 ? 0 : want[bad], bad < 0 ? 0 : got[bad]);
        lq_tensor_free(q);
    }
}

/* The activation quantizers, with their ggml names. */
static const struct {
    lq_type type;
    const char *ggml;
} acts[] = {{LQ_TYPE_Q8_0, "quantize_row_q8_0_ref"}, {LQ_TYPE_Q8_1, "quantize_row_q8_1_ref"},
            {LQ_TYPE_Q8_K, "quantize_row_q8_K_ref"}};
enum { NX = 1024 };

/* Each activation quantizer against `other` (a codec's quantize_row, or
 * ggml's reference function when `ggml` names it) on the same rows. */
static void compare_activations(void *ggml)
{
    static float x[NX];
    static uint8_t ours[2 * NX], theirs[2 * NX];
    lqt_rng rng = {24};
    int compared = 0;
    for (int a = 0; a < 3; a++) {
        lq__quant_act_fn q = lq__quant_act_for(acts[a].type);
        const lq__codec *codec = lq__codec_for(acts[a].type);
        void (*ref)(const float *, void *, int64_t) = NULL;
        if (ggml) {
            void *sym = dlsym(ggml, acts[a].ggml);
            memcpy(&ref, &sym, sizeof sym);
            CHECKF(ref, "ggml has no %s", acts[a].ggml);
        }
        size_t bytes = (size_t)lq__act_row_bytes(acts[a].type, NX);
        for (int mode = 0; mode < KT_MODES; mode++) {
            kt_fill_floats(x, NX, mode, &rng);
            x[7] = 0.5f * (x[3] = 1.0f); /* halves of the block scale round away from zero */
            memset(ours, 0, bytes);
            q(x, ours, NX);
            memset(theirs, 0, bytes);
            if (ggml && ref)
                ref(x, theirs, NX);
            else if (!ggml && codec && codec->quantize_row)
                codec->quantize_row(x, theirs, NX, NULL);
            else
                continue;
            CHECKF(memcmp(ours, theirs, bytes) == 0, "%s %s: differs from %s",
                   lq_type_name(acts[a].type), kt_mode_name(mode), ggml ? acts[a].ggml : "the codec");
            compared++;
        }
    }
    CHECK(compared > 0);
}

/* The activation quantizers against the q8 codecs (formats/). */
static void activations_match_codecs(void)
{
    compare_activations(NULL);
}

/* ... and against ggml's reference functions, where llama.cpp is installed. */
static void activations_match_ggml(void)
{
    const char *path = lqt_oracle_path(LQT_ORACLE_GGML_BASE);
    void *ggml = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!ggml) {
        ORACLE_SKIP_CASE("llama.cpp's libggml-base.so not found: %s", path);
        return;
    }
    compare_activations(ggml);
    dlclose(ggml);
}

static void bad_arguments(void)
{
    float x[8] = {0}, y[8];
    int64_t shape1[1] = {8}, shape2[2] = {2, 4};
    lq_tensor *v = NULL, *w = NULL;
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 1, shape1, x, sizeof x, LQ_BORROW, "v", &v));
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape2, x, sizeof x, LQ_BORROW, "w", &w));
    CHECK_STATUS(lq_matmul(NULL, x, 1, NULL, y), LQ_ERR_INVALID);
    CHECK_STATUS(lq_matmul(NULL, NULL, 1, w, y), LQ_ERR_INVALID);
    CHECK_STATUS(lq_matmul(NULL, x, 1, w, NULL), LQ_ERR_INVALID);
    CHECK_STATUS(lq_matmul(NULL, x, -1, w, y), LQ_ERR_INVALID);
    CHECK_STATUS(lq_matmul(NULL, x, 1, v, y), LQ_ERR_SHAPE);
    CHECK_OK(lq_matmul(NULL, NULL, 0, w, NULL));
    float bad[4] = {1, 2, NAN, 4};
    CHECK_STATUS(lq_matmul(NULL, bad, 1, w, y), LQ_ERR_NONFINITE);
    CHECK(strstr(lq_last_error(), "x[0, 2]") != NULL);
    int8_t w8[8] = {0};
    float sw[2] = {1, 1};
    CHECK_STATUS(lq_matmul_w8a8_raw(NULL, x, 1, 0, w8, sw, 2, y), LQ_ERR_INVALID);
    CHECK_STATUS(lq_matmul_w8a8_raw(NULL, x, 1, 200000, w8, sw, 2, y), LQ_ERR_INVALID);
    CHECK_STATUS(lq_matmul_w8a8_raw(NULL, x, -1, 4, w8, sw, 2, y), LQ_ERR_INVALID);
    CHECK_STATUS(lq_matmul_w8a8_raw(NULL, x, 1, 4, NULL, sw, 2, y), LQ_ERR_INVALID);
    CHECK_STATUS(lq_matmul_w8a8_raw(NULL, bad, 1, 4, w8, sw, 2, y), LQ_ERR_NONFINITE);
    CHECK_OK(lq_matmul_w8a8_raw(NULL, NULL, 0, 4, w8, sw, 2, NULL));
    lq_tensor_free(v);
    lq_tensor_free(w);
}

/* W8A8: the result is defined exactly (integer sums), so it is reproduced
 * here in plain C and compared bit for bit. */
static void w8a8_exact(void)
{
    lqt_rng rng = {22};
    static const int64_t shapes[][3] = {{1, 33, 100}, {5, 64, 4096}, {17, 7, 31}, {40, 48, 257}};
    lq_ctx *one = NULL;
    CHECK_OK(lq_ctx_create(&one));
    CHECK_OK(lq_ctx_set_threads(one, 1));
    for (int s = 0; s < (int)(sizeof shapes / sizeof *shapes); s++) {
        int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *x = malloc(sizeof(float) * (size_t)(m * k)), *sw = malloc(sizeof(float) * (size_t)n);
        float *y = malloc(sizeof(float) * (size_t)(m * n)), *y1 = malloc(sizeof(float) * (size_t)(m * n));
        int8_t *w = malloc((size_t)(n * k));
        kt_fill_floats(x, m * k, s == 2 ? KT_EXTREME : KT_NORMAL, &rng);
        if (s == 3)
            memset(x, 0, sizeof(float) * (size_t)k); /* an all-zero row: scale 0 */
        for (int64_t i = 0; i < n * k; i++)
            w[i] = (int8_t)((int)(lqt_next(&rng) % 256) - 128);
        for (int64_t j = 0; j < n; j++)
            sw[j] = 0.01f * (float)lqt_uniform(&rng);
        CHECK_OK(lq_matmul_w8a8_raw(NULL, x, m, k, w, sw, n, y));
        CHECK_OK(lq_matmul_w8a8_raw(one, x, m, k, w, sw, n, y1));
        CHECK(memcmp(y, y1, sizeof(float) * (size_t)(m * n)) == 0);
        int64_t bad = -1;
        for (int64_t i = 0; i < m && bad < 0; i++) {
            float amax = 0;
            for (int64_t t = 0; t < k; t++)
                amax = fmaxf(amax, fabsf(x[i * k + t]));
            float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
            for (int64_t j = 0; j < n && bad < 0; j++) {
                int32_t sum = 0;
                for (int64_t t = 0; t < k; t++)
                    sum += (int32_t)roundf(x[i * k + t] * id) * w[j * k + t];
                float want = d * sw[j] * (float)sum;
                if (memcmp(&want, &y[i * n + j], sizeof want) != 0)
                    bad = i * n + j;
            }
        }
        CHECKF(bad < 0, "w8a8 %lldx%lldx%lld: output %lld differs from the exact definition",
               (long long)m, (long long)n, (long long)k, (long long)bad);
        free(x), free(sw), free(y), free(y1), free(w);
    }
    lq_ctx_free(one);
}

int main(void)
{
    if (kt_skip_unavailable_level(lq__kernels_get()))
        return 0;
    lqt_case_fn cases[] = {every_type_against_double, decoder_matches_codec,
                           activations_match_codecs, activations_match_ggml, bad_arguments,
                           w8a8_exact};
    return lqt_run("every_type_against_double, decoder_matches_codec, activations_match_codecs, "
                   "activations_match_ggml, bad_arguments, w8a8_exact", cases,
                   (int)(sizeof cases / sizeof *cases));
}
