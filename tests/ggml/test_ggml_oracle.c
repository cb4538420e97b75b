/* test_ggml_oracle.c — the ggml block codecs against llama.cpp itself.
 *
 * dlopen()s ggml's libggml-base.so from the oracle folder (../oracle.h) and
 * compares, for random and adversarial rows, every quantized byte with
 * ggml_quantize_chunk (with and without an importance matrix) and every
 * decoded float bit with ggml's dequantize_row_*. Skips when the library is
 * not there (fails when LQ_REQUIRE_ORACLE says it must be). */
#include <dlfcn.h>
#include <setjmp.h>

#include "../oracle.h"
#include "ggml_cases.h"
#include "libquant/core/type_info.h"
#include "libquant/formats/codec.h"
#include "libquant/formats/ggml_blocks.h"
#include "libquant/formats/ggml_grids_iq3_iq1.h"
#include "libquant/formats/ggml_iq3_lattice.h"
#include "libquant/kernels/kernels.h"

enum { COLS = 512, PER_KIND = 6 };

typedef size_t (*chunk_fn)(int type, const float *src, void *dst, int64_t start, int64_t nrows,
                           int64_t n_per_row, const float *imatrix);
typedef void (*row_fn)(const float *x, void *y, int64_t k);
typedef void (*deq_fn)(const void *x, float *y, int64_t k);

static void *lib;
static chunk_fn ggml_quantize_chunk;

/* ggml aborts (GGML_ASSERT) where its IQ2 searches meet the NaN errors of
 * overflowing rows; its abort callback jumps back here instead. */
typedef void (*abort_cb)(const char *message);
typedef abort_cb (*set_abort_fn)(abort_cb cb);
static jmp_buf ggml_abort_jump;
static void on_ggml_abort(const char *message)
{
    (void)message;
    longjmp(ggml_abort_jump, 1);
}

/* ggml_quantize_chunk of one row; 0 when ggml aborted on it. */
static int ggml_quantize_row(int type, const float *x, void *dst, const float *imat)
{
    if (setjmp(ggml_abort_jump))
        return 0;
    ggml_quantize_chunk(type, x, dst, 0, 1, COLS, imat);
    return 1;
}

/* dlsym's object pointer as a function pointer (a plain cast is not ISO C) */
#define FN(type, ptr) (((union { void *p; type f; }){ptr}).f)

/* ggml's function `prefix` + case name, e.g. dequantize_row_q4_K */
static void *sym(const char *prefix, const ggml_case *c, const char *suffix)
{
    char name[64];
    snprintf(name, sizeof name, "%s%s%s", prefix, c->file, suffix);
    void *p = dlsym(lib, name);
    CHECKF(p != NULL, "%s not in the oracle", name);
    return p;
}

/* ---- rows ---- */

static float student_t2(lqt_rng *r) /* heavy tails: t with 2 degrees of freedom */
{
    float z = lqt_normal(r), a = lqt_normal(r), b = lqt_normal(r);
    return z / sqrtf((a * a + b * b) / 2 + 1e-12f);
}

enum {
    K_NORMAL, K_ZERO, K_ONE_HUGE, K_TINY, K_SUBNORMAL, K_UNDERFLOW2, K_CONSTANT, K_STUDENT,
    K_CAUCHY, K_TIES, K_ALTERNATING, K_FP16_EDGE, K_BEYOND_FP16, K_HUGE, K_SPARSE, K_POSITIVE,
    K_NEGATIVE, K_BLOCK_SCALES, K_ZERO_BLOCKS, K_SIGNED_ZEROS, K_LEVEL_TIES, K_COUNT
};
static const char *const kind_names[K_COUNT] = {
    "normal", "zero", "one huge", "tiny 1e-30", "subnormal", "squares underflow", "constant",
    "student-t", "cauchy", "exact ties", "alternating", "fp16 edge", "beyond fp16", "huge 1e36",
    "sparse", "positive", "negative", "block scales", "zero blocks", "signed zeros",
    "level ties"};

static void make_row(int kind, lqt_rng *r, float *x)
{
    for (int i = 0; i < COLS; i++) {
        float z = lqt_normal(r);
        switch (kind) {
        case K_NORMAL: x[i] = z; break;
        case K_ZERO: x[i] = 0; break;
        case K_ONE_HUGE: x[i] = 0.02f * z; break;
        case K_TINY: x[i] = 1e-30f * z; break;
        case K_SUBNORMAL: x[i] = 1e-39f * z; break;
        case K_UNDERFLOW2: x[i] = 1e-22f * z; break;
        case K_CONSTANT: x[i] = (lqt_next(r) & 1) ? 0.75f : -3.0f; break;
        case K_STUDENT: x[i] = student_t2(r); break;
        case K_CAUCHY: x[i] = (float)tan(3.14159265358979 * (lqt_uniform(r) - 0.5)); break;
        case K_TIES: x[i] = 0.25f * (float)((int)(lqt_next(r) % 9) - 4); break;
        case K_ALTERNATING: x[i] = (i & 1 ? -1.f : 1.f) * fabsf(z); break;
        case K_FP16_EDGE: x[i] = 65504.f * (float)(2 * lqt_uniform(r) - 1); break;
        case K_BEYOND_FP16: x[i] = 1e6f * z; break;
        case K_HUGE: x[i] = 1e36f * z; break;
        case K_SPARSE: x[i] = lqt_next(r) % 16 == 0 ? z : 0.f; break;
        case K_POSITIVE: x[i] = (float)lqt_uniform(r); break;
        case K_NEGATIVE: x[i] = -(float)lqt_uniform(r) - 0.5f; break;
        case K_BLOCK_SCALES: x[i] = z; break;
        case K_ZERO_BLOCKS: x[i] = (i / 32) % 3 == 1 ? 0.f : z; break;
        case K_SIGNED_ZEROS: x[i] = lqt_next(r) % 4 ? -0.f : (i % 64 < 32 ? 0.f : fabsf(z)); break;
        /* integers with 127 leading each block: IQ4's first pass lands on the
         * exact midpoints between its levels (7, 19, -16, ...) */
        case K_LEVEL_TIES: x[i] = i % 32 ? (float)((int)(lqt_next(r) % 255) - 127) : 127.f; break;
        }
    }
    if (kind == K_CONSTANT && (lqt_next(r) & 1)) /* and some truly constant rows */
        for (int i = 0; i < COLS; i++)
            x[i] = x[0];
    if (kind == K_ONE_HUGE)
        x[lqt_next(r) % COLS] = (lqt_next(r) & 1 ? 1 : -1) * (float)(1e3 * (1 + lqt_uniform(r)));
    if (kind == K_BLOCK_SCALES) /* every 16 values at their own scale, 1e-20 .. 1e20 */
        for (int b = 0; b < COLS / 16; b++) {
            float s = powf(10.f, (float)((int)(lqt_next(r) % 41) - 20));
            for (int i = 0; i < 16; i++)
                x[16 * b + i] *= s;
        }
}

/* ---- comparisons ---- */

/* Index of the first float whose bits differ, or -1. Two NaNs count as equal:
 * which NaN a sum of two NaNs keeps depends on the compiler's operand order,
 * and no payload carries meaning here. */
static long first_float_diff(const float *a, const float *b, int n)
{
    for (int i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0 && !(isnan(a[i]) && isnan(b[i])))
            return i;
    return -1;
}

typedef struct {
    float *x;             /* rows * COLS */
    int rows;
    float *imat[3];       /* random, with zeros, uniform */
} data;

static int make_data(data *d)
{
    d->rows = K_COUNT * PER_KIND;
    d->x = malloc(sizeof(float) * (size_t)d->rows * COLS);
    lqt_rng r = {0x9E3779B97F4A7C15ULL};
    for (int k = 0; k < 3; k++)
        d->imat[k] = malloc(sizeof(float) * COLS);
    if (!d->x || !d->imat[0] || !d->imat[1] || !d->imat[2])
        return 0;
    for (int row = 0; row < d->rows; row++)
        make_row(row / PER_KIND, &r, d->x + (size_t)row * COLS);
    for (int i = 0; i < COLS; i++) {
        d->imat[0][i] = expf(2 * lqt_normal(&r));
        d->imat[1][i] = i % 7 == 0 || (i / 32) % 5 == 2 ? 0.f : (float)lqt_uniform(&r);
        d->imat[2][i] = 1.f;
    }
    return 1;
}

static void free_data(data *d)
{
    free(d->x);
    for (int k = 0; k < 3; k++)
        free(d->imat[k]);
}

/* ggml quantizes the type only with an importance matrix (and aborts without) */
static int needs_imatrix(const ggml_case *c)
{
    return (lq__type(c->type)->flags & LQ__T_IMATRIX) != 0;
}

/* Whether ggml's lattice searches can quantize row x. They weigh each
 * candidate point's error by |x| (or more), so from |x| ~ 7e12 on the
 * weighted square errors overflow to infinity (NaN with infinite weights),
 * no candidate is below FLT_MAX and ggml aborts (GGML_ASSERT in
 * iq3_find_best_neighbour); libquant keeps the first candidate there. Rows
 * up to 1e12 stay clear of that by a margin (errors below 1e12 (2.5e12)^2). */
static int lattice_can(const float *x)
{
    for (int i = 0; i < COLS; i++)
        if (!(fabsf(x[i]) < 1e12f))
            return 0;
    return 1;
}

/* Quantize every row with libquant and with the oracle; compare the bytes
 * and the decoded floats. `imat` is NULL or COLS weights. */
static void compare_type(const ggml_case *c, const data *d, const float *imat, const char *what)
{
    const lq__codec *codec = lq__codec_for(c->type);
    deq_fn deq = c->type == LQ_TYPE_Q8_1 ? NULL : FN(deq_fn, sym("dequantize_row_", c, ""));
    row_fn ref = c->weight ? NULL : FN(row_fn, sym("quantize_row_", c, "_ref"));
    const size_t row_bytes = (size_t)COLS / c->block * c->bytes;
    unsigned char *mine = calloc(row_bytes, 1), *theirs = calloc(row_bytes, 1);
    float *fm = malloc(sizeof(float) * COLS), *ft = malloc(sizeof(float) * COLS);
    int reported = 0, aborted = 0;
    for (int row = 0; row < d->rows && mine && theirs && fm && ft; row++) {
        const float *x = d->x + (size_t)row * COLS;
        if (c->lattice && !lattice_can(x))
            continue;
        memset(mine, 0, row_bytes);
        memset(theirs, 0, row_bytes);
        codec->quantize_row(x, mine, COLS, imat);
        if (c->weight && !ggml_quantize_row(lq_type_ggml_id(c->type), x, theirs, imat)) {
            /* only where squares overflow (1e36, and 1e20 in "block
             * scales"); no bytes to compare, libquant's must still decode */
            const int kind = row / PER_KIND;
            CHECKF(kind == K_HUGE || kind == K_BLOCK_SCALES, "%s %s: ggml aborts on row %d (%s)",
                   c->file, what, row, kind_names[kind]);
            codec->dequantize_row(mine, fm, COLS);
            if (aborted++ == 0)
                printf("# %s %s: ggml aborts on row %d (%s) and others\n", c->file, what, row,
                       kind_names[kind]);
            continue;
        } else if (!c->weight && ref)
            ref(x, theirs, COLS);
        long b = first_diff(mine, theirs, row_bytes);
        int fail = b >= 0;
        if (!fail && deq) {
            codec->dequantize_row(mine, fm, COLS);
            deq(theirs, ft, COLS);
            fail = first_float_diff(fm, ft, COLS) >= 0;
        }
        if (fail && reported++ < 3)
            CHECKF(0, "%s %s, row %d (%s): %s differ%s, block %ld", c->file, what, row,
                   kind_names[row / PER_KIND], b >= 0 ? "bytes" : "floats",
                   b >= 0 ? "" : " (bytes equal)", b >= 0 ? b / c->bytes : -1L);
    }
    free(mine), free(theirs), free(fm), free(ft);
}

static void quantize_like_ggml(void)
{
    data d;
    CHECK(make_data(&d));
    for (int t = 0; t < GGML_NCASES && d.x; t++) {
        const ggml_case *c = &ggml_cases[t];
        if (!needs_imatrix(c))
            compare_type(c, &d, NULL, "no imatrix");
        if (!c->weight)
            continue;
        compare_type(c, &d, d.imat[0], "random imatrix");
        compare_type(c, &d, d.imat[1], "imatrix with zeros");
        compare_type(c, &d, d.imat[2], "imatrix of ones");
    }
    free_data(&d);
}

/* The types without golden vectors through the public calls (the scheme by
 * the type's name, lq_quantize on two threads, lq_dequantize_f32): the same
 * bytes as ggml_quantize_chunk of the whole matrix and the same floats as
 * ggml's decoder, on the normal rows (the adversarial ones include values
 * whose scales overflow, which lq_quantize refuses). */
static void public_api_like_ggml(void)
{
    data d;
    CHECK(make_data(&d));
    lq_ctx *ctx = NULL;
    CHECK_OK(lq_ctx_create(&ctx));
    CHECK_OK(lq_ctx_set_threads(ctx, 2));
    const int rows = PER_KIND * (K_ZERO + 1); /* the normal rows and the zero rows */
    int64_t shape[2] = {rows, COLS};
    lq_tensor *w = NULL;
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, d.x, sizeof(float) * rows * COLS, LQ_BORROW,
                            "w", &w));
    float *got = malloc(sizeof(float) * rows * COLS), *want = malloc(sizeof(float) * COLS);
    for (int t = 0; t < GGML_NCASES && w && got && want; t++) {
        const ggml_case *c = &ggml_cases[t];
        if (!c->weight || c->golden)
            continue;
        const size_t row_bytes = (size_t)COLS / c->block * c->bytes;
        unsigned char *theirs = malloc(row_bytes * rows);
        deq_fn deq = FN(deq_fn, sym("dequantize_row_", c, ""));
        lq_scheme *s = NULL;
        CHECK_OK(lq_scheme_parse(c->file, &s));
        for (int imat = 0; imat < 2 && theirs && s; imat++) {
            lq_tensor *q = NULL;
            if (!imat && needs_imatrix(c)) { /* refused, as llama.cpp does */
                CHECK(lq_quantize(ctx, w, s, NULL, NULL, &q) == LQ_ERR_INVALID && !q);
                CHECKF(strstr(lq_last_error(), "importance matrix") != NULL, "%s: message '%s'",
                       c->file, lq_last_error());
                continue;
            }
            CHECK_OK(lq_quantize(ctx, w, s, NULL, imat ? d.imat[0] : NULL, &q));
            ggml_quantize_chunk(lq_type_ggml_id(c->type), d.x, theirs, 0, rows, COLS,
                                imat ? d.imat[0] : NULL);
            if (!q)
                continue;
            CHECK(lq_tensor_type(q) == c->type && lq_tensor_nbytes(q) == row_bytes * rows);
            long b = first_diff(lq_tensor_data(q), theirs, row_bytes * rows);
            CHECKF(b < 0, "%s%s: byte %ld differs", c->file, imat ? " imatrix" : "", b);
            CHECK_OK(lq_dequantize_f32(ctx, q, got, (int64_t)rows * COLS));
            for (int r = 0; r < rows; r++) {
                deq(theirs + row_bytes * r, want, COLS);
                long f = first_float_diff(got + (size_t)r * COLS, want, COLS);
                CHECKF(f < 0, "%s row %d: float %ld differs", c->file, r, f);
            }
            lq_tensor_free(q);
        }
        lq_scheme_free(s);
        free(theirs);
    }
    free(got), free(want);
    lq_tensor_free(w);
    lq_ctx_free(ctx);
    free_data(&d);
}

/* Arbitrary bytes (NaN and infinite scales included) decode to the same bits. */
static void decode_garbage_like_ggml(void)
{
    lqt_rng r = {12345};
    for (int t = 0; t < GGML_NCASES; t++) {
        const ggml_case *c = &ggml_cases[t];
        if (c->type == LQ_TYPE_Q8_1)
            continue; /* ggml has no dequantize_row_q8_1 */
        deq_fn deq = FN(deq_fn, sym("dequantize_row_", c, ""));
        const lq__codec *codec = lq__codec_for(c->type);
        const size_t bytes = (size_t)COLS / c->block * c->bytes;
        unsigned char *blk = malloc(bytes);
        float *fm = malloc(sizeof(float) * COLS), *ft = malloc(sizeof(float) * COLS);
        for (int rep = 0; rep < 200 && blk && fm && ft && deq; rep++) {
            for (size_t i = 0; i < bytes; i++)
                blk[i] = (unsigned char)lqt_next(&r);
            codec->dequantize_row(blk, fm, COLS);
            deq(blk, ft, COLS);
            long f = first_float_diff(fm, ft, COLS);
            CHECKF(f < 0, "%s: random blocks decode differently at float %ld", c->file, f);
            if (f >= 0)
                break;
        }
        free(blk), free(fm), free(ft);
    }
}

/* The IQ3 search tables are whole: no list was cut for room, every code is
 * a grid point or has a non-empty list of grid points inside the lists. */
static void iq3_lattices_whole(void)
{
    for (int g = 256; g <= 512; g += 256) {
        const lq__iq3_lattice *lat = lq__iq3_lattice_for(g);
        CHECKF(lat->size == g && !lat->cut, "grid %d: lists cut", g);
        int bad = 0;
        for (int c = 0; c < LQ__IQ3_CODES; c++) {
            if (lat->map[c] >= 0) {
                bad += lat->map[c] >= g;
                continue;
            }
            const int start = -1 - lat->map[c];
            const int n = start < lat->list_len ? lat->lists[start] : 0;
            bad += n < 1 || start + n >= lat->list_len + 1;
            for (int j = 1; j <= n && start + n < lat->list_len + 1; j++)
                bad += lat->lists[start + j] >= g;
        }
        CHECKF(bad == 0, "grid %d: %d codes with broken entries", g, bad);
    }
}

/* The reference dot products of the lattice types are ggml's generic
 * vec_dot bit for bit (same integer sums, same float operations in the same
 * order): random weight blocks with sane f16 scales against random q8_K
 * activations, through llama.cpp's baseline CPU library, which exports the
 * generic functions. */
typedef void (*vec_dot_fn)(int n, float *s, size_t bs, const void *x, size_t bx, const void *y,
                           size_t by, int nrc);
typedef void (*init_fn)(void);

static void ref_dot_like_ggml_generic(void)
{
    const char *path = lqt_oracle_path(LQT_ORACLE_BINS "libggml-cpu-x64.so");
    void *cpu = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!cpu) {
        ORACLE_SKIP_CASE("no %s", path);
        return;
    }
    /* the CPU library's f16 table, which its decoders read, is filled here */
    init_fn cpu_init = FN(init_fn, dlsym(cpu, "ggml_cpu_init"));
    CHECK(cpu_init != NULL);
    if (cpu_init)
        cpu_init();
    const lq__kernels *ref = lq__kernels_for(LQ__ARCH_REF);
    enum { BLOCKS = 16, N = 256 * BLOCKS };
    lqt_rng r = {777};
    lq__blk_q8_k *act = malloc(sizeof *act * BLOCKS);
    for (int t = 0; t < GGML_NCASES && act; t++) {
        const ggml_case *c = &ggml_cases[t];
        if (!c->lattice)
            continue;
        char name[64];
        snprintf(name, sizeof name, "ggml_vec_dot_%s_q8_K_generic", c->file);
        vec_dot_fn dot = FN(vec_dot_fn, dlsym(cpu, name));
        CHECKF(dot != NULL, "no generic vec_dot for %s", c->file);
        unsigned char *w = malloc((size_t)c->bytes * BLOCKS);
        for (int rep = 0; rep < 50 && dot && w; rep++) {
            for (size_t i = 0; i < (size_t)c->bytes * BLOCKS; i++)
                w[i] = (unsigned char)lqt_next(&r);
            for (int b = 0; b < BLOCKS; b++) {
                /* d, an f16 in [2^-8, 2): first in every lattice block
                 * but iq1_m's, which spreads it over nibbles */
                const uint16_t h = (uint16_t)(0x1C00 + lqt_next(&r) % 0x2000);
                if (c->type == LQ_TYPE_IQ1_M)
                    lq__iq1m_put_d((lq__blk_iq1_m *)(w + (size_t)c->bytes * b), h);
                else
                    memcpy(w + (size_t)c->bytes * b, &h, 2);
                act[b].d = (float)lqt_uniform(&r) * 0.01f;
                for (int i = 0; i < 256; i++)
                    act[b].qs[i] = (int8_t)(lqt_next(&r) % 255 - 127);
            }
            float theirs = 0, mine = ref->t[c->type].vec_dot(N, w, act);
            dot(N, &theirs, 0, w, 0, act, 0, 1);
            CHECKF(memcmp(&mine, &theirs, sizeof mine) == 0, "%s: ref dot %a, ggml's %a", c->file,
                   mine, theirs);
            if (memcmp(&mine, &theirs, sizeof mine) != 0)
                break;
        }
        free(w);
    }
    free(act);
    dlclose(cpu);
}

int main(void)
{
    const char *path = lqt_oracle_path(LQT_ORACLE_GGML_BASE);
    lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib)
        ggml_quantize_chunk = FN(chunk_fn, dlsym(lib, "ggml_quantize_chunk"));
    set_abort_fn set_abort = lib ? FN(set_abort_fn, dlsym(lib, "ggml_set_abort_callback")) : NULL;
    if (!lib || !ggml_quantize_chunk || !set_abort)
        lqt_oracle_skip_all("llama.cpp oracle not installed: %s (run .ci/install-deps)", path);
    set_abort(on_ggml_abort);
    lqt_case_fn cases[] = {iq3_lattices_whole, quantize_like_ggml, public_api_like_ggml,
                           decode_garbage_like_ggml, ref_dot_like_ggml_generic};
    int status = lqt_run("iq3_lattices_whole, quantize_like_ggml, public_api_like_ggml, "
                         "decode_garbage_like_ggml, ref_dot_like_ggml_generic",
                         cases, 5);
    dlclose(lib);
    return status;
}
