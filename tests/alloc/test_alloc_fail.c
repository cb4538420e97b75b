/* test_alloc_fail.c — out-of-memory paths, tested as SQLite tests them: each
 * main path of the library runs again and again with its 1st, 2nd, 3rd, ...
 * allocation failing (lq__alloc_fail_nth), until a run gets through without
 * reaching the failure: once with the nth allocation alone failing, once
 * with every allocation from the nth on failing. Every run must return LQ_ERR_NOMEM with a message, or
 * LQ_OK when it never reached the failure; must not crash; must leave no file
 * but a complete output in its folder; and must leak nothing, which
 * LeakSanitizer checks in the sanitizer build. The number of failure points
 * each path exercised is printed as a TAP comment.
 *
 * Inputs are kept small so that the whole test, which reruns each path once
 * per allocation, stays well under a minute in the sanitizer build: every
 * allocation point is still exercised (no stride). lq_model_imatrix is left
 * out for that reason: its 359 points passed, but cost 12 s of CPU under
 * ASan, as much as all the rest. */
#include <dirent.h>
#include <stdint.h>
#include <time.h>

#include "../harness.h"
#include "../hf/hf_fixture.h"
#include "../io/io_util.h"
#include "../model/hf_models.h"
#include "../model/model_fixture.h"
#include "libquant/calib/calib.h"
#include "libquant/core/alloc.h"
#include "libquant/core/tempfile.h"
#include "libquant/hf/tokenizer_keys.h"
#include "libquant/model/tokenize.h"
#include "libquant/model/unicode.h"

/* ---- Small helpers ----------------------------------------------------- */

static lq_status wrap_f32(lq_tensor **out, const float *data, int64_t rows, int64_t cols,
                          const char *name)
{
    int64_t shape[2] = {rows, cols};
    return lq_tensor_wrap(LQ_TYPE_F32, 2, shape, data, sizeof(float) * (size_t)(rows * cols),
                          LQ_BORROW, name, out);
}

/* ---- The driver ---------------------------------------------------------- */

typedef lq_status (*path_fn)(const char *dir, const void *arg);

static char *work_dir;
static int64_t total_points;

/* Names in `dir` other than `keep` (which may be NULL); printed. */
static int strangers(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            (keep && !strcmp(e->d_name, keep)))
            continue;
        printf("#   left behind: %s\n", e->d_name);
        n++;
    }
    if (d)
        closedir(d);
    return n;
}

/* Run `fn` once as it is, then with allocation n failing for n = 1, 2, ...
 * until a run does not reach its failure. `out` names the file a run writes
 * (NULL: none). A failing run may leave it only when the failure came after
 * the file was complete: it must then be the file of the first run. No other
 * file may be left, temporaries included. */
static void exercise_mode(const char *what, path_fn fn, const void *arg, const char *out,
                          bool persist)
{
    clock_t start = clock();
    size_t want_size = 0, got_size;
    unsigned char *want = NULL, *got;
    CHECK_OK(fn(work_dir, arg));
    if (out)
        CHECKF((want = iot_read(iot_path(work_dir, out), &want_size)) != NULL,
               "%s: wrote no %s", what, out);
    int64_t n = 1;
    for (;; n++) {
        if (out)
            remove(iot_path(work_dir, out));
        /* a message of our own, so that a failure that sets none shows */
        lq_ctx_set_threads(NULL, 1);
        char planted[256];
        snprintf(planted, sizeof planted, "%s", lq_last_error());
        lq__alloc_fail_nth(n, persist);
        lq_status st = fn(work_dir, arg);
        bool hit = lq__alloc_failed();
        lq__alloc_fail_nth(0, false);
        if (hit)
            CHECKF(st == LQ_ERR_NOMEM && strcmp(lq_last_error(), planted) != 0,
                   "%s: allocation %lld failed, yet status %d (%s); last message: %s", what,
                   (long long)n, st, lq_status_str(st), lq_last_error());
        else
            CHECKF(st == LQ_OK, "%s: status %d (%s) without an injected failure: %s", what, st,
                   lq_status_str(st), lq_last_error());
        CHECKF(strangers(work_dir, out) == 0, "%s: files left behind with allocation %lld failing",
               what, (long long)n);
        if (out && (got = iot_read(iot_path(work_dir, out), &got_size))) {
            CHECKF(want && got_size == want_size && !memcmp(got, want, got_size),
                   "%s: with allocation %lld failing, %s differs from the first run's", what,
                   (long long)n, out);
            free(got);
        } else if (out) {
            CHECKF(st != LQ_OK, "%s: succeeded without writing %s", what, out);
        }
        if (!hit || lqt_case_failures > 20)
            break;
    }
    if (out)
        remove(iot_path(work_dir, out));
    free(want);
    printf("# %s, %s: %lld failure points (%.1f s of CPU)\n", what,
           persist ? "from the nth on" : "the nth only", (long long)(n - 1),
           (double)(clock() - start) / CLOCKS_PER_SEC);
    total_points += n - 1;
}

/* Both ways: the nth allocation alone failing, and every one from the nth. */
static void exercise(const char *what, path_fn fn, const void *arg, const char *out)
{
    exercise_mode(what, fn, arg, out, false);
    exercise_mode(what, fn, arg, out, true);
}

/* The nth alone, for the paths that compute much between allocations and
 * only free when they clean up: failing from the nth on would add 8 s of
 * CPU under ASan (a third of the test) to test the same frees again. */
static void exercise_once(const char *what, path_fn fn, const void *arg, const char *out)
{
    exercise_mode(what, fn, arg, out, false);
}

/* Deterministic weights, shared by the paths. */
enum { ROWS = 4, COLS = 256, TOKENS = 16, BIG_ROWS = 64, BIG_M = 40 };
static float weights[BIG_ROWS * COLS], acts[BIG_M * COLS], importance[COLS];

static void make_inputs(void)
{
    lqt_rng rng = {7};
    for (int i = 0; i < BIG_ROWS * COLS; i++)
        weights[i] = lqt_normal(&rng);
    for (int i = 0; i < BIG_M * COLS; i++)
        acts[i] = lqt_normal(&rng);
    for (int i = 0; i < COLS; i++)
        importance[i] = 0.5f + (float)lqt_uniform(&rng);
}

/* Pool threads allocate too: two, so that their allocations are counted. */
static lq_status two_threads(lq_ctx **ctx)
{
    lq_status st = lq_ctx_create(ctx);
    if (st == LQ_OK)
        st = lq_ctx_set_threads(*ctx, 2);
    return st;
}

/* ---- The paths ----------------------------------------------------------- */

static lq_status parse_schemes(const char *dir, const void *arg)
{
    (void)dir, (void)arg;
    static const char *const texts[] = {"int4:g64:asym", "gptq:int4:g128:act_order:damp=0.05",
                                        "nf4:b64:dq", "fp8_e4m3:channel", "q4_k_m",
                                        "hqq:int2:g32:iters=10", "smoothquant:int8:alpha=0.85"};
    lq_status st = LQ_OK;
    for (size_t i = 0; st == LQ_OK && i < sizeof texts / sizeof *texts; i++) {
        lq_scheme *s = NULL, *c = NULL;
        st = lq_scheme_parse(texts[i], &s);
        if (st == LQ_OK)
            st = lq_scheme_clone(s, &c);
        if (st == LQ_OK && !lq_scheme_string(c))
            st = LQ_ERR_NOMEM;
        lq_scheme_free(c);
        lq_scheme_free(s);
    }
    return st;
}

/* Quantize with scheme `arg`, decode, and multiply with the result. */
static lq_status quantize_family(const char *dir, const void *arg)
{
    (void)dir;
    const char *text = arg;
    lq_ctx *ctx = NULL;
    lq_scheme *s = NULL;
    lq_tensor *w = NULL, *q = NULL, *d = NULL;
    static float y[2 * ROWS];
    lq_status st = two_threads(&ctx);
    if (st == LQ_OK)
        st = lq_scheme_parse(text, &s);
    if (st == LQ_OK)
        st = wrap_f32(&w, weights, ROWS, COLS, "w");
    if (st == LQ_OK)
        st = lq_quantize(ctx, w, s, NULL, strncmp(text, "iq4", 3) ? NULL : importance, &q);
    if (st == LQ_OK)
        st = lq_dequantize(ctx, q, LQ_TYPE_F32, &d);
    if (st == LQ_OK)
        st = lq_matmul(ctx, acts, 2, q, y);
    lq_tensor_free(d);
    lq_tensor_free(q);
    lq_tensor_free(w);
    lq_scheme_free(s);
    lq_ctx_free(ctx);
    return st;
}

/* A product big enough for the tiled kernels, each way of taking X. */
static lq_status matmul_tiles(const char *dir, const void *arg)
{
    (void)dir;
    static const unsigned flags[] = {0, LQ_MATMUL_ACT_8BIT, LQ_MATMUL_ACT_F32};
    static float y[BIG_M * BIG_ROWS];
    lq_ctx *ctx = NULL;
    lq_scheme *s = NULL;
    lq_tensor *w = NULL, *q = NULL;
    lq_status st = two_threads(&ctx);
    if (st == LQ_OK)
        st = lq_scheme_parse(arg, &s);
    if (st == LQ_OK)
        st = wrap_f32(&w, weights, BIG_ROWS, COLS, "w");
    if (st == LQ_OK)
        st = lq_quantize(ctx, w, s, NULL, NULL, &q);
    for (size_t i = 0; st == LQ_OK && i < sizeof flags / sizeof *flags; i++)
        st = lq_matmul_v2(ctx, acts, BIG_M, q, flags[i], y);
    lq_tensor_free(q);
    lq_tensor_free(w);
    lq_scheme_free(s);
    lq_ctx_free(ctx);
    return st;
}

/* The calibrated methods on one layer, and the W8A8 products. */
static lq_status methods(const char *dir, const void *arg)
{
    (void)dir, (void)arg;
    static float scales[COLS], y[TOKENS * ROWS];
    int32_t perm[COLS];
    int64_t outliers = 0;
    lq_ctx *ctx = NULL;
    lq_calib *c = NULL;
    lq_scheme *gptq = NULL, *awq = NULL, *hqq = NULL, *sq = NULL;
    lq_tensor *w = NULL, *q = NULL, *h = NULL, *i8 = NULL;
    lq_status st = two_threads(&ctx);
    if (st == LQ_OK)
        st = lq_calib_create(COLS, &c);
    if (st == LQ_OK)
        st = lq_calib_add(c, acts, TOKENS);
    if (st == LQ_OK)
        st = wrap_f32(&w, weights, ROWS, COLS, "w");
    if (st == LQ_OK)
        st = lq_scheme_parse("gptq:int4:g64:act_order", &gptq);
    if (st == LQ_OK)
        st = lq_gptq_quantize(ctx, w, gptq, c, &q, perm);
    if (st == LQ_OK)
        st = lq_scheme_parse("awq:int4:g64", &awq);
    const lq_tensor *ws[1] = {w};
    if (st == LQ_OK)
        st = lq_awq_search(ctx, awq, c, ws, 1, scales);
    if (st == LQ_OK)
        st = lq_scheme_parse("hqq:int4:g64", &hqq);
    if (st == LQ_OK)
        st = lq_quantize(ctx, w, hqq, NULL, NULL, &h);
    if (st == LQ_OK)
        st = lq_scheme_parse("smoothquant:int8", &sq);
    if (st == LQ_OK)
        st = lq_smoothquant_scales(sq, c, ws, 1, scales);
    if (st == LQ_OK)
        st = lq_quantize(ctx, w, sq, c, NULL, &i8);
    if (st == LQ_OK)
        st = lq_matmul_w8a8(ctx, acts, TOKENS, i8, y);
    if (st == LQ_OK)
        st = lq_matmul_llm_int8(ctx, acts, TOKENS, i8, 1.5, y, &outliers);
    lq_tensor_free(i8);
    lq_tensor_free(h);
    lq_tensor_free(q);
    lq_tensor_free(w);
    lq_scheme_free(sq);
    lq_scheme_free(hqq);
    lq_scheme_free(awq);
    lq_scheme_free(gptq);
    lq_calib_free(c);
    lq_ctx_free(ctx);
    return st;
}

/* A layer in one of the Hugging Face layouts: export, config JSON, save,
 * read back, import and decode. */
typedef struct {
    int format;
    const char *scheme;
} hf_case;

static lq_status hf_round_trip(const char *dir, const void *arg)
{
    const hf_case *hc = arg;
    enum { HF_ROWS = 8 }; /* gptq and awq pack 8 rows or columns into a word */
    static float back_f32[HF_ROWS * COLS];
    const char *path = iot_path(dir, "hf.safetensors");
    lq_scheme *s = NULL;
    lq_tensor *w = NULL, *q = NULL, *back = NULL;
    lq_safetensors *out = NULL, *in = NULL;
    lq_calib *c = NULL;
    char *config = NULL;
    lq_status st = lq_scheme_parse(hc->scheme, &s);
    if (st == LQ_OK)
        st = wrap_f32(&w, weights, HF_ROWS, COLS, "w");
    if (st == LQ_OK)
        st = lq_quantize(NULL, w, s, NULL, NULL, &q);
    if (st == LQ_OK && hc->format == LQ_HF_FP8_STATIC)
        st = lq_calib_create(COLS, &c);
    if (st == LQ_OK && c)
        st = lq_calib_add(c, acts, TOKENS);
    if (st == LQ_OK)
        st = lq_safetensors_create(&out);
    if (st == LQ_OK)
        st = lq_hf_export(q, NULL, c, hc->format, "layer", out);
    if (st == LQ_OK)
        st = lq_hf_config(hc->format, s, &config);
    if (st == LQ_OK)
        st = lq_safetensors_save(NULL, out, path, 0);
    if (st == LQ_OK)
        st = lq_safetensors_open(path, &in);
    if (st == LQ_OK)
        st = lq_hf_import(in, hc->format, "layer", &back, NULL);
    if (st == LQ_OK)
        st = lq_hf_dequantize(in, hc->format, "layer", back_f32, HF_ROWS * COLS);
    lq_free(config);
    lq_calib_free(c);
    lq_tensor_free(back);
    lq_safetensors_free(in);
    lq_safetensors_free(out);
    lq_tensor_free(q);
    lq_tensor_free(w);
    lq_scheme_free(s);
    return st;
}

static lq_status calib_save_load(const char *dir, const void *arg)
{
    (void)arg;
    const char *path = iot_path(dir, "calib.out");
    lq_calib *c = NULL, *back = NULL;
    lq_status st = lq_calib_create(COLS, &c);
    if (st == LQ_OK)
        st = lq_calib_add(c, acts, TOKENS);
    if (st == LQ_OK)
        st = lq_calib_save(c, path);
    if (st == LQ_OK)
        st = lq_calib_load(path, &back);
    lq_calib_free(back);
    lq_calib_free(c);
    return st;
}

static lq_status gguf_round_trip(const char *dir, const void *arg)
{
    (void)arg;
    static const char *const words[] = {"alpha", "beta", "gamma"};
    const char *path = iot_path(dir, "out.gguf");
    lq_gguf *g = NULL, *r = NULL;
    lq_scheme *s = NULL;
    lq_tensor *w = NULL, *q = NULL, *back = NULL;
    lq_status st = lq_gguf_create(&g);
    if (st == LQ_OK)
        st = lq_gguf_set_string(g, "general.name", "alloc");
    if (st == LQ_OK)
        st = lq_gguf_set_u32(g, "general.alignment", 64);
    if (st == LQ_OK)
        st = lq_gguf_set_array_strings(g, "words", words, 3);
    if (st == LQ_OK)
        st = wrap_f32(&w, weights, ROWS, COLS, "w.f32");
    if (st == LQ_OK)
        st = lq_scheme_parse("q4_0", &s);
    if (st == LQ_OK)
        st = lq_quantize(NULL, w, s, NULL, NULL, &q);
    if (st == LQ_OK)
        st = lq_tensor_set_name(q, "w.q4_0");
    if (st == LQ_OK)
        st = lq_gguf_add_tensor(g, w, LQ_BORROW);
    if (st == LQ_OK)
        st = lq_gguf_add_tensor(g, q, LQ_COPY);
    if (st == LQ_OK)
        st = lq_gguf_save(NULL, g, path);
    if (st == LQ_OK)
        st = lq_gguf_open(path, &r);
    for (int64_t i = 0; st == LQ_OK && i < lq_gguf_tensor_count(r); i++) {
        st = lq_gguf_get_tensor(r, i, &back);
        lq_tensor_free(back);
        back = NULL;
    }
    const char *name = NULL;
    if (st == LQ_OK)
        st = lq_gguf_get_string(r, "general.name", &name, NULL);
    lq_gguf_free(r);
    lq_gguf_free(g);
    lq_tensor_free(q);
    lq_tensor_free(w);
    lq_scheme_free(s);
    return st;
}

/* A split model: written as 3 files, opened as one model, then removed (so
 * that only the writer's temporaries could be left behind). */
static lq_status gguf_split_round_trip(const char *dir, const void *arg)
{
    (void)arg;
    static const float v[16];
    char prefix[4096];
    snprintf(prefix, sizeof prefix, "%s/split", dir);
    lq_gguf *g = NULL, *r = NULL;
    lq_status st = lq_gguf_create(&g);
    if (st == LQ_OK)
        st = lq_gguf_set_string(g, "general.name", "split");
    for (int i = 0; st == LQ_OK && i < 3; i++) {
        char name[8];
        snprintf(name, sizeof name, "t%d", i);
        st = lq_gguf_add_tensor_raw(g, name, 0 /* f32 */, 1, (int64_t[]){16}, v, sizeof v,
                                    LQ_BORROW);
    }
    if (st == LQ_OK)
        st = lq_gguf_save_split(NULL, g, prefix, 0, 1, 0, NULL);
    if (st == LQ_OK)
        st = lq_gguf_open(iot_path(dir, "split-00001-of-00003.gguf"), &r);
    lq_gguf_free(r);
    lq_gguf_free(g);
    for (int i = 1; i <= 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "split-%05d-of-00003.gguf", i);
        remove(iot_path(dir, name));
    }
    return st;
}

/* The streaming writer: metadata copied from another handle, tensors
 * declared, then written in pieces. */
static lq_status gguf_streaming(const char *dir, const void *arg)
{
    (void)arg;
    static const int32_t ids[4] = {1, 2, 3, 4};
    const int64_t shape[2] = {ROWS, COLS};
    lq_gguf *meta = NULL, *g = NULL;
    lq_gguf_writer *w = NULL;
    lq_status st = lq_gguf_create(&meta);
    if (st == LQ_OK)
        st = lq_gguf_set_array(meta, "ids", LQ_GGUF_TYPE_I32, ids, 4);
    if (st == LQ_OK)
        st = lq_gguf_set_f32(meta, "scale", 0.5f);
    if (st == LQ_OK)
        st = lq_gguf_create(&g);
    if (st == LQ_OK)
        st = lq_gguf_copy_kv(g, meta, "ids");
    if (st == LQ_OK)
        st = lq_gguf_copy_kv(g, meta, "scale");
    if (st == LQ_OK)
        st = lq_gguf_remove_key(g, "scale");
    if (st == LQ_OK)
        st = lq_gguf_declare_tensor(g, "a", lq_type_ggml_id(LQ_TYPE_F32), 2, shape);
    if (st == LQ_OK)
        st = lq_gguf_declare_tensor(g, "b", lq_type_ggml_id(LQ_TYPE_F32), 2, shape);
    if (st == LQ_OK)
        st = lq_gguf_writer_create(g, iot_path(dir, "stream.gguf"), &w);
    for (int t = 0; st == LQ_OK && t < 2; t++)
        for (int r = 0; st == LQ_OK && r < ROWS; r++)
            st = lq_gguf_writer_write(w, weights + r * COLS, sizeof(float) * COLS);
    if (st == LQ_OK)
        st = lq_gguf_writer_finish(w);
    lq_gguf_writer_free(w);
    lq_gguf_free(g);
    lq_gguf_free(meta);
    return st;
}

static lq_status safetensors_round_trip(const char *dir, const void *arg)
{
    const uint64_t shard = *(const uint64_t *)arg;
    const char *path = iot_path(dir, "model.safetensors");
    lq_safetensors *st_w = NULL, *st_r = NULL;
    lq_tensor *a = NULL, *b = NULL, *back = NULL;
    static const int8_t codes[16] = {1, -2, 3, -4};
    int64_t shape[1] = {16};
    lq_status st = lq_safetensors_create(&st_w);
    if (st == LQ_OK)
        st = lq_safetensors_meta_set(st_w, "format", "pt");
    if (st == LQ_OK)
        st = wrap_f32(&a, weights, ROWS, COLS, "layer.0.weight");
    if (st == LQ_OK)
        st = wrap_f32(&b, weights, 2, COLS, "layer.1.weight");
    if (st == LQ_OK)
        st = lq_safetensors_add_tensor(st_w, a, LQ_BORROW);
    if (st == LQ_OK)
        st = lq_safetensors_add_tensor(st_w, b, LQ_COPY);
    if (st == LQ_OK)
        st = lq_safetensors_add_tensor_raw(st_w, "layer.0.codes", "I8", 1, shape, codes, 16, LQ_COPY);
    if (st == LQ_OK)
        st = lq_safetensors_save(NULL, st_w, path, shard);
    if (st == LQ_OK && shard == 0) {
        st = lq_safetensors_open(path, &st_r);
        int64_t i = st == LQ_OK ? lq_safetensors_find_tensor(st_r, "layer.1.weight") : -1;
        if (st == LQ_OK && i >= 0)
            st = lq_safetensors_get_tensor(st_r, i, &back);
        if (st == LQ_OK && (i < 0 || !lq_safetensors_meta_get(st_r, "format")))
            st = LQ_ERR_FORMAT; /* reported by the driver as a wrong status */
    }
    lq_tensor_free(back);
    lq_safetensors_free(st_r);
    lq_safetensors_free(st_w);
    lq_tensor_free(b);
    lq_tensor_free(a);
    return st;
}

/* A sharded save leaves three files; the driver wants one name: remove the
 * shards here and keep the index. */
static lq_status safetensors_sharded(const char *dir, const void *arg)
{
    lq_status st = safetensors_round_trip(dir, arg);
    if (st == LQ_OK) {
        remove(iot_path(dir, "model-00001-of-00002.safetensors"));
        remove(iot_path(dir, "model-00002-of-00002.safetensors"));
    }
    return st;
}

static lq_status imatrix_save_load(const char *dir, const void *arg)
{
    const int format = *(const int *)arg;
    const char *path = iot_path(dir, "imatrix.out");
    lq_calib *c = NULL;
    lq_imatrix *im = NULL, *back = NULL;
    lq_status st = lq_calib_create(COLS, &c);
    if (st == LQ_OK)
        st = lq_calib_add(c, acts, 2);
    if (st == LQ_OK)
        st = lq_imatrix_create(&im);
    if (st == LQ_OK)
        st = lq_imatrix_add(im, "blk.0.attn_q.weight", c);
    if (st == LQ_OK)
        st = lq_imatrix_add(im, "blk.0.attn_k.weight", c);
    if (st == LQ_OK)
        st = lq_imatrix_save(im, path, format, "heldout.txt");
    if (st == LQ_OK)
        st = lq_imatrix_load(path, &back);
    lq_imatrix_free(back);
    lq_imatrix_free(im);
    lq_calib_free(c);
    return st;
}

static lq_status model_load_eval(const char *dir, const void *arg)
{
    (void)dir, (void)arg;
    lq_ctx *ctx = NULL;
    lq_model *m = NULL;
    int32_t *tokens = NULL;
    int64_t n = 0;
    float *logits = NULL;
    lq_status st = two_threads(&ctx);
    if (st == LQ_OK)
        st = lq_model_load(ctx, lqt_fixture(), 8, LQ_KV_F32, &m);
    static const char text[] = "Once upon a time there was a";
    if (st == LQ_OK)
        st = lq_model_tokenize(m, text, sizeof text - 1, 1, &tokens, &n);
    if (st == LQ_OK && !(logits = malloc(sizeof(float) * (size_t)lq_model_info(m, LQ_MODEL_N_VOCAB))))
        st = LQ_ERR_INVALID; /* the test's own memory: reported as a failure */
    if (st == LQ_OK)
        st = lq_model_eval(ctx, m, tokens, n < 4 ? n : 4, 0, (n < 4 ? n : 4) - 1, logits);
    double ppl[LQ_EVAL_COUNT_V2];
    if (st == LQ_OK)
        st = lq_model_perplexity(ctx, m, tokens, n, 4, 0, ppl, LQ_EVAL_COUNT_V2);
    free(logits);
    lq_free(tokens);
    lq_model_free(m);
    lq_ctx_free(ctx);
    return st;
}

/* A Hugging Face fixture model (`arg`: llama3 with rope factors, qwen2 with
 * biases, qwen3 with q/k norms): load, eval four tokens, and its q8_0 copy
 * (which keeps the extra tensors in f32). */
static lq_status model_arch_load_eval(const char *dir, const void *arg)
{
    (void)dir;
    char rel[64];
    snprintf(rel, sizeof rel, "gguf/%s-f32.gguf", (const char *)arg);
    lq_ctx *ctx = NULL;
    lq_model *m = NULL, *q = NULL;
    lq_scheme *s = NULL;
    static const int32_t tokens[4] = {1, 300, 700, 1000};
    float logits[LQT_HF_VOCAB];
    lq_status st = two_threads(&ctx);
    if (st == LQ_OK)
        st = lq_model_load(ctx, lqt_hf_path(rel), 8, LQ_KV_F32, &m);
    if (st == LQ_OK)
        st = lq_model_eval(ctx, m, tokens, 4, 0, 3, logits);
    if (st == LQ_OK)
        st = lq_scheme_parse("q8_0", &s);
    if (st == LQ_OK)
        st = lq_model_quantize(ctx, m, s, NULL, NULL, 0, 8, LQ_KV_F16, &q);
    if (st == LQ_OK)
        st = lq_model_eval(ctx, q, tokens, 4, 0, 3, logits);
    lq_model_free(q);
    lq_scheme_free(s);
    lq_model_free(m);
    lq_ctx_free(ctx);
    return st;
}

/* A model's copy at scheme `arg`, and the KL divergence of one from the
 * other. */
static lq_status model_quantize(const char *dir, const void *arg)
{
    (void)dir;
    lq_ctx *ctx = NULL;
    lq_model *base = NULL, *q = NULL;
    lq_scheme *s = NULL;
    int32_t *tokens = NULL;
    int64_t n = 0;
    double kld[LQ_EVAL_COUNT_V2];
    lq_status st = two_threads(&ctx);
    if (st == LQ_OK)
        st = lq_model_load(ctx, lqt_fixture(), 8, LQ_KV_F32, &base);
    static const char text[] = "Once upon a time there was a";
    if (st == LQ_OK)
        st = lq_model_tokenize(base, text, sizeof text - 1, 1, &tokens, &n);
    if (st == LQ_OK)
        st = lq_scheme_parse(arg, &s);
    if (st == LQ_OK)
        st = lq_model_quantize(ctx, base, s, NULL, NULL, 0, 8, LQ_KV_INT8, &q);
    if (st == LQ_OK)
        st = lq_model_kl_divergence(ctx, base, q, tokens, n, 4, 0, kld, LQ_EVAL_COUNT_V2);
    lq_model_free(q);
    lq_scheme_free(s);
    lq_free(tokens);
    lq_model_free(base);
    lq_ctx_free(ctx);
    return st;
}

/* The error measures of the quality layer. */
static lq_status quality(const char *dir, const void *arg)
{
    (void)dir, (void)arg;
    double metrics[LQ_METRIC_COUNT_V1], out_err = 0, err_method = 0, err_rtn = 0;
    lq_ctx *ctx = NULL;
    lq_calib *c = NULL;
    lq_scheme *s = NULL, *gptq = NULL;
    lq_tensor *w = NULL, *q = NULL;
    lq_status st = two_threads(&ctx);
    if (st == LQ_OK)
        st = wrap_f32(&w, weights, ROWS, COLS, "w");
    if (st == LQ_OK)
        st = lq_scheme_parse("q4_k", &s);
    if (st == LQ_OK)
        st = lq_quantize(ctx, w, s, NULL, NULL, &q);
    if (st == LQ_OK)
        st = lq_tensor_error_metrics(ctx, w, q, metrics, LQ_METRIC_COUNT_V1);
    if (st == LQ_OK)
        st = lq_output_error(ctx, w, q, acts, TOKENS, &out_err);
    if (st == LQ_OK)
        st = lq_calib_create(COLS, &c);
    if (st == LQ_OK)
        st = lq_calib_add(c, acts, TOKENS);
    if (st == LQ_OK)
        st = lq_scheme_parse("gptq:int4:g64", &gptq);
    if (st == LQ_OK)
        st = lq_method_error(ctx, w, gptq, c, &err_method, &err_rtn);
    lq_scheme_free(gptq);
    lq_calib_free(c);
    lq_tensor_free(q);
    lq_scheme_free(s);
    lq_tensor_free(w);
    lq_ctx_free(ctx);
    return st;
}

/* Input files of lq_gguf_quantize, and its options. */
typedef struct {
    char model[4096], imatrix[4096];
    const char *file_type;
    bool overrides; /* the imatrix, and --tensor-type / --output-tensor-type */
    const char *budget; /* a file type whose size is the budget, or NULL */
} quantize_job;

static lq_status gguf_quantize_fixture(const char *dir, const void *arg)
{
    const quantize_job *job = arg;
    lq_ctx *ctx = NULL;
    lq_qopts *o = NULL;
    lq_status st = two_threads(&ctx);
    if (st == LQ_OK)
        st = lq_qopts_create(job->file_type, &o);
    if (st == LQ_OK && job->overrides)
        st = lq_qopts_set_imatrix(o, job->imatrix);
    if (st == LQ_OK && job->overrides)
        st = lq_qopts_add_tensor_type(o, "ffn_down", "q5_k");
    if (st == LQ_OK && job->overrides)
        st = lq_qopts_set_output_type(o, "q6_k");
    if (st == LQ_OK && job->budget)
        st = lq_qopts_set_target_file_type(o, job->budget);
    if (st == LQ_OK)
        st = lq_gguf_quantize(ctx, job->model, iot_path(dir, "quantized.gguf"), o);
    lq_qopts_free(o);
    lq_ctx_free(ctx);
    return st;
}

/* The exact file-size estimate: of a model file, and of the Llama-3-style
 * model of a parameter count (one layer at 1e8). */
static lq_status estimate_sizes(const char *dir, const void *arg)
{
    (void)dir;
    const quantize_job *job = arg;
    lq_gguf *g = NULL, *llama = NULL;
    uint64_t a = 0, b = 0;
    lq_status st = lq_gguf_open(job->model, &g);
    if (st == LQ_OK)
        st = lq_estimate_file_size(g, "Q4_K_M", &a);
    if (st == LQ_OK)
        st = lq_estimate_llama_model(1e8, &llama);
    if (st == LQ_OK)
        st = lq_estimate_file_size(llama, "Q6_K", &b);
    lq_gguf_free(llama);
    lq_gguf_free(g);
    return st;
}

/* The fixture's importance matrix on a few tokens, saved at `path`. */
static lq_status fixture_imatrix(const char *path)
{
    lq_model *m = NULL;
    lq_imatrix *im = NULL;
    int32_t *tokens = NULL;
    int64_t n = 0;
    static const char text[] = "Once upon a time there was a little girl";
    lq_status st = lq_model_load(NULL, lqt_fixture(), 16, LQ_KV_F32, &m);
    if (st == LQ_OK)
        st = lq_model_tokenize(m, text, sizeof text - 1, 1, &tokens, &n);
    if (st == LQ_OK)
        st = lq_model_imatrix(NULL, m, tokens, n, 8, &im);
    if (st == LQ_OK)
        st = lq_imatrix_save(im, path, LQ_IMATRIX_GGUF, "alloc test");
    lq_imatrix_free(im);
    lq_free(tokens);
    lq_model_free(m);
    return st;
}

/* A byte-level BPE vocabulary in memory (the 256 byte symbols, two merges, a
 * user-defined and a control token), for the tokenizer's own allocations. */
static lq_gguf *bpe_vocab;

static lq_status make_bpe_vocab(void)
{
    static char names[256][3];
    const char *tokens[260];
    int32_t types[260];
    for (int b = 0; b < 256; b++) {
        names[b][lq__utf8_encode(lq__byte_to_cp((unsigned char)b), names[b])] = '\0';
        tokens[b] = names[b];
        types[b] = LQ__TOK_NORMAL;
    }
    tokens[256] = "th";
    tokens[257] = "the";
    tokens[258] = "<user>";
    tokens[259] = "<|ctl|>";
    types[256] = types[257] = LQ__TOK_NORMAL;
    types[258] = LQ__TOK_USER_DEFINED;
    types[259] = LQ__TOK_CONTROL;
    static const char *const merges[] = {"t h", "th e"};
    lq_status st = lq_gguf_create(&bpe_vocab);
    if (st == LQ_OK)
        st = lq_gguf_set_string(bpe_vocab, "tokenizer.ggml.model", "gpt2");
    if (st == LQ_OK)
        st = lq_gguf_set_string(bpe_vocab, "tokenizer.ggml.pre", "llama-bpe");
    if (st == LQ_OK)
        st = lq_gguf_set_array_strings(bpe_vocab, "tokenizer.ggml.tokens", tokens, 260);
    if (st == LQ_OK)
        st = lq_gguf_set_array(bpe_vocab, "tokenizer.ggml.token_type", LQ_GGUF_TYPE_I32, types,
                               260);
    if (st == LQ_OK)
        st = lq_gguf_set_array_strings(bpe_vocab, "tokenizer.ggml.merges", merges, 2);
    return st;
}

static lq_status bpe_tokenize(const char *dir, const void *arg)
{
    (void)dir, (void)arg;
    static const char text[] = "<|ctl|>the theme's 1234 <user>\xc3\xa9t\xc3\xa9\n\n  x";
    lq__vocab v;
    int32_t *tokens = NULL;
    int64_t n = 0;
    lq_status st = lq__vocab_load(&v, bpe_vocab, "test");
    if (st != LQ_OK)
        return st;
    st = lq__tokenize("test", &v, text, sizeof text - 1, LQ_TOKENIZE_ADD_SPECIAL |
                      LQ_TOKENIZE_PARSE_SPECIAL, 0, &tokens, &n);
    lq_free(tokens);
    lq__vocab_free(&v);
    return st;
}

/* The fixture with every matrix cut to its first CUT_ROWS rows, at
 * `path`: the same metadata, tensor names, types and row lengths, so
 * lq_gguf_quantize takes the same decisions and reaches the same 295
 * allocation points, on far less data. Rerun once per point, the whole
 * fixture took 27 s of CPU in the sanitizer build, the cut one 0.6 s. */
enum { CUT_ROWS = 4 };

static lq_status cut_fixture(const char *path)
{
    lq_gguf *src = NULL, *dst = NULL;
    lq_tensor *t = NULL, *cut = NULL;
    lq_status st = lq_gguf_open(lqt_fixture(), &src);
    if (st == LQ_OK)
        st = lq_gguf_create(&dst);
    for (int64_t i = 0; st == LQ_OK && i < lq_gguf_kv_count(src); i++)
        st = lq_gguf_copy_kv(dst, src, lq_gguf_kv_key(src, i));
    for (int64_t i = 0; st == LQ_OK && i < lq_gguf_tensor_count(src); i++) {
        st = lq_gguf_get_tensor(src, i, &t);
        if (st == LQ_OK && lq_tensor_type(t) != LQ_TYPE_F32)
            st = LQ_ERR_UNSUPPORTED; /* the fixture is all f32 */
        if (st == LQ_OK && lq_tensor_ndim(t) == 2) {
            int64_t rows = lq_tensor_dim(t, 0) < CUT_ROWS ? lq_tensor_dim(t, 0) : CUT_ROWS;
            st = wrap_f32(&cut, lq_tensor_data(t), rows, lq_tensor_dim(t, 1), lq_tensor_name(t));
        }
        if (st == LQ_OK)
            st = lq_gguf_add_tensor(dst, cut ? cut : t, LQ_COPY);
        lq_tensor_free(cut);
        lq_tensor_free(t);
        cut = t = NULL;
    }
    if (st == LQ_OK)
        st = lq_gguf_save(NULL, dst, path);
    lq_gguf_free(dst);
    lq_gguf_free(src);
    return st;
}

/* ---- The cases ----------------------------------------------------------- */

static void scheme_parse(void)
{
    exercise("scheme parse", parse_schemes, NULL, NULL);
}

static void quantize_each_family(void)
{
    static const char *const schemes[] = {
        "int8:g128", "int4:g64:asym", "int3:g64", "int2:g32:asym", "nf4:b64:dq", "fp4:b64:dq",
        "fp8_e4m3:channel", "f16", "bf16", "q4_0", "q4_k", "iq4_nl", "iq4_xs"};
    for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++) {
        char what[64];
        snprintf(what, sizeof what, "quantize, dequantize, matmul %s", schemes[i]);
        exercise(what, quantize_family, schemes[i], NULL);
    }
}

static void matmul_tiled(void)
{
    static const char *const schemes[] = {"q4_k", "q8_0", "int4:g64", "nf4:b64"};
    for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++) {
        char what[64];
        snprintf(what, sizeof what, "matmul %d x %d x %d %s, each flag", BIG_M, BIG_ROWS, COLS,
                 schemes[i]);
        exercise(what, matmul_tiles, schemes[i], NULL);
    }
}

/* GPTQ into ggml blocks: rounded column by column on a grid (q4_k, iq4_xs)
 * or a type without one (q4_1: whole blocks). */
static lq_status gptq_blocks(const char *dir, const void *arg)
{
    (void)dir;
    lq_ctx *ctx = NULL;
    lq_calib *c = NULL;
    lq_scheme *s = NULL;
    lq_tensor *w = NULL, *q = NULL;
    lq_status st = two_threads(&ctx);
    if (st == LQ_OK)
        st = lq_calib_create(COLS, &c);
    if (st == LQ_OK)
        st = lq_calib_add(c, acts, TOKENS);
    if (st == LQ_OK)
        st = wrap_f32(&w, weights, ROWS, COLS, "w");
    if (st == LQ_OK)
        st = lq_scheme_parse(arg, &s);
    if (st == LQ_OK)
        st = lq_quantize(ctx, w, s, c, NULL, &q);
    lq_tensor_free(q);
    lq_tensor_free(w);
    lq_scheme_free(s);
    lq_calib_free(c);
    lq_ctx_free(ctx);
    return st;
}

/* GPTQ on a shared set whose Hessian waits in a temporary file, as the
 * calibration walk leaves it under a memory limit: parked, loaded back, its
 * memory taken for the factor, put in act_order's order in place, then read
 * back from the file for a second weight with another key. */
static lq_status gptq_spilled(const char *dir, const void *arg)
{
    (void)dir, (void)arg;
    lq_ctx *ctx = NULL;
    lq_calib *c = NULL;
    lq_scheme *s1 = NULL, *s2 = NULL;
    lq_tensor *w = NULL, *q1 = NULL, *q2 = NULL;
    int fd = -1;
    lq_status st = two_threads(&ctx);
    if (st == LQ_OK)
        st = lq_calib_create(COLS, &c);
    if (st == LQ_OK)
        st = lq_calib_add(c, acts, TOKENS);
    if (st == LQ_OK)
        st = lq__temp_file("test", "Hessians", &fd);
    if (st == LQ_OK) {
        lq__calib_spill_to(c, fd, 0);
        lq__calib_share(c, true);
        st = lq__calib_park(c);
    }
    if (st == LQ_OK)
        st = wrap_f32(&w, weights, ROWS, COLS, "w");
    if (st == LQ_OK)
        st = lq_scheme_parse("gptq:q4_k:act_order", &s1);
    if (st == LQ_OK)
        st = lq_scheme_parse("gptq:int4:g64:act_order:static_groups", &s2);
    if (st == LQ_OK)
        st = lq_quantize(ctx, w, s1, c, NULL, &q1);
    if (st == LQ_OK)
        st = lq_quantize(ctx, w, s2, c, NULL, &q2);
    lq_tensor_free(q1);
    lq_tensor_free(q2);
    lq_tensor_free(w);
    lq_scheme_free(s1);
    lq_scheme_free(s2);
    lq_calib_free(c);
    if (fd >= 0)
        close(fd);
    lq_ctx_free(ctx);
    return st;
}

static void calibrated_methods(void)
{
    exercise_once("gptq, awq, hqq, smoothquant, llm.int8", methods, NULL, NULL);
    exercise("gptq on a set whose Hessian is in a file", gptq_spilled, NULL, NULL);
    static const char *const blocks[] = {"gptq:q4_k", "gptq:iq4_xs", "gptq:q4_1"};
    for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++)
        exercise(blocks[i], gptq_blocks, blocks[i], NULL);
}

static void hf_layouts(void)
{
    static const hf_case cases[] = {
        {LQ_HF_GPTQ, "int4:g64:asym"}, {LQ_HF_GPTQ_V2, "int8:g64"}, {LQ_HF_AWQ, "int4:g64:asym"},
        {LQ_HF_BNB4, "nf4:b64:dq"},    {LQ_HF_FP8, "fp8_e4m3"},      {LQ_HF_INT8, "int8"},
        {LQ_HF_FP8_STATIC, "fp8_e4m3"}, {LQ_HF_NVFP4, "nvfp4"},      {LQ_HF_MXFP4, "mxfp4"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char what[80];
        snprintf(what, sizeof what, "Hugging Face layout %d (%s): export, save, read, import",
                 cases[i].format, cases[i].scheme);
        exercise(what, hf_round_trip, &cases[i], "hf.safetensors");
    }
}

/* A model folder's tokenizer files as GGUF keys: a SentencePiece folder
 * and a byte-level BPE folder, each with the side files the keys read. */
static lq_status hf_tokenizer(const char *dir, const void *arg)
{
    (void)dir;
    lq_gguf *g = NULL;
    lq_status s = lq_gguf_create(&g);
    if (!s)
        s = lq__hf_tokenizer_keys((const char *)arg, "llama", 12, g);
    lq_gguf_free(g);
    return s;
}

static void hf_tokenizer_keys(void)
{
    char *spm = iot_mkdtemp(), *bpe = iot_mkdtemp();
    CHECK(spm && bpe);
    if (!spm || !bpe)
        return;
    /* pieces <unk> (unknown), <s> (control), x: field 1 {1: text, 3: type} */
    static const uint8_t model[] = {0x0a, 0x09, 0x0a, 0x05, '<', 'u', 'n', 'k', '>', 0x18, 0x02,
                                    0x0a, 0x07, 0x0a, 0x03, '<', 's', '>', 0x18, 0x03,
                                    0x0a, 0x03, 0x0a, 0x01, 'x'};
    static const char cfg[] =
        "{\"add_bos_token\": true, \"bos_token\": \"<s>\", \"chat_template\": [{\"name\": "
        "\"default\", \"template\": \"D\"}, {\"name\": \"x y\", \"template\": \"T\"}], "
        "\"added_tokens_decoder\": {\"3\": {\"content\": \"a\xe2\x96\x81" "b\"}}}";
    static const char tokjson[] =
        "{\"added_tokens\": [{\"id\": 1, \"content\": \"<s>\", \"special\": true}], "
        "\"normalizer\": null, \"post_processor\": {\"type\": "
        "\"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<s>\"}}, "
        "{\"Sequence\": {\"id\": \"A\"}}]}, \"pre_tokenizer\": {\"type\": \"Sequence\", "
        "\"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": "
        "\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}{1,3}| "
        "?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"}, "
        "\"behavior\": \"Isolated\", \"invert\": false}, {\"type\": \"ByteLevel\", "
        "\"use_regex\": false}]}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, "
        "\"b c\": 2, \"ab c\": 3}, \"merges\": [[\"a\", \"b c\"]]}}";
    CHECK(iot_write(iot_path(spm, "tokenizer.model"), model, sizeof model) == 0);
    CHECK(iot_write(iot_path(spm, "tokenizer_config.json"), cfg, strlen(cfg)) == 0);
    CHECK(iot_write(iot_path(spm, "tokenizer.json"), tokjson, strlen(tokjson)) == 0);
    CHECK(iot_write(iot_path(spm, "config.json"), "{\"eos_token_id\": 2}", 19) == 0);
    CHECK(iot_write(iot_path(bpe, "tokenizer.json"), tokjson, strlen(tokjson)) == 0);
    CHECK(iot_write(iot_path(bpe, "tokenizer_config.json"), cfg, strlen(cfg)) == 0);
    CHECK(iot_write(iot_path(bpe, "chat_template.jinja"), "J\r\n", 3) == 0);
    exercise("tokenizer keys, SentencePiece folder", hf_tokenizer, spm, NULL);
    exercise("tokenizer keys, byte-level BPE folder", hf_tokenizer, bpe, NULL);
    iot_rmdir(spm);
    iot_rmdir(bpe);
}

/* A Hugging Face folder as a view: every tensor made on access, then the
 * view saved (pulled through the source again). */
static lq_status hf_model_view(const char *dir, const void *arg)
{
    lq_gguf *g = NULL;
    lq_status st = lq_hf_model_open(arg, LQ_TYPE_Q8_0, &g);
    for (int64_t i = 0; st == LQ_OK && i < lq_gguf_tensor_count(g); i++) {
        const void *data;
        uint64_t nbytes;
        st = lq_gguf_tensor_raw(g, i, &data, &nbytes);
    }
    if (st == LQ_OK)
        st = lq_gguf_save(NULL, g, iot_path(dir, "converted.gguf"));
    lq_gguf_free(g);
    return st;
}

static void hf_model_folder(void)
{
    if (!lqt_hf_fixtures_present()) {
        ORACLE_SKIP_CASE("no Hugging Face fixtures at %s", lqt_hf_fixture(""));
        return;
    }
    static char model[4096]; /* not in iot_path's buffers, which the runs reuse */
    snprintf(model, sizeof model, "%s", lqt_hf_fixture("models/llama3"));
    exercise("lq_hf_model_open q8_0 (llama3 fixture: shards, rope factors), read, save",
             hf_model_view, model, "converted.gguf");
}

/* A quantized checkpoint as a view: `arg` is the folder; flags in the
 * folder's name are not needed, the two paths are two functions. */
static lq_status hf_quant_view(const char *dir, const void *arg, unsigned flags)
{
    lq_gguf *g = NULL;
    lq_status st = lq_hf_model_open_v2(arg, LQ_TYPE_F16, flags, &g);
    if (st == LQ_OK)
        st = lq_gguf_save(NULL, g, iot_path(dir, "converted.gguf"));
    lq_gguf_free(g);
    return st;
}

static lq_status hf_quant_decoded(const char *dir, const void *arg)
{
    return hf_quant_view(dir, arg, 0);
}

static lq_status hf_quant_exact(const char *dir, const void *arg)
{
    return hf_quant_view(dir, arg, LQ_HF_EXACT_QUANT);
}

/* The llama2-tied fixture with two layers stored as GPTQ int4 g32 sym (the
 * rest are read as unquantized modules are), in a fresh folder; NULL when
 * it cannot be made (failed checks say why). */
static char *make_gptq_folder(void)
{
    char *dir = iot_mkdtemp();
    const char *src = lqt_hf_fixture("models/llama2-tied"); /* no other fixture path is asked below */
    lq_safetensors *in = NULL, *out = NULL;
    lq_scheme *sc = NULL;
    char *qcfg = NULL;
    size_t len = 0;
    char *cfg = (char *)iot_read(iot_path(src, "config.json"), &len);
    CHECK(dir && cfg);
    CHECK_OK(lq_safetensors_open(iot_path(src, "model.safetensors"), &in));
    CHECK_OK(lq_safetensors_create(&out));
    CHECK_OK(lq_scheme_parse("int4:g32:sym", &sc));
    CHECK_OK(lq_hf_config(LQ_HF_GPTQ, sc, &qcfg));
    int ok = dir && cfg && in && out && sc && qcfg;
    DIR *d = ok ? opendir(src) : NULL;
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' && strcmp(e->d_name, "config.json") &&
            strcmp(e->d_name, "model.safetensors"))
            ok &= symlink(iot_path(src, e->d_name), iot_path(dir, e->d_name)) == 0;
    if (d)
        closedir(d);
    for (int64_t i = 0; ok && i < lq_safetensors_tensor_count(in); i++) {
        const char *name = lq_safetensors_tensor_name(in, i);
        int ndim = lq_safetensors_tensor_ndim(in, i);
        int64_t shape[4];
        for (int k = 0; k < ndim && k < 4; k++)
            shape[k] = lq_safetensors_tensor_dim(in, i, k);
        const void *raw;
        uint64_t nbytes;
        ok &= lq_safetensors_tensor_raw(in, i, &raw, &nbytes) == LQ_OK;
        if (strcmp(name, "model.layers.0.mlp.up_proj.weight") &&
            strcmp(name, "model.layers.1.self_attn.k_proj.weight")) {
            ok &= lq_safetensors_add_tensor_raw(out, name, lq_safetensors_tensor_dtype(in, i), ndim,
                                                shape, raw, nbytes, LQ_COPY) == LQ_OK;
            continue;
        }
        lq_tensor *w = NULL, *q = NULL;
        char prefix[128];
        snprintf(prefix, sizeof prefix, "%.*s", (int)(strlen(name) - strlen(".weight")), name);
        ok &= lq_tensor_wrap(LQ_TYPE_F16, 2, shape, raw, nbytes, LQ_BORROW, name, &w) == LQ_OK &&
              lq_quantize(NULL, w, sc, NULL, NULL, &q) == LQ_OK &&
              lq_hf_export(q, NULL, NULL, LQ_HF_GPTQ, prefix, out) == LQ_OK;
        lq_tensor_free(w);
        lq_tensor_free(q);
    }
    if (ok)
        ok = lq_safetensors_save(NULL, out, iot_path(dir, "model.safetensors"), 0) == LQ_OK;
    char *end = NULL; /* the closing brace (the file is not NUL-terminated) */
    for (size_t k = len; cfg && !end && k-- > 0;)
        end = cfg[k] == '}' ? cfg + k : NULL;
    char *text = ok && end ? malloc(len + strlen(qcfg) + 64) : NULL;
    if (text) {
        int n = sprintf(text, "%.*s,\n  \"quantization_config\": %s\n}\n", (int)(end - cfg), cfg,
                        qcfg);
        ok = iot_write(iot_path(dir, "config.json"), text, (size_t)n) == 0;
    }
    CHECKF(ok && text, "could not make the GPTQ folder: %s", lq_last_error());
    free(text);
    free(cfg);
    lq_free(qcfg);
    lq_scheme_free(sc);
    lq_safetensors_free(in);
    lq_safetensors_free(out);
    if (!(ok && text)) {
        iot_rmdir(dir);
        return NULL;
    }
    return dir;
}

static void hf_quant_folder(void)
{
    if (!lqt_hf_fixtures_present()) {
        ORACLE_SKIP_CASE("no Hugging Face fixtures at %s", lqt_hf_fixture(""));
        return;
    }
    char *dir = make_gptq_folder();
    if (!dir)
        return;
    exercise("lq_hf_model_open_v2 f16 (GPTQ layers decoded), save", hf_quant_decoded, dir,
             "converted.gguf");
    exercise("lq_hf_model_open_v2 f16 exact (GPTQ layers as Q4_0), save", hf_quant_exact, dir,
             "converted.gguf");
    iot_rmdir(dir);
}

/* A model quantized once (before the failures), written as a checkpoint
 * folder: the path under test is the writer alone. */
typedef struct {
    lq_model *q;
    lq_scheme *s;
    const char *source;
    int32_t tokens[8];
} hf_ckpt_arg;

static lq_status hf_checkpoint_write(const char *dir, const void *arg)
{
    const hf_ckpt_arg *a = arg;
    char out[4096];
    snprintf(out, sizeof out, "%s/ckpt", dir);
    lq_status st = lq_hf_save_quantized(NULL, a->q, a->s, a->source, LQ_HF_FP8_STATIC, a->tokens,
                                        8, out, 0, 0);
    if (st == LQ_OK) /* complete: removed, so that only a failed run's leftovers show */
        iot_rmdir(strdup(out));
    return st;
}

static void hf_checkpoint_folder(void)
{
    if (!lqt_hf_fixtures_present()) {
        ORACLE_SKIP_CASE("no Hugging Face fixtures at %s", lqt_hf_fixture(""));
        return;
    }
    static char model[4096]; /* not in iot_path's buffers, which the runs reuse */
    snprintf(model, sizeof model, "%s", lqt_hf_fixture("models/llama3"));
    hf_ckpt_arg a = {.source = model, .tokens = {1, 300, 700, 1000, 5, 6, 7, 8}};
    lq_model *base = NULL;
    CHECK_OK(lq_model_load(NULL, model, 8, LQ_KV_F32, &base));
    CHECK_OK(lq_scheme_parse("fp8_e4m3:channel", &a.s));
    if (base && a.s)
        CHECK_OK(lq_model_quantize(NULL, base, a.s, NULL, NULL, 0, 8, LQ_KV_F32, &a.q));
    if (a.q)
        exercise_once("lq_hf_save_quantized fp8_static (llama3 fixture: Q/K rows, input scales)",
                      hf_checkpoint_write, &a, NULL);
    lq_model_free(a.q);
    lq_scheme_free(a.s);
    lq_model_free(base);
}

static void calib_file(void)
{
    exercise("calibration set save and load", calib_save_load, NULL, "calib.out");
}

static void gguf_write_read(void)
{
    exercise("gguf write and read", gguf_round_trip, NULL, "out.gguf");
    exercise("gguf streaming write", gguf_streaming, NULL, "stream.gguf");
    exercise("gguf split write and read", gguf_split_round_trip, NULL, NULL);
}

static void safetensors_write_read(void)
{
    static const uint64_t whole = 0, sharded = ROWS * COLS * sizeof(float);
    exercise("safetensors write and read", safetensors_round_trip, &whole, "model.safetensors");
    exercise("safetensors sharded write", safetensors_sharded, &sharded,
             "model.safetensors.index.json");
}

static void imatrix_files(void)
{
    static const int dat = LQ_IMATRIX_DAT, gguf = LQ_IMATRIX_GGUF;
    exercise("imatrix save and load (dat)", imatrix_save_load, &dat, "imatrix.out");
    exercise("imatrix save and load (gguf)", imatrix_save_load, &gguf, "imatrix.out");
}

static void model_load_and_eval(void)
{
    exercise("model load, eval and perplexity", model_load_eval, NULL, NULL);
}

static void bpe_vocab_and_tokenize(void)
{
    CHECK_OK(make_bpe_vocab());
    exercise("byte-level BPE vocabulary and tokenizer", bpe_tokenize, NULL, NULL);
    lq_gguf_free(bpe_vocab);
}

static void model_architectures(void)
{
    if (access(lqt_hf_path("gguf/qwen3-f32.gguf"), R_OK) != 0) {
        ORACLE_SKIP_CASE("no Hugging Face fixtures at %s", lqt_hf_path(""));
        return;
    }
    static const char *const names[] = {"llama3", "qwen2", "qwen3"};
    for (int i = 0; i < 3; i++) {
        char what[64];
        snprintf(what, sizeof what, "%s: load, eval, quantize q8_0", names[i]);
        exercise(what, model_arch_load_eval, names[i], NULL);
    }
}

static void model_quantize_and_compare(void)
{
    exercise_once("model quantize f16, KL divergence", model_quantize, "f16", NULL);
}

static void quality_measures(void)
{
    exercise_once("error metrics, output error, method error", quality, NULL, NULL);
}

static void gguf_quantize_cut_fixture(void)
{
    char *in_dir = iot_mkdtemp();
    CHECK(in_dir != NULL);
    if (!in_dir)
        return;
    /* paths in the job, not in iot_path's buffers, which the runs reuse */
    quantize_job job = {.file_type = "Q4_K_M"};
    snprintf(job.model, sizeof job.model, "%s/cut.gguf", in_dir);
    snprintf(job.imatrix, sizeof job.imatrix, "%s/imatrix.gguf", in_dir);
    CHECK_OK(cut_fixture(job.model));
    exercise("lq_gguf_quantize Q4_K_M (fixture cut to 4 rows a matrix)", gguf_quantize_fixture,
             &job, "quantized.gguf");
    exercise("lq_estimate_file_size (cut fixture, Llama-3-style 1e8)", estimate_sizes, &job, NULL);
    CHECK_OK(fixture_imatrix(job.imatrix));
    job.file_type = "IQ4_XS";
    job.overrides = true;
    exercise("lq_gguf_quantize IQ4_XS with imatrix and type overrides (cut fixture)",
             gguf_quantize_fixture, &job, "quantized.gguf");
    /* once: its 13 trial quantizations of every tensor make 2842 failure
     * points (about 23 s of CPU each way without ASan) */
    job.budget = "Q4_K_M";
    exercise_once("lq_gguf_quantize under Q4_K_M's size with imatrix and overrides (cut fixture)",
                  gguf_quantize_fixture, &job, "quantized.gguf");
    iot_rmdir(in_dir);
}

static void total(void)
{
    printf("# total: %lld failure points exercised\n", (long long)total_points);
    CHECK(total_points > 0);
    iot_rmdir(work_dir);
}

static void setup(void)
{
    make_inputs();
    work_dir = iot_mkdtemp();
    CHECK(work_dir != NULL);
}

LQT_MAIN(setup, scheme_parse, quantize_each_family, matmul_tiled, calibrated_methods,
         gguf_write_read, safetensors_write_read, hf_layouts, hf_tokenizer_keys, hf_model_folder,
         hf_quant_folder, hf_checkpoint_folder,
         calib_file, imatrix_files, model_load_and_eval, model_architectures,
         bpe_vocab_and_tokenize, model_quantize_and_compare, quality_measures,
         gguf_quantize_cut_fixture, total)
