/* test_gguf_split.c — split GGUF models through the public API: a split
 * model opens as the unsplit one (tensors, bytes, metadata, saved file,
 * logits), broken sets are refused with a status naming the file, and
 * lq_gguf_save_split refuses bad arguments without leaving files. The byte
 * comparison with llama-gguf-split itself is gguf_split.sh. */
#include <stdbool.h>

#include <lq/lq.h>

#include "../harness.h"
#include "../model/model_fixture.h"
#include "io_util.h"

static char *dir;

/* Does lq_last_error() contain `needle`? */
static bool said(const char *needle)
{
    bool ok = strstr(lq_last_error(), needle) != NULL;
    if (!ok)
        printf("# message lacks \"%s\": %s\n", needle, lq_last_error());
    return ok;
}

static size_t count_files(void)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void empty_dir(void)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.')
            remove(iot_path(dir, e->d_name));
    if (d)
        closedir(d);
}

/* A small model: 4 f32 tensors "t0".."t3" of 8 values each (i + 1 in all)
 * and one key. */
static lq_gguf *small_model(void)
{
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_create(&g));
    if (!g)
        return NULL;
    CHECK_OK(lq_gguf_set_string(g, "general.architecture", "llama"));
    for (int i = 0; i < 4; i++) {
        float v[8];
        for (int j = 0; j < 8; j++)
            v[j] = (float)(i + 1);
        char name[8];
        snprintf(name, sizeof name, "t%d", i);
        CHECK_OK(lq_gguf_add_tensor_raw(g, name, 0 /* f32 */, 1, (int64_t[]){8}, v, sizeof v,
                                        LQ_COPY));
    }
    return g;
}

/* Save a hand-made file of a split set: split.no / split.count as given,
 * split.tensors.count 4, and the tensors named (NULL-terminated). */
static void save_part(const char *name, int no, int count, const char *const *tensors)
{
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_create(&g));
    CHECK_OK(lq_gguf_set_u16(g, "split.no", (uint16_t)no));
    CHECK_OK(lq_gguf_set_i32(g, "split.tensors.count", 4));
    CHECK_OK(lq_gguf_set_u16(g, "split.count", (uint16_t)count));
    float v[8] = {0};
    for (int i = 0; tensors[i]; i++)
        CHECK_OK(lq_gguf_add_tensor_raw(g, tensors[i], 0, 1, (int64_t[]){8}, v, sizeof v,
                                        LQ_BORROW));
    CHECK_OK(lq_gguf_save(NULL, g, iot_path(dir, name)));
    lq_gguf_free(g);
}

/* Split the fixture every 7 tensors; the split model is the fixture again. */
static void test_open_is_unsplit(void)
{
    lq_gguf *orig = NULL, *split = NULL;
    CHECK_OK(lq_gguf_open(lqt_fixture(), &orig));
    if (!orig)
        return;
    int n_files = 0;
    CHECK_OK(lq_gguf_save_split(NULL, orig, iot_path(dir, "m"), 0, 7, 0, &n_files));
    int64_t n_t = lq_gguf_tensor_count(orig);
    CHECK(n_files == (int)((n_t + 6) / 7));
    CHECK_OK(lq_gguf_open(iot_path(dir, "m-00001-of-00006.gguf"), &split));
    if (split) {
        CHECK(lq_gguf_tensor_count(split) == n_t);
        CHECK(lq_gguf_kv_count(split) == lq_gguf_kv_count(orig));
        CHECK(lq_gguf_find_key(split, "split.count") < 0);
        CHECK(lq_gguf_data_offset(split) == lq_gguf_data_offset(orig));
        for (int64_t i = 0; i < n_t; i++) {
            const void *a, *b;
            uint64_t na, nb;
            CHECK_OK(lq_gguf_tensor_raw(orig, i, &a, &na));
            CHECK_OK(lq_gguf_tensor_raw(split, i, &b, &nb));
            CHECKF(strcmp(lq_gguf_tensor_name(orig, i), lq_gguf_tensor_name(split, i)) == 0 &&
                       na == nb && memcmp(a, b, na) == 0 &&
                       lq_gguf_tensor_offset(orig, i) == lq_gguf_tensor_offset(split, i),
                   "tensor %lld differs", (long long)i);
        }
        /* saved as one file, it is the fixture byte for byte */
        CHECK_OK(lq_gguf_save(NULL, split, iot_path(dir, "merged.gguf")));
        size_t s1, s2;
        unsigned char *f1 = iot_read(lqt_fixture(), &s1);
        unsigned char *f2 = iot_read(iot_path(dir, "merged.gguf"), &s2);
        CHECK(f1 && f2 && s1 == s2 && memcmp(f1, f2, s1) == 0);
        free(f1);
        free(f2);
    }
    lq_gguf_free(split);
    lq_gguf_free(orig);
    empty_dir();
}

/* The runner on the split model: the same logits as on the file. Exactly:
 * the weights are the same bytes and the forward pass is deterministic. */
static void test_runner_same_logits(void)
{
    lq_gguf *orig = NULL;
    CHECK_OK(lq_gguf_open(lqt_fixture(), &orig));
    if (!orig)
        return;
    int n = 0;
    CHECK_OK(lq_gguf_save_split(NULL, orig, iot_path(dir, "r"), 3000000, 0, 0, &n));
    CHECK(n > 1);
    lq_gguf_free(orig);
    char first[64];
    snprintf(first, sizeof first, "r-00001-of-%05d.gguf", n);
    lq_model *a = NULL, *b = NULL;
    CHECK_OK(lq_model_load(NULL, lqt_fixture(), 16, LQ_KV_F32, &a));
    CHECK_OK(lq_model_load(NULL, iot_path(dir, first), 16, LQ_KV_F32, &b));
    if (a && b) {
        int64_t vocab = lq_model_info(a, LQ_MODEL_N_VOCAB);
        CHECK(vocab == lq_model_info(b, LQ_MODEL_N_VOCAB));
        const int32_t tokens[] = {1, 17, 42, 99, 5, 3};
        float *la = calloc(6 * (size_t)vocab, sizeof *la);
        float *lb = calloc(6 * (size_t)vocab, sizeof *lb);
        CHECK_OK(lq_model_eval(NULL, a, tokens, 6, 0, 0, la));
        CHECK_OK(lq_model_eval(NULL, b, tokens, 6, 0, 0, lb));
        CHECK(memcmp(la, lb, 6 * (size_t)vocab * sizeof *la) == 0);
        free(la);
        free(lb);
    }
    lq_model_free(a);
    lq_model_free(b);
    empty_dir();
}

/* Broken sets: each refused with the right status and the file named. */
static void test_broken_sets(void)
{
    lq_gguf *g = small_model(), *r = NULL;
    if (!g)
        return;
    const char *first = "s-00001-of-00004.gguf";
    /* one tensor a file, 4 files; written again before each case */
#define FRESH() CHECK_OK(lq_gguf_save_split(NULL, g, iot_path(dir, "s"), 0, 1, 0, NULL))
    FRESH();
    CHECK_OK(lq_gguf_open(iot_path(dir, first), &r));
    CHECK(r && lq_gguf_tensor_count(r) == 4);
    lq_gguf_free(r);

    remove(iot_path(dir, "s-00003-of-00004.gguf"));
    CHECK_STATUS(lq_gguf_open(iot_path(dir, first), &r), LQ_ERR_IO);
    CHECK(r == NULL && said("s-00003-of-00004.gguf"));

    FRESH(); /* a file of another model's split in 3 */
    save_part("s-00002-of-00004.gguf", 1, 3, (const char *const[]){"t1", NULL});
    CHECK_STATUS(lq_gguf_open(iot_path(dir, first), &r), LQ_ERR_FORMAT);
    CHECK(said("s-00002-of-00004.gguf") && said("split 2 of 3"));

    FRESH(); /* the third file in the second's place */
    save_part("s-00002-of-00004.gguf", 2, 4, (const char *const[]){"t2", NULL});
    CHECK_STATUS(lq_gguf_open(iot_path(dir, first), &r), LQ_ERR_FORMAT);
    CHECK(said("expected split 2 of 4"));

    FRESH(); /* t0 again in the second file */
    save_part("s-00002-of-00004.gguf", 1, 4, (const char *const[]){"t0", NULL});
    CHECK_STATUS(lq_gguf_open(iot_path(dir, first), &r), LQ_ERR_FORMAT);
    CHECK(said("'t0'") && said("s-00002-of-00004.gguf"));

    FRESH(); /* one tensor short of split.tensors.count */
    save_part("s-00004-of-00004.gguf", 3, 4, (const char *const[]){NULL});
    CHECK_STATUS(lq_gguf_open(iot_path(dir, first), &r), LQ_ERR_FORMAT);
    CHECK(said("split.tensors.count is 4") && said("hold 3"));

    FRESH(); /* a later file opened first */
    CHECK_STATUS(lq_gguf_open(iot_path(dir, "s-00002-of-00004.gguf"), &r), LQ_ERR_FORMAT);
    CHECK(said("open the first"));

    /* the first file renamed: the others cannot be found from its name */
    rename(iot_path(dir, first), iot_path(dir, "renamed.gguf"));
    CHECK_STATUS(lq_gguf_open(iot_path(dir, "renamed.gguf"), &r), LQ_ERR_FORMAT);
    CHECK(said("renamed.gguf") && said("-00001-of-00004.gguf"));
    empty_dir();

    /* split.count of the wrong type */
    lq_gguf *h = NULL;
    CHECK_OK(lq_gguf_create(&h));
    CHECK_OK(lq_gguf_set_u32(h, "split.count", 2));
    CHECK_OK(lq_gguf_save(NULL, h, iot_path(dir, "w-00001-of-00002.gguf")));
    CHECK_STATUS(lq_gguf_open(iot_path(dir, "w-00001-of-00002.gguf"), &r), LQ_ERR_FORMAT);
    CHECK(said("split.count"));
    /* split.count 0 (llama-gguf-split --merge's mark): one plain file */
    CHECK_OK(lq_gguf_set_u16(h, "split.count", 0));
    CHECK_OK(lq_gguf_save(NULL, h, iot_path(dir, "w-00001-of-00002.gguf")));
    CHECK_OK(lq_gguf_open(iot_path(dir, "w-00001-of-00002.gguf"), &r));
    CHECK(r && lq_gguf_find_key(r, "split.count") == 0);
    lq_gguf_free(r);
    lq_gguf_free(h);
    lq_gguf_free(g);
    empty_dir();
#undef FRESH
}

static int cancel_cb(void *user, const char *stage, double fraction)
{
    (void)user;
    (void)stage;
    return fraction > 0.3;
}

/* Refused arguments and failed writes leave no file behind. */
static void test_save_split_refusals(void)
{
    lq_gguf *g = small_model();
    if (!g)
        return;
    char p[4096]; /* iot_path's buffers are reused */
    snprintf(p, sizeof p, "%s", iot_path(dir, "x"));
    CHECK_STATUS(lq_gguf_save_split(NULL, NULL, p, 0, 1, 0, NULL), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_save_split(NULL, g, NULL, 0, 1, 0, NULL), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_save_split(NULL, g, p, 0, 0, 0, NULL), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_save_split(NULL, g, p, 64, 1, 0, NULL), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_save_split(NULL, g, p, 0, -1, 0, NULL), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_save_split(NULL, g, p, 0, 1, 4, NULL), LQ_ERR_INVALID);
    /* each tensor is 32 bytes: a 31-byte limit leaves the first file empty */
    CHECK_STATUS(lq_gguf_save_split(NULL, g, p, 31, 0, 0, NULL), LQ_ERR_INVALID);
    CHECK(said("'t0'"));
    CHECK_STATUS(lq_gguf_save_split(NULL, g, p, 31, 0, LQ_GGUF_SPLIT_NO_TENSOR_FIRST, NULL),
                 LQ_ERR_INVALID);
    /* 32 bytes: one tensor a file, and with the flag one more file */
    int n = 0;
    CHECK_OK(lq_gguf_save_split(NULL, g, p, 32, 0, 0, &n));
    CHECK(n == 4 && count_files() == 4);
    empty_dir();
    CHECK_OK(lq_gguf_save_split(NULL, g, p, 32, 0, LQ_GGUF_SPLIT_NO_TENSOR_FIRST, &n));
    CHECK(n == 5 && count_files() == 5);
    empty_dir();
    /* the third file's name is taken by a folder: nothing is written */
    mkdir(iot_path(dir, "x-00003-of-00004.gguf"), 0755);
    CHECK_STATUS(lq_gguf_save_split(NULL, g, p, 0, 1, 0, &n), LQ_ERR_IO);
    CHECK(n == 0 && count_files() == 1);
    rmdir(iot_path(dir, "x-00003-of-00004.gguf"));
    /* cancelled part way: nothing is written */
    lq_ctx *ctx = NULL;
    CHECK_OK(lq_ctx_create(&ctx));
    CHECK_OK(lq_ctx_set_progress(ctx, cancel_cb, NULL));
    CHECK_STATUS(lq_gguf_save_split(ctx, g, p, 0, 1, 0, NULL), LQ_ERR_CANCELLED);
    CHECK(count_files() == 0);
    lq_ctx_free(ctx);
    /* another alignment would make llama-gguf-split's first file unreadable */
    CHECK_OK(lq_gguf_set_u32(g, "general.alignment", 64));
    CHECK_STATUS(lq_gguf_save_split(NULL, g, p, 0, 1, 0, NULL), LQ_ERR_UNSUPPORTED);
    CHECK_OK(lq_gguf_remove_key(g, "general.alignment"));
    /* a declared tensor has no bytes to write */
    CHECK_OK(lq_gguf_declare_tensor(g, "t4", 0, 1, (int64_t[]){8}));
    CHECK_STATUS(lq_gguf_save_split(NULL, g, p, 0, 1, 0, NULL), LQ_ERR_STATE);
    CHECK(count_files() == 0);
    lq_gguf_free(g);
}

/* ggml writes a tensor's dimensions up to the last one that is not 1, and
 * the split files do the same. */
static void test_trailing_unit_dims(void)
{
    lq_gguf *g = NULL, *r = NULL;
    CHECK_OK(lq_gguf_create(&g));
    float v[8] = {0};
    CHECK_OK(lq_gguf_add_tensor_raw(g, "col", 0, 2, (int64_t[]){1, 8}, v, sizeof v, LQ_BORROW));
    CHECK_OK(lq_gguf_add_tensor_raw(g, "row", 0, 2, (int64_t[]){8, 1}, v, sizeof v, LQ_BORROW));
    CHECK_OK(lq_gguf_save_split(NULL, g, iot_path(dir, "d"), 0, 128, 0, NULL));
    CHECK_OK(lq_gguf_open(iot_path(dir, "d-00001-of-00001.gguf"), &r));
    CHECK(r && lq_gguf_tensor_ndim(r, 0) == 1 && lq_gguf_tensor_dim(r, 0, 0) == 8);
    CHECK(r && lq_gguf_tensor_ndim(r, 1) == 2 && lq_gguf_tensor_dim(r, 1, 0) == 8);
    lq_gguf_free(r);
    lq_gguf_free(g);
    empty_dir();
}

static void setup(void) { CHECK((dir = iot_mkdtemp()) != NULL); }
static void teardown(void) { iot_rmdir(dir); }

LQT_MAIN(setup, test_open_is_unsplit, test_runner_same_logits, test_broken_sets,
         test_save_split_refusals, test_trailing_unit_dims, teardown)
