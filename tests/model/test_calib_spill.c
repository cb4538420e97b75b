/* test_calib_spill.c — calibration hidden states beyond the memory limit
 * (lq_model_set_max_memory) go to a temporary file, which no folder shows,
 * and every result is the same as with the states in memory: the states
 * store on its own, lq_model_quantize under gptq (the states run through
 * the quantized model) and lq_model_imatrix (the states move on in place).
 * The quantized weights wait in the file too under a limit, and read back
 * the same. A walk writes the cache of one layer only. White-box for the store and the weights (lq__states,
 * lq__model_weight, the model's spill). */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libquant/model/model.h"
#include "libquant/model/states.h"
#include "quantized_fixture.h"

#define SPILL_TOKENS (2 * REF_CTX + 40) /* two whole windows and a short one */

/* Entries of `dir` other than . and .. (-1 when it cannot be read). */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* A fresh folder as TMPDIR, so that the spill file can be looked for. */
static char tmpdir[64];

static void use_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lq-spill-test-XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL);
    setenv("TMPDIR", tmpdir, 1);
}

static void drop_tmpdir(void)
{
    CHECK(entries(tmpdir) == 0); /* nothing left behind */
    rmdir(tmpdir);
    unsetenv("TMPDIR");
}

/* The store keeps rows across windows in the file, unwritten rows read as
 * zeros, and a file that cannot be made is an error, not memory. */
static void store(void)
{
    use_tmpdir();
    lq__states s;
    enum { ROWS = 10, WIDTH = 3, WINDOW = 4 };
    CHECK_OK(lq__states_init(&s, "t", ROWS, WIDTH, WINDOW, ROWS * WIDTH * 4 - 1));
    CHECK(lq__states_spilled(&s));
    CHECK(entries(tmpdir) == 0); /* unlinked at once */
    float *x = NULL;
    for (int64_t first = 0; first < ROWS; first += WINDOW) {
        int64_t n = ROWS - first < WINDOW ? ROWS - first : WINDOW;
        CHECK_OK(lq__states_get(&s, first, n, &x));
        for (int64_t i = 0; x && i < n * WIDTH; i++) {
            CHECK(x[i] == 0.0f);
            x[i] = (float)(first * WIDTH + i) + 0.5f;
        }
        CHECK_OK(lq__states_put(&s, first, n));
    }
    CHECK_OK(lq__states_get(&s, 4, 4, &x));
    for (int64_t i = 0; x && i < 4 * WIDTH; i++)
        CHECK(x[i] == (float)(4 * WIDTH + i) + 0.5f);
    CHECK_STATUS(lq__states_get(&s, 8, 4, &x), LQ_ERR_INTERNAL); /* past the rows */
    lq__states_free(&s);
    /* exactly at the limit: in memory */
    CHECK_OK(lq__states_init(&s, "t", ROWS, WIDTH, WINDOW, ROWS * WIDTH * 4));
    CHECK(!lq__states_spilled(&s));
    lq__states_free(&s);
    setenv("TMPDIR", "/nonexistent-lq-folder", 1);
    CHECK_STATUS(lq__states_init(&s, "t", ROWS, WIDTH, WINDOW, 1), LQ_ERR_IO);
    CHECK(strstr(lq_last_error(), "/nonexistent-lq-folder") != NULL);
    drop_tmpdir();
}

/* The fixture quantized under `scheme` with calibration windows of `window`
 * tokens. */
static lq_model *gptq_windows(fixture *f, const char *scheme, int64_t max_memory, int64_t window,
                              lq_status want)
{
    lq_scheme *s = NULL;
    lq_model *m = NULL;
    CHECK_OK(lq_scheme_parse(scheme, &s));
    CHECK_OK(lq_model_set_max_memory(f->base, max_memory));
    CHECK_STATUS(lq_model_quantize(NULL, f->base, s, NULL, calib_tokens(f), SPILL_TOKENS, window,
                                   LQ_KV_F16, &m), want);
    lq_scheme_free(s);
    return m;
}

static lq_model *gptq_with(fixture *f, const char *scheme, int64_t max_memory, lq_status want)
{
    return gptq_windows(f, scheme, max_memory, REF_CTX, want);
}

static lq_model *gptq(fixture *f, int64_t max_memory, lq_status want)
{
    return gptq_with(f, "gptq:int4:g32", max_memory, want);
}

static bool same_weights(const lq_model *a, const lq_model *b)
{
    bool same = a->n_tensors == b->n_tensors;
    for (int64_t k = 0; same && k < a->n_tensors; k++) {
        const char *name = lq_tensor_name(a->tensors[k]);
        const lq_tensor *ta = NULL, *tb = NULL;
        const float *va, *vb;
        int64_t la, lb;
        same = lq__model_weight(a, name, &ta, &va, &la) && lq__model_weight(b, name, &tb, &vb, &lb);
        if (same && ta)
            same = tb && lq_tensor_nbytes(ta) == lq_tensor_nbytes(tb) &&
                   memcmp(lq_tensor_data(ta), lq_tensor_data(tb), lq_tensor_nbytes(ta)) == 0;
        else if (same)
            same = !tb && la == lb && memcmp(va, vb, (size_t)la * sizeof *va) == 0;
    }
    return same;
}

static void quantize_spilled(void)
{
    fixture f;
    if (!open_fixture(&f))
        goto done;
    use_tmpdir();
    lq_model *in_memory = gptq(&f, 0, LQ_OK);
    lq_model *spilled = gptq(&f, 1, LQ_OK);
    /* the quantized weights wait in the temporary file too: none of the
     * layers' is in memory until read back */
    int64_t held = 0, waiting = 0;
    for (int64_t k = 0; spilled && k < spilled->n_tensors; k++) {
        bool in_file = spilled->spill_at && spilled->spill_at[k] >= 0;
        waiting += in_file;
        held += in_file && lq_tensor_data(spilled->tensors[k]) != NULL;
    }
    CHECKF(waiting >= 7 * lq_model_info(f.base, LQ_MODEL_N_LAYER) && held == 0,
           "%lld weights in the file, %lld of them in memory", (long long)waiting,
           (long long)held);
    if (spilled)
        CHECK_OK(lq__model_fetch_all("test", spilled));
    CHECK(in_memory && spilled && same_weights(in_memory, spilled));
    lq_model_free(spilled);
    /* the Hessians wait in a file too and GPTQ factors in their memory,
     * putting them in act_order's order in place, and a ggml type orders
     * whole blocks: the same weights either way */
    static const char *const ordered[] = {"gptq:int4:g32:act_order:static_groups",
                                          "gptq:q4_k:act_order"};
    for (size_t i = 0; i < sizeof ordered / sizeof *ordered; i++) {
        lq_model *a = gptq_with(&f, ordered[i], 0, LQ_OK), *b = gptq_with(&f, ordered[i], 1, LQ_OK);
        if (b)
            CHECK_OK(lq__model_fetch_all("test", b));
        CHECKF(a && b && same_weights(a, b), "%s", ordered[i]);
        lq_model_free(a);
        lq_model_free(b);
    }
    /* the limit is what sends the states to the file: one that cannot be
     * made fails the call */
    setenv("TMPDIR", "/nonexistent-lq-folder", 1);
    CHECK(gptq(&f, 1, LQ_ERR_IO) == NULL);
    lq_model_free(in_memory);
    CHECK_STATUS(lq_model_set_max_memory(f.base, -1), LQ_ERR_INVALID);
    CHECK_STATUS(lq_model_set_max_memory(NULL, 0), LQ_ERR_INVALID);
    drop_tmpdir();
done:
    close_fixture(&f);
}

/* Under a limit the second half-pass runs gate and up a piece of rows at a
 * time from the mapped file, releasing each piece's pages (forward.c): the
 * same weights as the whole products give. Windows under 16 tokens take the
 * dot path, which a piece of 16 rows runs as the whole weight does (the gemm
 * path's chunks are larger than the fixture's 768-row FFN); the hook lets
 * pieces of 16 KB run. */
static void quantize_in_pieces(void)
{
    fixture f;
    if (!open_fixture(&f))
        goto done;
    use_tmpdir();
    lq_model *whole = gptq_windows(&f, "gptq:q4_k", 0, 8, LQ_OK);
    lq__forward_piece_bytes(1);
    lq_model *pieces = gptq_windows(&f, "gptq:q4_k", 1, 8, LQ_OK);
    lq__forward_piece_bytes(0);
    if (pieces)
        CHECK_OK(lq__model_fetch_all("test", pieces));
    CHECK(whole && pieces && same_weights(whole, pieces));
    lq_model_free(whole);
    lq_model_free(pieces);
    CHECK_OK(lq_model_set_max_memory(f.base, 0));
    drop_tmpdir();
done:
    close_fixture(&f);
}

/* A walk runs each layer alone, its keys and values in the cache's first
 * layer (forward.c): the other layers' cache memory is never written, so
 * that it takes no pages (a 70B model's two caches at 2048 tokens would
 * grow by 16 MiB a layer). White-box: the base's cache filled with a mark
 * first. */
static void walk_uses_one_cache_layer(void)
{
    fixture f;
    if (!open_fixture(&f))
        goto done;
    lq__kv *kv = &f.base->kv;
    size_t bytes = kv->bytes / (size_t)(2 * kv->n_layer); /* F16: codes only */
    CHECK(kv->type == LQ_KV_F16 && kv->n_layer > 1);
    for (int64_t i = 0; i < 2 * kv->n_layer; i++)
        memset(kv->codes[i], 0xA5, bytes);
    lq_model *q = gptq_with(&f, "gptq:int4:g32", 0, LQ_OK);
    for (int64_t i = 0; i < 2 * kv->n_layer; i++) {
        size_t marked = 0;
        for (size_t b = 0; b < bytes; b++)
            marked += kv->codes[i][b] == 0xA5;
        /* layer 0's K and V hold the last window's rows (some codes may be
         * 0xA5 by chance, not all); the others still hold the mark */
        CHECKF(i < 2 ? marked < bytes : marked == bytes, "cache %lld: %zu of %zu bytes marked",
               (long long)i, marked, bytes);
    }
    lq_model_free(q);
done:
    close_fixture(&f);
}

static void imatrix_spilled(void)
{
    fixture f;
    if (!open_fixture(&f))
        goto done;
    use_tmpdir();
    lq_imatrix *a = NULL, *b = NULL;
    CHECK_OK(lq_model_set_max_memory(f.base, 0));
    CHECK_OK(lq_model_imatrix(NULL, f.base, calib_tokens(&f), SPILL_TOKENS, REF_CTX, &a));
    CHECK_OK(lq_model_set_max_memory(f.base, 1));
    CHECK_OK(lq_model_imatrix(NULL, f.base, calib_tokens(&f), SPILL_TOKENS, REF_CTX, &b));
    CHECK(a && b && lq_imatrix_count(a) == lq_imatrix_count(b) && lq_imatrix_count(a) > 0);
    for (int64_t i = 0; a && b && i < lq_imatrix_count(a); i++) {
        const char *name = lq_imatrix_name(a, i);
        int64_t n = lq_imatrix_length(a, name);
        float *va = calloc((size_t)n, sizeof *va), *vb = calloc((size_t)n, sizeof *vb);
        CHECK(n > 0 && lq_imatrix_length(b, name) == n);
        CHECK_OK(lq_imatrix_get(a, name, va, n));
        CHECK_OK(lq_imatrix_get(b, name, vb, n));
        CHECKF(memcmp(va, vb, (size_t)n * sizeof *va) == 0, "%s differs", name);
        free(va);
        free(vb);
    }
    lq_imatrix_free(a);
    lq_imatrix_free(b);
    drop_tmpdir();
done:
    close_fixture(&f);
}

LQT_MAIN(store, quantize_spilled, quantize_in_pieces, walk_uses_one_cache_layer, imatrix_spilled)
