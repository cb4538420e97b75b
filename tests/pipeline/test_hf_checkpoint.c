/* test_hf_checkpoint.c — lq_hf_save_quantized: fixture models quantized in
 * memory and written as Hugging Face checkpoint folders in every format;
 * the folders' files, index and configs, every quantized layer read back
 * (lq_hf_import) against the in-memory model's weight, the tensors kept
 * unquantized, and the refusals and failures that must leave nothing. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lq/lq_hf.h>

#include "../harness.h"
#include "../hf/hf_fixture.h"
#include "libquant/core/tensor.h"
#include "libquant/io/file.h"
#include "libquant/model/model.h"

typedef struct {
    const char *name;
    int format;
    const char *scheme;
    const char *quant_method; /* in config.json's quantization_config */
} fmt;

/* the lq tool's defaults (tools/cmd_quantize_hf.c) */
static const fmt formats[] = {
    {"gptq", LQ_HF_GPTQ, "gptq:int4:g128:sym:act_order:static_groups", "\"gptq\""},
    {"gptq_v2", LQ_HF_GPTQ_V2, "gptq:int4:g128:sym:act_order:static_groups", "\"gptq\""},
    {"awq", LQ_HF_AWQ, "awq:int4:g128:asym", "\"awq\""},
    {"fp8", LQ_HF_FP8, "fp8_e4m3:channel", "\"compressed-tensors\""},
    {"fp8_static", LQ_HF_FP8_STATIC, "fp8_e4m3:channel", "\"compressed-tensors\""},
    {"bnb_nf4", LQ_HF_BNB4, "nf4:b64", "\"bitsandbytes\""},
    {"bnb_fp4", LQ_HF_BNB4, "fp4:b64", "\"bitsandbytes\""},
    {"llm_int8", LQ_HF_INT8, "llm_int8:int8:channel:sym", "\"bitsandbytes\""},
};

static char work[256]; /* a fresh folder per run */

static void make_work(void)
{
    if (!work[0]) {
        snprintf(work, sizeof work, "%s/lqt_hfckpt_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(work))
            work[0] = 0;
    }
}

static const char *in_work(const char *name)
{
    static char buf[4][512];
    static int turn;
    char *p = buf[turn++ & 3];
    snprintf(p, sizeof buf[0], "%s/%s", work, name);
    return p;
}

static int exists(const char *path)
{
    struct stat s;
    return lstat(path, &s) == 0;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = 0;
    fclose(f);
    return s;
}

static void remove_folder(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(path);
}

/* Entries of the work folder other than `keep` (NULL: any): leftovers. */
static int stray_entries(const char *keep)
{
    DIR *d = opendir(work);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' && (!keep || strcmp(e->d_name, keep) != 0))
            n++;
    if (d)
        closedir(d);
    return n;
}

/* ---- a fixture model, loaded and tokenized once ---- */

typedef struct {
    const char *dir;
    lq_model *base;
    int32_t *tok;
    int64_t n_tok;
} fixture;

enum { CALIB_TOKENS = 128, WINDOW = 64 }; /* two windows: enough to calibrate, quick */

static int open_fixture(const char *name, fixture *f)
{
    memset(f, 0, sizeof *f);
    static char dir[3][4096];
    static int turn;
    char *d = dir[turn++ % 3];
    snprintf(d, sizeof dir[0], "%s", lqt_hf_fixture(name));
    f->dir = d;
    size_t len = 0;
    char *text = read_text(lqt_hf_fixture("text/kjv-sample.txt"));
    if (!text)
        return 0;
    len = strlen(text);
    lq_status st = lq_model_load(NULL, d, WINDOW, LQ_KV_F32, &f->base);
    if (st == LQ_OK)
        st = lq_model_tokenize(f->base, text, len, 1, &f->tok, &f->n_tok);
    free(text);
    CHECK_STATUS(st, LQ_OK);
    if (st == LQ_OK && f->n_tok > CALIB_TOKENS)
        f->n_tok = CALIB_TOKENS;
    return st == LQ_OK;
}

static void close_fixture(fixture *f)
{
    lq_model_free(f->base);
    lq_free(f->tok);
}

static lq_status quantize(fixture *f, const fmt *x, lq_scheme **s, lq_model **q)
{
    lq_status st = lq_scheme_parse(x->scheme, s);
    if (st == LQ_OK)
        st = lq_model_quantize(NULL, f->base, *s, NULL, f->tok, f->n_tok, WINDOW, LQ_KV_F32, q);
    return st;
}

/* ---- checking a written folder ---- */

/* The converter's Q/K row order (doc/hf-input.md), stated independently of
 * the library: GGUF row h*d + j of a head of d rows is checkpoint row
 * h*d + (j % 2) * d/2 + j/2. */
static int64_t hf_row(int64_t r, int64_t heads, int64_t rows)
{
    if (!heads)
        return r;
    int64_t d = rows / heads, h = r / d, j = r % d;
    return h * d + (j % 2) * (d / 2) + j / 2;
}

/* Layer il's weight `part` read back from st equals the model's decoded
 * weight, row for row in the checkpoint's order. */
static void check_layer_weight(const lq_safetensors *st, const fmt *x, const lq_model *q,
                               int64_t il, const char *gguf, const char *hf, int64_t heads)
{
    char gname[96], prefix[128];
    snprintf(gname, sizeof gname, "blk.%lld.%s.weight", (long long)il, gguf);
    snprintf(prefix, sizeof prefix, "model.layers.%lld.%s", (long long)il, hf);
    const lq_tensor *w = NULL;
    const float *vec;
    int64_t len;
    CHECK(lq__model_weight(q, gname, &w, &vec, &len) && w);
    if (!w)
        return;
    lq_tensor *back = NULL, *a = NULL, *b = NULL;
    int64_t cols = lq_tensor_dim(w, 1), rows = lq_tensor_dim(w, 0);
    int32_t *perm = calloc((size_t)cols, sizeof *perm);
    CHECKF(lq_hf_import(st, x->format, prefix, &back, perm) == LQ_OK, "%s %s: %s", x->name, prefix,
           lq_last_error());
    if (back && lq_dequantize(NULL, back, LQ_TYPE_F32, &a) == LQ_OK &&
        lq_dequantize(NULL, w, LQ_TYPE_F32, &b) == LQ_OK) {
        const float *pa = lq_tensor_data(a), *pb = lq_tensor_data(b);
        /* the codes round-trip exactly; int8's scale is stored as SCB =
         * scale * 127 and read back as SCB / 127, which can move it by one
         * ulp (doc/hf-formats.md): 2^-22 relative covers that, a wrong row
         * or code is off by far more */
        double tol = x->format == LQ_HF_INT8 ? 0x1p-22 : 0;
        int64_t bad = 0;
        for (int64_t r = 0; r < rows; r++) {
            for (int64_t c = 0; c < cols; c++) {
                float want = pb[r * cols + c], got = pa[hf_row(r, heads, rows) * cols + c];
                if (fabsf(got - want) > tol * fabsf(want))
                    bad++;
            }
        }
        CHECKF(bad == 0, "%s %s: %lld values differ from the model's", x->name, prefix,
               (long long)bad);
        for (int64_t c = 0; c < cols; c++)
            CHECKF(perm[c] == c, "%s %s: column order", x->name, prefix);
    }
    lq_tensor_free(a);
    lq_tensor_free(b);
    lq_tensor_free(back);
    free(perm);
}

static void check_folder(const char *out, const fmt *x, fixture *f, const lq_model *q)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/config.json", out);
    char *cfg = read_text(path);
    CHECKF(cfg && strstr(cfg, "\"quantization_config\": {") && strstr(cfg, x->quant_method),
           "%s: config.json", x->name);
    /* the source's text is kept as it was (dtype included), the new key last */
    snprintf(path, sizeof path, "%s/config.json", f->dir);
    char *src_cfg = read_text(path);
    size_t keep = src_cfg ? strlen(src_cfg) : 0;
    while (keep && src_cfg[keep - 1] != '}')
        keep--;
    while (keep > 1 && strchr(" \n\r\t", src_cfg[keep - 2]))
        keep--;
    CHECKF(cfg && keep > 1 && strncmp(cfg, src_cfg, keep - 1) == 0,
           "%s: config.json is not the source's with one key added", x->name);
    free(src_cfg);
    free(cfg);
    snprintf(path, sizeof path, "%s/quantize_config.json", out);
    CHECKF(exists(path) == (x->format == LQ_HF_GPTQ || x->format == LQ_HF_GPTQ_V2),
           "%s: quantize_config.json", x->name);
    snprintf(path, sizeof path, "%s/tokenizer.json", out);
    CHECK(exists(path));
    snprintf(path, sizeof path, "%s/generation_config.json", out);
    CHECK(exists(path));

    /* small shards: the index names every tensor of every shard */
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", out);
    lq_safetensors *st = NULL, *src = NULL;
    CHECK_OK(lq_safetensors_open(path, &st));
    char *idx = read_text(path);
    int64_t in_shards = 0;
    for (int k = 1; k <= 99; k++) {
        char shard[1024];
        lq_safetensors *one = NULL;
        DIR *d = opendir(out);
        struct dirent *e;
        int found = 0;
        while (d && (e = readdir(d))) {
            char want[32];
            snprintf(want, sizeof want, "model-%05d-of-", k);
            if (strncmp(e->d_name, want, strlen(want)) == 0) {
                snprintf(shard, sizeof shard, "%s/%s", out, e->d_name);
                found = 1;
            }
        }
        if (d)
            closedir(d);
        if (!found)
            break;
        CHECK_OK(lq_safetensors_open(shard, &one));
        for (int64_t i = 0; one && i < lq_safetensors_tensor_count(one); i++) {
            char key[512];
            snprintf(key, sizeof key, "\"%s\": \"%s\"", lq_safetensors_tensor_name(one, i),
                     strrchr(shard, '/') + 1);
            CHECKF(idx && strstr(idx, key), "%s: the index misses %s", x->name, key);
        }
        in_shards += one ? lq_safetensors_tensor_count(one) : 0;
        lq_safetensors_free(one);
    }
    CHECK(st && in_shards == lq_safetensors_tensor_count(st) && in_shards > 0);
    free(idx);

    snprintf(path, sizeof path, "%s/model.safetensors.index.json", f->dir);
    if (!exists(path))
        snprintf(path, sizeof path, "%s/model.safetensors", f->dir);
    CHECK_OK(lq_safetensors_open(path, &src));
    if (!st || !src) {
        lq_safetensors_free(st);
        lq_safetensors_free(src);
        return;
    }
    /* kept unquantized in the source's dtype: the embedding (and lm_head) as
     * they were; norms as they were unless AWQ moved scales into them */
    const char *kept[] = {"model.embed_tokens.weight", "lm_head.weight", "model.norm.weight",
                          "model.layers.0.input_layernorm.weight"};
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
        int64_t a = lq_safetensors_find_tensor(st, kept[i]), b = lq_safetensors_find_tensor(src, kept[i]);
        CHECKF((a >= 0) == (b >= 0), "%s: %s", x->name, kept[i]);
        if (a < 0 || b < 0 || (i == 3 && x->format == LQ_HF_AWQ))
            continue;
        const void *pa, *pb;
        uint64_t na, nb;
        CHECK_OK(lq_safetensors_tensor_raw(st, a, &pa, &na));
        CHECK_OK(lq_safetensors_tensor_raw(src, b, &pb, &nb));
        CHECKF(na == nb && memcmp(pa, pb, na) == 0 &&
               strcmp(lq_safetensors_tensor_dtype(st, a), lq_safetensors_tensor_dtype(src, b)) == 0,
               "%s: %s is not the source's", x->name, kept[i]);
    }
    const lq__hparams *hp = &q->hp;
    int llama = strcmp(hp->arch->name, "llama") == 0;
    for (int64_t il = 0; il < hp->n_layer; il++) {
        check_layer_weight(st, x, q, il, "attn_q", "self_attn.q_proj", llama ? hp->n_head : 0);
        check_layer_weight(st, x, q, il, "attn_k", "self_attn.k_proj", llama ? hp->n_head_kv : 0);
        check_layer_weight(st, x, q, il, "attn_v", "self_attn.v_proj", 0);
        check_layer_weight(st, x, q, il, "attn_output", "self_attn.o_proj", 0);
        check_layer_weight(st, x, q, il, "ffn_gate", "mlp.gate_proj", 0);
        check_layer_weight(st, x, q, il, "ffn_up", "mlp.up_proj", 0);
        check_layer_weight(st, x, q, il, "ffn_down", "mlp.down_proj", 0);
    }
    if (x->format == LQ_HF_FP8_STATIC) {
        int64_t k = lq_safetensors_find_tensor(st, "model.layers.0.self_attn.q_proj.input_scale");
        /* per-channel weights: compressed-tensors' per-tensor scale shape [1] */
        CHECKF(k >= 0 && lq_safetensors_tensor_ndim(st, k) == 1 &&
               lq_safetensors_tensor_dim(st, k, 0) == 1, "fp8_static: input_scale");
    }
    lq_safetensors_free(st);
    lq_safetensors_free(src);
}

/* Every format from one fixture folder (shards of 1 MB, so several). */
static void every_format(const char *name)
{
    if (!lqt_hf_fixtures_present()) {
        ORACLE_SKIP_CASE("no Hugging Face fixtures (tests/hf/make_fixtures.py)");
        return;
    }
    make_work();
    fixture f;
    if (!open_fixture(name, &f)) {
        close_fixture(&f);
        return;
    }
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
        const fmt *x = &formats[i];
        lq_scheme *s = NULL;
        lq_model *q = NULL;
        char out[512];
        snprintf(out, sizeof out, "%s", in_work(x->name));
        CHECK_OK(quantize(&f, x, &s, &q));
        if (q) {
            CHECKF(lq_hf_save_quantized(NULL, q, s, f.dir, x->format, f.tok, f.n_tok, out,
                                        1000000, 0) == LQ_OK,
                   "%s %s: %s", name, x->name, lq_last_error());
            check_folder(out, x, &f, q);
            CHECKF(stray_entries(x->name) == 0, "%s: entries left beside the folder", x->name);
        }
        remove_folder(out);
        lq_model_free(q);
        lq_scheme_free(s);
    }
    close_fixture(&f);
}

static void llama3_every_format(void) { every_format("models/llama3"); }
static void qwen2_every_format(void) { every_format("models/qwen2"); }
static void llama2_tied_every_format(void) { every_format("models/llama2-tied"); }

/* ---- refusals and failures ---- */

static void refusals(void)
{
    if (!lqt_hf_fixtures_present()) {
        ORACLE_SKIP_CASE("no Hugging Face fixtures (tests/hf/make_fixtures.py)");
        return;
    }
    make_work();
    fixture f;
    if (!open_fixture("models/llama3", &f)) {
        close_fixture(&f);
        return;
    }
    lq_scheme *s = NULL;
    lq_model *q = NULL;
    CHECK_OK(quantize(&f, &formats[3], &s, &q)); /* fp8 */
    char out[512];
    snprintf(out, sizeof out, "%s", in_work("out"));

    /* the base model was not quantized */
    CHECK_STATUS(lq_hf_save_quantized(NULL, f.base, s, f.dir, LQ_HF_FP8, NULL, 0, out, 0, 0),
                 LQ_ERR_INVALID);
    /* a scheme the format cannot hold, refused before anything is written */
    lq_scheme *int3 = NULL;
    CHECK_OK(lq_scheme_parse("awq:int3:g128", &int3));
    CHECK_STATUS(lq_hf_save_quantized(NULL, q, int3, f.dir, LQ_HF_AWQ, NULL, 0, out, 0, 0),
                 LQ_ERR_INVALID);
    CHECK(strstr(lq_last_error(), "int4") != NULL);
    lq_scheme_free(int3);
    /* the weights are not what the format stores */
    CHECK_STATUS(lq_hf_save_quantized(NULL, q, s, f.dir, LQ_HF_BNB4, NULL, 0, out, 0, 0),
                 LQ_ERR_INVALID);
    /* static activation scales need calibration tokens */
    CHECK_STATUS(lq_hf_save_quantized(NULL, q, s, f.dir, LQ_HF_FP8_STATIC, NULL, 0, out, 0, 0),
                 LQ_ERR_INVALID);
    /* a GGUF source */
    const char *gguf = lqt_hf_fixture("gguf/llama3-f32.gguf");
    CHECK_STATUS(lq_hf_save_quantized(NULL, q, s, gguf, LQ_HF_FP8, NULL, 0, out, 0, 0),
                 LQ_ERR_UNSUPPORTED);
    /* a source that is a quantized checkpoint already (refused before the
     * weights are exported) */
    CHECK_STATUS(lq_hf_save_quantized(NULL, q, s, lqt_hf_fixture("models/llama3-fp8-tensor"),
                                      LQ_HF_FP8, NULL, 0, out, 0, 0),
                 LQ_ERR_FORMAT);
    CHECK(strstr(lq_last_error(), "quantization_config") != NULL);
    CHECK(stray_entries(NULL) == 0);

    /* asym gptq v1 cannot store a zero point of 0 (it stores zero - 1): one
     * group's zero point set to 0 in place (the last byte of the zero-point
     * plane, doc/formats.md) is refused, and v2 stores it */
    lq_scheme *asym = NULL;
    lq_model *qa = NULL;
    const lq_tensor *w = NULL;
    const float *vec;
    int64_t len;
    CHECK_OK(lq_scheme_parse("int4:g128:asym", &asym));
    CHECK_OK(lq_model_quantize(NULL, f.base, asym, NULL, NULL, 0, WINDOW, LQ_KV_F32, &qa));
    if (qa && lq__model_weight(qa, "blk.1.ffn_down.weight", &w, &vec, &len) && w) {
        /* the library's own bytes (lq_tensor_data_mut gives none of a
         * quantized tensor): this test reaches into the internals */
        ((lq_tensor *)w)->data[w->nbytes - 1] = 0;
        CHECK_STATUS(lq_hf_save_quantized(NULL, qa, asym, f.dir, LQ_HF_GPTQ, NULL, 0, out, 0, 0),
                     LQ_ERR_UNSUPPORTED);
        CHECK(strstr(lq_last_error(), "gptq_v2") && strstr(lq_last_error(), "down_proj"));
        CHECK(stray_entries(NULL) == 0);
        CHECK_OK(lq_hf_save_quantized(NULL, qa, asym, f.dir, LQ_HF_GPTQ_V2, NULL, 0, out, 0, 0));
        remove_folder(out);
    } else {
        CHECK(!"the asym model has no blk.1.ffn_down.weight");
    }
    lq_model_free(qa);
    lq_scheme_free(asym);

    /* an existing folder is kept unless forced; forced, it is replaced */
    CHECK(mkdir(out, 0755) == 0);
    FILE *mark = fopen(in_work("out/mark"), "w");
    if (mark)
        fclose(mark);
    CHECK_STATUS(lq_hf_save_quantized(NULL, q, s, f.dir, LQ_HF_FP8, NULL, 0, out, 0, 0),
                 LQ_ERR_IO);
    CHECK(strstr(lq_last_error(), "exists") != NULL);
    CHECK(exists(in_work("out/mark")) && stray_entries("out") == 0);
    CHECK_OK(lq_hf_save_quantized(NULL, q, s, f.dir, LQ_HF_FP8, NULL, 0, out, 0,
                                  LQ_HF_SAVE_FORCE));
    CHECK(!exists(in_work("out/mark")) && exists(in_work("out/model.safetensors")));
    CHECK(stray_entries("out") == 0);

    /* a disk that fills at every write in turn: an error each time, the old
     * folder untouched and nothing else left, until one run gets through */
    int64_t n = 1;
    lq_status st = LQ_ERR_IO;
    for (; st != LQ_OK && n < 10000; n++) {
        lq__out_fail_write_at(n);
        st = lq_hf_save_quantized(NULL, q, s, f.dir, LQ_HF_FP8, NULL, 0, out, 100000,
                                  LQ_HF_SAVE_FORCE);
        lq__out_fail_write_at(0);
        CHECKF(st == LQ_OK || st == LQ_ERR_IO, "write %lld: %s", (long long)n, lq_last_error());
        /* failed: the old folder (one file) as it was; done: the new one (shards) */
        CHECKF(exists(in_work(st == LQ_OK ? "out/model.safetensors.index.json"
                                          : "out/model.safetensors")),
               "write %lld", (long long)n);
        CHECKF(stray_entries("out") == 0, "write %lld: entries left beside the folder",
               (long long)n);
    }
    CHECKF(st == LQ_OK && n > 3, "%s after %lld writes: %s", lq_status_str(st), (long long)n, lq_last_error());
    remove_folder(out);
    lq_model_free(q);
    lq_scheme_free(s);
    close_fixture(&f);
}

/* the output folder of every case is removed; the work folder last */
static void cleanup(void)
{
    if (work[0])
        CHECK(rmdir(work) == 0);
}

LQT_MAIN(llama3_every_format, qwen2_every_format, llama2_tied_every_format, refusals, cleanup)
