/* test_calib.c — calibration sets: the statistics against their definitions,
 * merging, sampling, the file format and its damage checks, and llama.cpp's
 * importance-matrix files (legacy .dat and GGUF). */
#include <stdint.h>
#include <unistd.h>

#include "synth.h"

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char buf[4][128];
    static int k;
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/lq-calib-XXXXXX");
        if (!mkdtemp(tmpdir))
            return "/nonexistent/x";
    }
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void random_rows(float *x, int64_t n, unsigned long long seed)
{
    lqt_rng r = {seed};
    for (int64_t i = 0; i < n; i++)
        x[i] = lqt_normal(&r) * (i % 7 == 3 ? 5.0f : 1.0f);
}

static float *get(const lq_calib *c, int stat, int64_t count)
{
    float *v = malloc((size_t)(count + 1) * sizeof *v);
    CHECK_OK(lq_calib_get(c, stat, v, count));
    return v;
}

static void statistics_match_definitions(void)
{
    enum { N = 48, T = 140 };
    static float x[T * N];
    random_rows(x, T * N, 11);
    lq_calib *c = NULL;
    CHECK_OK(lq_calib_create(N, &c));
    CHECK_OK(lq_calib_add(c, x, 7));
    CHECK_OK(lq_calib_add(c, x + 7 * N, 100));
    CHECK_OK(lq_calib_add(c, x + 107 * N, T - 107));
    CHECK(lq_calib_tokens(c) == T && lq_calib_features(c) == N);
    float *h = get(c, LQ_CALIB_HESSIAN, N * N), *ma = get(c, LQ_CALIB_MEAN_ABS, N);
    float *mx = get(c, LQ_CALIB_MAX_ABS, N), *ss = get(c, LQ_CALIB_SUM_SQ, N);
    float *ms = get(c, LQ_CALIB_MEAN_SQ, N);
    double worst = 0;
    for (int i = 0; i < N; i++) {
        double a = 0, m = 0, s = 0;
        for (int t = 0; t < T; t++) {
            double v = x[t * N + i];
            a += fabs(v);
            m = fmax(m, fabs(v));
            s += v * v;
        }
        /* float running means over T = 140 rows against double sums: within
         * gamma_T = 8.3e-6 of sums of positive terms (|x|, x^2) */
        CHECK(fabs(ma[i] - a / T) <= 1e-5 * (a / T));
        CHECK(mx[i] == (float)m);
        CHECK(fabs(ss[i] - s) <= 1e-5 * s);
        CHECK(fabs(ms[i] - s / T) <= 1e-5 * (s / T));
        for (int j = 0; j < N; j++) {
            double ref = 0;
            for (int t = 0; t < T; t++)
                ref += 2.0 * x[t * N + i] * x[t * N + j];
            ref /= T;
            worst = fmax(worst, fabs(h[i * N + j] - ref) / (1.0 + fabs(ref)));
            CHECK(h[i * N + j] == h[j * N + i]);
        }
    }
    /* a float product over T = 140 rows, gamma_T = 8.3e-6 of sum |2 x_i x_j| / T,
     * which is of order 1 for these rows: hence relative to 1 + |H| */
    CHECKF(worst < 1e-5, "Hessian off by %g", worst);
    CHECK_STATUS(lq_calib_get(c, LQ_CALIB_HESSIAN, h, N), LQ_ERR_SHAPE);
    free(h), free(ma), free(mx), free(ss), free(ms);
    CHECK_STATUS(lq_calib_get(c, 99, NULL, 0), LQ_ERR_INVALID);
    lq_calib_free(c);
}

/* A layer wide enough for every kind of the Hessian's tiles (hessian.c):
 * 2200 splits into 1088 + 1112, the rectangle right of the upper half in a
 * 1024-column chunk and a partial one, and three levels down to diagonal
 * blocks of 256 to 512 (ssyrk); both halves mirrored. */
static void tiled_hessian_matches_definition(void)
{
    enum { N = 2200, T = 50 };
    float *x = malloc(sizeof(float) * T * N);
    random_rows(x, T * N, 12);
    lq_calib *c = NULL;
    CHECK_OK(lq_calib_create(N, &c));
    CHECK_OK(lq_calib_add(c, x, 20));
    CHECK_OK(lq_calib_add(c, x + 20 * N, T - 20));
    float *h = get(c, LQ_CALIB_HESSIAN, N * N);
    double worst = 0;
    int asymmetric = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double ref = 0;
            for (int t = 0; t < T; t++)
                ref += 2.0 * x[t * N + i] * x[t * N + j];
            ref /= T;
            worst = fmax(worst, fabs(h[i * N + j] - ref) / (1.0 + fabs(ref)));
            asymmetric += h[i * N + j] != h[j * N + i];
        }
    /* float products over T = 50 rows, the running mean rescaled once:
     * gamma_T = 3e-6 of sum |2 x_i x_j| / T, of order 1 (as above) */
    CHECKF(worst < 1e-5, "Hessian off by %g", worst);
    CHECK(asymmetric == 0);
    free(h), free(x);
    lq_calib_free(c);
}

static void bad_input_is_refused(void)
{
    lq_calib *c = NULL;
    CHECK_STATUS(lq_calib_create(0, &c), LQ_ERR_INVALID);
    CHECK_STATUS(lq_calib_create(70000, &c), LQ_ERR_INVALID);
    CHECK_STATUS(lq_calib_create(8, NULL), LQ_ERR_INVALID);
    CHECK_OK(lq_calib_create(8, &c));
    float x[3 * 8];
    random_rows(x, 24, 3);
    CHECK_OK(lq_calib_add(c, x, 1));
    x[2 * 8 + 3] = NAN;
    CHECK_STATUS(lq_calib_add(c, x, 3), LQ_ERR_NONFINITE);
    CHECKF(strstr(lq_last_error(), "token 2, channel 3") != NULL, "%s", lq_last_error());
    CHECK(lq_calib_tokens(c) == 1); /* unchanged */
    x[2 * 8 + 3] = INFINITY;
    CHECK_STATUS(lq_calib_add(c, x, 3), LQ_ERR_NONFINITE);
    CHECK_STATUS(lq_calib_add(c, x, 0), LQ_ERR_INVALID);
    CHECK_STATUS(lq_calib_add(c, NULL, 1), LQ_ERR_INVALID);
    CHECK_STATUS(lq_calib_merge(c, c), LQ_ERR_INVALID);
    lq_calib *d = NULL;
    CHECK_OK(lq_calib_create(9, &d));
    CHECK_STATUS(lq_calib_merge(c, d), LQ_ERR_SHAPE);
    float bad[8] = {1, 1, 0, 1, 1, 1, 1, 1};
    CHECK_STATUS(lq_calib_scale_channels(c, bad), LQ_ERR_INVALID);
    CHECK_STATUS(lq_calib_set_max_samples(c, -1), LQ_ERR_INVALID);
    lq_calib_free(c);
    lq_calib_free(d);
    lq_calib_free(NULL);
}

static double max_rel_diff(const float *a, const float *b, int64_t n)
{
    double w = 0;
    for (int64_t i = 0; i < n; i++)
        w = fmax(w, fabs((double)a[i] - b[i]) / (1e-6 + fabs((double)b[i])));
    return w;
}

static void merge_equals_one_set(void)
{
    enum { N = 32, T1 = 50, T2 = 90 };
    static float x[(T1 + T2) * N];
    random_rows(x, (T1 + T2) * N, 5);
    lq_calib *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(lq_calib_create(N, &a));
    CHECK_OK(lq_calib_create(N, &b));
    CHECK_OK(lq_calib_create(N, &c));
    CHECK_OK(lq_calib_add(a, x, T1));
    CHECK_OK(lq_calib_add(b, x + T1 * N, T2));
    CHECK_OK(lq_calib_add(c, x, T1 + T2));
    CHECK_OK(lq_calib_merge(a, b));
    CHECK(lq_calib_tokens(a) == T1 + T2);
    int stats[] = {LQ_CALIB_MEAN_ABS, LQ_CALIB_MAX_ABS, LQ_CALIB_SUM_SQ, LQ_CALIB_HESSIAN};
    for (int k = 0; k < 4; k++) {
        int64_t n = stats[k] == LQ_CALIB_HESSIAN ? N * N : N;
        float *p = get(a, stats[k], n), *q = get(c, stats[k], n);
        /* merged running means are weighted differently from one pass: a few
         * float roundings per row, over T1 + T2 = 140 rows (~1e-5), and 1e-6
         * absolute in max_rel_diff for entries near zero */
        CHECKF(max_rel_diff(p, q, n) < 1e-4, "stat %d differs by %g", stats[k], max_rel_diff(p, q, n));
        free(p), free(q);
    }
    CHECK(lq_calib_samples(a) == T1 + T2); /* both fit in the default 512 */
    lq_calib_free(a), lq_calib_free(b), lq_calib_free(c);
}

/* Every kept sample is one of the rows added, and their number is capped. */
static void samples_are_rows(void)
{
    enum { N = 16, T = 1000 };
    static float x[T * N];
    random_rows(x, T * N, 9);
    lq_calib *c = NULL;
    CHECK_OK(lq_calib_create(N, &c));
    CHECK_OK(lq_calib_set_max_samples(c, 10));
    CHECK_OK(lq_calib_add(c, x, 400));
    CHECK_OK(lq_calib_add(c, x + 400 * N, T - 400));
    CHECK(lq_calib_samples(c) == 10);
    float *s = get(c, LQ_CALIB_SAMPLES, 10 * N);
    int found = 0, late = 0;
    for (int i = 0; i < 10; i++)
        for (int t = 0; t < T; t++)
            if (memcmp(s + i * N, x + t * N, N * sizeof(float)) == 0) {
                found++;
                late += t >= 400;
                break;
            }
    CHECK(found == 10);
    CHECKF(late >= 2, "only %d of 10 samples come from the last 600 rows", late);
    CHECK_OK(lq_calib_set_max_samples(c, 4));
    CHECK(lq_calib_samples(c) == 4);
    free(s);
    lq_calib_free(c);
}

static void scaling_channels_equals_scaled_input(void)
{
    enum { N = 24, T = 64 };
    static float x[T * N], xs[T * N];
    float mult[N];
    random_rows(x, T * N, 21);
    for (int j = 0; j < N; j++)
        mult[j] = j % 3 == 0 ? -0.5f : 1.0f + 0.25f * (float)j;
    for (int i = 0; i < T * N; i++)
        xs[i] = x[i] * mult[i % N];
    lq_calib *a = NULL, *b = NULL;
    CHECK_OK(lq_calib_create(N, &a));
    CHECK_OK(lq_calib_create(N, &b));
    CHECK_OK(lq_calib_add(a, x, T));
    CHECK_OK(lq_calib_add(b, xs, T));
    CHECK_OK(lq_calib_scale_channels(a, mult));
    int stats[] = {LQ_CALIB_MEAN_ABS, LQ_CALIB_MAX_ABS, LQ_CALIB_SUM_SQ, LQ_CALIB_HESSIAN,
                   LQ_CALIB_SAMPLES};
    for (int k = 0; k < 5; k++) {
        int64_t n = stats[k] == LQ_CALIB_HESSIAN ? N * N : stats[k] == LQ_CALIB_SAMPLES ? T * N : N;
        float *p = get(a, stats[k], n), *q = get(b, stats[k], n);
        if (stats[k] == LQ_CALIB_SAMPLES) /* same rows, maybe in another order: compare sums */
            for (int64_t i = 1; i < n; i++)
                p[0] += p[i], q[0] += q[i];
        /* scaled after or before summing: one float product per term apart,
         * over T rows of running means (as in merge_equals_one_set) */
        CHECKF(max_rel_diff(p, q, stats[k] == LQ_CALIB_SAMPLES ? 1 : n) < 1e-4, "stat %d", stats[k]);
        free(p), free(q);
    }
    lq_calib_free(a), lq_calib_free(b);
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void poke(const char *path, long offset, unsigned char value)
{
    FILE *f = fopen(path, "r+b");
    if (!f)
        return;
    fseek(f, offset, SEEK_SET);
    fputc(value, f);
    fclose(f);
}

static void copy_prefix(const char *from, const char *to, long n)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    for (long i = 0; a && b && i < n; i++)
        fputc(fgetc(a), b);
    if (a)
        fclose(a);
    if (b)
        fclose(b);
}

static void file_round_trip_and_damage(void)
{
    enum { N = 20, T = 300 };
    static float x[T * N];
    random_rows(x, T * N, 17);
    lq_calib *c = NULL, *d = NULL;
    CHECK_OK(lq_calib_create(N, &c));
    CHECK_OK(lq_calib_set_max_samples(c, 33));
    CHECK_OK(lq_calib_add(c, x, T));
    const char *p = tmp_path("a.lqcalib");
    CHECK_OK(lq_calib_save(c, p));
    CHECK_OK(lq_calib_load(p, &d));
    CHECK(d && lq_calib_tokens(d) == T && lq_calib_samples(d) == 33);
    int stats[] = {LQ_CALIB_MEAN_ABS, LQ_CALIB_MAX_ABS, LQ_CALIB_SUM_SQ, LQ_CALIB_HESSIAN,
                   LQ_CALIB_SAMPLES};
    for (int k = 0; d && k < 5; k++) {
        int64_t n = stats[k] == LQ_CALIB_HESSIAN ? N * N : stats[k] == LQ_CALIB_SAMPLES ? 33 * N : N;
        float *a = get(c, stats[k], n), *b = get(d, stats[k], n);
        CHECKF(memcmp(a, b, (size_t)n * sizeof *a) == 0, "stat %d changed in the file", stats[k]);
        free(a), free(b);
    }
    /* a loaded set goes on accumulating exactly like the original */
    CHECK_OK(lq_calib_add(c, x, 10));
    CHECK_OK(lq_calib_add(d, x, 10));
    float *sa = get(c, LQ_CALIB_SAMPLES, 33 * N), *sb = get(d, LQ_CALIB_SAMPLES, 33 * N);
    CHECK(memcmp(sa, sb, 33 * N * sizeof(float)) == 0);
    free(sa), free(sb);
    lq_calib_free(d);
    d = NULL;

    long size = file_size(p);
    const char *q = tmp_path("damaged.lqcalib");
    for (long cut = 0; cut < size; cut += (cut < 64 ? 1 : 97)) { /* every header prefix, then some */
        copy_prefix(p, q, cut);
        lq_status st = lq_calib_load(q, &d);
        CHECKF(st == LQ_ERR_FORMAT && d == NULL, "prefix of %ld bytes gave %d", cut, st);
    }
    copy_prefix(p, q, size);
    poke(q, size / 2, 0x5a ^ (unsigned char)(size & 0xff));
    CHECK_STATUS(lq_calib_load(q, &d), LQ_ERR_FORMAT);
    copy_prefix(p, q, size);
    poke(q, 8, 2); /* version 2 */
    CHECK_STATUS(lq_calib_load(q, &d), LQ_ERR_FORMAT);
    CHECK(strstr(lq_last_error(), "version") != NULL);
    CHECK_STATUS(lq_calib_load(tmp_path("missing"), &d), LQ_ERR_IO);
    CHECK_STATUS(lq_calib_save(c, "/nonexistent-dir/x.lqcalib"), LQ_ERR_IO);
    lq_calib_free(c);
}

/* Little-endian helpers for hand-made files. */
static void put_i32(FILE *f, int32_t v)
{
    for (int i = 0; i < 4; i++)
        fputc((v >> (8 * i)) & 0xff, f);
}

static void put_f32(FILE *f, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    put_i32(f, (int32_t)u);
}

static int32_t get_i32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/* A legacy file written by hand from the layout rules: values are mean x^2
 * times ncall, and readers divide ncall out. */
static void imatrix_dat_golden_reads(void)
{
    const char *p = tmp_path("golden.dat");
    FILE *f = fopen(p, "wb");
    put_i32(f, 2);
    put_i32(f, 19);
    fwrite("blk.0.attn_q.weight", 1, 19, f);
    put_i32(f, 2);
    put_i32(f, 4);
    put_f32(f, 2), put_f32(f, 4), put_f32(f, 6), put_f32(f, 8);
    put_i32(f, 6);
    fwrite("output", 1, 6, f);
    put_i32(f, 1);
    put_i32(f, 2);
    put_f32(f, 0.5f), put_f32(f, 0.25f);
    put_i32(f, 2);
    put_i32(f, 8);
    fwrite("wiki.txt", 1, 8, f);
    fclose(f);
    lq_imatrix *im = NULL;
    CHECK_OK(lq_imatrix_load(p, &im));
    CHECK(lq_imatrix_count(im) == 2);
    CHECK(im && strcmp(lq_imatrix_name(im, 0), "blk.0.attn_q.weight") == 0);
    CHECK(lq_imatrix_length(im, "blk.0.attn_q.weight") == 4 && lq_imatrix_length(im, "x") == 0);
    float v[4];
    CHECK_OK(lq_imatrix_get(im, "blk.0.attn_q.weight", v, 4));
    CHECK(v[0] == 1 && v[1] == 2 && v[2] == 3 && v[3] == 4);
    CHECK_OK(lq_imatrix_get(im, "output", v, 2));
    CHECK(v[0] == 0.5f && v[1] == 0.25f);
    CHECK_STATUS(lq_imatrix_get(im, "nope", v, 2), LQ_ERR_INVALID);
    CHECK_STATUS(lq_imatrix_get(im, "output", v, 3), LQ_ERR_SHAPE);
    lq_imatrix_free(im);

    /* damaged variants */
    const char *q = tmp_path("bad.dat");
    long size = file_size(p);
    for (long cut = 1; cut < size; cut++) {
        copy_prefix(p, q, cut);
        im = NULL;
        lq_status st = lq_imatrix_load(q, &im);
        /* the trailer is optional, and so is its dataset name (as in llama.cpp) */
        int ok_cut = cut == size - 16 || cut == size - 12;
        CHECKF(ok_cut ? st == LQ_OK : st == LQ_ERR_FORMAT, "prefix %ld gave %d", cut, st);
        lq_imatrix_free(im);
    }
    copy_prefix(p, q, size);
    poke(q, 4 + 4 + 19 + 4, 0xff); /* nval = 0x...ff: more values than the file holds */
    CHECK_STATUS(lq_imatrix_load(q, &im), LQ_ERR_FORMAT);
    copy_prefix(p, q, size);
    poke(q, 4 + 4 + 19 + 8 + 3, 0xff); /* a value's sign bit: negative */
    CHECK_STATUS(lq_imatrix_load(q, &im), LQ_ERR_FORMAT);
}

static void imatrix_exports_reload(void)
{
    enum { N = 12, T = 1300 };
    static float x[T * N];
    random_rows(x, T * N, 23);
    lq_calib *a = NULL, *b = NULL;
    CHECK_OK(lq_calib_create(N, &a));
    CHECK_OK(lq_calib_create(2 * N, &b));
    CHECK_OK(lq_calib_add(a, x, T));
    CHECK_OK(lq_calib_add(b, x, T / 2));
    lq_imatrix *im = NULL, *back = NULL;
    CHECK_OK(lq_imatrix_create(&im));
    CHECK_OK(lq_imatrix_add(im, "blk.1.ffn_down.weight", b));
    CHECK_OK(lq_imatrix_add(im, "blk.0.attn_k.weight", a));
    CHECK_OK(lq_imatrix_add(im, "blk.0.attn_k.weight", a)); /* replaces */
    CHECK(lq_imatrix_count(im) == 2);
    float want[2 * N], got[2 * N];
    CHECK_OK(lq_calib_get(a, LQ_CALIB_MEAN_SQ, want, N));

    const char *p = tmp_path("ours.dat");
    CHECK_OK(lq_imatrix_save(im, p, LQ_IMATRIX_DAT, "kjv.txt"));
    /* the bytes, read by hand: entries in name order, ncall = ceil(T / 512) */
    FILE *f = fopen(p, "rb");
    static unsigned char buf[4096];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    CHECK(n == 4 + (4 + 19 + 8 + 4 * N) + (4 + 21 + 8 + 8 * N) + 8 + 7);
    CHECK(get_i32(buf) == 2 && get_i32(buf + 4) == 19 && memcmp(buf + 8, "blk.0.attn_k.weight", 19) == 0);
    CHECK(get_i32(buf + 27) == 3 && get_i32(buf + 31) == N);
    float v0;
    memcpy(&v0, buf + 35, 4);
    /* the file holds sums (mean * ncall): one float product, 2^-24 */
    CHECKF(fabsf(v0 - want[0] * 3) <= 1e-6f * v0, "%g vs %g", v0, want[0] * 3);
    CHECK(memcmp(buf + n - 7, "kjv.txt", 7) == 0 && get_i32(buf + n - 15) == 3);

    CHECK_OK(lq_imatrix_load(p, &back));
    CHECK_OK(lq_imatrix_get(back, "blk.0.attn_k.weight", got, N));
    /* read back: the stored sums divided by ncall, one float rounding */
    CHECK(max_rel_diff(got, want, N) < 1e-6);
    lq_imatrix_free(back);
    back = NULL;

    const char *g = tmp_path("ours.gguf");
    lq_status st = lq_imatrix_save(im, g, LQ_IMATRIX_GGUF, "kjv.txt");
    CHECK_OK(st);
    if (st == LQ_OK) {
        CHECK_OK(lq_imatrix_load(g, &back));
        CHECK(lq_imatrix_count(back) == 2);
        CHECK_OK(lq_imatrix_get(back, "blk.0.attn_k.weight", got, N));
        CHECK(max_rel_diff(got, want, N) < 1e-6);
        CHECK_OK(lq_calib_get(b, LQ_CALIB_MEAN_SQ, want, 2 * N));
        CHECK_OK(lq_imatrix_get(back, "blk.1.ffn_down.weight", got, 2 * N));
        CHECK(max_rel_diff(got, want, 2 * N) < 1e-6);
        /* its metadata, through the GGUF reader */
        lq_gguf *gg = NULL;
        CHECK_OK(lq_gguf_open(g, &gg));
        const char *type = NULL;
        CHECK_OK(lq_gguf_get_string(gg, "general.type", &type, NULL));
        CHECK(type && strcmp(type, "imatrix") == 0);
        uint32_t chunks = 0;
        CHECK_OK(lq_gguf_get_u32(gg, "imatrix.chunk_count", &chunks));
        CHECK(chunks == 3);
        CHECK(lq_gguf_find_tensor(gg, "blk.0.attn_k.weight.in_sum2") >= 0);
        CHECK(lq_gguf_find_tensor(gg, "blk.0.attn_k.weight.counts") >= 0);
        lq_gguf_free(gg);
        lq_imatrix_free(back);
    }
    lq_imatrix *empty = NULL;
    CHECK_OK(lq_imatrix_create(&empty));
    CHECK_STATUS(lq_imatrix_save(empty, p, LQ_IMATRIX_DAT, NULL), LQ_ERR_INVALID);
    CHECK_STATUS(lq_imatrix_save(im, p, 7, NULL), LQ_ERR_INVALID);
    lq_calib *none = NULL;
    CHECK_OK(lq_calib_create(4, &none));
    CHECK_STATUS(lq_imatrix_add(im, "x", none), LQ_ERR_INVALID);
    CHECK_STATUS(lq_imatrix_add(im, "", a), LQ_ERR_INVALID);
    lq_calib_free(none);
    lq_imatrix_free(empty);
    lq_imatrix_free(im);
    lq_calib_free(a), lq_calib_free(b);
}

/* An llama-imatrix GGUF file's imatrix.chunk_size is kept when it is loaded,
 * so that saving again counts the same calls (the .dat form's ncall =
 * ceil(tokens / chunk)); a size no u32 holds is not llama-imatrix's and
 * leaves the default 512. */
static void imatrix_keeps_chunk_size(void)
{
    static const struct { uint64_t chunk; uint32_t kept; int32_t ncall; } cases[] = {
        {4, 4, 3}, {8, 8, 2}, {(uint64_t)1 << 40, 512, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        float sums[4] = {1, 2, 3, 4}, count = 9;
        int64_t n4[1] = {4}, n1[1] = {1};
        lq_gguf *g = NULL;
        lq_tensor *ts = NULL, *tc = NULL;
        const char *in = tmp_path("chunk.gguf"), *out = tmp_path("chunk.dat");
        const char *again = tmp_path("again.gguf");
        CHECK_OK(lq_gguf_create(&g));
        CHECK_OK(lq_gguf_set_string(g, "general.type", "imatrix"));
        CHECK_OK(lq_gguf_set_u64(g, "imatrix.chunk_size", cases[k].chunk));
        CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 1, n4, sums, sizeof sums, LQ_BORROW, "w.in_sum2", &ts));
        CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 1, n1, &count, sizeof count, LQ_BORROW, "w.counts", &tc));
        CHECK_OK(lq_gguf_add_tensor(g, ts, LQ_COPY));
        CHECK_OK(lq_gguf_add_tensor(g, tc, LQ_COPY));
        CHECK_OK(lq_gguf_save(NULL, g, in));
        lq_tensor_free(ts), lq_tensor_free(tc);
        lq_gguf_free(g);
        lq_imatrix *im = NULL;
        CHECK_OK(lq_imatrix_load(in, &im));
        CHECK_OK(lq_imatrix_save(im, out, LQ_IMATRIX_DAT, NULL));
        CHECK_OK(lq_imatrix_save(im, again, LQ_IMATRIX_GGUF, NULL));
        lq_imatrix_free(im);
        uint32_t kept = 0;
        CHECK_OK(lq_gguf_open(again, &g));
        CHECK_OK(lq_gguf_get_u32(g, "imatrix.chunk_size", &kept));
        CHECKF(kept == cases[k].kept, "chunk %llu: kept %u, want %u",
               (unsigned long long)cases[k].chunk, kept, cases[k].kept);
        lq_gguf_free(g);
        /* n_entries, name length, "w", then ncall */
        unsigned char buf[64];
        FILE *f = fopen(out, "rb");
        size_t got = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f)
            fclose(f);
        CHECKF(got >= 13 && get_i32(buf + 9) == cases[k].ncall, "chunk %llu: ncall %d, want %d",
               (unsigned long long)cases[k].chunk, got >= 13 ? get_i32(buf + 9) : -1,
               cases[k].ncall);
    }
}

static void cleanup(void)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    CHECK(tmpdir[0] && system(cmd) == 0);
}

LQT_MAIN(statistics_match_definitions, tiled_hessian_matches_definition, bad_input_is_refused,
         merge_equals_one_set, samples_are_rows, scaling_channels_equals_scaled_input,
         file_round_trip_and_damage, imatrix_dat_golden_reads, imatrix_exports_reload,
         imatrix_keeps_chunk_size, cleanup)
