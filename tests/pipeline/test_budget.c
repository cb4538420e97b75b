/* test_budget.c — lq_gguf_quantize under a size budget (lq_qopts_set_target_*)
 * on the trained fixture: the file never exceeds its budget (whole-file
 * bytes, bits per weight, a file type's size), uses most of it, holds only
 * the candidate types (all loaded by mainline llama.cpp, which loads it:
 * checked through node-llama-cpp when installed), records its choice in
 * the quantize.budget.* keys, keeps user-set types, and a budget below the
 * smallest file is a clear error that leaves no file. */
#include <math.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lq/lq_io.h>
#include <lq/lq_pipeline.h>
#include <lq/lq_quality.h>

#include "../oracle.h"

static char tmpdir[] = "/tmp/lq-budget-XXXXXX";
static char fixture[1024], out[1100];

/* The candidate types (methods/budget.h's list, by name). */
static const char *const candidates[] = {"q2_k", "q3_k", "iq4_xs", "q4_0", "iq4_nl", "q4_k", "q4_1",
                                         "q5_0", "q5_k", "q5_1", "q6_k", "q8_0", "f16"};

static bool is_candidate(int ggml_id)
{
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        lq_type t;
        if (lq_type_from_name(candidates[i], &t) == LQ_OK && lq_type_ggml_id(t) == ggml_id)
            return true;
    }
    return false;
}

static uint64_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* The written file: its tensors' types are candidates (norms stay f32),
 * the keys are there and name the same types, and with `all_chosen` every
 * matrix has an estimated error (none was set by the user). Returns the bits per weight
 * as llama.cpp prints them (tensor bytes, unpadded). */
static double check_file(const char *path, bool all_chosen)
{
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_open(path, &g));
    if (!g)
        return NAN;
    const char *target = NULL;
    const void *ids = NULL, *errs = NULL;
    uint64_t n_ids = 0, n_errs = 0;
    CHECK_OK(lq_gguf_get_string(g, "quantize.budget.target", &target, NULL));
    CHECK_OK(lq_gguf_get_array_data(g, "quantize.budget.types", LQ_GGUF_TYPE_U32, &ids, &n_ids));
    CHECK_OK(lq_gguf_get_array_data(g, "quantize.budget.errors", LQ_GGUF_TYPE_F32, &errs, &n_errs));
    CHECK(n_ids == (uint64_t)lq_gguf_tensor_count(g) && n_errs == n_ids);
    double bytes = 0, elements = 0;
    for (int64_t i = 0; i < lq_gguf_tensor_count(g); i++) {
        int id = lq_gguf_tensor_ggml_type(g, i);
        double n = 1;
        for (int d = 0; d < lq_gguf_tensor_ndim(g, i); d++)
            n *= (double)lq_gguf_tensor_dim(g, i, d);
        bytes += (double)lq_gguf_tensor_nbytes(g, i);
        elements += n;
        if (lq_gguf_tensor_ndim(g, i) == 1)
            CHECKF(id == 0, "%s: a norm is f32, got type %d", lq_gguf_tensor_name(g, i), id);
        else
            CHECKF(is_candidate(id), "%s: type %d is not a candidate", lq_gguf_tensor_name(g, i), id);
        if (ids && (uint64_t)i < n_ids)
            CHECK(((const uint32_t *)ids)[i] == (uint32_t)id);
        if (all_chosen && errs && (uint64_t)i < n_errs)
            CHECK((((const float *)errs)[i] >= 0) == (lq_gguf_tensor_ndim(g, i) == 2));
    }
    lq_gguf_free(g);
    return 8 * bytes / elements;
}

static void bpw_budgets_hold(void)
{
    static const double targets[] = {2.9, 4.85, 8.5};
    double last = 0;
    for (size_t k = 0; k < sizeof targets / sizeof *targets; k++) {
        lq_qopts *o = NULL;
        CHECK_OK(lq_qopts_create("Q4_K_M", &o));
        CHECK_OK(lq_qopts_set_target_bpw(o, targets[k]));
        CHECK_OK(lq_gguf_quantize(NULL, fixture, out, o));
        lq_qopts_free(o);
        double bpw = check_file(out, true);
        CHECKF(bpw <= targets[k], "%.4f bpw over a budget of %.4f", bpw, targets[k]);
        /* the greedy fill leaves less than the step to the next type of
         * the smallest tensor unspent: on this model well under 0.1 bpw */
        CHECKF(bpw > targets[k] - 0.1, "%.4f bpw leaves much of a budget of %.4f unused", bpw,
               targets[k]);
        CHECK(bpw > last);
        last = bpw;
    }
}

static void byte_budgets_hold(void)
{
    lq_gguf *g = NULL;
    uint64_t q4km = 0, q2k = 0;
    CHECK_OK(lq_gguf_open(fixture, &g));
    CHECK_OK(lq_estimate_file_size(g, "Q4_K_M", &q4km));
    CHECK_OK(lq_estimate_file_size(g, "Q2_K", &q2k));
    lq_gguf_free(g);
    const uint64_t budgets[] = {q4km - 4097, q2k, 3 * q4km / 2};
    for (size_t k = 0; k < sizeof budgets / sizeof *budgets; k++) {
        lq_qopts *o = NULL;
        CHECK_OK(lq_qopts_create("Q4_K_M", &o));
        CHECK_OK(lq_qopts_set_target_bytes(o, budgets[k]));
        CHECK_OK(lq_gguf_quantize(NULL, fixture, out, o));
        lq_qopts_free(o);
        uint64_t size = file_size(out);
        CHECKF(size <= budgets[k], "%llu bytes over a budget of %llu", (unsigned long long)size,
               (unsigned long long)budgets[k]);
        CHECKF(size > budgets[k] - budgets[k] / 50, "%llu bytes leave much of %llu unused",
               (unsigned long long)size, (unsigned long long)budgets[k]);
        check_file(out, true);
    }
    /* a file type's size, the same options */
    lq_qopts *o = NULL;
    CHECK_OK(lq_qopts_create("Q8_0", &o));
    CHECK_OK(lq_qopts_set_target_file_type(o, "q4_k_m"));
    CHECK_OK(lq_gguf_quantize(NULL, fixture, out, o));
    lq_qopts_free(o);
    CHECKF(file_size(out) <= q4km, "%llu bytes over Q4_K_M's %llu", (unsigned long long)file_size(out),
           (unsigned long long)q4km);
    lq_gguf *w = NULL;
    const char *target = NULL;
    CHECK_OK(lq_gguf_open(out, &w));
    CHECK_OK(lq_gguf_get_string(w, "quantize.budget.target", &target, NULL));
    CHECK(target && strncmp(target, "Q4_K_M: ", 8) == 0);
    lq_gguf_free(w);
}

static void too_small_is_an_error(void)
{
    unlink(out);
    lq_qopts *o = NULL;
    CHECK_OK(lq_qopts_create("Q4_K_M", &o));
    CHECK_OK(lq_qopts_set_target_bytes(o, 400000)); /* Q2_K everywhere is about 1.2 MB */
    CHECK_STATUS(lq_gguf_quantize(NULL, fixture, out, o), LQ_ERR_INVALID);
    CHECK(strstr(lq_last_error(), "short of the smallest file") != NULL);
    CHECK(access(out, F_OK) != 0);
    CHECK_OK(lq_qopts_set_target_bytes(o, 1000)); /* not even the header */
    CHECK_STATUS(lq_gguf_quantize(NULL, fixture, out, o), LQ_ERR_INVALID);
    CHECK(access(out, F_OK) != 0);
    CHECK_OK(lq_qopts_set_target_bpw(o, 1.0));
    CHECK_STATUS(lq_gguf_quantize(NULL, fixture, out, o), LQ_ERR_INVALID);
    CHECK(access(out, F_OK) != 0);
    CHECK_STATUS(lq_qopts_set_target_bpw(o, -1), LQ_ERR_INVALID);
    CHECK_STATUS(lq_qopts_set_target_bpw(o, NAN), LQ_ERR_INVALID);
    CHECK_STATUS(lq_qopts_set_target_bpw(o, 65), LQ_ERR_INVALID);
    CHECK_STATUS(lq_qopts_set_target_file_type(o, "Q4_K_X"), LQ_ERR_INVALID);
    CHECK_STATUS(lq_qopts_set_target_bytes(NULL, 1), LQ_ERR_INVALID);
    lq_qopts_free(o);
}

/* --tensor-type and the output type are the user's: the budget keeps them. */
static void user_types_are_kept(void)
{
    lq_qopts *o = NULL;
    CHECK_OK(lq_qopts_create("Q4_K_M", &o));
    CHECK_OK(lq_qopts_set_target_bpw(o, 4.5));
    CHECK_OK(lq_qopts_add_tensor_type(o, "ffn_down", "q8_0"));
    CHECK_OK(lq_qopts_set_output_type(o, "q2_k"));
    CHECK_OK(lq_gguf_quantize(NULL, fixture, out, o));
    lq_qopts_free(o);
    CHECK(check_file(out, false) <= 4.5);
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_open(out, &g));
    for (int64_t i = 0; g && i < lq_gguf_tensor_count(g); i++) {
        const char *name = lq_gguf_tensor_name(g, i);
        int id = lq_gguf_tensor_ggml_type(g, i);
        if (strstr(name, "ffn_down"))
            CHECKF(id == 8, "%s: %d, not q8_0", name, id);
        if (strcmp(name, "output.weight") == 0)
            CHECKF(id == 10, "%s: %d, not q2_k", name, id);
    }
    lq_gguf_free(g);
}

static void llama_cpp_loads_it(void)
{
    const char *root = getenv("LQ_SOURCE_ROOT");
    if (system("node --version >/dev/null 2>&1") != 0) {
        ORACLE_SKIP_CASE("node is not installed");
        return;
    }
    if (access(lqt_oracle_path("node_modules/node-llama-cpp/dist/index.js"), R_OK) != 0) {
        ORACLE_SKIP_CASE("node-llama-cpp is not installed in %s", lqt_oracle_path(""));
        return;
    }
    lq_qopts *o = NULL;
    CHECK_OK(lq_qopts_create("Q4_K_M", &o));
    CHECK_OK(lq_qopts_set_target_bpw(o, 4.85));
    CHECK_OK(lq_gguf_quantize(NULL, fixture, out, o));
    lq_qopts_free(o);
    char cmd[4096], line[256] = "";
    snprintf(cmd, sizeof cmd, "node '%s/tests/pipeline/load_llamacpp.mjs' '%s' '%s' 2>&1",
             root ? root : "..", lqt_oracle_path("node_modules"), out);
    FILE *p = popen(cmd, "r");
    while (p && fgets(line, sizeof line, p) && strncmp(line, "ok", 2) != 0)
        fprintf(stdout, "# %s", line);
    CHECKF(p && strncmp(line, "ok", 2) == 0, "llama.cpp did not load the file: %s", line);
    CHECK(p && pclose(p) == 0);
}

int main(void)
{
    const char *root = getenv("LQ_SOURCE_ROOT");
    snprintf(fixture, sizeof fixture, "%s/tests/model/fixture/tiny-llama-f32.gguf",
             root ? root : "..");
    if (!mkdtemp(tmpdir)) {
        printf("Bail out! cannot make a temporary folder\n");
        return 1;
    }
    snprintf(out, sizeof out, "%s/out.gguf", tmpdir);
    lqt_case_fn cases[] = {bpw_budgets_hold, byte_budgets_hold, too_small_is_an_error,
                           user_types_are_kept, llama_cpp_loads_it};
    int rc = lqt_run("bpw_budgets_hold, byte_budgets_hold, too_small_is_an_error, "
                     "user_types_are_kept, llama_cpp_loads_it",
                     cases, (int)(sizeof cases / sizeof *cases));
    unlink(out);
    rmdir(tmpdir);
    return rc;
}
