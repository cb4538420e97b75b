/* test_matmul_v2.c — lq_matmul_v2 (kernels/matmul.c, gemm_q8.c): with
 * LQ_MATMUL_ACT_8BIT every row count gives the m = 1 dot path's numbers up to
 * the float order and the same bits with any thread count, for every scheme
 * with integer dots; several weights sharing X (lq__matmul_shared) give the
 * bits of one call each, on the dot path and on the tile path; the dot path
 * over many chunks; the non-finite check of X on every path; the flags. Registered once per level (LQ_ARCH). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "kernel_test.h"
#include "libquant/core/ctx.h"
#include "libquant/core/tensor.h"
#include "libquant/core/type_list.h"
#include "libquant/kernels/matmul.h"

/* Every scheme whose product has integer dots: the ggml weight types of
 * core/type_list.h (those with kernels) and the linear ones with groups of a
 * multiple of 32 (per channel, per tensor). */
#define GGML_SCHEME(T, n, v, g, be, bb, bits, fl, act, kern, ...) LQ__IF_KERNELS_REF_##kern(#n,)
static const char *const schemes[] = {
    LQ__GGML_TYPES(GGML_SCHEME) "int8", "int8:g32:asym", "int8:channel", "int8:tensor:scale=f32",
    "int4", "int4:g32:asym", "int4:g128:scale=f32", "int4:channel:asym", "int3", "int3:g64:asym",
    "int2", "int2:g32:asym"};
#define NSCHEMES ((int)(sizeof schemes / sizeof *schemes))

/* A quantized tensor of a scheme, from values whose scale varies by row
 * (row 1 all zero, row 2 huge when the scheme has f32 scales). */
static lq_tensor *quantized(const char *scheme, int64_t n, int64_t k, lqt_rng *rng, float *wf)
{
    int big = strstr(scheme, "scale=f32") != NULL;
    for (int64_t r = 0; r < n; r++)
        for (int64_t c = 0; c < k; c++)
            wf[r * k + c] = r == 1 ? 0.0f : (r == 2 && big ? 1e7f : 0.05f) * lqt_normal(rng);
    int64_t shape[2] = {n, k};
    lq_tensor *src = NULL, *q = NULL;
    lq_scheme *s = NULL;
    CHECK_OK(lq_scheme_parse(scheme, &s));
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, wf, sizeof(float) * (size_t)(n * k), LQ_BORROW, "w", &src));
    CHECK_OK(lq_quantize(NULL, src, s, NULL, kt_imatrix_for(scheme, k), &q));
    lq_tensor_free(src);
    lq_scheme_free(s);
    return q;
}

/* lq_matmul_v2 with LQ_MATMUL_ACT_8BIT: every row count gives the m = 1 dot
 * path's numbers up to the float order, and the same bits with 1, 2 or 3
 * threads (n spans several chunks). */
static void matmul_8bit_matches_dot_path(void)
{
    enum { N = 150, K = 4096, M = 21 };
    lqt_rng rng = {32};
    float *wf = malloc(sizeof(float) * N * K), *wd = malloc(sizeof(float) * N * K);
    float *x = malloc(sizeof(float) * M * K), *y = malloc(sizeof(float) * M * N);
    float *y1 = malloc(sizeof(float) * M * N), *yt = malloc(sizeof(float) * M * N);
    lq_ctx *ctx[3] = {NULL, NULL, NULL};
    for (int c = 0; c < 3; c++) {
        CHECK_OK(lq_ctx_create(&ctx[c]));
        CHECK_OK(lq_ctx_set_threads(ctx[c], c + 1));
    }
    for (int si = 0; si < NSCHEMES; si++) {
        lq_tensor *q = quantized(schemes[si], N, K, &rng, wf);
        if (!q)
            continue;
        CHECK_OK(lq_dequantize_f32(NULL, q, wd, N * K));
        kt_fill_floats(x, M * K, si % 3 == 2 ? KT_EXTREME : KT_NORMAL, &rng);
        CHECK(lq__matmul_quantizes_activations(q, M, LQ_MATMUL_ACT_8BIT));
        CHECK_OK(lq_matmul_v2(ctx[0], x, M, q, LQ_MATMUL_ACT_8BIT, y));
        for (int c = 1; c < 3; c++) {
            CHECK_OK(lq_matmul_v2(ctx[c], x, M, q, LQ_MATMUL_ACT_8BIT, yt));
            CHECKF(memcmp(y, yt, sizeof(float) * M * N) == 0, "%s: %d threads differ from 1",
                   schemes[si], c + 1);
        }
        for (int64_t i = 0; i < M; i++)
            CHECK_OK(lq_matmul_v2(ctx[1], x + i * K, 1, q, LQ_MATMUL_ACT_8BIT, y1 + i * N));
        int64_t worst = -1;
        double worst_ratio = 0;
        for (int64_t i = 0; i < M; i++) {
            for (int64_t j = 0; j < N; j++) {
                double mag = 0;
                for (int64_t t = 0; t < K; t++)
                    mag += fabs((double)wd[j * K + t] * x[i * K + t]);
                /* the same 8-bit activations and integer group sums on both paths:
                 * float order only, at most a scale and a min term per 16 elements,
                 * four roundings each (kt_sum_tol); + 1e-30 for all-zero rows */
                double tol = kt_sum_tol(K / 16.0, 4);
                double ratio = fabs((double)y[i * N + j] - y1[i * N + j]) / (tol * mag + 1e-30);
                if (!(ratio <= worst_ratio) || worst < 0)
                    worst_ratio = ratio, worst = i * N + j;
            }
        }
        CHECKF(worst_ratio <= 1.0, "%s: output %lld is %.3g of the tolerance away from the m = 1 "
               "dot path", schemes[si], (long long)worst, worst_ratio);
        lq_tensor_free(q);
    }
    for (int c = 0; c < 3; c++)
        lq_ctx_free(ctx[c]);
    free(wf), free(wd), free(x), free(y), free(y1), free(yt);
}

/* lq__matmul_shared: the bits of one lq_matmul_v2 call per weight, with 1
 * and 2 threads, for every scheme alone and beside weights of other shapes
 * and types (the same activation type shares X, another does not); 1 and 3
 * rows of X take the row dots, 9 the tile kernels. */
static void shared_x_same_bits(void)
{
    enum { K = 256, M = 9 };
    static const int64_t rows[LQ__MATMUL_SHARED_MAX] = {37, 8, 64, 5};
    static const char *const others[] = {"q4_0", "q4_K", "q8_0"};
    lqt_rng rng = {34};
    float *wf = malloc(sizeof(float) * 64 * K), *x = malloc(sizeof(float) * M * K);
    float *want[LQ__MATMUL_SHARED_MAX], *got[LQ__MATMUL_SHARED_MAX];
    for (int j = 0; j < LQ__MATMUL_SHARED_MAX; j++) { /* room for any weight's outputs */
        want[j] = malloc(sizeof(float) * M * 64);
        got[j] = malloc(sizeof(float) * M * 64);
    }
    lq_ctx *ctx[2] = {NULL, NULL};
    for (int c = 0; c < 2; c++) {
        CHECK_OK(lq_ctx_create(&ctx[c]));
        CHECK_OK(lq_ctx_set_threads(ctx[c], c + 1));
    }
    kt_fill_floats(x, M * K, KT_NORMAL, &rng);
    for (int si = 0; si < NSCHEMES; si++) {
        const lq_tensor *w[LQ__MATMUL_SHARED_MAX];
        lq_tensor *own[LQ__MATMUL_SHARED_MAX] = {NULL};
        for (int j = 0; j < LQ__MATMUL_SHARED_MAX; j++)
            w[j] = own[j] = quantized(j % 2 ? schemes[si] : others[(si + j) % 3], rows[j], K, &rng, wf);
        if (!own[0] || !own[1] || !own[2] || !own[3])
            continue;
        static const int64_t ms[] = {1, 3, M};
        for (int mi = 0; mi < 3; mi++) {
            for (int first = 0; first < 2; first++) { /* the scheme alone, then with the others */
                int count = first ? LQ__MATMUL_SHARED_MAX - 1 : 1;
                for (int j = 0; j < count; j++)
                    CHECK_OK(lq_matmul_v2(ctx[0], x, ms[mi], w[first + j], LQ_MATMUL_ACT_8BIT, want[j]));
                for (int c = 0; c < 2; c++) {
                    CHECK_OK(lq__matmul_shared(ctx[c], x, ms[mi], w + first, count, got,
                                               LQ_MATMUL_ACT_8BIT));
                    for (int j = 0; j < count; j++)
                        CHECKF(memcmp(want[j], got[j], sizeof(float) * (size_t)(ms[mi] * rows[first + j])) == 0,
                               "%s: m = %lld, weight %d of %d, %d threads", schemes[si],
                               (long long)ms[mi], j, count, c + 1);
                }
            }
        }
        for (int j = 0; j < LQ__MATMUL_SHARED_MAX; j++)
            lq_tensor_free(own[j]);
    }
    const lq_tensor *none[1] = {NULL};
    CHECK_STATUS(lq__matmul_shared(NULL, x, 1, none, 0, got, 0), LQ_ERR_INVALID);
    for (int c = 0; c < 2; c++)
        lq_ctx_free(ctx[c]);
    for (int j = 0; j < LQ__MATMUL_SHARED_MAX; j++)
        free(want[j]), free(got[j]);
    free(wf), free(x);
}

/* The dot path over many chunks (kernels/matmul.c cuts weights into chunks of
 * 128 KiB, or a thread's share of the rows when that is less, in whole groups
 * of 4 rows: 56 rows of q4_0 at K = 4096, so 130 rows are 3 chunks at 1 to 3
 * threads, the last one short and not a whole group): the same
 * bits with 1, 2 and 3 threads, alone and with two weights sharing X, whose
 * chunks then cross from one weight into the other. */
static void many_chunks_same_bits(void)
{
    enum { N = 130, N2 = 70, K = 4096, M = 3 };
    static const char *const kinds[] = {"q4_0", "q4_K", "f16"}; /* q8_0, q8_K and f32 dots */
    lqt_rng rng = {35};
    float *wf = malloc(sizeof(float) * N * K), *x = malloc(sizeof(float) * M * K);
    float *want = malloc(sizeof(float) * M * N), *got = malloc(sizeof(float) * M * N);
    float *want2 = malloc(sizeof(float) * M * N2), *got2 = malloc(sizeof(float) * M * N2);
    lq_ctx *ctx[3] = {NULL, NULL, NULL};
    for (int c = 0; c < 3; c++) {
        CHECK_OK(lq_ctx_create(&ctx[c]));
        CHECK_OK(lq_ctx_set_threads(ctx[c], c + 1));
    }
    kt_fill_floats(x, M * K, KT_NORMAL, &rng);
    lq_tensor *second = quantized("q4_K", N2, K, &rng, wf);
    for (int si = 0; si < (int)(sizeof kinds / sizeof *kinds); si++) {
        lq_tensor *q = quantized(kinds[si], N, K, &rng, wf);
        if (!q || !second)
            continue;
        for (int64_t m = 1; m <= M; m += 2) {
            CHECK_OK(lq_matmul(ctx[0], x, m, q, want));
            CHECK_OK(lq_matmul(ctx[0], x, m, second, want2));
            for (int c = 0; c < 3; c++) {
                CHECK_OK(lq_matmul(ctx[c], x, m, q, got));
                CHECKF(memcmp(want, got, sizeof(float) * (size_t)(m * N)) == 0, "%s: m = %lld, %d threads",
                       kinds[si], (long long)m, c + 1);
                const lq_tensor *both[2] = {q, second};
                float *out[2] = {got, got2};
                CHECK_OK(lq__matmul_shared(ctx[c], x, m, both, 2, out, 0));
                CHECKF(memcmp(want, got, sizeof(float) * (size_t)(m * N)) == 0 &&
                           memcmp(want2, got2, sizeof(float) * (size_t)(m * N2)) == 0,
                       "%s and q4_K sharing X: m = %lld, %d threads", kinds[si], (long long)m, c + 1);
            }
        }
        lq_tensor_free(q);
    }
    lq_tensor_free(second);
    for (int c = 0; c < 3; c++)
        lq_ctx_free(ctx[c]);
    free(wf), free(x), free(want), free(got), free(want2), free(got2);
}

/* The gemm path's decode chunks under a memory limit (lq_ctx's
 * small_buffers: 2^21 floats, 1024 rows at K = 2048, so 1040 rows are two
 * chunks instead of one split over X's rows): the same bits. */
static void small_buffers_same_bits(void)
{
    enum { N = 1040, K = 2048, M = 256 };
    lqt_rng rng = {36};
    float *wf = malloc(sizeof(float) * N * K), *x = malloc(sizeof(float) * M * K);
    float *want = malloc(sizeof(float) * M * N), *got = malloc(sizeof(float) * M * N);
    lq_ctx *small = NULL;
    CHECK_OK(lq_ctx_create(&small));
    if (small)
        small->small_buffers = true;
    kt_fill_floats(x, M * K, KT_NORMAL, &rng);
    lq_tensor *q = quantized("f16", N, K, &rng, wf);
    CHECK_OK(lq_matmul_v2(NULL, x, M, q, LQ_MATMUL_ACT_F32, want));
    CHECK_OK(lq_matmul_v2(small, x, M, q, LQ_MATMUL_ACT_F32, got));
    CHECK(memcmp(want, got, sizeof(float) * M * N) == 0);
    lq_tensor_free(q);
    lq_ctx_free(small);
    free(wf), free(x), free(want), free(got);
}

/* lq__matmul_split_rows: products of runs of W's rows that start at
 * multiples of the rows it gives and hold more (here two of them, the last
 * run the rest) give the whole product's bits, on the gemm path under
 * small_buffers (f16 at M = 256: runs of two 1024-row chunks and one of
 * 1552), the tile path (q8_0 at M = 40) and the dot path (q4_K at M = 3). */
static void split_rows_same_bits(void)
{
    enum { K = 2048, MAXM = 256, MAXN = 3600 };
    static const struct { const char *scheme; int64_t n, m; } cases[] = {
        {"f16", 3600, 256}, {"q8_0", 200, 40}, {"q4_K", 200, 3}};
    lqt_rng rng = {38};
    float *wf = malloc(sizeof(float) * MAXN * K), *x = malloc(sizeof(float) * MAXM * K);
    float *want = malloc(sizeof(float) * MAXM * MAXN), *got = malloc(sizeof(float) * MAXM * MAXN);
    float *part = malloc(sizeof(float) * MAXM * MAXN);
    lq_ctx *small = NULL;
    CHECK_OK(lq_ctx_create(&small));
    if (small)
        small->small_buffers = true;
    kt_fill_floats(x, MAXM * K, KT_NORMAL, &rng);
    for (size_t c = 0; small && c < sizeof cases / sizeof *cases; c++) {
        int64_t n = cases[c].n, m = cases[c].m;
        lq_tensor *q = quantized(cases[c].scheme, n, K, &rng, wf);
        if (!q)
            continue;
        int64_t step = lq__matmul_split_rows(small, q, m, LQ_MATMUL_ACT_8BIT), runs = 0;
        CHECKF(step > 0 && step < n / 3, "%s: %lld rows", cases[c].scheme, (long long)step);
        CHECK_OK(lq_matmul_v2(small, x, m, q, LQ_MATMUL_ACT_8BIT, want));
        size_t row_bytes = q->nbytes / (size_t)n;
        for (int64_t r0 = 0, len; step > 0 && r0 < n; r0 += len, runs++) {
            len = n - r0 - 2 * step <= step ? n - r0 : 2 * step;
            lq_tensor piece = *q;
            piece.shape[0] = len;
            piece.data += (size_t)r0 * row_bytes;
            piece.nbytes = (size_t)len * row_bytes;
            piece.owned = false;
            CHECK_OK(lq_matmul_v2(small, x, m, &piece, LQ_MATMUL_ACT_8BIT, part));
            for (int64_t i = 0; i < m; i++)
                memcpy(got + i * n + r0, part + i * len, sizeof(float) * (size_t)len);
        }
        CHECKF(runs >= 2 && memcmp(want, got, sizeof(float) * (size_t)(m * n)) == 0,
               "%s: %lld runs", cases[c].scheme, (long long)runs);
        lq_tensor_free(q);
    }
    lq_ctx_free(small);
    free(wf), free(x), free(want), free(got), free(part);
}

/* The flags: unknown bits and both at once refused; 0 is lq_matmul; F32
 * never quantizes; types without integer dots ignore 8BIT. */
/* The tile path with weights of one format sharing X (one job over all
 * their chunks; the 2- and 3-thread cases cut each weight into several
 * chunks, the last one short): the bits of one call per weight, with 1, 2
 * and 3 threads. */
static void tile_shared_same_bits(void)
{
    enum { K = 256, M = 40, NW = 3 };
    static const int64_t rows[NW] = {200, 64, 72};
    static const char *const kinds[] = {"q8_0", "q4_K", "q4_0"}; /* wide codes, S256, B32 */
    lqt_rng rng = {36};
    float *wf = malloc(sizeof(float) * 200 * K), *x = malloc(sizeof(float) * M * K);
    float *want[NW], *got[NW];
    for (int j = 0; j < NW; j++) {
        want[j] = malloc(sizeof(float) * M * (size_t)rows[j]);
        got[j] = malloc(sizeof(float) * M * (size_t)rows[j]);
    }
    lq_ctx *ctx[3] = {NULL, NULL, NULL};
    for (int c = 0; c < 3; c++) {
        CHECK_OK(lq_ctx_create(&ctx[c]));
        CHECK_OK(lq_ctx_set_threads(ctx[c], c + 1));
    }
    kt_fill_floats(x, M * K, KT_NORMAL, &rng);
    for (int si = 0; si < (int)(sizeof kinds / sizeof *kinds); si++) {
        lq_tensor *own[NW];
        const lq_tensor *w[NW];
        for (int j = 0; j < NW; j++)
            w[j] = own[j] = quantized(kinds[si], rows[j], K, &rng, wf);
        if (!own[0] || !own[1] || !own[2])
            continue;
        for (int j = 0; j < NW; j++)
            CHECK_OK(lq_matmul_v2(ctx[0], x, M, w[j], LQ_MATMUL_ACT_8BIT, want[j]));
        for (int c = 0; c < 3; c++) {
            CHECK_OK(lq__matmul_shared(ctx[c], x, M, w, NW, got, LQ_MATMUL_ACT_8BIT));
            for (int j = 0; j < NW; j++)
                CHECKF(memcmp(want[j], got[j], sizeof(float) * (size_t)(M * rows[j])) == 0,
                       "%s: weight %d, %d threads", kinds[si], j, c + 1);
        }
        for (int j = 0; j < NW; j++)
            lq_tensor_free(own[j]);
    }
    for (int c = 0; c < 3; c++)
        lq_ctx_free(ctx[c]);
    for (int j = 0; j < NW; j++)
        free(want[j]), free(got[j]);
    free(wf), free(x);
}

/* lq__first_nonfinite: inf and NaN found in a whole piece of 256, in the
 * tail after the pieces, at the first and last element; n when all finite. */
static void first_nonfinite(void)
{
    enum { N = 600 };
    float *x = calloc(N, sizeof *x);
    CHECK(lq__first_nonfinite(x, N) == N);
    CHECK(lq__first_nonfinite(x, 0) == 0);
    static const int64_t at[] = {0, 3, 255, 256, 511, 512, 599};
    for (int i = 0; i < (int)(sizeof at / sizeof *at); i++) {
        for (int kind = 0; kind < 3; kind++) {
            x[at[i]] = kind == 0 ? INFINITY : kind == 1 ? -INFINITY : NAN;
            CHECKF(lq__first_nonfinite(x, N) == at[i], "kind %d at %lld", kind, (long long)at[i]);
            CHECK(lq__first_nonfinite(x, at[i]) == at[i]); /* before it: none */
            x[at[i]] = 3.4e38f; /* the largest floats are finite */
            CHECK(lq__first_nonfinite(x, N) == N);
            x[at[i]] = 0.0f;
        }
    }
    free(x);
}

/* X with infinity or NaN: LQ_ERR_NONFINITE naming the first such element,
 * on every path (one row: the dot path; 40 rows: the tile path, which checks
 * X on the pool while quantizing it, or the BLAS path in f32), alone and
 * with weights sharing X, at 1 and 2 threads. */
static void nonfinite_x(void)
{
    enum { N = 40, K = 256, M = 40 };
    lqt_rng rng = {37};
    static float wf[N * K], x[M * K], y[M * N], y2[M * N];
    float *out[2] = {y, y2};
    lq_tensor *q = quantized("q8_0", N, K, &rng, wf);
    const lq_tensor *both[2] = {q, q};
    lq_ctx *ctx[2] = {NULL, NULL};
    for (int c = 0; c < 2; c++) {
        CHECK_OK(lq_ctx_create(&ctx[c]));
        CHECK_OK(lq_ctx_set_threads(ctx[c], c + 1));
    }
    static const unsigned acts[] = {LQ_MATMUL_ACT_8BIT, LQ_MATMUL_ACT_F32};
    for (int c = 0; c < 2; c++)
        for (int a = 0; a < 2; a++)
            for (int m = 1; m <= M; m += M - 1) {
                /* the first one in row order is named, not the first found */
                int64_t at = (m - 1) * K + 5, later = m > 1 ? (m - 1) * K + 200 : -1;
                for (int kind = 0; kind < 2; kind++) {
                    kt_fill_floats(x, M * K, KT_NORMAL, &rng);
                    x[at] = kind ? INFINITY : NAN;
                    if (later >= 0)
                        x[later] = NAN;
                    const char *want = kind ? "infinite" : "NaN";
                    char name[64];
                    snprintf(name, sizeof name, "x[%d, 5] is %s", m - 1, want);
                    CHECK_STATUS(lq_matmul_v2(ctx[c], x, m, q, acts[a], y), LQ_ERR_NONFINITE);
                    CHECKF(strstr(lq_last_error(), name) != NULL, "%s: %s", name, lq_last_error());
                    CHECK_STATUS(lq__matmul_shared(ctx[c], x, m, both, 2, out,
                                                   acts[a] | LQ__MATMUL_CHECK_X),
                                 LQ_ERR_NONFINITE);
                    CHECKF(strstr(lq_last_error(), name) != NULL, "%s: %s", name, lq_last_error());
                }
                kt_fill_floats(x, M * K, KT_NORMAL, &rng);
                CHECK_OK(lq_matmul_v2(ctx[c], x, m, q, acts[a], y));
                CHECK_OK(lq__matmul_shared(ctx[c], x, m, both, 2, out, acts[a] | LQ__MATMUL_CHECK_X));
            }
    for (int c = 0; c < 2; c++)
        lq_ctx_free(ctx[c]);
    lq_tensor_free(q);
}

static void flags(void)
{
    enum { N = 20, K = 256, M = 5 };
    lqt_rng rng = {33};
    static float wf[N * K], x[M * K], y[M * N], y2[M * N];
    lq_tensor *q = quantized("q4_0", N, K, &rng, wf);
    lq_tensor *nf4 = quantized("nf4", N, K, &rng, wf);
    kt_fill_floats(x, M * K, KT_NORMAL, &rng);
    CHECK_STATUS(lq_matmul_v2(NULL, x, M, q, LQ_MATMUL_ACT_8BIT | LQ_MATMUL_ACT_F32, y), LQ_ERR_INVALID);
    CHECK_STATUS(lq_matmul_v2(NULL, x, M, q, 0x4u, y), LQ_ERR_INVALID);
    CHECK_STATUS(lq_matmul_v2(NULL, x, M, NULL, 0, y), LQ_ERR_INVALID);
    CHECK_OK(lq_matmul_v2(NULL, x, M, q, 0, y));
    CHECK_OK(lq_matmul(NULL, x, M, q, y2));
    CHECK(memcmp(y, y2, sizeof y) == 0);
    CHECK(lq__matmul_quantizes_activations(q, 1, 0));
    int64_t f32_rows = lq__kernels_get()->tile_f32_rows;
    CHECK(lq__matmul_quantizes_activations(q, 512, 0) == (f32_rows == 0 || 512 < f32_rows));
    CHECK(lq__matmul_quantizes_activations(q, 512, LQ_MATMUL_ACT_8BIT));
    CHECK(!lq__matmul_quantizes_activations(q, 1, LQ_MATMUL_ACT_F32));
    CHECK(!lq__matmul_quantizes_activations(q, 512, LQ_MATMUL_ACT_F32));
    CHECK(!lq__matmul_quantizes_activations(nf4, 512, LQ_MATMUL_ACT_8BIT));
    CHECK_OK(lq_matmul_v2(NULL, x, M, q, LQ_MATMUL_ACT_F32, y2));
    CHECK(memcmp(y, y2, sizeof y) != 0); /* x was quantized in one, not the other */
    CHECK_OK(lq_matmul_v2(NULL, x, M, nf4, LQ_MATMUL_ACT_8BIT, y));
    CHECK_OK(lq_matmul_v2(NULL, x, M, nf4, LQ_MATMUL_ACT_F32, y2));
    CHECK(memcmp(y, y2, sizeof y) == 0);
    lq_tensor_free(q);
    lq_tensor_free(nf4);
}

int main(void)
{
    if (kt_skip_unavailable_level(lq__kernels_get()))
        return 0;
    lqt_case_fn cases[] = {matmul_8bit_matches_dot_path, shared_x_same_bits, many_chunks_same_bits,
                           small_buffers_same_bits, split_rows_same_bits, tile_shared_same_bits,
                           first_nonfinite, nonfinite_x, flags};
    return lqt_run("matmul_8bit_matches_dot_path, shared_x_same_bits, many_chunks_same_bits, "
                   "small_buffers_same_bits, split_rows_same_bits, tile_shared_same_bits, "
                   "first_nonfinite, nonfinite_x, flags", cases,
                   (int)(sizeof cases / sizeof *cases));
}
