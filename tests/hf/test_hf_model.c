/* test_hf_model.c — a Hugging Face model folder read as a GGUF
 * (lq_hf_model_open, lq_hf_convert) against what llama.cpp's
 * convert_hf_to_gguf.py wrote for the same folders (the fixtures'
 * gguf/X-T.gguf): every key in order with its type and value bytes, every
 * tensor with its name, order, type, dims and bytes. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lq/lq.h>
#include <lq/lq_hf.h>
#include <lq/lq_pipeline.h>

#include "../harness.h"
#include "hf_fixture.h"

static const char *const models[] = {"llama2-tied", "llama3", "mistral", "qwen2", "qwen3"};
static const struct {
    const char *name;
    int type;
} outtypes[] = {
    {"f32", LQ_TYPE_F32}, {"f16", LQ_TYPE_F16}, {"bf16", LQ_TYPE_BF16}, {"q8_0", LQ_TYPE_Q8_0}};

/* ---- a file's bytes and its metadata entries, read here independently of
 * the library's reader ---- */

typedef struct blob {
    uint8_t *p;
    size_t n;
} blob;

static blob slurp(const char *path)
{
    blob b = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return b;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.p = malloc(n > 0 ? (size_t)n : 1);
    if (b.p && fread(b.p, 1, (size_t)n, f) == (size_t)n)
        b.n = (size_t)n;
    fclose(f);
    return b;
}

static uint64_t u64_at(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t u32_at(const uint8_t *p) { return (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24); }

/* Size of a value of `type` at p (GGUF v3 encoding). */
static size_t value_size(const uint8_t *p, uint32_t type)
{
    static const size_t scalar[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    if (type == 8)
        return 8 + (size_t)u64_at(p);
    if (type != 9)
        return scalar[type];
    uint32_t et = u32_at(p);
    uint64_t count = u64_at(p + 4);
    size_t n = 12;
    for (uint64_t i = 0; i < count; i++)
        n += value_size(p + n, et);
    return n;
}

typedef struct kv {
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value; /* type and value bytes */
    size_t value_len;
} kv;

/* The metadata entries of a GGUF image (at most cap). */
static int read_kvs(const blob *b, kv *out, int cap)
{
    if (b->n < 24 || memcmp(b->p, "GGUF", 4) != 0)
        return -1;
    uint64_t n = u64_at(b->p + 16);
    size_t at = 24;
    int k = 0;
    for (uint64_t i = 0; i < n && k < cap; i++) {
        size_t klen = (size_t)u64_at(b->p + at);
        out[k].key = b->p + at + 8;
        out[k].key_len = klen;
        at += 8 + klen;
        out[k].value = b->p + at;
        out[k].value_len = 4 + value_size(b->p + at + 4, u32_at(b->p + at));
        at += out[k].value_len;
        k++;
    }
    return k;
}

/* Keys of `got` against `want`, in order: names, types and value bytes. */
static void compare_keys(const char *what, const blob *got, const blob *want)
{
    enum { CAP = 512 };
    static kv a[CAP], b[CAP];
    int na = read_kvs(got, a, CAP), nb = read_kvs(want, b, CAP);
    CHECKF(na >= 0 && nb >= 0, "%s: not GGUF", what);
    int i = 0, j = 0;
    for (;;) {
        if (i >= na || j >= nb)
            break;
        CHECKF(a[i].key_len == b[j].key_len && memcmp(a[i].key, b[j].key, a[i].key_len) == 0,
               "%s: key %d is '%.*s', the converter's is '%.*s'", what, i, (int)a[i].key_len,
               (const char *)a[i].key, (int)b[j].key_len, (const char *)b[j].key);
        CHECKF(a[i].value_len == b[j].value_len &&
                   memcmp(a[i].value, b[j].value, a[i].value_len) == 0,
               "%s: key '%.*s' differs in type or value", what, (int)b[j].key_len,
               (const char *)b[j].key);
        i++;
        j++;
    }
    CHECKF(i == na && j == nb, "%s: %d keys, the converter wrote %d", what, na, nb);
}

/* Tensors of `got` (a handle: a view or an opened file) against `want`. */
static void compare_tensors(const char *what, const lq_gguf *got, const lq_gguf *want)
{
    int64_t n = lq_gguf_tensor_count(want);
    CHECKF(lq_gguf_tensor_count(got) == n, "%s: %lld tensors, the converter wrote %lld", what,
           (long long)lq_gguf_tensor_count(got), (long long)n);
    for (int64_t i = 0; i < n && i < lq_gguf_tensor_count(got); i++) {
        const char *name = lq_gguf_tensor_name(want, i);
        CHECKF(strcmp(lq_gguf_tensor_name(got, i), name) == 0, "%s: tensor %lld is '%s', not '%s'",
               what, (long long)i, lq_gguf_tensor_name(got, i), name);
        CHECKF(lq_gguf_tensor_ggml_type(got, i) == lq_gguf_tensor_ggml_type(want, i),
               "%s: %s: ggml type %d, not %d", what, name, lq_gguf_tensor_ggml_type(got, i),
               lq_gguf_tensor_ggml_type(want, i));
        int nd = lq_gguf_tensor_ndim(want, i);
        CHECKF(lq_gguf_tensor_ndim(got, i) == nd, "%s: %s: %d dims, not %d", what, name,
               lq_gguf_tensor_ndim(got, i), nd);
        for (int d = 0; d < nd; d++)
            CHECKF(lq_gguf_tensor_dim(got, i, d) == lq_gguf_tensor_dim(want, i, d),
                   "%s: %s: dim %d", what, name, d);
        const void *pa, *pb;
        uint64_t na, nb;
        CHECK_OK(lq_gguf_tensor_raw(got, i, &pa, &na));
        CHECK_OK(lq_gguf_tensor_raw(want, i, &pb, &nb));
        if (na == nb && pa && pb && memcmp(pa, pb, (size_t)na) != 0) {
            size_t k = 0;
            while (((const uint8_t *)pa)[k] == ((const uint8_t *)pb)[k])
                k++;
            LQT_FAIL_("%s: %s: bytes differ, first at %zu of %llu", what, name, k,
                      (unsigned long long)na);
        } else
            CHECKF(na == nb, "%s: %s: %llu bytes, not %llu", what, name, (unsigned long long)na,
                   (unsigned long long)nb);
    }
}

static char tmpdir[256];

static void make_tmpdir(void)
{
    if (tmpdir[0])
        return;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/lq-hf-model-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir))
        tmpdir[0] = 0;
}

/* Save the view of (model, outtype) and compare with the converter's file. */
static void check_pair(const char *model, const char *type_name, int type, int by_convert)
{
    char what[128], dir[512], want_path[512], got_path[512];
    snprintf(what, sizeof what, "%s-%s", model, type_name);
    snprintf(dir, sizeof dir, "%s", lqt_hf_fixture("models/"));
    strncat(dir, model, sizeof dir - strlen(dir) - 1);
    snprintf(want_path, sizeof want_path, "%s", lqt_hf_fixture("gguf/"));
    strncat(want_path, what, sizeof want_path - strlen(want_path) - 8);
    strcat(want_path, ".gguf");
    snprintf(got_path, sizeof got_path, "%s/%s.gguf", tmpdir, what);

    lq_gguf *view = NULL, *want = NULL, *got = NULL;
    CHECK_OK(lq_gguf_open(want_path, &want));
    if (by_convert)
        CHECK_OK(lq_hf_convert(NULL, dir, type, got_path));
    else {
        CHECK_OK(lq_hf_model_open(dir, type, &view));
        if (view)
            CHECK_OK(lq_gguf_save(NULL, view, got_path));
    }
    CHECK_OK(lq_gguf_open(got_path, &got));
    if (want && got) {
        blob a = slurp(got_path), b = slurp(want_path);
        compare_keys(what, &a, &b);
        compare_tensors(what, got, want);
        if (view) /* the view's own bytes, made on access */
            compare_tensors(what, view, want);
        CHECKF(a.n == b.n && memcmp(a.p, b.p, a.n) == 0, "%s: the files differ", what);
        free(a.p);
        free(b.p);
    }
    lq_gguf_free(view);
    lq_gguf_free(got);
    lq_gguf_free(want);
    unlink(got_path);
}

static int need_fixtures(void)
{
    if (lqt_hf_fixtures_present()) {
        make_tmpdir();
        return 1;
    }
    ORACLE_SKIP_CASE("no Hugging Face fixtures at %s (tests/hf/make_fixtures.py makes them)",
                     lqt_hf_fixture(""));
    return 0;
}

/* All 5 models x 4 outtypes through lq_hf_model_open + lq_gguf_save. */
static void test_view_equals_converter(void)
{
    if (!need_fixtures())
        return;
    for (size_t m = 0; m < sizeof models / sizeof *models; m++)
        for (size_t t = 0; t < sizeof outtypes / sizeof *outtypes; t++)
            check_pair(models[m], outtypes[t].name, outtypes[t].type, 0);
}

/* lq_hf_convert on two pairs (a sharded llama3 with rope factors, qwen2
 * with biases). */
static void test_convert_equals_converter(void)
{
    if (!need_fixtures())
        return;
    check_pair("llama3", "q8_0", LQ_TYPE_Q8_0, 1);
    check_pair("qwen2", "bf16", LQ_TYPE_BF16, 1);
}

/* The FP8 checkpoints (fp8 with 128x128 blocks, full and partial; and
 * compressed-tensors per channel and per tensor) decode as the converter
 * dequantizes them, at f32 and bf16; the NVFP4 ones (llm-compressor's
 * NVFP4 and NVFP4A16) are kept as NVFP4 blocks with their .scale (and
 * .input_scale) tensors, written first, as the converter keeps them. The converter refuses a per-tensor
 * compressed-tensors checkpoint; its oracle is the converter's output on the
 * same weights relabelled per channel (make_fixtures.py), which decodes to the
 * same values. */
static void test_fp8_checkpoints_equal_converter(void)
{
    if (!need_fixtures())
        return;
    static const char *const fp8[] = {"llama3-fp8-block", "llama3-fp8-block-i320",
                                      "llama3-fp8-channel", "llama3-fp8-tensor",
                                      "llama3-nvfp4", "qwen3-nvfp4"};
    for (size_t m = 0; m < sizeof fp8 / sizeof *fp8; m++) {
        check_pair(fp8[m], "f32", LQ_TYPE_F32, 0);
        check_pair(fp8[m], "bf16", LQ_TYPE_BF16, 1);
    }
}

/* lq_gguf_quantize from the folder equals it from the converter's f32
 * file: keys, every tensor, and the whole file. */
static void test_quantize_folder_equals_f32_file(void)
{
    if (!need_fixtures())
        return;
    static const char *const which[] = {"llama3", "qwen2"};
    for (size_t k = 0; k < sizeof which / sizeof *which; k++) {
        char dir[512], f32[512], a_path[512], b_path[512];
        snprintf(dir, sizeof dir, "%s%s", lqt_hf_fixture("models/"), which[k]);
        snprintf(f32, sizeof f32, "%s%s-f32.gguf", lqt_hf_fixture("gguf/"), which[k]);
        snprintf(a_path, sizeof a_path, "%s/from-folder.gguf", tmpdir);
        snprintf(b_path, sizeof b_path, "%s/from-f32.gguf", tmpdir);
        lq_qopts *o = NULL;
        CHECK_OK(lq_qopts_create("Q4_K_M", &o));
        CHECK_OK(lq_gguf_quantize(NULL, dir, a_path, o));
        CHECK_OK(lq_gguf_quantize(NULL, f32, b_path, o));
        lq_qopts_free(o);
        lq_gguf *a = NULL, *b = NULL;
        CHECK_OK(lq_gguf_open(a_path, &a));
        CHECK_OK(lq_gguf_open(b_path, &b));
        if (a && b) {
            blob x = slurp(a_path), y = slurp(b_path);
            compare_keys(which[k], &x, &y);
            compare_tensors(which[k], a, b);
            CHECKF(x.n == y.n && memcmp(x.p, y.p, x.n) == 0, "%s: the files differ", which[k]);
            free(x.p);
            free(y.p);
        }
        lq_gguf_free(a);
        lq_gguf_free(b);
        unlink(a_path);
        unlink(b_path);
    }
}

/* ---- bad input: folders made from a fixture, each file a link to the
 * fixture's unless the case changes it ---- */

static char bad_dir[512];

static void clear_bad_dir(void)
{
    DIR *d = opendir(bad_dir);
    char p[1024];
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", bad_dir, e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
}

/* A fresh folder `name` linking every file of fixture `model`. */
static void link_model_as(const char *model, const char *name)
{
    snprintf(bad_dir, sizeof bad_dir, "%s/%s", tmpdir, name);
    mkdir(bad_dir, 0700);
    clear_bad_dir();
    char src_dir[512], from[1024], to[1024];
    snprintf(src_dir, sizeof src_dir, "%s%s", lqt_hf_fixture("models/"), model);
    DIR *d = opendir(src_dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.') {
            snprintf(from, sizeof from, "%s/%s", src_dir, e->d_name);
            snprintf(to, sizeof to, "%s/%s", bad_dir, e->d_name);
            CHECK(symlink(from, to) == 0);
        }
    if (d)
        closedir(d);
}

static void link_model(const char *model) { link_model_as(model, "bad"); }

/* Replace file `name` of the bad folder by its content with the first `old`
 * replaced by `new` (or cut to `cut` bytes when old is NULL). */
static void edit(const char *name, const char *old, const char *new, size_t cut)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", bad_dir, name);
    blob b = slurp(p);
    CHECKF(b.p != NULL, "cannot read %s", p);
    unlink(p);
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    if (!f || !b.p) {
        free(b.p);
        return;
    }
    if (!old)
        fwrite(b.p, 1, cut < b.n ? cut : b.n, f);
    else {
        uint8_t *at = memmem(b.p, b.n, old, strlen(old));
        CHECKF(at != NULL, "%s has no '%s'", name, old);
        size_t head = at ? (size_t)(at - b.p) : b.n;
        fwrite(b.p, 1, head, f);
        if (at) {
            fputs(new, f);
            fwrite(at + strlen(old), 1, b.n - head - strlen(old), f);
        }
    }
    fclose(f);
    free(b.p);
}

/* Converting the bad folder fails with `want` and a message holding
 * `mention`, and writes nothing. */
static void expect_failure(const char *what, lq_status want, const char *mention)
{
    char out[1024];
    snprintf(out, sizeof out, "%s/out.gguf", tmpdir);
    lq_status st = lq_hf_convert(NULL, bad_dir, LQ_TYPE_F16, out);
    CHECKF(st == want, "%s: status %d (%s), wanted %d; %s", what, st, lq_status_str(st), want,
           lq_last_error());
    CHECKF(strstr(lq_last_error(), mention) != NULL, "%s: the message does not name '%s': %s",
           what, mention, lq_last_error());
    printf("# %s: %s\n", what, lq_last_error());
    CHECKF(access(out, F_OK) != 0, "%s: %s was written", what, out);
    unlink(out);
    lq_gguf *g = (lq_gguf *)&g; /* the view fails alike and sets its out to NULL */
    CHECK(lq_hf_model_open(bad_dir, LQ_TYPE_F16, &g) == want && g == NULL);
}

static void test_bad_input(void)
{
    if (!need_fixtures())
        return;
    link_model("qwen2");
    char p[1024];
    snprintf(p, sizeof p, "%s/config.json", bad_dir);
    unlink(p);
    expect_failure("missing config.json", LQ_ERR_IO, "config.json");

    link_model("llama3");
    snprintf(p, sizeof p, "%s/model-00002-of-00002.safetensors", bad_dir);
    unlink(p);
    expect_failure("missing shard", LQ_ERR_IO, "model-00002-of-00002.safetensors");

    link_model("llama3");
    edit("model.safetensors.index.json", "\"weight_map\": {",
         "\"weight_map\": {\n    \"model.layers.7.mlp.up_proj.weight\": "
         "\"model-00001-of-00002.safetensors\",", 0);
    expect_failure("index naming a missing tensor", LQ_ERR_FORMAT,
                   "model.layers.7.mlp.up_proj.weight");

    link_model("llama3");
    edit("model.safetensors.index.json", "\"weight_map\": {",
         "\"weight_map\": {\n    \"model.extra.weight\": \"model-00009-of-00009.safetensors\",", 0);
    expect_failure("index naming a missing file", LQ_ERR_IO, "model-00009-of-00009.safetensors");

    link_model("qwen2");
    edit("config.json", "\"intermediate_size\": 512", "\"intermediate_size\": 384", 0);
    expect_failure("tensor contradicting config.json", LQ_ERR_SHAPE, "mlp.down_proj.weight");

    link_model("qwen3"); /* a BF16 checkpoint; I16 has the same size */
    edit("model.safetensors", "\"dtype\":\"BF16\"", "\"dtype\":\"I16\" ", 0);
    expect_failure("dtype not read", LQ_ERR_UNSUPPORTED, "I16");

    link_model("qwen3");
    edit("model.safetensors", "\"dtype\":\"BF16\"", "\"dtype\":\"BX16\"", 0);
    expect_failure("unknown dtype", LQ_ERR_FORMAT, "unknown dtype");

    link_model("qwen3");
    edit("model.safetensors", NULL, NULL, 200);
    expect_failure("truncated safetensors header", LQ_ERR_FORMAT, "model.safetensors");

    link_model("qwen3"); /* same length, so the header stays consistent */
    edit("model.safetensors", "\"model.layers.0.mlp.up_proj.weight\"",
         "\"model.layers.0.mlp.up_proj.weighx\"", 0);
    expect_failure("tensor with no GGUF name", LQ_ERR_UNSUPPORTED, "up_proj.weighx");

    link_model("qwen2");
    edit("config.json", "\"num_attention_heads\": 4", "\"num_attention_heads\": 0", 0);
    expect_failure("a size of 0 in config.json", LQ_ERR_FORMAT, "num_attention_heads");

    link_model("qwen2");
    edit("config.json", "\"Qwen2ForCausalLM\"", "\"GPT2LMHeadModel\"", 0);
    expect_failure("unsupported architecture", LQ_ERR_UNSUPPORTED, "GPT2LMHeadModel");
    CHECKF(strstr(lq_last_error(), "LlamaForCausalLM") && strstr(lq_last_error(), "Qwen3ForCausalLM"),
           "the message does not list the supported classes: %s", lq_last_error());

    clear_bad_dir();
    rmdir(bad_dir);
}

/* The naming keys from folder names and config.json's _name_or_path, as
 * gguf-py's Metadata heuristics make them: the expected values were printed
 * by gguf-py (Metadata.load on a folder of that name holding the qwen2
 * fixture's config.json, with its 1706240 parameters); "" = not written. */
static void test_naming_keys(void)
{
    if (!need_fixtures())
        return;
    static const char *const keys[] = {"general.name", "general.version", "general.organization",
                                       "general.finetune", "general.basename",
                                       "general.size_label"};
    static const char *const cases[][8] = {
        {"Llama-3.2-1B-Instruct", "", "Llama 3.2 1B Instruct", "", "", "1b-Instruct", "Llama-3.2", "1.7M"},
        {"Qwen2.5-Coder-7B-Instruct-GGUF", "", "Qwen2.5 Coder 7B Instruct GGUF", "", "",
         "7b-Instruct-GGUF", "Qwen2.5-Coder", "1.7M"},
        {"tiny-llama-v1.2-chat", "", "Tiny Llama v1.2 Chat", "", "", "chat", "tiny-llama-v1.2", "1.7M"},
        {"mistral-7b-v0.1", "", "Mistral 7b v0.1", "v0.1", "", "7b", "mistral", "1.7M"},
        {"bloom-7b1", "", "Bloom 7b1", "", "", "7.1b", "bloom", "1.7M"},
        {"Mixtral-8x7B-v0.1", "", "Mixtral 8x7B v0.1", "v0.1", "", "", "Mixtral", "8x7B"},
        {"phi-3-mini-128k-instruct", "", "Phi 3 Mini 128k Instruct", "", "", "128k-instruct", "phi-3",
         "mini"},
        {"my_model", "acme/Super-Model-2B-v3", "Super Model 2B v3", "v3", "Acme", "2b", "Super-Model",
         "1.7M"},
        {"x", "./local/path", "X", "", "", "", "", "1.7M"},
        {"solo-13b-q4_k_m", "", "Solo 13b Q4_K_M", "", "", "13b", "solo", "1.7M"},
        {"Qwen3-30B-A3B-Base", "", "Qwen3 30B A3B Base", "", "", "30b-Base", "Qwen3", "A3B"},
        {"qwen2.5-coder", "", "Qwen2.5 Coder", "", "", "", "", "1.7M"},
        {"My_model--x2a 7b", "", "My_model X2A 7b", "", "", "", "", "1.7M"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        link_model_as("qwen2", cases[i][0]);
        if (cases[i][1][0]) {
            char entry[256];
            snprintf(entry, sizeof entry, "{\n  \"_name_or_path\": \"%s\",", cases[i][1]);
            edit("config.json", "{", entry, 0);
        }
        lq_gguf *g = NULL;
        CHECK_OK(lq_hf_model_open(bad_dir, LQ_TYPE_F32, &g));
        for (size_t k = 0; g && k < sizeof keys / sizeof *keys; k++) {
            const char *v = "";
            uint64_t len = 0;
            if (lq_gguf_find_key(g, keys[k]) >= 0)
                CHECK_OK(lq_gguf_get_string(g, keys[k], &v, &len));
            CHECKF(strcmp(v, cases[i][2 + k]) == 0, "folder '%s': %s is '%s', want '%s'",
                   cases[i][0], keys[k], v, cases[i][2 + k]);
        }
        lq_gguf_free(g);
        clear_bad_dir();
        rmdir(bad_dir);
    }
}

/* generation_config.json's sampling values become general.sampling.*, before
 * general.name, as gguf-py writes them; a file that is not JSON is ignored. */
static void test_sampling_keys(void)
{
    if (!need_fixtures())
        return;
    link_model_as("qwen2", "sampling");
    edit("generation_config.json", "{",
         "{\"temperature\": 0.6, \"top_p\": 0.9, \"top_k\": 20, \"repetition_penalty\": 1.05,", 0);
    lq_gguf *g = NULL;
    CHECK_OK(lq_hf_model_open(bad_dir, LQ_TYPE_F32, &g));
    static const char *const order[] = {"general.architecture", "general.type",
                                        "general.sampling.top_k", "general.sampling.top_p",
                                        "general.sampling.temp",
                                        "general.sampling.penalty_repeat", "general.name"};
    for (int64_t k = 0; g && k < (int64_t)(sizeof order / sizeof *order); k++)
        CHECKF(strcmp(lq_gguf_kv_key(g, k), order[k]) == 0, "key %lld is '%s', want '%s'",
               (long long)k, lq_gguf_kv_key(g, k), order[k]);
    float f = 0;
    int32_t i = 0;
    CHECK_OK(lq_gguf_get_f32(g, "general.sampling.temp", &f));
    CHECK(f == 0.6f);
    CHECK_OK(lq_gguf_get_i32(g, "general.sampling.top_k", &i));
    CHECK(i == 20);
    CHECK_OK(lq_gguf_get_f32(g, "general.sampling.penalty_repeat", &f));
    CHECK(f == 1.05f);
    lq_gguf_free(g);

    edit("generation_config.json", "{", "{,", 0); /* not JSON: the converter ignores it */
    CHECK_OK(lq_hf_model_open(bad_dir, LQ_TYPE_F32, &g));
    CHECK(g && lq_gguf_find_key(g, "general.sampling.temp") < 0);
    lq_gguf_free(g);
    clear_bad_dir();
    rmdir(bad_dir);
}

/* Out of range outtype and NULL arguments. */
static void test_arguments(void)
{
    lq_gguf *g = NULL;
    CHECK_STATUS(lq_hf_model_open(NULL, LQ_TYPE_F32, &g), LQ_ERR_INVALID);
    CHECK_STATUS(lq_hf_model_open(".", LQ_TYPE_F32, NULL), LQ_ERR_INVALID);
    CHECK_STATUS(lq_hf_convert(NULL, NULL, LQ_TYPE_F32, "x.gguf"), LQ_ERR_INVALID);
    if (!need_fixtures())
        return;
    char dir[512];
    snprintf(dir, sizeof dir, "%s", lqt_hf_fixture("models/qwen2"));
    CHECK_STATUS(lq_hf_model_open(dir, LQ_TYPE_Q4_K, &g), LQ_ERR_INVALID);
    CHECK(g == NULL);
}

static void cleanup(void)
{
    if (tmpdir[0])
        rmdir(tmpdir);
}

LQT_MAIN(test_view_equals_converter, test_convert_equals_converter,
         test_fp8_checkpoints_equal_converter, test_quantize_folder_equals_f32_file, test_bad_input, test_naming_keys, test_sampling_keys,
         test_arguments,
         cleanup)
