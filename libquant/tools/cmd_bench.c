/* cmd_bench.c — lq bench: how fast quantized weights run on this machine.
 *
 * In one run it measures the machine (streaming read bandwidth of a buffer far
 * larger than the last-level cache, OpenBLAS sgemm GFLOP/s) and then, per
 * format, shape and thread count: decoding to f32 (lq_dequantize_f32), the
 * matrix-vector product (lq_matmul, one row: GB/s of weight bytes read, and
 * the fraction of the read bandwidth that is), and matrix-matrix products
 * (GFLOP/s, and the ratio to f32 sgemm of the same shape). Where llama.cpp's
 * CPU library can be found it also times ggml's own vec_dot on the same bytes:
 * --ggml-lib names its libggml-base.so (the CPU variants are loaded from the
 * same folder), else the npm package's copy under $LQ_ORACLE_DIR, the folder
 * .ci/install-deps installs llama.cpp into. No path is compiled in.
 * The W8A8 product is timed against sgemm too. Output: a table, or JSON.
 *
 * Matrix-vector products read weights from DRAM, not from the cache: the
 * timed calls rotate over copies of the weight that together exceed --cold
 * MiB. Each figure is the best of several timed calls. */
#include <cblas.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "tool.h"

#define MAX_LIST 48

/* Set when a library call failed: the run goes on, the exit status is 1. */
static bool bench_failed;

typedef struct {
    const char *formats[MAX_LIST];
    int nformats;
    int64_t shapes[MAX_LIST][2]; /* n (out), k (in) */
    int nshapes;
    int64_t batches[MAX_LIST];
    int nbatches;
    int threads[2];
    int nthreads;
    double min_seconds;     /* time each figure for at least this long */
    int64_t bandwidth_mib;  /* buffer for the bandwidth test */
    int64_t cold_mib;       /* weight copies for the matrix-vector product */
    bool json, ggml, w8a8;
    const char *act;        /* --act: how lq_matmul_v2 takes X */
    const char *ggml_lib;   /* --ggml-lib: llama.cpp's libggml-base.so, or NULL */
    unsigned act_flags;
} bench_opts;

/* ---- timing ---------------------------------------------------------------- */

typedef void (*bench_fn)(void *arg, int rep);

/* Best time of one call, repeating for at least min_seconds (and 3 calls). */
static double best_time(bench_fn fn, void *arg, double min_seconds)
{
    double best = INFINITY, start = lq_tool_now();
    for (int rep = 0; rep < 3 || lq_tool_now() - start < min_seconds; rep++) {
        double t0 = lq_tool_now();
        fn(arg, rep);
        double t = lq_tool_now() - t0;
        best = t < best ? t : best;
        if (rep > 10000)
            break;
    }
    return best;
}

/* Mean seconds per call over at least min_reps calls and min_seconds: for
 * matrix-vector products cycling through cold copies of a weight, where the
 * best single call would be one whose copy happened to stay in the cache. */
static double mean_time(bench_fn fn, void *arg, double min_seconds, int min_reps)
{
    double start = lq_tool_now();
    int rep = 0;
    while (rep < min_reps || lq_tool_now() - start < min_seconds)
        fn(arg, rep++);
    return (lq_tool_now() - start) / rep;
}

/* ---- memory bandwidth -------------------------------------------------------- */

typedef struct {
    const uint64_t *p;
    size_t words;
    uint64_t sum;
} read_part;

static void *read_words(void *arg)
{
    read_part *r = arg;
    uint64_t s[8] = {0}; /* eight independent sums keep enough loads in flight */
    for (size_t i = 0; i + 8 <= r->words; i += 8) {
        /* prefetched 8 KiB ahead, as the kernels do: hardware prefetchers
         * alone leave one stream far below what the memory delivers */
        __builtin_prefetch(r->p + i + 1024);
        for (int u = 0; u < 8; u++)
            s[u] += r->p[i + (size_t)u];
    }
    r->sum = s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
    return NULL;
}

typedef struct {
    const uint64_t *buf;
    size_t words;
    int threads;
    uint64_t sink;
} bw_arg;

static void bw_run(void *arg, int rep)
{
    (void)rep;
    bw_arg *b = arg;
    pthread_t tid[64];
    read_part parts[64];
    int t = b->threads < 64 ? b->threads : 64;
    size_t per = b->words / (size_t)t / 8 * 8;
    for (int i = 0; i < t; i++) {
        parts[i] = (read_part){b->buf + per * (size_t)i, per, 0};
        if (i > 0)
            pthread_create(&tid[i], NULL, read_words, &parts[i]);
    }
    read_words(&parts[0]);
    for (int i = 1; i < t; i++)
        pthread_join(tid[i], NULL);
    for (int i = 0; i < t; i++)
        b->sink += parts[i].sum;
}

/* Streaming read bandwidth in GB/s (1e9 bytes), per thread count. */
static double read_bandwidth(int64_t mib, int threads, double min_seconds)
{
    size_t bytes = (size_t)mib << 20;
    uint64_t *buf = malloc(bytes);
    if (!buf)
        return 0;
    for (size_t i = 0; i < bytes / 8; i++)
        buf[i] = i;
    bw_arg b = {buf, bytes / 8, threads, 0};
    /* a second at least: on a shared machine the best pass is the machine's */
    double t = best_time(bw_run, &b, min_seconds > 1.0 ? min_seconds : 1.0);
    free(buf);
    return b.sink == 42 ? 0 : (double)bytes / t / 1e9; /* the sink keeps the reads */
}

/* The fair measure for one matrix-vector product: a pure streaming read of
 * the same copies of the weight with as many threads, thread i reading the
 * i-th slice of every copy, one copy after another, with no hand-over between
 * copies. So the product is held to the bytes it reads, from the same memory
 * and split as it splits them, timed the same way and in turns with it (the
 * buffer above is read minutes earlier, best pass, which on a shared machine
 * is not the load the product ran under). */
typedef struct {
    lq_tensor *const *copies;
    int ncopies, threads, part;
    size_t bytes; /* of one copy */
    uint64_t sum;
} slices_part;

static void *read_slices(void *arg)
{
    slices_part *c = arg;
    size_t words = c->bytes / 8 / (size_t)c->threads / 8 * 8;
    for (int i = 0; i < c->ncopies; i++) {
        read_part r = {(const uint64_t *)lq_tensor_data(c->copies[i]) + words * (size_t)c->part, words, 0};
        read_words(&r);
        c->sum += r.sum;
    }
    return NULL;
}

typedef struct {
    lq_tensor *const *copies;
    int ncopies, threads;
    size_t bytes;
    uint64_t sink;
} slices_arg;

static void slices_run(void *arg, int rep)
{
    (void)rep;
    slices_arg *b = arg;
    pthread_t tid[64];
    slices_part parts[64];
    bool started[64] = {false};
    int t = b->threads < 64 ? b->threads : 64;
    for (int i = 0; i < t; i++) {
        parts[i] = (slices_part){b->copies, b->ncopies, t, i, b->bytes, 0};
        if (i > 0)
            started[i] = pthread_create(&tid[i], NULL, read_slices, &parts[i]) == 0;
    }
    read_slices(&parts[0]);
    for (int i = 1; i < t; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            read_slices(&parts[i]); /* no thread: its slices are read here */
    }
    for (int i = 0; i < t; i++)
        b->sink += parts[i].sum;
}

/* ---- OpenBLAS ---------------------------------------------------------------- */

/* A function from a shared library (ISO C has no cast from void * to a
 * function pointer; POSIX guarantees the representation). */
#define LOAD_FN(handle, name, fp)                 \
    do {                                          \
        void *sym_ = dlsym(handle, name);         \
        memcpy(&(fp), &sym_, sizeof sym_);        \
    } while (0)

static void blas_threads(int n)
{
    void (*set)(int) = NULL;
    LOAD_FN(RTLD_DEFAULT, "openblas_set_num_threads", set);
    if (set)
        set(n);
}

typedef struct {
    int64_t m, n, k;
    const float *x, *w;
    float *y;
} sgemm_arg;

static void sgemm_run(void *arg, int rep)
{
    (void)rep;
    sgemm_arg *s = arg;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)s->m, (int)s->n, (int)s->k, 1.0f, s->x,
                (int)s->k, s->w, (int)s->k, 0.0f, s->y, (int)s->n);
}

/* ---- ggml's vec_dot, through llama.cpp's CPU library --------------------------- */

typedef void (*ggml_from_float_fn)(const float *x, void *y, int64_t k);
typedef void (*ggml_vec_dot_fn)(int n, float *s, size_t bs, const void *x, size_t bx, const void *y,
                                size_t by, int nrc);
typedef struct { /* ggml-cpu.h, struct ggml_type_traits_cpu */
    ggml_from_float_fn from_float;
    ggml_vec_dot_fn vec_dot;
    int vec_dot_type;
    int64_t nrows;
} ggml_traits_cpu;
typedef struct { /* ggml.h, struct ggml_type_traits: the fields up to type_size */
    const char *type_name;
    int64_t blck_size;
    int64_t blck_size_interleave;
    size_t type_size;
} ggml_traits;

typedef struct {
    const ggml_traits_cpu *(*traits_cpu)(int type);
    const ggml_traits *(*traits)(int type);
    char variant[32];
} ggml_lib;

/* Where node-llama-cpp's npm package keeps its x86-64 Linux libraries, inside
 * the folder it was installed into. */
#define NPM_GGML_BINS "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"

/* Load libggml-base.so from `lib` (or, when NULL, from $LQ_ORACLE_DIR, else
 * ~/.cache/libquant/npm) and the best CPU variant beside it; false when there
 * is none. */
static bool ggml_open(ggml_lib *g, const char *lib)
{
    static const char *const variants[] = {"sapphirerapids", "zen4", "icelake", "cooperlake",
                                           "cascadelake", "skylakex", "cannonlake", "alderlake",
                                           "haswell", "x64"};
    const char *oracle = getenv("LQ_ORACLE_DIR"), *home = getenv("HOME");
    char dir[1024], path[1200];
    if (lib) {
        const char *slash = strrchr(lib, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - lib) : 1, slash ? lib : ".");
        snprintf(path, sizeof path, "%s", lib);
    } else if (oracle && *oracle) {
        snprintf(dir, sizeof dir, "%s/" NPM_GGML_BINS, oracle);
        snprintf(path, sizeof path, "%s/libggml-base.so", dir);
    } else if (home && *home) { /* where .ci/install-deps puts it by default */
        snprintf(dir, sizeof dir, "%s/.cache/libquant/npm/" NPM_GGML_BINS, home);
        snprintf(path, sizeof path, "%s/libggml-base.so", dir);
    } else {
        return false;
    }
    void *base = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!base)
        return false;
    LOAD_FN(base, "ggml_get_type_traits", g->traits);
    int best = 0;
    for (size_t v = 0; v < sizeof variants / sizeof *variants; v++) {
        snprintf(path, sizeof path, "%s/libggml-cpu-%s.so", dir, variants[v]);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h)
            continue;
        int (*score)(void) = NULL;
        LOAD_FN(h, "ggml_backend_score", score);
        int s = score ? score() : 0;
        if (s > best) {
            best = s;
            void (*init)(void) = NULL;
            LOAD_FN(h, "ggml_get_type_traits_cpu", g->traits_cpu);
            LOAD_FN(h, "ggml_cpu_init", init);
            if (init)
                init();
            snprintf(g->variant, sizeof g->variant, "%s", variants[v]);
        }
    }
    return best > 0 && g->traits_cpu && g->traits;
}

typedef struct {
    const ggml_traits_cpu *tc;
    lq_tensor **copies; /* the same rotation as ours */
    int ncopies;
    size_t row_bytes;
    const void *act;
    int64_t n, k;
    float *y;
} ggml_arg;

static void ggml_run(void *arg, int rep)
{
    ggml_arg *g = arg;
    const uint8_t *w = lq_tensor_data(g->copies[rep % g->ncopies]);
    for (int64_t r = 0; r < g->n; r++)
        g->tc->vec_dot((int)g->k, &g->y[r], 0, w + (size_t)r * g->row_bytes, 0, g->act, 0, 1);
}

/* ---- the measured products ------------------------------------------------------ */

typedef struct {
    lq_ctx *ctx;
    lq_tensor **copies; /* rotate over these (matrix-vector) */
    int ncopies;
    const float *x;
    int64_t m;
    float *y;
    unsigned flags;
    lq_status st;
} matmul_arg;

static void matmul_run(void *arg, int rep)
{
    matmul_arg *a = arg;
    lq_status st = lq_matmul_v2(a->ctx, a->x, a->m, a->copies[rep % a->ncopies], a->flags, a->y);
    if (st != LQ_OK)
        a->st = st;
}

typedef struct {
    lq_ctx *ctx;
    const lq_tensor *q;
    float *out;
    int64_t count;
    lq_status st;
} dequant_arg;

static void dequant_run(void *arg, int rep)
{
    (void)rep;
    dequant_arg *a = arg;
    lq_status st = lq_dequantize_f32(a->ctx, a->q, a->out, a->count);
    if (st != LQ_OK)
        a->st = st;
}

typedef struct {
    lq_ctx *ctx;
    const float *x, *sw;
    const int8_t *w;
    int64_t m, n, k;
    float *y;
    lq_status st;
} w8a8_arg;

static void w8a8_run(void *arg, int rep)
{
    (void)rep;
    w8a8_arg *a = arg;
    lq_status st = lq_matmul_w8a8_raw(a->ctx, a->x, a->m, a->k, a->w, a->sw, a->n, a->y);
    if (st != LQ_OK)
        a->st = st;
}

/* ---- the targets ------------------------------------------------------------------- */

/* One kind of target: how many measurements met it, and the first few that
 * missed it. */
typedef struct {
    const char *what;
    double goal;
    int met, missed;
    char misses[512];
} target;

enum { T_BANDWIDTH, T_GGML, T_GEMM4, T_W8A8, T_COUNT };
static target targets[T_COUNT] = {
    {"matrix-vector >= 80% of the read bandwidth", 0.8, 0, 0, ""},
    {"matrix-vector not slower than ggml's vec_dot", 1.0, 0, 0, ""},
    {"4-bit matrix-matrix at batch 512 >= 0.9x f32 sgemm", 0.9, 0, 0, ""},
    {"W8A8 at batch 512 >= 1.5x f32 sgemm", 1.5, 0, 0, ""},
};

static void score(int t, double value, const char *format, int64_t n, int64_t k, int threads)
{
    target *g = &targets[t];
    if (!(value > 0))
        return;
    if (value >= g->goal) {
        g->met++;
        return;
    }
    g->missed++;
    size_t len = strlen(g->misses);
    if (len < sizeof g->misses - 64)
        snprintf(g->misses + len, sizeof g->misses - len, "%s%s %lldx%lld/%dt %.2f", len ? ", " : "",
                 format, (long long)n, (long long)k, threads, value);
}

static void print_targets(void)
{
    printf("\ntargets:\n");
    for (int t = 0; t < T_COUNT; t++) {
        const target *g = &targets[t];
        printf("  %-52s met %d of %d%s%s\n", g->what, g->met, g->met + g->missed,
               g->missed ? "; missed: " : "", g->misses);
    }
}

/* ---- output ------------------------------------------------------------------------ */

typedef struct {
    bool json;
    int records;
} out_state;

static void out_record(out_state *o, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void out_record(out_state *o, const char *kind, const char *fmt, ...)
{
    if (!o->json)
        return;
    printf("%s\n  {\"kind\": \"%s\", ", o->records++ ? "," : "", kind);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("}");
}

static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;
static float randn(void)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25, rng_state ^= rng_state >> 27;
        u[i] = (double)((rng_state * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
    }
    return (float)(sqrt(-2.0 * log(u[0] + 1e-300)) * cos(6.283185307179586 * u[1]));
}

/* ---- options --------------------------------------------------------------------------- */

/* The default formats: every ggml type with kernels (each then set against
 * ggml's vec_dot), the linear int rows and the float formats. Printed by
 * usage, so listed once. */
#define DEFAULT_FORMATS                                                                          \
    "q4_0,q8_0,q4_k,q6_k,int4,int8,f16,q4_1,q5_0,q5_1,q2_k,q3_k,q5_k,iq4_nl,iq4_xs,iq3_s,iq3_xxs," \
    "iq2_xxs,iq2_xs,iq2_s,iq1_s,iq1_m,tq1_0,tq2_0,mxfp4,nvfp4,int3,int2:asym,nf4,fp4,fp8_e4m3,"   \
    "fp8_e5m2,bf16"

/* The default formats, wrapped under the option's text. */
static void print_default_formats(void)
{
    const char *p = DEFAULT_FORMATS;
    while (*p) {
        int len = (int)strlen(p);
        if (len > 64) /* break after the last comma within the line */
            for (len = 64; p[len - 1] != ','; len--)
                ;
        printf("                   %.*s\n", len, p);
        p += len;
    }
}

static int usage(void)
{
    printf("usage: lq bench [options]\n\n"
           "Measures read bandwidth, OpenBLAS sgemm, and per format: dequantization, the\n"
           "matrix-vector product (lq_matmul, 1 row) and matrix-matrix products, with one\n"
           "thread and all threads; compares with llama.cpp's vec_dot when it is installed.\n\n"
           "  --formats LIST   schemes, comma-separated (default, every format:)\n");
    print_default_formats();
    printf("  --shapes LIST    NxK weight shapes [out x in] (default 4096x4096,4096x14336,14336x4096)\n"
           "  --batches LIST   rows of X (default 1,8,32,512)\n"
           "  --threads LIST   thread counts (default 1 and all CPUs)\n"
           "  --cold MIB       weight copies the matrix-vector product cycles through (default 4096)\n"
           "  --bandwidth MIB  buffer for the bandwidth test (default 1024)\n"
           "  --seconds S      time each figure for at least S seconds (default 0.3)\n"
           "  --act MODE       how the products take X: auto (lq_matmul, the default), 8bit\n"
           "                   (quantized to 8 bits at every batch) or f32 (never quantized)\n"
           "  --quick          4096x4096, batches 1 and 512, formats q4_0,q8_0,q4_k,int4; < 1 minute\n"
           "  --ggml-lib PATH  llama.cpp's libggml-base.so to compare with (its CPU variants,\n"
           "                   libggml-cpu-*.so, from the same folder); without it, the copy in\n"
           "                   the npm package under $LQ_ORACLE_DIR (default\n"
           "                   ~/.cache/libquant/npm), the folder .ci/install-deps\n"
           "                   installs llama.cpp into\n"
           "  --no-ggml        do not load llama.cpp's library\n"
           "  --no-w8a8        skip the W8A8 product\n"
           "  --json           JSON instead of a table\n");
    return 0;
}

static int parse_list(const char *s, char sep_out, int64_t *out, int cap, int64_t *out2)
{
    int n = 0;
    while (*s && n < cap) {
        char *end;
        long long a = strtoll(s, &end, 10), b = 0;
        if (end == s || a < 1)
            return -1;
        if (out2) {
            if (*end != sep_out)
                return -1;
            s = end + 1;
            b = strtoll(s, &end, 10);
            if (end == s || b < 1)
                return -1;
            out2[n] = b;
        }
        out[n++] = a;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return n;
}

static int parse_opts(int argc, char **argv, bench_opts *o)
{
    static char formats_buf[1024];
    const char *formats = DEFAULT_FORMATS;
    const char *shapes = "4096x4096,4096x14336,14336x4096", *batches = "1,8,32,512", *threads = NULL;
    *o = (bench_opts){.min_seconds = 0.3, .bandwidth_mib = 1024, .cold_mib = 4096, .ggml = true,
                      .w8a8 = true, .act = "auto"};
    bool quick = false;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        int64_t num;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return usage() - 1;
        else if (strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (strcmp(argv[i], "--json") == 0)
            o->json = true;
        else if (strcmp(argv[i], "--no-ggml") == 0)
            o->ggml = false;
        else if (strcmp(argv[i], "--no-w8a8") == 0)
            o->w8a8 = false;
        else if ((v = lq_tool_option(argc, argv, &i, "--ggml-lib", &missing))) {
            if (access(v, R_OK) != 0)
                return lq_tool_usage_error("bench", "--ggml-lib: cannot read '%s'", v);
            o->ggml_lib = v;
        } else if ((v = lq_tool_option(argc, argv, &i, "--formats", &missing)))
            formats = v;
        else if ((v = lq_tool_option(argc, argv, &i, "--shapes", &missing)))
            shapes = v;
        else if ((v = lq_tool_option(argc, argv, &i, "--batches", &missing)))
            batches = v;
        else if ((v = lq_tool_option(argc, argv, &i, "--threads", &missing)))
            threads = v;
        else if ((v = lq_tool_option(argc, argv, &i, "--cold", &missing))) {
            if (!lq_tool_parse_i64(v, 0, 1 << 20, &num))
                return lq_tool_usage_error("bench", "--cold needs MiB, got '%s'", v);
            o->cold_mib = num;
        } else if ((v = lq_tool_option(argc, argv, &i, "--bandwidth", &missing))) {
            if (!lq_tool_parse_i64(v, 16, 1 << 20, &num))
                return lq_tool_usage_error("bench", "--bandwidth needs 16 MiB or more, got '%s'", v);
            o->bandwidth_mib = num;
        } else if ((v = lq_tool_option(argc, argv, &i, "--act", &missing))) {
            static const struct {
                const char *name;
                unsigned flags;
            } modes[] = {{"auto", 0}, {"8bit", LQ_MATMUL_ACT_8BIT}, {"f32", LQ_MATMUL_ACT_F32}};
            int mi = 0;
            while (mi < 3 && strcmp(v, modes[mi].name) != 0)
                mi++;
            if (mi == 3)
                return lq_tool_usage_error("bench", "--act needs auto, 8bit or f32, got '%s'", v);
            o->act = modes[mi].name;
            o->act_flags = modes[mi].flags;
        } else if ((v = lq_tool_option(argc, argv, &i, "--seconds", &missing))) {
            if (!lq_tool_parse_double(v, &o->min_seconds) || !(o->min_seconds >= 0) || o->min_seconds > 60)
                return lq_tool_usage_error("bench", "--seconds needs 0..60, got '%s'", v);
        } else
            return lq_tool_usage_error("bench", missing ? "%s needs a value" : "unknown option '%s'",
                                       argv[i]);
    }
    if (quick) {
        formats = "q4_0,q8_0,q4_k,int4";
        shapes = "4096x4096";
        batches = "1,512";
        o->min_seconds = 0.1;
        o->bandwidth_mib = 512;
        o->cold_mib = 256;
    }
    snprintf(formats_buf, sizeof formats_buf, "%s", formats);
    for (char *tok = strtok(formats_buf, ","); tok && o->nformats < MAX_LIST; tok = strtok(NULL, ","))
        o->formats[o->nformats++] = tok;
    int64_t n[MAX_LIST], k[MAX_LIST];
    o->nshapes = parse_list(shapes, 'x', n, MAX_LIST, k);
    if (o->nshapes < 1)
        return lq_tool_usage_error("bench", "--shapes: '%s' is not a list of NxK", shapes);
    for (int i = 0; i < o->nshapes; i++)
        o->shapes[i][0] = n[i], o->shapes[i][1] = k[i];
    o->nbatches = parse_list(batches, 0, o->batches, MAX_LIST, NULL);
    if (o->nbatches < 1)
        return lq_tool_usage_error("bench", "--batches: '%s' is not a list of counts", batches);
    int all = lq_ctx_threads(NULL);
    if (threads) {
        int64_t t[MAX_LIST];
        int nt = parse_list(threads, 0, t, 2, NULL);
        if (nt < 1)
            return lq_tool_usage_error("bench", "--threads: '%s' is not a list of counts", threads);
        for (int i = 0; i < nt; i++)
            o->threads[o->nthreads++] = (int)(t[i] > 1024 ? 1024 : t[i]);
    } else {
        o->threads[o->nthreads++] = 1;
        if (all > 1)
            o->threads[o->nthreads++] = all;
    }
    return 0;
}

/* ---- the run ------------------------------------------------------------------------------ */

typedef struct {
    double bw[2];              /* per thread-count index */
    double sgemm[MAX_LIST][MAX_LIST][2]; /* [shape][batch][threads] GFLOP/s */
} machine;

static lq_status quantize(const char *scheme_text, int64_t n, int64_t k, lq_tensor **out)
{
    float *w = malloc(sizeof(float) * (size_t)(n * k));
    if (!w)
        return LQ_ERR_NOMEM;
    for (int64_t i = 0; i < n * k; i++)
        w[i] = 0.02f * randn();
    int64_t shape[2] = {n, k};
    lq_tensor *src = NULL;
    lq_scheme *s = NULL;
    lq_status st = lq_scheme_parse(scheme_text, &s);
    if (st == LQ_OK)
        st = lq_tensor_wrap(LQ_TYPE_F32, 2, shape, w, sizeof(float) * (size_t)(n * k), LQ_BORROW, "w", &src);
    /* an importance matrix of ones, which iq2_xxs, iq2_xs and iq1_s need (it does
     * not change the speed of the products) */
    float *ones = st == LQ_OK ? malloc(sizeof(float) * (size_t)k) : NULL;
    for (int64_t i = 0; ones && i < k; i++)
        ones[i] = 1.0f;
    if (st == LQ_OK)
        st = ones ? lq_quantize(NULL, src, s, NULL, ones, out) : LQ_ERR_NOMEM;
    free(ones);
    lq_tensor_free(src);
    lq_scheme_free(s);
    free(w);
    return st;
}

/* Copies of q totalling at least cold_mib (at least one: q itself). */
static int make_copies(lq_tensor *q, int64_t cold_mib, lq_tensor ***out)
{
    size_t bytes = lq_tensor_nbytes(q);
    int n = bytes ? (int)(((size_t)cold_mib << 20) / bytes) + 1 : 1;
    n = n < 1 ? 1 : n > 4096 ? 4096 : n;
    lq_tensor **c = calloc((size_t)n, sizeof *c);
    c[0] = q;
    int64_t shape[2] = {lq_tensor_dim(q, 0), lq_tensor_dim(q, 1)};
    for (int i = 1; i < n; i++) {
        lq_status st = lq_tensor_scheme(q)
                           ? lq_tensor_wrap_quantized(lq_tensor_scheme(q), 2, shape, lq_tensor_data(q), bytes,
                                                      LQ_COPY, "w", &c[i])
                           : lq_tensor_wrap(lq_tensor_type(q), 2, shape, lq_tensor_data(q), bytes, LQ_COPY,
                                            "w", &c[i]);
        if (st != LQ_OK) {
            n = i;
            break;
        }
    }
    *out = c;
    return n;
}

/* ggml's vec_dot over the same copies as our matrix-vector product, one
 * thread, X quantized by ggml's own from_float: mean seconds per product
 * over a pass through the copies, or 0 when ggml has no kernel for the
 * type. Timed in turns with our one-thread figure (bench_format). */
static double time_ggml(const bench_opts *o, ggml_lib *g, const lq_tensor *q, lq_tensor **copies,
                        int ncopies, const float *x, float *y)
{
    int64_t n = lq_tensor_dim(q, 0), k = lq_tensor_dim(q, 1);
    int gid = lq_type_ggml_id(lq_tensor_type(q));
    if (!g || gid < 0 || lq_tensor_type(q) == LQ_TYPE_F32)
        return 0;
    const ggml_traits_cpu *tc = g->traits_cpu(gid);
    const ggml_traits *at = tc && tc->vec_dot ? g->traits(tc->vec_dot_type) : NULL;
    if (!at || !(tc->from_float || g->traits_cpu(tc->vec_dot_type)->from_float))
        return 0;
    ggml_from_float_fn ff = g->traits_cpu(tc->vec_dot_type)->from_float;
    void *act = ff ? malloc(at->type_size * (size_t)(k / at->blck_size) + 64) : NULL;
    if (!act)
        return 0;
    ff(x, act, k);
    ggml_arg ga = {tc, copies, ncopies, lq_tensor_nbytes(q) / (size_t)n, act, n, k, y};
    double t = mean_time(ggml_run, &ga, o->min_seconds, ncopies);
    free(act);
    return t;
}

static void bench_format(const bench_opts *o, const machine *mc, ggml_lib *g, out_state *os,
                         const char *format, int si, float *x, float *y)
{
    int64_t n = o->shapes[si][0], k = o->shapes[si][1];
    lq_tensor *q = NULL;
    lq_status st = quantize(format, n, k, &q);
    if (st != LQ_OK) {
        fprintf(stderr, "lq bench: %s %lldx%lld: %s\n", format, (long long)n, (long long)k, lq_last_error());
        bench_failed = true;
        return;
    }
    double bytes = (double)lq_tensor_nbytes(q), bpw = lq_tensor_bits_per_weight(q);
    int64_t code_bits = 0;
    if (lq_tensor_scheme(q))
        lq_scheme_get_int(lq_tensor_scheme(q), LQ_PARAM_BITS, &code_bits);
    bool four_bit = code_bits == 4;
    lq_tensor **copies = NULL;
    int ncopies = make_copies(q, o->cold_mib, &copies);
    double ggml_gbs = 0, read_gbs = 0;

    lq_ctx *ctx = NULL;
    lq_ctx_create(&ctx);
    for (int ti = 0; ti < o->nthreads; ti++) {
        lq_ctx_set_threads(ctx, o->threads[ti]);
        size_t count = (size_t)(n * k);
        float *deq = malloc(sizeof(float) * count);
        dequant_arg da = {ctx, q, deq, (int64_t)count, LQ_OK};
        double tdq = deq ? best_time(dequant_run, &da, o->min_seconds) : INFINITY;
        free(deq);
        double dq_gbs = bytes / tdq / 1e9;
        if (!o->json)
            printf("%-14s %5lldx%-5lld %2d %5.2f %8.2f", format, (long long)n, (long long)k, o->threads[ti],
                   bpw, dq_gbs);
        for (int bi = 0; bi < o->nbatches; bi++) {
            int64_t m = o->batches[bi];
            matmul_arg ma = {ctx, m == 1 ? copies : &q, m == 1 ? ncopies : 1, x, m, y, o->act_flags, LQ_OK};
            double t = INFINITY, tg = INFINITY, tr = INFINITY;
            if (m == 1) { /* from DRAM: whole passes over the copies; ggml, ours and the read in turns */
                slices_arg sa = {copies, ncopies, o->threads[ti], lq_tensor_nbytes(q), 0};
                for (int round = 0; round < 2; round++) {
                    double r = o->threads[ti] == 1 ? time_ggml(o, g, q, copies, ncopies, x, y) : 0;
                    tg = r > 0 && r < tg ? r : tg;
                    r = mean_time(matmul_run, &ma, o->min_seconds, ncopies);
                    t = r < t ? r : t;
                    r = mean_time(slices_run, &sa, o->min_seconds, 1) / ncopies;
                    tr = r < tr ? r : tr;
                }
                ggml_gbs = isfinite(tg) ? bytes / tg / 1e9 : 0;
                read_gbs = sa.sink == 42 ? 0 : bytes / tr / 1e9; /* the sink keeps the reads */
            } else {
                t = best_time(matmul_run, &ma, o->min_seconds);
            }
            if (ma.st != LQ_OK || da.st != LQ_OK) {
                fprintf(stderr, "lq bench: %s %s: %s\n", ma.st ? "lq_matmul" : "lq_dequantize_f32",
                        format, lq_last_error());
                bench_failed = true;
                break;
            }
            double gflops = 2.0 * (double)m * (double)n * (double)k / t / 1e9;
            double vs_sgemm = mc->sgemm[si][bi][ti] > 0 ? gflops / mc->sgemm[si][bi][ti] : 0;
            if (m == 1) {
                double gbs = bytes / t / 1e9, of_bw = read_gbs > 0 ? gbs / read_gbs : 0;
                double vs_ggml = o->threads[ti] == 1 && ggml_gbs > 0 ? gbs / ggml_gbs : 0;
                if (!o->json) {
                    printf(" %7.2f %7.2f %4.0f%%", gbs, read_gbs, 100 * of_bw);
                    if (o->threads[ti] == 1 && ggml_gbs > 0)
                        printf(" %7.2f %5.2fx", ggml_gbs, vs_ggml);
                    else
                        printf(" %7s %6s", "-", "-");
                }
                score(T_BANDWIDTH, of_bw, format, n, k, o->threads[ti]);
                if (o->threads[ti] == 1)
                    score(T_GGML, vs_ggml, format, n, k, o->threads[ti]);
                out_record(os, "matvec", "\"format\": \"%s\", \"n\": %lld, \"k\": %lld, \"threads\": %d, "
                           "\"bits_per_weight\": %.4f, \"dequant_gbs\": %.3f, \"gbs\": %.3f, "
                           "\"read_gbs\": %.3f, \"fraction_of_bandwidth\": %.3f, \"ggml_gbs\": %.3f, "
                           "\"vs_ggml\": %.3f",
                           format, (long long)n, (long long)k, o->threads[ti], bpw, dq_gbs, gbs, read_gbs, of_bw,
                           o->threads[ti] == 1 ? ggml_gbs : 0, vs_ggml);
            } else {
                if (!o->json)
                    printf(" %7.1f %5.2fx", gflops, vs_sgemm);
                if (m == 512 && four_bit)
                    score(T_GEMM4, vs_sgemm, format, n, k, o->threads[ti]);
                out_record(os, "matmul", "\"format\": \"%s\", \"n\": %lld, \"k\": %lld, \"threads\": %d, "
                           "\"batch\": %lld, \"act\": \"%s\", \"gflops\": %.3f, \"vs_sgemm\": %.3f", format,
                           (long long)n, (long long)k, o->threads[ti], (long long)m, o->act, gflops, vs_sgemm);
            }
        }
        if (!o->json)
            printf("\n");
        fflush(stdout);
    }
    lq_ctx_free(ctx);
    for (int i = 1; i < ncopies; i++)
        lq_tensor_free(copies[i]);
    free(copies);
    lq_tensor_free(q);
}

static void bench_w8a8(const bench_opts *o, const machine *mc, out_state *os, int si, const float *x, float *y)
{
    int64_t n = o->shapes[si][0], k = o->shapes[si][1];
    int8_t *w = malloc((size_t)(n * k));
    float *sw = malloc(sizeof(float) * (size_t)n);
    if (!w || !sw) {
        free(w), free(sw);
        return;
    }
    for (int64_t i = 0; i < n * k; i++)
        w[i] = (int8_t)lrintf(40.0f * randn());
    for (int64_t j = 0; j < n; j++)
        sw[j] = 1e-3f;
    lq_ctx *ctx = NULL;
    lq_ctx_create(&ctx);
    for (int ti = 0; ti < o->nthreads; ti++) {
        lq_ctx_set_threads(ctx, o->threads[ti]);
        if (!o->json)
            printf("%-14s %5lldx%-5lld %2d %5.2f %8s %7s %7s %5s %7s %6s", "w8a8", (long long)n, (long long)k,
                   o->threads[ti], 8.0, "-", "-", "-", "-", "-", "-");
        for (int bi = 0; bi < o->nbatches; bi++) {
            int64_t m = o->batches[bi];
            w8a8_arg a = {ctx, x, sw, w, m, n, k, y, LQ_OK};
            double t = best_time(w8a8_run, &a, o->min_seconds);
            if (a.st != LQ_OK) {
                fprintf(stderr, "lq bench: lq_matmul_w8a8_raw: %s\n", lq_last_error());
                bench_failed = true;
                break;
            }
            double gflops = 2.0 * (double)m * (double)n * (double)k / t / 1e9;
            double vs = mc->sgemm[si][bi][ti] > 0 ? gflops / mc->sgemm[si][bi][ti] : 0;
            if (m == 1)
                continue;
            if (!o->json)
                printf(" %7.1f %5.2fx", gflops, vs);
            if (m == 512)
                score(T_W8A8, vs, "w8a8", n, k, o->threads[ti]);
            out_record(os, "w8a8", "\"n\": %lld, \"k\": %lld, \"threads\": %d, \"batch\": %lld, "
                       "\"gflops\": %.3f, \"vs_sgemm\": %.3f", (long long)n, (long long)k, o->threads[ti],
                       (long long)m, gflops, vs);
        }
        if (!o->json)
            printf("\n");
    }
    lq_ctx_free(ctx);
    free(w), free(sw);
}

int lq_cmd_bench(int argc, char **argv)
{
    bench_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    out_state os = {o.json, 0};
    machine *mc = calloc(1, sizeof *mc);
    int64_t max_m = 1, max_nk = 1, max_n = 1;
    for (int i = 0; i < o.nbatches; i++)
        max_m = o.batches[i] > max_m ? o.batches[i] : max_m;
    for (int i = 0; i < o.nshapes; i++) {
        max_nk = o.shapes[i][0] * o.shapes[i][1] > max_nk ? o.shapes[i][0] * o.shapes[i][1] : max_nk;
        max_n = o.shapes[i][0] > max_n ? o.shapes[i][0] : max_n;
    }
    int64_t max_k = 1;
    for (int i = 0; i < o.nshapes; i++)
        max_k = o.shapes[i][1] > max_k ? o.shapes[i][1] : max_k;
    float *x = malloc(sizeof(float) * (size_t)(max_m * max_k));
    float *y = malloc(sizeof(float) * (size_t)(max_m * max_n));
    float *wf = malloc(sizeof(float) * (size_t)max_nk);
    if (!mc || !x || !y || !wf) {
        fprintf(stderr, "lq bench: out of memory\n");
        free(mc), free(x), free(y), free(wf);
        return 1;
    }
    for (int64_t i = 0; i < max_m * max_k; i++)
        x[i] = randn();
    for (int64_t i = 0; i < max_nk; i++)
        wf[i] = 0.02f * randn();

    if (o.json)
        printf("{\"build\": \"%s\", \"blas_core\": \"%s\", \"act\": \"%s\", \"records\": [", lq_build_info(),
               lq_tool_blas_core(), o.act);
    else
        printf("%s\nOpenBLAS kernels: %s\nactivations (--act): %s\n\n", lq_build_info(), lq_tool_blas_core(),
               o.act);
    for (int ti = 0; ti < o.nthreads; ti++) {
        mc->bw[ti] = read_bandwidth(o.bandwidth_mib, o.threads[ti], o.min_seconds);
        if (!o.json)
            printf("read bandwidth, %d thread%s: %.2f GB/s (%lld MiB buffer)\n", o.threads[ti],
                   o.threads[ti] > 1 ? "s" : "", mc->bw[ti], (long long)o.bandwidth_mib);
        out_record(&os, "bandwidth", "\"threads\": %d, \"gbs\": %.3f", o.threads[ti], mc->bw[ti]);
    }
    for (int si = 0; si < o.nshapes; si++) {
        for (int ti = 0; ti < o.nthreads; ti++) {
            blas_threads(o.threads[ti]);
            if (!o.json)
                printf("sgemm %lldx%lld, %d thread%s:", (long long)o.shapes[si][0], (long long)o.shapes[si][1],
                       o.threads[ti], o.threads[ti] > 1 ? "s" : "");
            for (int bi = 0; bi < o.nbatches; bi++) {
                sgemm_arg s = {o.batches[bi], o.shapes[si][0], o.shapes[si][1], x, wf, y};
                double t = best_time(sgemm_run, &s, o.min_seconds);
                double gf = 2.0 * (double)s.m * (double)s.n * (double)s.k / t / 1e9;
                mc->sgemm[si][bi][ti] = gf;
                if (!o.json)
                    printf("  m=%lld %.1f GFLOP/s", (long long)s.m, gf);
                out_record(&os, "sgemm", "\"n\": %lld, \"k\": %lld, \"threads\": %d, \"batch\": %lld, "
                           "\"gflops\": %.3f", (long long)s.n, (long long)s.k, o.threads[ti], (long long)s.m, gf);
            }
            if (!o.json)
                printf("\n");
        }
    }
    /* back to one OpenBLAS thread, as libquant sets it once (lq_core.h): our
     * products split the work themselves */
    blas_threads(1);
    free(wf);

    ggml_lib gl = {0};
    ggml_lib *g = o.ggml && ggml_open(&gl, o.ggml_lib) ? &gl : NULL;
    if (o.ggml_lib && !g) {
        const char *why = dlerror();
        fprintf(stderr, "lq bench: cannot load llama.cpp's CPU library from %s: %s\n", o.ggml_lib,
                why ? why : "no usable libggml-cpu-*.so beside it");
        bench_failed = true;
    }
    if (!o.json) {
        printf("ggml vec_dot: %s\n\n", g ? gl.variant : o.ggml ? "not found (--ggml-lib PATH or "
               "LQ_ORACLE_DIR names llama.cpp's CPU library)" : "not loaded (--no-ggml)");
        printf("%-14s %11s %2s %5s %8s %7s %7s %5s %7s %6s", "format", "shape", "th", "bpw", "deq GB/s",
               "mv GB/s", "rd GB/s", "of BW", "ggml", "vs");
        for (int bi = 0; bi < o.nbatches; bi++)
            if (o.batches[bi] > 1)
                printf(" %7s %6s", "", "");
        printf("\n%-58s", "");
        for (int bi = 0; bi < o.nbatches; bi++)
            if (o.batches[bi] > 1) {
                char h[32];
                snprintf(h, sizeof h, "m=%lld GF", (long long)o.batches[bi]);
                printf(" %7s %6s", h, "/sgemm");
            }
        printf("\n");
    } else if (g) {
        out_record(&os, "ggml", "\"variant\": \"%s\"", gl.variant);
    }
    for (int si = 0; si < o.nshapes; si++) {
        for (int f = 0; f < o.nformats; f++)
            bench_format(&o, mc, g, &os, o.formats[f], si, x, y);
        if (o.w8a8)
            bench_w8a8(&o, mc, &os, si, x, y);
    }
    if (o.json)
        printf("\n]}\n");
    else
        print_targets();
    if (!o.json)
        printf("\nmv GB/s: weight bytes read per second by lq_matmul with one row (weights cycled\n"
               "through %lld MiB of copies); rd GB/s: a plain streaming read of the same copies\n"
               "with as many threads, in turns with it; of BW: mv over rd; ggml: llama.cpp's\n"
               "vec_dot over the same bytes, one thread; vs: ours over ggml's. GF: GFLOP/s of\n"
               "lq_matmul_v2 with --act; /sgemm: over OpenBLAS f32 sgemm, same shape.\n",
               (long long)o.cold_mib);
    free(mc), free(x), free(y);
    return bench_failed ? 1 : 0;
}
