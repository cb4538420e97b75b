/* test_llama_quantize.c — `lq quantize` against llama.cpp itself. The same
 * models (the trained fixture, and a synthetic Llama made here with 12 layers,
 * grouped-query attention and an FFN width that no 256-block fits) are
 * quantized to every file type by lq_gguf_quantize and by llama.cpp's
 * llama_model_quantize (dlopen'd from the npm build node-llama-cpp ships),
 * with and without an importance matrix (and a small Mixtral-style variant
 * of the synthetic model to MXFP4_MOE); the two output files must be equal
 * byte for byte (metadata, key order, tensor infos, padding, tensor bytes),
 * and with default options their size must be what lq_estimate_file_size
 * says before anything is written. When the files differ, the test says
 * where: the first key out of place, then each tensor whose name, type or
 * bytes differ. Hugging Face's @huggingface/gguf must also parse the output.
 * Skips when the llama.cpp library is not installed in the oracle folder
 * (../oracle.h), and fails then if LQ_REQUIRE_ORACLE says it must be.
 *
 * One input the byte comparison does not cover, because llama-quantize's
 * output is then not a valid file: a model whose general.alignment is not
 * 32. llama.cpp copies that key but pads its output to 32 bytes regardless
 * (gguf_init_empty's default), so its offsets contradict the key it wrote;
 * libquant pads to the alignment the file declares (doc/quantize.md). */
#include "../oracle.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lq/lq_io.h>
#include <lq/lq_pipeline.h>
#include <lq/lq_quality.h>

/* llama.cpp's llama_model_quantize_params, as declared by the llama.h of the
 * build under test (node-llama-cpp 3.22.1). Only the layout matters here. */
struct llama_imatrix_entry {
    const char *name;
    const float *data;
    size_t size;
};
struct llama_quantize_params {
    int32_t nthread;
    int ftype;
    int output_tensor_type;
    int token_embedding_type;
    bool allow_requantize, quantize_output_tensor, only_copy, pure, keep_split, dry_run;
    const struct llama_imatrix_entry *imatrix;
    const void *kv_overrides, *tt_overrides;
    const int32_t *prune_layers;
    size_t max_buf_size;
};

static struct {
    void *lib;
    struct llama_quantize_params (*defaults)(void);
    uint32_t (*quantize)(const char *, const char *, const struct llama_quantize_params *);
} llama;

static void quiet_log(int level, const char *text, void *user)
{
    (void)level, (void)text, (void)user;
}

/* dlsym into a function pointer without an object-to-function cast */
#define LOAD_SYM(fp, name)                          \
    do {                                            \
        void *sym_ = dlsym(llama.lib, name);        \
        memcpy(&(fp), &sym_, sizeof sym_);          \
    } while (0)

static bool load_llama(void)
{
    llama.lib = dlopen(lqt_oracle_path(LQT_ORACLE_LLAMA), RTLD_NOW | RTLD_LOCAL);
    if (!llama.lib)
        return false;
    void (*backend_init)(void) = NULL;
    void (*log_set)(void (*)(int, const char *, void *), void *) = NULL;
    LOAD_SYM(backend_init, "llama_backend_init");
    LOAD_SYM(log_set, "llama_log_set");
    LOAD_SYM(llama.defaults, "llama_model_quantize_default_params");
    LOAD_SYM(llama.quantize, "llama_model_quantize");
    if (!backend_init || !log_set || !llama.defaults || !llama.quantize)
        return false;
    log_set(quiet_log, NULL);
    backend_init();
    return true;
}

static char tmpdir[] = "/tmp/lq-llama-quantize-XXXXXX";
static char fixture[1024], synthetic[1100], imatrix_dat[1100];

/* ---- inputs ---- */

/* A norm (rows 0: ones and noise), a matrix, or `experts` > 0 matrices. */
static lq_status add_f32(lq_gguf *g, const char *name, int64_t experts, int64_t rows,
                         int64_t cols, lqt_rng *rng, float scale)
{
    lq_tensor *t = NULL;
    int64_t shape[3] = {experts, rows, cols};
    int nd = experts ? 3 : rows ? 2 : 1;
    lq_status st = lq_tensor_create(LQ_TYPE_F32, nd, shape + 3 - nd, name, &t);
    if (st != LQ_OK)
        return st;
    float *w = lq_tensor_data_mut(t);
    for (int64_t i = 0; i < lq_tensor_numel(t); i++)
        w[i] = rows ? scale * lqt_normal(rng) : 1.0f + 0.1f * lqt_normal(rng);
    st = lq_gguf_add_tensor(g, t, LQ_COPY);
    lq_tensor_free(t);
    return st;
}

/* A 12-layer Llama with GQA 4, an FFN of 384 (no 256-block fits its rows)
 * and tied embeddings, with the fixture's tokenizer; with `experts` > 0 its
 * FFNs are a Mixtral-style mixture of that many experts (a router and the
 * experts' matrices stacked in 3-D tensors), in 2 layers to stay small. */
static lq_status make_synthetic(const char *path, int experts)
{
    enum { DIM = 256, FFN = 384, HEADS = 8, KV_HEADS = 2 };
    const int LAYERS = experts ? 2 : 12;
    lq_gguf *src = NULL, *g = NULL;
    lq_status st = lq_gguf_open(fixture, &src);
    if (st == LQ_OK)
        st = lq_gguf_create(&g);
    for (int64_t k = 0; st == LQ_OK && k < lq_gguf_kv_count(src); k++) {
        const char *key = lq_gguf_kv_key(src, k);
        if (strncmp(key, "tokenizer.", 10) == 0 || strcmp(key, "general.architecture") == 0)
            st = lq_gguf_copy_kv(g, src, key);
    }
    struct { const char *key; uint32_t v; } u32s[] = {
        {"llama.block_count", (uint32_t)LAYERS}, {"llama.context_length", 512},
        {"llama.embedding_length", DIM}, {"llama.feed_forward_length", FFN},
        {"llama.attention.head_count", HEADS}, {"llama.attention.head_count_kv", KV_HEADS},
        {"llama.rope.dimension_count", DIM / HEADS}, {"general.file_type", 0},
    };
    for (size_t i = 0; st == LQ_OK && i < sizeof u32s / sizeof *u32s; i++)
        st = lq_gguf_set_u32(g, u32s[i].key, u32s[i].v);
    if (st == LQ_OK && experts)
        st = lq_gguf_set_u32(g, "llama.expert_count", (uint32_t)experts);
    if (st == LQ_OK && experts)
        st = lq_gguf_set_u32(g, "llama.expert_used_count", 2);
    if (st == LQ_OK)
        st = lq_gguf_set_f32(g, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    if (st == LQ_OK)
        st = lq_gguf_set_string(g, "general.name", "synthetic-llama");
    int64_t vocab = 0;
    int elem;
    uint64_t n_tokens = 0;
    if (st == LQ_OK)
        st = lq_gguf_get_array(src, "tokenizer.ggml.tokens", &elem, &n_tokens);
    vocab = (int64_t)n_tokens;
    lqt_rng rng = {0x5eed};
    if (st == LQ_OK)
        st = add_f32(g, "token_embd.weight", 0, vocab, DIM, &rng, 0.02f);
    if (st == LQ_OK)
        st = add_f32(g, "output_norm.weight", 0, 0, DIM, &rng, 0);
    char name[64];
    for (int l = 0; st == LQ_OK && l < LAYERS; l++) {
        const struct part { const char *part; int64_t experts, rows, cols; } attn[] = {
            {"attn_norm", 0, 0, DIM}, {"attn_q", 0, DIM, DIM}, {"attn_k", 0, DIM / 4, DIM},
            {"attn_v", 0, DIM / 4, DIM}, {"attn_output", 0, DIM, DIM}, {"ffn_norm", 0, 0, DIM},
        }, dense[] = {
            {"ffn_gate", 0, FFN, DIM}, {"ffn_up", 0, FFN, DIM}, {"ffn_down", 0, DIM, FFN},
        }, moe[] = {
            {"ffn_gate_inp", 0, experts, DIM}, {"ffn_gate_exps", experts, FFN, DIM},
            {"ffn_up_exps", experts, FFN, DIM}, {"ffn_down_exps", experts, DIM, FFN},
        };
        const struct part *ffn = experts ? moe : dense;
        size_t n_ffn = experts ? sizeof moe / sizeof *moe : sizeof dense / sizeof *dense;
        for (size_t i = 0; st == LQ_OK && i < sizeof attn / sizeof *attn + n_ffn; i++) {
            const struct part *w = i < sizeof attn / sizeof *attn ? &attn[i]
                                                                  : &ffn[i - sizeof attn / sizeof *attn];
            snprintf(name, sizeof name, "blk.%d.%s.weight", l, w->part);
            st = add_f32(g, name, w->experts, w->rows, w->cols, &rng, 0.05f);
        }
    }
    if (st == LQ_OK)
        st = lq_gguf_save(NULL, g, path);
    lq_gguf_free(g);
    lq_gguf_free(src);
    return st;
}

/* A legacy llama.cpp imatrix (.dat) for every 2-D weight of `model`, with
 * ncall = 1 so that both readers pass the values on unchanged; the same
 * values go to llama.cpp directly. */
static struct llama_imatrix_entry *entries;
static float *entry_data;

static bool make_imatrix(const char *model, const char *path)
{
    lq_gguf *g = NULL;
    if (lq_gguf_open(model, &g) != LQ_OK)
        return false;
    int64_t n = lq_gguf_tensor_count(g), total = 0, count = 0;
    for (int64_t i = 0; i < n; i++)
        if (lq_gguf_tensor_ndim(g, i) == 2)
            total += lq_gguf_tensor_dim(g, i, 1);
    entries = calloc((size_t)n + 1, sizeof *entries);
    entry_data = malloc((size_t)total * sizeof *entry_data);
    FILE *f = fopen(path, "wb");
    lqt_rng rng = {0x1a7};
    int32_t placeholder = 0;
    fwrite(&placeholder, 4, 1, f);
    float *p = entry_data;
    for (int64_t i = 0; i < n; i++) {
        if (lq_gguf_tensor_ndim(g, i) != 2)
            continue;
        const char *name = lq_gguf_tensor_name(g, i);
        int32_t len = (int32_t)strlen(name), ncall = 1,
                nval = (int32_t)lq_gguf_tensor_dim(g, i, 1);
        for (int32_t j = 0; j < nval; j++)
            p[j] = (float)(0.05 + lqt_uniform(&rng) * (j % 17 == 0 ? 40.0 : 2.0));
        fwrite(&len, 4, 1, f);
        fwrite(name, 1, (size_t)len, f);
        fwrite(&ncall, 4, 1, f);
        fwrite(&nval, 4, 1, f);
        fwrite(p, 4, (size_t)nval, f);
        entries[count++] = (struct llama_imatrix_entry){strdup(name), p, (size_t)nval};
        p += nval;
    }
    int32_t last_call = 1, dataset_len = 4;
    fwrite(&last_call, 4, 1, f);
    fwrite(&dataset_len, 4, 1, f);
    fwrite("test", 1, 4, f);
    int32_t n_entries = (int32_t)count;
    fseek(f, 0, SEEK_SET);
    fwrite(&n_entries, 4, 1, f);
    fclose(f);
    lq_gguf_free(g);
    return true;
}

/* ---- comparison ---- */

static const struct {
    const char *name;
    int ftype;
    bool needs_imatrix; /* both refuse it without one */
} ftypes[] = {
    {"Q4_0", 2, false},    {"Q4_1", 3, false},   {"Q5_0", 8, false},   {"Q5_1", 9, false},
    {"Q8_0", 7, false},    {"Q2_K", 10, false},  {"Q3_K_S", 11, false}, {"Q3_K_M", 12, false},
    {"Q3_K_L", 13, false}, {"Q4_K_S", 14, false}, {"Q4_K_M", 15, false}, {"Q5_K_S", 16, false},
    {"Q5_K_M", 17, false}, {"Q6_K", 18, false},  {"IQ4_NL", 25, false}, {"IQ4_XS", 30, false},
    {"F16", 1, false},     {"BF16", 32, false},  {"IQ2_XXS", 19, true}, {"IQ2_XS", 20, true},
    {"IQ2_M", 29, true},   {"IQ3_XXS", 23, true}, {"IQ3_XS", 22, true}, {"IQ3_S", 26, false},
    {"IQ3_M", 27, false},  {"IQ2_S", 28, true},  {"IQ1_S", 24, true},  {"IQ1_M", 31, true},
    {"TQ1_0", 36, false},  {"TQ2_0", 37, false}, {"MXFP4_MOE", 38, false},
};

/* The whole file, read into memory (NULL when it cannot be read). */
static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat sb;
    uint8_t *data = NULL;
    if (f && fstat(fileno(f), &sb) == 0 && (data = malloc((size_t)sb.st_size + 1)))
        *len = fread(data, 1, (size_t)sb.st_size, f);
    if (f)
        fclose(f);
    return data;
}

/* Where two files that differ part: the first key whose name or position
 * differs, then each tensor whose name, type or bytes differ (three at most). */
static void explain_difference(lq_gguf *a, lq_gguf *b, const char *what)
{
    int64_t nk = lq_gguf_kv_count(a) < lq_gguf_kv_count(b) ? lq_gguf_kv_count(a)
                                                             : lq_gguf_kv_count(b);
    for (int64_t k = 0; k < nk; k++) {
        if (strcmp(lq_gguf_kv_key(a, k), lq_gguf_kv_key(b, k)) != 0) {
            CHECKF(0, "%s: key %lld is '%s' here, '%s' in llama.cpp's", what, (long long)k,
                   lq_gguf_kv_key(a, k), lq_gguf_kv_key(b, k));
            break;
        }
    }
    CHECKF(lq_gguf_kv_count(a) == lq_gguf_kv_count(b), "%s: %lld keys here, %lld in llama.cpp's",
           what, (long long)lq_gguf_kv_count(a), (long long)lq_gguf_kv_count(b));
    CHECKF(lq_gguf_tensor_count(a) == lq_gguf_tensor_count(b), "%s: tensor counts differ", what);
    int bad = 0;
    for (int64_t i = 0; i < lq_gguf_tensor_count(a) && i < lq_gguf_tensor_count(b) && bad < 3; i++) {
        const char *name = lq_gguf_tensor_name(a, i);
        if (strcmp(name, lq_gguf_tensor_name(b, i)) != 0) {
            CHECKF(0, "%s: tensor %lld is '%s' here, '%s' in llama.cpp's", what, (long long)i,
                   name, lq_gguf_tensor_name(b, i));
            bad++;
            continue;
        }
        if (lq_gguf_tensor_ggml_type(a, i) != lq_gguf_tensor_ggml_type(b, i)) {
            CHECKF(0, "%s: '%s' has ggml type %d here, %d in llama.cpp's", what, name,
                   lq_gguf_tensor_ggml_type(a, i), lq_gguf_tensor_ggml_type(b, i));
            bad++;
            continue;
        }
        const void *da, *db;
        uint64_t na, nb;
        CHECK_OK(lq_gguf_tensor_raw(a, i, &da, &na));
        CHECK_OK(lq_gguf_tensor_raw(b, i, &db, &nb));
        if (na != nb || memcmp(da, db, na) != 0) {
            CHECKF(0, "%s: '%s' (ggml type %d) bytes differ", what, name,
                   lq_gguf_tensor_ggml_type(a, i));
            bad++;
        }
    }
}

/* The two files are equal byte for byte; `estimate` (0: none) is their size. */
static void compare_files(const char *ours, const char *theirs, const char *what,
                          uint64_t estimate)
{
    size_t na = 0, nb = 0;
    uint8_t *fa = read_all(ours, &na), *fb = read_all(theirs, &nb);
    CHECKF(fa && fb, "%s: cannot read the outputs", what);
    if (fa && fb && (na != nb || memcmp(fa, fb, na) != 0)) {
        size_t at = 0;
        while (at < na && at < nb && fa[at] == fb[at])
            at++;
        CHECKF(0, "%s: the files differ from byte %zu (%zu bytes here, %zu in llama.cpp's)", what,
               at, na, nb);
        lq_gguf *a = NULL, *b = NULL;
        CHECK_OK(lq_gguf_open(ours, &a));
        CHECK_OK(lq_gguf_open(theirs, &b));
        if (a && b)
            explain_difference(a, b, what);
        lq_gguf_free(a);
        lq_gguf_free(b);
    }
    if (estimate)
        CHECKF(estimate == na && estimate == nb, "%s: estimated %llu bytes, written %zu here and "
               "%zu by llama.cpp", what, (unsigned long long)estimate, na, nb);
    free(fa);
    free(fb);
}

/* `model` (open as `input`) quantized to file type ftypes[k] by both. */
static void quantize_one(const char *model, const lq_gguf *input, const char *tag, size_t k,
                         bool with_imatrix)
{
    char ours[1200], theirs[1200], what[128];
    snprintf(ours, sizeof ours, "%s/%s-%s-lq.gguf", tmpdir, tag, ftypes[k].name);
    snprintf(theirs, sizeof theirs, "%s/%s-%s-llama.gguf", tmpdir, tag, ftypes[k].name);
    snprintf(what, sizeof what, "%s %s%s", tag, ftypes[k].name, with_imatrix ? " imatrix" : "");
    lq_qopts *o = NULL;
    uint64_t estimate = 0;
    CHECK_OK(lq_qopts_create(ftypes[k].name, &o));
    struct llama_quantize_params p = llama.defaults();
    p.ftype = ftypes[k].ftype;
    p.nthread = 2;
    if (ftypes[k].needs_imatrix && !with_imatrix) {
        CHECKF(lq_gguf_quantize(NULL, model, ours, o) == LQ_ERR_INVALID &&
               strstr(lq_last_error(), "importance matrix"), "%s: not refused (%s)", what,
               lq_last_error());
        CHECKF(llama.quantize(model, theirs, &p) != 0, "%s: llama.cpp did not refuse", what);
        lq_qopts_free(o);
        unlink(ours);
        unlink(theirs);
        return;
    }
    if (with_imatrix)
        CHECK_OK(lq_qopts_set_imatrix(o, imatrix_dat)); /* the estimate assumes none */
    else
        CHECK_OK(lq_estimate_file_size(input, ftypes[k].name, &estimate));
    CHECK_OK(lq_gguf_quantize(NULL, model, ours, o));
    lq_qopts_free(o);
    p.imatrix = with_imatrix ? entries : NULL;
    CHECKF(llama.quantize(model, theirs, &p) == 0, "%s: llama_model_quantize failed", what);
    compare_files(ours, theirs, what, estimate);
    unlink(ours);
    unlink(theirs);
}

static void quantize_both(const char *model, const char *tag, bool with_imatrix)
{
    lq_gguf *input = NULL;
    CHECK_OK(lq_gguf_open(model, &input));
    for (size_t k = 0; input && k < sizeof ftypes / sizeof *ftypes; k++)
        quantize_one(model, input, tag, k, with_imatrix);
    lq_gguf_free(input);
}

/* convert_hf_to_gguf.py's own files of the Hugging Face fixtures
 * ($LQ_HF_FIXTURES, default tests/hf/fixtures of the build): real converter
 * output, general.file_type among the general.* keys. One file per
 * architecture, F32 and F16 inputs alternating, and one whose weights came
 * from FP8 (values on a coarse grid, so the quantizers' searches meet ties):
 * the file type's rules depend on the architecture's tensors and the input
 * type, not on which of a model's conversions is read, and every file type
 * over all sixteen conversions took minutes of CI. */
static const char *const hf_fixture_files[] = {
    "llama2-tied-f16.gguf", "llama3-f32.gguf",  "llama3-fp8-block-f32.gguf",
    "mistral-f16.gguf",     "qwen2-f32.gguf",   "qwen3-f16.gguf",
};

static void hf_fixtures_every_file_type(void)
{
    const char *dir = getenv("LQ_HF_FIXTURES");
    char gguf_dir[1024], path[1400];
    snprintf(gguf_dir, sizeof gguf_dir, "%s/gguf", dir && *dir ? dir : "tests/hf/fixtures");
    if (access(gguf_dir, R_OK) != 0) {
        ORACLE_SKIP_CASE("no Hugging Face fixtures in %.160s (tests/hf makes them)", gguf_dir);
        return;
    }
    for (size_t i = 0; i < sizeof hf_fixture_files / sizeof *hf_fixture_files; i++) {
        snprintf(path, sizeof path, "%s/%s", gguf_dir, hf_fixture_files[i]);
        bool usable = lqt_float_gguf(path);
        CHECKF(usable, "%s is missing or not an F32/F16 GGUF", path);
        if (usable)
            quantize_both(path, hf_fixture_files[i], false);
    }
}

static void fixture_every_file_type(void) { quantize_both(fixture, "fixture", false); }
static void synthetic_every_file_type(void) { quantize_both(synthetic, "synthetic", false); }
static void synthetic_with_imatrix(void) { quantize_both(synthetic, "synthetic", true); }

/* MXFP4_MOE is the one file type whose rules depend on 3-D expert tensors
 * (the dense models above make it all Q8_0): the synthetic model with four
 * experts per layer, to that file type only. */
static void moe_mxfp4_moe(void)
{
    char moe[1100];
    snprintf(moe, sizeof moe, "%s/moe-f32.gguf", tmpdir);
    lq_gguf *input = NULL;
    CHECK_OK(make_synthetic(moe, 4));
    CHECK_OK(lq_gguf_open(moe, &input));
    for (size_t k = 0; input && k < sizeof ftypes / sizeof *ftypes; k++)
        if (strcmp(ftypes[k].name, "MXFP4_MOE") == 0)
            quantize_one(moe, input, "moe", k, false);
    /* equal files prove little if both made everything Q8_0: the six
     * expert tensors (gate, up and down in 2 layers) must be MXFP4 */
    char out[1100];
    snprintf(out, sizeof out, "%s/moe-mxfp4.gguf", tmpdir);
    lq_qopts *o = NULL;
    lq_gguf *q = NULL;
    CHECK_OK(lq_qopts_create("MXFP4_MOE", &o));
    CHECK_OK(lq_gguf_quantize(NULL, moe, out, o));
    CHECK_OK(lq_gguf_open(out, &q));
    int mxfp4 = 0;
    for (int64_t i = 0; q && i < lq_gguf_tensor_count(q); i++)
        mxfp4 += lq_gguf_tensor_ggml_type(q, i) == lq_type_ggml_id(LQ_TYPE_MXFP4);
    CHECKF(mxfp4 == 6, "%d MXFP4 tensors, not the 6 expert tensors", mxfp4);
    lq_gguf_free(q);
    lq_qopts_free(o);
    lq_gguf_free(input);
    unlink(out);
    unlink(moe);
}

static void options_match_llama(void)
{
    /* --pure, --leave-output-tensor and the output/token-embedding types */
    char ours[1200], theirs[1200];
    snprintf(ours, sizeof ours, "%s/opts-lq.gguf", tmpdir);
    snprintf(theirs, sizeof theirs, "%s/opts-llama.gguf", tmpdir);
    for (int variant = 0; variant < 3; variant++) {
        lq_qopts *o = NULL;
        struct llama_quantize_params p = llama.defaults();
        p.ftype = 15;
        p.nthread = 2;
        CHECK_OK(lq_qopts_create("Q4_K_M", &o));
        if (variant == 0) {
            CHECK_OK(lq_qopts_set_flag(o, LQ_QOPT_PURE, 1));
            p.pure = true;
        } else if (variant == 1) {
            CHECK_OK(lq_qopts_set_flag(o, LQ_QOPT_LEAVE_OUTPUT, 1));
            p.quantize_output_tensor = false;
        } else {
            CHECK_OK(lq_qopts_set_output_type(o, "q8_0"));
            CHECK_OK(lq_qopts_set_token_embedding_type(o, "q5_1"));
            p.output_tensor_type = 8;
            p.token_embedding_type = 7;
        }
        CHECK_OK(lq_gguf_quantize(NULL, fixture, ours, o));
        lq_qopts_free(o);
        CHECK(llama.quantize(fixture, theirs, &p) == 0);
        compare_files(ours, theirs,
                      variant == 0 ? "pure" : variant == 1 ? "leave-output" : "types", 0);
    }
    unlink(ours);
    unlink(theirs);
}

/* A split model as input (the fixture in files of 10 tensors): both read it
 * as one model and drop the split keys, so the outputs agree as above. */
static void split_input_matches_llama(void)
{
    char prefix[1100], name[1200], ours[1200], theirs[1200];
    snprintf(prefix, sizeof prefix, "%s/split", tmpdir);
    snprintf(ours, sizeof ours, "%s/split-lq.gguf", tmpdir);
    snprintf(theirs, sizeof theirs, "%s/split-llama.gguf", tmpdir);
    lq_gguf *g = NULL;
    int n = 0;
    CHECK_OK(lq_gguf_open(fixture, &g));
    CHECK_OK(lq_gguf_save_split(NULL, g, prefix, 0, 10, 0, &n));
    lq_gguf_free(g);
    CHECK(n > 1);
    snprintf(name, sizeof name, "%s-00001-of-%05d.gguf", prefix, n);
    lq_qopts *o = NULL;
    CHECK_OK(lq_qopts_create("Q4_K_M", &o));
    CHECK_OK(lq_gguf_quantize(NULL, name, ours, o));
    lq_qopts_free(o);
    struct llama_quantize_params p = llama.defaults();
    p.ftype = 15;
    p.nthread = 2;
    CHECK(llama.quantize(name, theirs, &p) == 0);
    compare_files(ours, theirs, "split input Q4_K_M", 0);
    lq_gguf *b = NULL;
    CHECK_OK(lq_gguf_open(theirs, &b));
    CHECK(b && lq_gguf_find_key(b, "split.count") < 0);
    lq_gguf_free(b);
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s-%05d-of-%05d.gguf", prefix, i + 1, n);
        unlink(name);
    }
    unlink(ours);
    unlink(theirs);
}

/* Hugging Face's parser reads lq quantize's output, with the same tensors. */
static void huggingface_parses_output(void)
{
    const char *root = getenv("LQ_SOURCE_ROOT");
    char out[1200], cmd[4096], line[512];
    snprintf(out, sizeof out, "%s/hf-q4_k_m.gguf", tmpdir);
    if (system("node --version >/dev/null 2>&1") != 0) {
        ORACLE_SKIP_CASE("node is not installed");
        return;
    }
    lq_qopts *o = NULL;
    CHECK_OK(lq_qopts_create("Q4_K_M", &o));
    CHECK_OK(lq_gguf_quantize(NULL, synthetic, out, o));
    lq_qopts_free(o);
    snprintf(cmd, sizeof cmd, "node '%s/tests/pipeline/hf_gguf_list.mjs' '%s' '%s'",
             root ? root : "..", out, lqt_oracle_path("node_modules"));
    FILE *p = popen(cmd, "r");
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_open(out, &g));
    int64_t i = 0;
    while (p && g && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, "file_type ", 10) == 0) {
            CHECK(strcmp(line, "file_type 15") == 0);
            continue;
        }
        char want[512];
        int n = snprintf(want, sizeof want, "%s %d", lq_gguf_tensor_name(g, i),
                         lq_gguf_tensor_ggml_type(g, i));
        for (int d = lq_gguf_tensor_ndim(g, i) - 1; d >= 0; d--)
            n += snprintf(want + n, sizeof want - (size_t)n, " %lld",
                          (long long)lq_gguf_tensor_dim(g, i, d));
        CHECKF(strcmp(line, want) == 0, "@huggingface/gguf: '%s', libquant: '%s'", line, want);
        i++;
    }
    CHECK(p && pclose(p) == 0);
    CHECKF(g && i == lq_gguf_tensor_count(g), "%lld of %lld tensors listed", (long long)i,
           (long long)(g ? lq_gguf_tensor_count(g) : 0));
    lq_gguf_free(g);
    unlink(out);
}

int main(void)
{
    const char *root = getenv("LQ_SOURCE_ROOT");
    snprintf(fixture, sizeof fixture, "%s/tests/model/fixture/tiny-llama-f32.gguf",
             root ? root : "..");
    if (!load_llama())
        lqt_oracle_skip_all("llama.cpp library not installed (%s): run .ci/install-deps",
                            lqt_oracle_path(LQT_ORACLE_LLAMA));
    if (!mkdtemp(tmpdir)) {
        printf("Bail out! cannot make a temporary folder\n");
        return 1;
    }
    snprintf(synthetic, sizeof synthetic, "%s/synthetic-f32.gguf", tmpdir);
    snprintf(imatrix_dat, sizeof imatrix_dat, "%s/synthetic.imatrix.dat", tmpdir);
    if (make_synthetic(synthetic, 0) != LQ_OK || !make_imatrix(synthetic, imatrix_dat)) {
        printf("Bail out! cannot make the synthetic model: %s\n", lq_last_error());
        return 1;
    }
    lqt_case_fn cases[] = {fixture_every_file_type, synthetic_every_file_type,
                           synthetic_with_imatrix, moe_mxfp4_moe, hf_fixtures_every_file_type,
                           options_match_llama, split_input_matches_llama, huggingface_parses_output};
    int rc = lqt_run("fixture_every_file_type, synthetic_every_file_type, synthetic_with_imatrix, "
                     "moe_mxfp4_moe, hf_fixtures_every_file_type, options_match_llama, "
                     "split_input_matches_llama, huggingface_parses_output",
                     cases, 8);
    unlink(synthetic);
    unlink(imatrix_dat);
    rmdir(tmpdir);
    return rc;
}
