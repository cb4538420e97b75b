/* test_concurrency.c — the thread-safety promises of lq_matmul.h,
 * lq_quant.h and lq_tensor.h, tested as stated: many threads read one
 * finished tensor at once, through lq_matmul, lq_matmul_v2 (both activation
 * modes and the automatic one), lq_matmul_w8a8 and lq_dequantize_f32, each
 * with its own output and either its own context or one shared context that
 * no thread modifies, and every result is bit-identical to the same call made
 * alone on one thread. One tensor of every scheme family: the ggml block
 * types, int8/4/3/2, nf4/fp4, fp8, f16/bf16, f32, and the int8 x int8 (W8A8)
 * product. Row counts cover the row-dot, tile and sgemm paths. And the
 * promise of lq_core.h ("The BLAS"): OpenBLAS's process-wide thread count is
 * set to 1 once, before libquant's first BLAS call, and never touched again.
 * And lq_io.h's promise for a shared lq_gguf, for the handle whose tensors
 * are made on first access (a Hugging Face model folder, lq_hf.h).
 * Meant to run under ThreadSanitizer too (suite 'concurrency'). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "../hf/hf_fixture.h"
#include <lq/lq_hf.h>

/* Shapes: k a multiple of 256 (every block size) and of 128 (groups); n and
 * the row counts big enough that the f32 products go through the sgemm path
 * with sizes above OpenBLAS's own threading threshold. */
enum { N = 96, K = 512, THREADS = 8, ROUNDS = 2 };
/* Rows of X: one (row dots), a few (8-bit tiles from 8 rows; f32 row dots
 * below 16), and 40 (8-bit tiles, f32 sgemm). */
static const int64_t row_counts[] = {1, 9, 40};
#define NROWS ((int)(sizeof row_counts / sizeof *row_counts))
enum { MAX_M = 40 };
/* lq_matmul_v2's flags: the automatic choice and the two forced ones; -1
 * stands for lq_matmul itself. */
static const int flag_set[] = {-1, 0, LQ_MATMUL_ACT_8BIT, LQ_MATMUL_ACT_F32};
#define NFLAGS ((int)(sizeof flag_set / sizeof *flag_set))

static const char *const schemes[] = {
    "f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k", "q4_k", "q5_k",
    "q6_k", "iq4_nl", "iq4_xs", "int8", "int8:channel:asym", "int4", "int4:g32:asym", "int3",
    "int2:asym", "nf4", "fp4", "nf4:b32:dq", "fp8_e4m3", "fp8_e5m2:channel"};
#define NSCHEMES ((int)(sizeof schemes / sizeof *schemes))

/* One call of the test: what it reads and its single-threaded result. */
typedef struct {
    int scheme; /* index into schemes, or -1 for the W8A8 product */
    int64_t m;  /* rows of X; 0: lq_dequantize_f32 */
    int flags;  /* an entry of flag_set */
    float *want;
    size_t count;
} call;

typedef struct {
    lq_tensor *w[NSCHEMES];
    int8_t w8[N * K];
    float sw[N];
    float x[MAX_M * K];
    call *calls;
    int ncalls;
    lq_ctx *shared; /* read by every thread that does not own one */
} fixture;

/* The constructors in one place (their argument order may change). */
static lq_tensor *wrap_f32(const float *v, int64_t n, int64_t k)
{
    int64_t shape[2] = {n, k};
    lq_tensor *t = NULL;
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, v, sizeof(float) * (size_t)(n * k), LQ_BORROW,
                            "w", &t));
    return t;
}

static lq_tensor *quantized(const char *scheme, const float *wf)
{
    lq_scheme *s = NULL;
    lq_tensor *src = wrap_f32(wf, N, K), *q = NULL;
    CHECK_OK(lq_scheme_parse(scheme, &s));
    if (src && s)
        CHECK_OK(lq_quantize(NULL, src, s, NULL, NULL, &q));
    lq_tensor_free(src);
    lq_scheme_free(s);
    return q;
}

static lq_status w8a8(lq_ctx *ctx, const fixture *f, int64_t m, float *y)
{
    return lq_matmul_w8a8_raw(ctx, f->x, m, K, f->w8, f->sw, N, y);
}

static lq_status run_call(lq_ctx *ctx, const fixture *f, const call *c, float *y)
{
    if (c->scheme < 0)
        return w8a8(ctx, f, c->m, y);
    const lq_tensor *w = f->w[c->scheme];
    if (c->m == 0)
        return lq_dequantize_f32(ctx, w, y, (int64_t)c->count);
    if (c->flags < 0)
        return lq_matmul(ctx, f->x, c->m, w, y);
    return lq_matmul_v2(ctx, f->x, c->m, w, (unsigned)c->flags, y);
}

static void add_call(fixture *f, int scheme, int64_t m, int flags)
{
    call *c = &f->calls[f->ncalls++];
    *c = (call){scheme, m, flags, NULL, (size_t)(m ? m : K) * N};
}

/* Tensors, inputs, and every call's result made alone on one thread. */
static int setup(fixture *f)
{
    lqt_rng rng = {17};
    float *wf = malloc(sizeof(float) * N * K);
    if (!wf)
        return 0;
    for (int i = 0; i < N * K; i++)
        wf[i] = 0.05f * lqt_normal(&rng);
    for (int i = 0; i < MAX_M * K; i++)
        f->x[i] = lqt_normal(&rng);
    for (int i = 0; i < N * K; i++)
        f->w8[i] = (int8_t)(lqt_next(&rng) % 255 - 127);
    for (int i = 0; i < N; i++)
        f->sw[i] = 0.01f * (float)(1 + i % 7);
    for (int s = 0; s < NSCHEMES; s++)
        f->w[s] = quantized(schemes[s], wf);
    free(wf);

    f->calls = calloc((size_t)NSCHEMES * (NROWS * NFLAGS + 1) + NROWS, sizeof *f->calls);
    if (!f->calls)
        return 0;
    for (int s = 0; s < NSCHEMES; s++) {
        if (!f->w[s])
            continue;
        add_call(f, s, 0, 0);
        for (int r = 0; r < NROWS; r++)
            for (int fl = 0; fl < NFLAGS; fl++)
                add_call(f, s, row_counts[r], flag_set[fl]);
    }
    for (int r = 0; r < NROWS; r++)
        add_call(f, -1, row_counts[r], 0);

    lq_ctx *one = NULL;
    CHECK_OK(lq_ctx_create(&one));
    CHECK_OK(lq_ctx_set_threads(one, 1));
    for (int i = 0; i < f->ncalls; i++) {
        call *c = &f->calls[i];
        c->want = malloc(sizeof(float) * c->count);
        if (!c->want)
            return 0;
        CHECK_OK(run_call(one, f, c, c->want));
    }
    lq_ctx_free(one);
    CHECK_OK(lq_ctx_create(&f->shared));
    CHECK_OK(lq_ctx_set_threads(f->shared, 2));
    return f->shared != NULL;
}

typedef struct {
    const fixture *f;
    int id;
    lq_ctx *own; /* NULL: use the shared context */
    int mismatches, errors;
    char first[160]; /* the first mismatch or error, for the report */
} worker;

static void note(worker *w, const call *c, const char *what)
{
    if (!w->first[0])
        snprintf(w->first, sizeof w->first, "%s: %s, m = %lld, flags %d",
                 c->scheme < 0 ? "w8a8" : schemes[c->scheme], what, (long long)c->m, c->flags);
}

/* Every call, in an order that differs between threads so that different
 * formats and paths overlap. */
static void *work(void *arg)
{
    worker *w = arg;
    const fixture *f = w->f;
    float *y = malloc(sizeof(float) * (size_t)MAX_M * N > sizeof(float) * (size_t)K * N
                          ? sizeof(float) * (size_t)MAX_M * N : sizeof(float) * (size_t)K * N);
    if (!y) {
        w->errors++;
        return NULL;
    }
    for (int round = 0; round < ROUNDS; round++) {
        for (int j = 0; j < f->ncalls; j++) {
            const call *c = &f->calls[(j * 7 + w->id * 13 + round * 5) % f->ncalls];
            if (run_call(w->own ? w->own : f->shared, f, c, y) != LQ_OK) {
                w->errors++;
                note(w, c, lq_last_error());
            } else if (memcmp(y, c->want, sizeof(float) * c->count) != 0) {
                w->mismatches++;
                note(w, c, "differs from the single-threaded result");
            }
        }
    }
    free(y);
    return NULL;
}

/* OpenBLAS's thread count, or -1 without OpenBLAS (looked up at run time:
 * the test does not link the BLAS itself). */
static int blas_threads(void)
{
    int (*get)(void) = NULL;
    void *sym = dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
    memcpy(&get, &sym, sizeof sym);
    return get ? get() : -1;
}

static void set_blas_threads(int n)
{
    void (*set)(int) = NULL;
    void *sym = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
    memcpy(&set, &sym, sizeof sym);
    if (set)
        set(n);
}

/* THREADS threads at once; odd ones own a context (1 or 3 threads of
 * their own), even ones share one. */
static void many_threads_read_one_tensor(void)
{
    static fixture f;
    CHECK(setup(&f));
    int blas_after_setup = blas_threads(); /* setup made f32 products */
    CHECKF(blas_after_setup == -1 || blas_after_setup == 1, "OpenBLAS threads %d", blas_after_setup);
    CHECKF(f.ncalls > NSCHEMES, "%d calls", f.ncalls);
    worker w[THREADS];
    pthread_t t[THREADS];
    int started[THREADS] = {0};
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.f = &f, .id = i};
        if (i % 2) {
            CHECK_OK(lq_ctx_create(&w[i].own));
            CHECK_OK(lq_ctx_set_threads(w[i].own, i % 4 == 1 ? 1 : 3));
        }
        started[i] = pthread_create(&t[i], NULL, work, &w[i]) == 0;
        CHECK(started[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        if (started[i])
            pthread_join(t[i], NULL);
        CHECKF(w[i].mismatches == 0 && w[i].errors == 0, "thread %d: %d mismatches, %d errors; first: %s",
               i, w[i].mismatches, w[i].errors, w[i].first);
        lq_ctx_free(w[i].own);
    }
    CHECKF(blas_threads() == blas_after_setup, "OpenBLAS threads %d after the threads, %d before",
           blas_threads(), blas_after_setup);

    /* an application takes OpenBLAS's threads back: libquant leaves its
     * setting alone from then on */
    if (blas_after_setup == 1) {
        set_blas_threads(2);
        float *y = malloc(sizeof(float) * MAX_M * N);
        for (int s = 0; y && s < NSCHEMES; s++)
            if (f.w[s])
                CHECK_OK(lq_matmul_v2(f.shared, f.x, MAX_M, f.w[s], LQ_MATMUL_ACT_F32, y));
        free(y);
        CHECKF(blas_threads() == 2, "OpenBLAS threads %d, the application set 2", blas_threads());
        set_blas_threads(1);
    }
    for (int i = 0; i < f.ncalls; i++)
        free(f.calls[i].want);
    free(f.calls);
    for (int s = 0; s < NSCHEMES; s++)
        lq_tensor_free(f.w[s]);
    lq_ctx_free(f.shared);
}

/* Threads that read every tensor of one Hugging Face folder view, each in
 * its own order, so that first accesses collide. */
typedef struct view_reader {
    const lq_gguf *view, *want;
    int id, mismatches, errors;
} view_reader;

static void *read_view(void *arg)
{
    view_reader *r = arg;
    int64_t n = lq_gguf_tensor_count(r->view);
    for (int64_t k = 0; k < n; k++) {
        int64_t i = r->id % 2 ? n - 1 - k : (k * (r->id + 1)) % n;
        const void *a, *b;
        uint64_t na, nb;
        if (lq_gguf_tensor_raw(r->view, i, &a, &na) != LQ_OK ||
            lq_gguf_tensor_raw(r->want, i, &b, &nb) != LQ_OK)
            r->errors++;
        else if (na != nb || memcmp(a, b, (size_t)na) != 0)
            r->mismatches++;
    }
    return NULL;
}

static void many_threads_make_one_view(void)
{
    if (!lqt_hf_fixtures_present()) {
        ORACLE_SKIP_CASE("no Hugging Face fixtures at %s", lqt_hf_fixture(""));
        return;
    }
    char dir[4096], file[4096];
    snprintf(dir, sizeof dir, "%s", lqt_hf_fixture("models/qwen2"));
    snprintf(file, sizeof file, "%s", lqt_hf_fixture("gguf/qwen2-q8_0.gguf"));
    lq_gguf *view = NULL, *want = NULL;
    CHECK_OK(lq_hf_model_open(dir, LQ_TYPE_Q8_0, &view));
    CHECK_OK(lq_gguf_open(file, &want));
    if (!view || !want) {
        lq_gguf_free(view);
        lq_gguf_free(want);
        return;
    }
    view_reader r[THREADS];
    pthread_t t[THREADS];
    int started[THREADS];
    for (int i = 0; i < THREADS; i++) {
        r[i] = (view_reader){.view = view, .want = want, .id = i};
        started[i] = pthread_create(&t[i], NULL, read_view, &r[i]) == 0;
        CHECK(started[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        if (started[i])
            pthread_join(t[i], NULL);
        CHECKF(r[i].mismatches == 0 && r[i].errors == 0, "thread %d: %d mismatches, %d errors",
               i, r[i].mismatches, r[i].errors);
    }
    lq_gguf_free(view);
    lq_gguf_free(want);
}

LQT_MAIN(many_threads_read_one_tensor, many_threads_make_one_view)
