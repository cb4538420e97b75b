/* test_estimate.c — lq_estimate_file_size is the size of the file
 * lq_gguf_quantize writes: for the trained fixture and the Hugging Face
 * fixtures' converted GGUFs (gguf/ *-f32.gguf, under $LQ_HF_FIXTURES, default
 * tests/hf/fixtures of the build; skipped when absent, failed then under
 * LQ_REQUIRE_ORACLE), in file types that keep tensors as they are, convert
 * them and mix types by layer, also when the file declares an alignment of
 * 64. That llama-quantize writes the same bytes is
 * test_llama_quantize's (which also checks this size against its output).
 * lq_estimate_llama_model gives the published Llama-3 shapes at their sizes,
 * a model near any other size, and a 70B Q4_K_M of the size such files have. */
#include <dirent.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lq/lq_io.h>
#include <lq/lq_pipeline.h>
#include <lq/lq_quality.h>

#include "../oracle.h"

static char tmpdir[] = "/tmp/lq-estimate-XXXXXX";

/* Q8_0 and F16 convert every weight to one type; Q2_K, Q3_K_S, Q4_K_M and
 * Q6_K mix types by role and layer (and Q2_K's attn_v depends on GQA); IQ4_XS
 * and Q4_0 have 32-wide fallbacks for rows no 256-block fits; F32 copies. */
static const char *const file_types[] = {"F32", "F16", "Q8_0", "Q4_0", "Q2_K", "Q3_K_S",
                                         "Q4_K_M", "Q6_K", "IQ4_XS"};
#define N_FILE_TYPES (sizeof file_types / sizeof *file_types)

static void estimate_is_written_size(const char *model)
{
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_open(model, &g));
    if (!g)
        return;
    char out[1200];
    snprintf(out, sizeof out, "%s/out.gguf", tmpdir);
    for (size_t k = 0; k < N_FILE_TYPES; k++) {
        uint64_t estimate = 0;
        lq_qopts *o = NULL;
        struct stat sb = {0};
        CHECK_OK(lq_estimate_file_size(g, file_types[k], &estimate));
        CHECK_OK(lq_qopts_create(file_types[k], &o));
        CHECK_OK(lq_gguf_quantize(NULL, model, out, o));
        lq_qopts_free(o);
        CHECK(stat(out, &sb) == 0);
        CHECKF((uint64_t)sb.st_size == estimate, "%s %s: estimated %llu bytes, wrote %llu", model,
               file_types[k], (unsigned long long)estimate, (unsigned long long)sb.st_size);
        unlink(out);
    }
    lq_gguf_free(g);
}

static void trained_fixture(void)
{
    const char *root = getenv("LQ_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/model/fixture/tiny-llama-f32.gguf", root ? root : "..");
    estimate_is_written_size(path);
}

/* A file that declares another alignment is written and sized with it. */
static void other_alignment(void)
{
    const char *root = getenv("LQ_SOURCE_ROOT");
    char fixture[1024], path[1200];
    snprintf(fixture, sizeof fixture, "%s/tests/model/fixture/tiny-llama-f32.gguf",
             root ? root : "..");
    snprintf(path, sizeof path, "%s/align64.gguf", tmpdir);
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_open(fixture, &g));
    CHECK_OK(lq_gguf_set_u32(g, "general.alignment", 64));
    CHECK_OK(lq_gguf_save(NULL, g, path));
    lq_gguf_free(g);
    estimate_is_written_size(path);
    unlink(path);
}

static void hf_fixtures(void)
{
    const char *dir = getenv("LQ_HF_FIXTURES");
    char gguf_dir[1024], path[1400];
    snprintf(gguf_dir, sizeof gguf_dir, "%s/gguf", dir && *dir ? dir : "tests/hf/fixtures");
    DIR *d = opendir(gguf_dir);
    if (!d) {
        ORACLE_SKIP_CASE("no Hugging Face fixtures in %.160s (tests/hf makes them)", gguf_dir);
        return;
    }
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 9 || strcmp(e->d_name + len - 9, "-f32.gguf") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", gguf_dir, e->d_name);
        if (!lqt_float_gguf(path))
            continue;
        estimate_is_written_size(path);
        n++;
    }
    closedir(d);
    CHECKF(n > 0, "no *-f32.gguf in %s", gguf_dir);
}

/* Every element of the model's tensors. */
static double count_params(const lq_gguf *g)
{
    double n = 0;
    for (int64_t i = 0; i < lq_gguf_tensor_count(g); i++) {
        double e = 1;
        for (int d = 0; d < lq_gguf_tensor_ndim(g, i); d++)
            e *= (double)lq_gguf_tensor_dim(g, i, d);
        n += e;
    }
    return n;
}

static int64_t meta(const lq_gguf *g, const char *key)
{
    int64_t v = -1;
    CHECK_OK(lq_gguf_get_int(g, key, &v));
    return v;
}

static void published_shapes(void)
{
    /* the parameter counts Meta publishes for Llama-3 8B, 70B and 3.1 405B */
    const struct {
        double params;
        int64_t hidden, layers, ffn;
    } want[] = {{8030261248.0, 4096, 32, 14336},
                {70553706496.0, 8192, 80, 28672},
                {405853388800.0, 16384, 126, 53248}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        /* the rounded names pick the published shapes too */
        const double asked[] = {want[i].params, i == 0 ? 8e9 : i == 1 ? 70e9 : 405e9};
        for (int a = 0; a < 2; a++) {
            lq_gguf *g = NULL;
            CHECK_OK(lq_estimate_llama_model(asked[a], &g));
            if (!g)
                continue;
            CHECKF(count_params(g) == want[i].params, "%.0f asked: %.0f parameters", asked[a],
                   count_params(g));
            CHECK(meta(g, "llama.embedding_length") == want[i].hidden);
            CHECK(meta(g, "llama.block_count") == want[i].layers);
            CHECK(meta(g, "llama.feed_forward_length") == want[i].ffn);
            CHECK(meta(g, "llama.attention.head_count") == want[i].hidden / 128);
            CHECK(meta(g, "llama.attention.head_count_kv") == 8);
            lq_gguf_free(g);
        }
    }
}

static void other_sizes(void)
{
    const double sizes[] = {1e9, 3e9, 20e9, 150e9, 1e12};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        lq_gguf *g = NULL;
        CHECK_OK(lq_estimate_llama_model(sizes[i], &g));
        if (!g)
            continue;
        double h = (double)meta(g, "llama.embedding_length"), f = (double)meta(g, "llama.feed_forward_length");
        /* one layer more or less is the step of the nearest count */
        double layer = 2 * h * h + 2 * 1024 * h + 3 * h * f + 2 * h;
        CHECKF(fabs(count_params(g) - sizes[i]) <= layer / 2, "%.3g asked: %.4g parameters",
               sizes[i], count_params(g));
        CHECK((int64_t)h % 1024 == 0 && (int64_t)f % 512 == 0);
        uint64_t bytes = 0;
        CHECK_OK(lq_estimate_file_size(g, "Q4_K_M", &bytes));
        lq_gguf_free(g);
    }
}

static void llama3_70b_q4_k_m(void)
{
    /* Meta-Llama-3-70B Q4_K_M files are 42.52e9 bytes (39.60 GiB). This model
     * has no tokenizer, which takes about 8 MB of that file's header: the
     * estimate is within 0.1% of it. */
    lq_gguf *g = NULL;
    uint64_t bytes = 0;
    CHECK_OK(lq_estimate_llama_model(70e9, &g));
    CHECK_OK(lq_estimate_file_size(g, "q4_k_m", &bytes));
    lq_gguf_free(g);
    CHECKF(fabs((double)bytes - 42.52e9) < 0.001 * 42.52e9, "70B Q4_K_M: %llu bytes",
           (unsigned long long)bytes);
}

static void bad_arguments(void)
{
    lq_gguf *g = NULL;
    uint64_t bytes = 0;
    CHECK_OK(lq_estimate_llama_model(1e9, &g));
    CHECK_STATUS(lq_estimate_file_size(NULL, "Q4_K_M", &bytes), LQ_ERR_INVALID);
    CHECK_STATUS(lq_estimate_file_size(g, NULL, &bytes), LQ_ERR_INVALID);
    CHECK_STATUS(lq_estimate_file_size(g, "Q4_K_M", NULL), LQ_ERR_INVALID);
    CHECK_STATUS(lq_estimate_file_size(g, "Q4_K_X", &bytes), LQ_ERR_INVALID);
    CHECK(strstr(lq_last_error(), "Q4_K_M") != NULL); /* the message lists the names */
    lq_gguf_free(g);
    g = (lq_gguf *)&bytes;
    CHECK_STATUS(lq_estimate_llama_model(1e3, &g), LQ_ERR_INVALID);
    CHECK(g == NULL);
    CHECK_STATUS(lq_estimate_llama_model(NAN, &g), LQ_ERR_INVALID);
    CHECK_STATUS(lq_estimate_llama_model(1e9, NULL), LQ_ERR_INVALID);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        printf("Bail out! cannot make a temporary folder\n");
        return 1;
    }
    lqt_case_fn cases[] = {trained_fixture, other_alignment, hf_fixtures, published_shapes,
                           other_sizes, llama3_70b_q4_k_m, bad_arguments};
    int rc = lqt_run("trained_fixture, other_alignment, hf_fixtures, published_shapes, "
                     "other_sizes, llama3_70b_q4_k_m, bad_arguments", cases, 7);
    rmdir(tmpdir);
    return rc;
}
