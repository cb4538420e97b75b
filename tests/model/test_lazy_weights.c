/* test_lazy_weights.c — a model read from a Hugging Face folder makes its
 * weights on use (model/weights.c) instead of widening the whole folder to
 * F32 when it is loaded: no weight has bytes after loading, lq_model_eval
 * makes them all, lq_model_quantize frees the base's layer by layer, and
 * every result is the one of a model whose weights were all made up front;
 * under a memory limit the quantized weights wait in a temporary file and
 * the checkpoint written from them is the same. White-box (the model's
 * tensors). */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lq/lq_hf.h>

#include "hf_models.h"
#include "libquant/model/model.h"

#define STR_(...) #__VA_ARGS__
#define STR(...) STR_(__VA_ARGS__)

#define N_CTX 32
#define N_CALIB (2 * N_CTX) /* two calibration windows */

/* The llama3 fixture folder, loaded. */
static lq_model *load(void)
{
    lq_model *m = NULL;
    CHECK_OK(lq_model_load(NULL, lqt_hf_path("models/llama3"), N_CTX, LQ_KV_F32, &m));
    return m;
}

/* How many of m's tensors are weights made on use, and how many of those
 * hold bytes now. */
static void count(const lq_model *m, int64_t *lazy, int64_t *made)
{
    *lazy = *made = 0;
    for (int64_t k = 0; m->lazy && k < m->n_tensors; k++) {
        *lazy += m->lazy[k];
        *made += m->lazy[k] && lq_tensor_data(m->tensors[k]) != NULL;
    }
}

/* The logits of the first N_CTX oracle ids (malloc'd). */
static float *logits(lq_model *m, const int32_t *ids)
{
    float *out = malloc((size_t)N_CTX * LQT_HF_VOCAB * sizeof *out);
    CHECK(out != NULL);
    if (out)
        CHECK_OK(lq_model_eval(NULL, m, ids, N_CTX, 0, 0, out));
    return out;
}

static bool same(const float *a, const float *b)
{
    return a && b && memcmp(a, b, (size_t)N_CTX * LQT_HF_VOCAB * sizeof *a) == 0;
}

/* No bytes after loading; all of them once the model runs. */
static void made_on_eval(void)
{
    int64_t n_ids = 0, lazy, made;
    int32_t *ids = lqt_hf_ids("llama3", &n_ids);
    lq_model *m = load();
    CHECK(ids && n_ids >= N_CALIB);
    if (m && ids && n_ids >= N_CALIB) {
        count(m, &lazy, &made);
        /* token_embd, output and seven per layer */
        CHECKF(lazy == 2 + 7 * lq_model_info(m, LQ_MODEL_N_LAYER) && made == 0,
               "%lld weights made on use, %lld made after loading", (long long)lazy,
               (long long)made);
        float *a = logits(m, ids);
        count(m, &lazy, &made);
        CHECK(made == lazy);
        lq_model_set_cache(m, N_CTX, LQ_KV_F32);
        float *b = logits(m, ids); /* made once: the same bytes */
        CHECK(same(a, b));
        free(a);
        free(b);
    }
    lq_model_free(m);
    free(ids);
}

/* Quantizing under gptq frees the base's layers as it goes, the base runs
 * as before afterwards, and the quantized model is the one a base with every
 * weight made up front gives. */
static void quantize_frees(void)
{
    int64_t n_ids = 0, lazy, made;
    int32_t *ids = lqt_hf_ids("llama3", &n_ids);
    lq_model *fresh = load(), *early = load(), *qa = NULL, *qb = NULL;
    lq_scheme *s = NULL;
    CHECK_OK(lq_scheme_parse("gptq:q4_k_m", &s));
    if (!fresh || !early || !s || !ids || n_ids < N_CALIB) {
        CHECK(0);
    } else {
        float *before = logits(early, ids); /* every weight of `early` made */
        CHECK_OK(lq_model_quantize(NULL, fresh, s, NULL, ids, N_CALIB, N_CTX, LQ_KV_F32, &qa));
        CHECK_OK(lq_model_quantize(NULL, early, s, NULL, ids, N_CALIB, N_CTX, LQ_KV_F32, &qb));
        count(fresh, &lazy, &made);
        CHECKF(made == 0, "%lld of the base's %lld weights still made", (long long)made,
               (long long)lazy);
        count(early, &lazy, &made);
        CHECKF(made == 0, "%lld of the base's %lld weights still made", (long long)made,
               (long long)lazy);
        for (int64_t k = 0; qa && qb && k < qa->n_tensors; k++) {
            const lq_tensor *x = qa->tensors[k], *y = qb->tensors[k];
            CHECK(!qa->lazy[k] && lq_tensor_data(x) != NULL);
            CHECKF(lq_tensor_nbytes(x) == lq_tensor_nbytes(y) &&
                   memcmp(lq_tensor_data(x), lq_tensor_data(y), lq_tensor_nbytes(x)) == 0,
                   "'%s' differs", lq_tensor_name(x));
        }
        lq_model_set_cache(early, N_CTX, LQ_KV_F32);
        float *after = logits(early, ids); /* remade */
        CHECK(same(before, after));
        free(before);
        free(after);
    }
    lq_model_free(qa);
    lq_model_free(qb);
    lq_model_free(fresh);
    lq_model_free(early);
    lq_scheme_free(s);
    free(ids);
}

/* Under a limit the calibration's second half-pass makes gate and up a
 * piece of rows at a time (forward.c, lq__model_fetch_rows): the quantized
 * model is the one the whole weights give. Windows of 8 tokens take the dot
 * path, which a piece of 16 rows runs as the whole weight does; the hook
 * lets pieces smaller than the fixture's FFN run. */
static void quantize_in_pieces(void)
{
    int64_t n_ids = 0;
    int32_t *ids = lqt_hf_ids("llama3", &n_ids);
    lq_model *whole = load(), *pieced = load(), *qa = NULL, *qb = NULL;
    lq_scheme *s = NULL;
    CHECK_OK(lq_scheme_parse("gptq:q4_k_m", &s));
    if (!whole || !pieced || !s || !ids || n_ids < N_CALIB) {
        CHECK(0);
    } else {
        CHECK_OK(lq_model_quantize(NULL, whole, s, NULL, ids, N_CALIB, 8, LQ_KV_F32, &qa));
        CHECK_OK(lq_model_set_max_memory(pieced, 1));
        lq__forward_piece_bytes(1);
        CHECK_OK(lq_model_quantize(NULL, pieced, s, NULL, ids, N_CALIB, 8, LQ_KV_F32, &qb));
        lq__forward_piece_bytes(0);
        if (qb)
            CHECK_OK(lq__model_fetch_all("test", qb));
        for (int64_t k = 0; qa && qb && k < qa->n_tensors; k++) {
            const lq_tensor *x = qa->tensors[k], *y = qb->tensors[k];
            CHECKF(lq_tensor_nbytes(x) == lq_tensor_nbytes(y) &&
                   memcmp(lq_tensor_data(x), lq_tensor_data(y), lq_tensor_nbytes(x)) == 0,
                   "'%s' differs", lq_tensor_name(x));
        }
    }
    lq_model_free(qa);
    lq_model_free(qb);
    lq_model_free(whole);
    lq_model_free(pieced);
    lq_scheme_free(s);
    free(ids);
}

/* The logits of the first n oracle ids (malloc'd), n <= N_CTX. */
static float *logits_of(lq_model *m, const int32_t *ids, int64_t n)
{
    float *out = malloc((size_t)n * LQT_HF_VOCAB * sizeof *out);
    CHECK(out != NULL);
    if (out)
        CHECK_OK(lq_model_eval(NULL, m, ids, n, 0, 0, out));
    return out;
}

/* A fixture folder's weights are made in the type they are stored in (BF16
 * in llama3; NVFP4 layers kept as such and BF16 embeddings in
 * llama3-nvfp4), never F32, and give the numbers of the folder converted to
 * F32: the logits at 3 tokens (the row dot products) and at N_CTX (the gemm
 * path), bit for bit, and the same GPTQ model. */
static void stored_types_of(const char *folder_name)
{
    int64_t n_ids = 0;
    int32_t *ids = lqt_hf_ids("llama3", &n_ids);
    char work[] = "/tmp/lq-lazy-test-XXXXXX", f32[64];
    CHECK(mkdtemp(work) != NULL);
    snprintf(f32, sizeof f32, "%s/f32.gguf", work);
    CHECK_OK(lq_hf_convert(NULL, lqt_hf_path(folder_name), LQ_TYPE_F32, f32));
    lq_model *folder = NULL, *file = NULL, *qa = NULL, *qb = NULL;
    CHECK_OK(lq_model_load(NULL, lqt_hf_path(folder_name), N_CTX, LQ_KV_F32, &folder));
    CHECK_OK(lq_model_load(NULL, f32, N_CTX, LQ_KV_F32, &file));
    lq_scheme *s = NULL;
    CHECK_OK(lq_scheme_parse("gptq:q4_k_m", &s));
    if (!folder || !file || !s || !ids || n_ids < N_CALIB) {
        CHECK(0);
    } else {
        for (int64_t k = 0; k < folder->n_tensors; k++) {
            const lq_tensor *t = folder->tensors[k];
            if (lq_tensor_ndim(t) == 2)
                CHECKF(lq_tensor_type(t) != LQ_TYPE_F32, "%s: '%s' is F32", folder_name,
                       lq_tensor_name(t));
        }
        static const int64_t lens[] = {3, N_CTX};
        for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
            float *a = logits_of(folder, ids, lens[i]), *b = logits_of(file, ids, lens[i]);
            CHECKF(a && b && memcmp(a, b, (size_t)lens[i] * LQT_HF_VOCAB * sizeof *a) == 0,
                   "%s: the logits of %lld tokens differ", folder_name, (long long)lens[i]);
            free(a);
            free(b);
            lq_model_set_cache(folder, N_CTX, LQ_KV_F32);
            lq_model_set_cache(file, N_CTX, LQ_KV_F32);
        }
        CHECK_OK(lq_model_quantize(NULL, folder, s, NULL, ids, N_CALIB, N_CTX, LQ_KV_F32, &qa));
        CHECK_OK(lq_model_quantize(NULL, file, s, NULL, ids, N_CALIB, N_CTX, LQ_KV_F32, &qb));
        if (qa)
            CHECK_OK(lq__model_fetch_all("test", qa));
        for (int64_t k = 0; qa && qb && k < qa->n_tensors; k++) {
            const lq_tensor *x = qa->tensors[k], *y = qb->tensors[k];
            CHECKF(lq_tensor_type(x) == lq_tensor_type(y) &&
                   lq_tensor_nbytes(x) == lq_tensor_nbytes(y) &&
                   memcmp(lq_tensor_data(x), lq_tensor_data(y), lq_tensor_nbytes(x)) == 0,
                   "%s: '%s' differs", folder_name, lq_tensor_name(x));
        }
    }
    lq_model_free(qa);
    lq_model_free(qb);
    lq_model_free(folder);
    lq_model_free(file);
    lq_scheme_free(s);
    free(ids);
    remove(f32);
    rmdir(work);
}

static void stored_types(void)
{
    stored_types_of("models/llama3");
    stored_types_of("models/llama3-nvfp4");
}

/* The file `name` of folder `dir` (malloc'd), with its length. */
static char *read_in(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lqt_read_file(path, len);
}

/* The fp8 checkpoint of the folder quantized with the quantized weights in
 * memory and in the temporary file (max_memory 1): the same files. */
static void checkpoint_spilled(void)
{
    char work[] = "/tmp/lq-lazy-test-XXXXXX", a[64], b[64];
    CHECK(mkdtemp(work) != NULL);
    snprintf(a, sizeof a, "%s/a", work);
    snprintf(b, sizeof b, "%s/b", work);
    lq_scheme *s = NULL;
    CHECK_OK(lq_scheme_parse("fp8_e4m3:channel", &s));
    for (int limit = 0; limit < 2 && s; limit++) {
        lq_model *base = load(), *q = NULL;
        if (base)
            CHECK_OK(lq_model_set_max_memory(base, limit));
        if (base)
            CHECK_OK(lq_model_quantize(NULL, base, s, NULL, NULL, 0, N_CTX, LQ_KV_F32, &q));
        CHECK(!q || (q->spill_fd >= 0) == (limit > 0));
        if (q)
            CHECK_OK(lq_hf_save_quantized(NULL, q, s, lqt_hf_path("models/llama3"), LQ_HF_FP8,
                                          NULL, 0, limit ? b : a, 0, 0));
        lq_model_free(q);
        lq_model_free(base);
    }
    static const char *const files[] = {"model.safetensors", "config.json"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        size_t la = 0, lb = 0;
        char *x = read_in(a, files[i], &la), *y = read_in(b, files[i], &lb);
        CHECKF(x && y && la == lb && memcmp(x, y, la) == 0, "%s differs", files[i]);
        free(x);
        free(y);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
    CHECK(system(cmd) == 0);
    lq_scheme_free(s);
}

#define CASES made_on_eval, quantize_frees, quantize_in_pieces, checkpoint_spilled, stored_types

int main(void)
{
    lqt_hf_require();
    lqt_case_fn cases[] = {CASES};
    return lqt_run(STR(CASES), cases, (int)(sizeof cases / sizeof *cases));
}
