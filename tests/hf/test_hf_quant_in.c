/* test_hf_quant_in.c — quantized Hugging Face checkpoints in
 * (lq_hf_model_open_v2, doc/hf-input.md "Quantized checkpoints in").
 *
 * The checkpoints are made here, in a temporary folder, from a fixture
 * model's weights (tests/hf/make_fixtures.py; $LQ_HF_FIXTURES or the build
 * folder's cache; without them the cases skip, and fail under
 * LQ_REQUIRE_ORACLE): every q/k/v/o/gate/up/down weight quantized by
 * libquant and stored with lq_hf_export, config.json the fixture's plus the
 * quantization_config lq_hf_config writes, the other files linked.
 *
 * Checked: every quantized layer of the f32 view equals lq_hf_dequantize of
 * its tensors bit for bit (with llama's Q/K row order); with
 * LQ_HF_EXACT_QUANT the layers become Q4_0 / Q8_0 whose decoded values equal
 * those bits, or Q4_1 within the f16 rounding of its offset, and the others
 * (act-order, NF4, LLM.int8, 3-bit) are reported lossy; the runner reads the
 * folder; hostile folders fail with the documented statuses. With the
 * oracle venv, convert_hf_to_gguf.py's own conversions of the GPTQ
 * checkpoints are byte-identical to lq convert's; with node, llama.cpp
 * scores the Q4_0/Q4_1 conversions as the runner does. */
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lq/lq.h>
#include <lq/lq_hf.h>
#include <lq/lq_model.h>

#include "../harness.h"
#include "../model/model_fixture.h"
#include "hf_fixture.h"

/* Runner and llama.cpp on the same Q4 file, both with an f16 KV cache and
 * activations rounded to Q8_0 blocks for the Q4 products: their sums run in
 * different orders, and one activation rounded to the other side moves a
 * logit by a weight times a Q8_0 step; measured 3.8e-2 (Q4_0) and 4.2e-2
 * (Q4_1) on logits of this random model. (That the blocks hold the
 * checkpoint's values is checked above, against lq_hf_dequantize; this
 * checks that llama.cpp reads the file as the runner does.) */
#define LOGIT_TOL 0.1

static const char MODEL[] = "llama2-tied"; /* llama: Q/K rows reordered; F16 weights */

static char tmpdir[256];

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* The checkpoints made here are removed when the program ends. */
static void remove_tmpdir(void)
{
    if (tmpdir[0])
        nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_tmpdir(void)
{
    if (tmpdir[0])
        return;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/lq-hf-quant-in-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir))
        tmpdir[0] = 0;
    else
        atexit(remove_tmpdir);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = (size_t)n;
    }
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CHECKF(f && fputs(text, f) >= 0, "cannot write %s", path);
    if (f)
        fclose(f);
}

static int is_linear(const char *name, int ndim)
{
    return ndim == 2 && strstr(name, "model.layers.") && strstr(name, "_proj.weight");
}

/* How a checkpoint is made: the layout, the scheme, a column order (GPTQ
 * act-order) or not, and text replaced in the quantization_config. */
typedef struct spec {
    const char *name;
    int format;
    const char *scheme;
    int act_order;
    const char *cfg_old, *cfg_new;
} spec;

/* A seeded column order that moves every group's columns around. */
static void column_order(int32_t *perm, int64_t in)
{
    for (int64_t j = 0; j < in; j++)
        perm[j] = (int32_t)((j * 37 + 11) % in); /* 37 is coprime to every power of two */
}

/* Make the checkpoint folder tmpdir/<s->name>; false when the fixture is missing. */
static int make_checkpoint(const spec *s, char *dir, size_t dir_size)
{
    char src_dir[512], path[1024], to[1024];
    snprintf(src_dir, sizeof src_dir, "%s", lqt_hf_fixture("models/"));
    strncat(src_dir, MODEL, sizeof src_dir - strlen(src_dir) - 1);
    snprintf(path, sizeof path, "%s/model.safetensors", src_dir);
    lq_safetensors *in = NULL, *out = NULL;
    if (lq_safetensors_open(path, &in) != LQ_OK)
        return 0;
    make_tmpdir();
    snprintf(dir, dir_size, "%s/%s", tmpdir, s->name);
    mkdir(dir, 0700);
    DIR *d = opendir(src_dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' && strcmp(e->d_name, "config.json") &&
            strcmp(e->d_name, "model.safetensors")) {
            snprintf(path, sizeof path, "%s/%s", src_dir, e->d_name);
            snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
            unlink(to);
            CHECK(symlink(path, to) == 0);
        }
    if (d)
        closedir(d);

    lq_scheme *scheme = NULL;
    CHECK_OK(lq_scheme_parse(s->scheme, &scheme));
    CHECK_OK(lq_safetensors_create(&out));
    for (int64_t i = 0; scheme && out && i < lq_safetensors_tensor_count(in); i++) {
        const char *name = lq_safetensors_tensor_name(in, i);
        const char *dtype = lq_safetensors_tensor_dtype(in, i);
        int ndim = lq_safetensors_tensor_ndim(in, i);
        int64_t shape[8];
        for (int k = 0; k < ndim && k < 8; k++)
            shape[k] = lq_safetensors_tensor_dim(in, i, k);
        const void *raw;
        uint64_t nbytes;
        CHECK_OK(lq_safetensors_tensor_raw(in, i, &raw, &nbytes));
        if (!is_linear(name, ndim)) {
            CHECK_OK(lq_safetensors_add_tensor_raw(out, name, dtype, ndim, shape, raw, nbytes,
                                                   LQ_COPY));
            continue;
        }
        CHECK(strcmp(dtype, "F16") == 0);
        const int64_t rows = shape[0], cols = shape[1];
        lq_tensor *h = NULL, *w = NULL, *q = NULL;
        float *f = malloc((size_t)(rows * cols) * 4), *g = malloc((size_t)(rows * cols) * 4);
        int32_t *perm = malloc((size_t)cols * 4);
        CHECK_OK(lq_tensor_wrap(LQ_TYPE_F16, 2, shape, raw, nbytes, LQ_BORROW, name, &h));
        CHECK_OK(lq_dequantize_f32(NULL, h, f, rows * cols));
        column_order(perm, cols);
        /* stored column j is source column perm[j] (lq_hf_export's contract) */
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < cols; j++)
                g[r * cols + j] = f[r * cols + (s->act_order ? perm[j] : j)];
        CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, g, (size_t)(rows * cols) * 4, LQ_BORROW, name, &w));
        CHECK_OK(lq_quantize(NULL, w, scheme, NULL, NULL, &q));
        char prefix[256];
        snprintf(prefix, sizeof prefix, "%.*s", (int)(strlen(name) - strlen(".weight")), name);
        if (q)
            CHECK_OK(lq_hf_export(q, s->act_order ? perm : NULL, NULL, s->format, prefix, out));
        lq_tensor_free(h);
        lq_tensor_free(w);
        lq_tensor_free(q);
        free(f);
        free(g);
        free(perm);
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    CHECK_OK(lq_safetensors_save(NULL, out, path, 0));

    /* config.json: the fixture's, with the quantization_config added */
    char *qcfg = NULL, *cfg = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/config.json", src_dir);
    cfg = slurp(path, &len);
    CHECK(cfg != NULL);
    if (scheme)
        CHECK_OK(lq_hf_config(s->format, scheme, &qcfg));
    if (cfg && qcfg) {
        char *end = strrchr(cfg, '}');
        size_t extra = strlen(qcfg) + 64 + (s->cfg_new ? strlen(s->cfg_new) : 0);
        char *text = malloc(len + extra);
        if (s->cfg_old) {
            char *at = strstr(qcfg, s->cfg_old);
            CHECKF(at != NULL, "%s: no '%s' in %s", s->name, s->cfg_old, qcfg);
            char *edited = malloc(strlen(qcfg) + strlen(s->cfg_new) + 1);
            if (at && edited) {
                sprintf(edited, "%.*s%s%s", (int)(at - qcfg), qcfg, s->cfg_new,
                        at + strlen(s->cfg_old));
                lq_free(qcfg);
                qcfg = NULL;
                sprintf(text, "%.*s,\n  \"quantization_config\": %s\n}\n", (int)(end - cfg), cfg,
                        edited);
            }
            free(edited);
        } else {
            sprintf(text, "%.*s,\n  \"quantization_config\": %s\n}\n", (int)(end - cfg), cfg, qcfg);
        }
        snprintf(path, sizeof path, "%s/config.json", dir);
        write_file(path, text);
        free(text);
    }
    lq_free(qcfg);
    free(cfg);
    lq_scheme_free(scheme);
    lq_safetensors_free(out);
    lq_safetensors_free(in);
    return 1;
}

/* IEEE half to float (finite values: Q4_1's offsets here). */
static float half_to_float(uint16_t h)
{
    const int e = (h >> 10) & 31, f = h & 1023;
    const float v = e ? ldexpf((float)(f | 1024), e - 25) : ldexpf((float)f, -24);
    return h & 0x8000 ? -v : v;
}

/* llama's row order of blk.N.attn_q / attn_k (doc/hf-input.md): output row
 * h*d + 2i is stored row h*d + i, h*d + 2i + 1 is h*d + d/2 + i. */
static int64_t stored_row(const char *gguf_name, int64_t r)
{
    int64_t heads = strstr(gguf_name, "attn_q.") ? 4 : strstr(gguf_name, "attn_k.") ? 2 : 0;
    const int64_t d = 64; /* the fixture's head size */
    if (!heads)
        return r;
    int64_t h = r / d, j = r % d;
    return h * d + (j % 2) * (d / 2) + j / 2;
}

/* "blk.N.attn_q.weight" -> "model.layers.N.self_attn.q_proj" */
static void hf_prefix(const char *gguf, char *out, size_t n)
{
    static const struct { const char *g, *h; } MAP[] = {
        {"attn_q", "self_attn.q_proj"}, {"attn_k", "self_attn.k_proj"},
        {"attn_v", "self_attn.v_proj"}, {"attn_output", "self_attn.o_proj"},
        {"ffn_gate", "mlp.gate_proj"},  {"ffn_up", "mlp.up_proj"},
        {"ffn_down", "mlp.down_proj"},
    };
    int layer = -1, used = 0;
    out[0] = 0;
    if (sscanf(gguf, "blk.%d.%n", &layer, &used) != 1)
        return;
    for (size_t i = 0; i < sizeof MAP / sizeof *MAP; i++) {
        size_t k = strlen(MAP[i].g);
        if (strncmp(gguf + used, MAP[i].g, k) == 0 && strcmp(gguf + used + k, ".weight") == 0)
            snprintf(out, n, "model.layers.%d.%s", layer, MAP[i].h);
    }
}

/* The f32 view's quantized layers against lq_hf_dequantize; with exact_type
 * >= 0, the LQ_HF_EXACT_QUANT view's types and decoded values too. */
static void check_checkpoint(const spec *s, int exact_type)
{
    char dir[512], path[1024];
    if (!make_checkpoint(s, dir, sizeof dir)) {
        ORACLE_SKIP_CASE("no fixture model %s (the hf-fixtures test makes it)", MODEL);
        return;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    lq_safetensors *st = NULL;
    lq_gguf *f32 = NULL, *ex = NULL;
    CHECK_OK(lq_safetensors_open(path, &st));
    CHECK_OK(lq_hf_model_open_v2(dir, LQ_TYPE_F32, 0, &f32));
    CHECK_OK(lq_hf_model_open_v2(dir, LQ_TYPE_F16, LQ_HF_EXACT_QUANT, &ex));
    if (!st || !f32 || !ex)
        goto done;
    CHECK(lq_gguf_tensor_count(f32) == lq_gguf_tensor_count(ex));
    /* llama's file type of what holds the most weights: the exact type, or
     * the outtype (1, f16); 2, 3, 7 are MOSTLY_Q4_0, _Q4_1, _Q8_0 */
    uint32_t ftype = 99, want_ftype = exact_type == LQ_TYPE_Q4_0   ? 2
                                      : exact_type == LQ_TYPE_Q4_1 ? 3
                                      : exact_type == LQ_TYPE_Q8_0 ? 7
                                                                   : 1;
    CHECK_OK(lq_gguf_get_u32(ex, "general.file_type", &ftype));
    CHECKF(ftype == want_ftype, "%s: general.file_type %u, want %u", s->name, ftype, want_ftype);
    int64_t layers = 0;
    for (int64_t i = 0; i < lq_gguf_tensor_count(f32); i++) {
        const char *name = lq_gguf_tensor_name(f32, i);
        char prefix[256];
        hf_prefix(name, prefix, sizeof prefix);
        int fmt = -2, exact = -2;
        CHECK_OK(lq_hf_model_tensor_origin(f32, i, &fmt, &exact));
        CHECKF(fmt == (prefix[0] ? s->format : -1) && exact == 1, "%s: %s: origin %d, exact %d",
               s->name, name, fmt, exact);
        if (!prefix[0])
            continue;
        layers++;
        const int64_t rows = lq_gguf_tensor_dim(f32, i, 0), cols = lq_gguf_tensor_dim(f32, i, 1);
        float *want = malloc((size_t)(rows * cols) * 4), *dec = malloc((size_t)(rows * cols) * 4);
        const void *got = NULL;
        uint64_t nbytes = 0;
        CHECK_OK(lq_hf_dequantize(st, s->format, prefix, want, rows * cols));
        CHECK_OK(lq_gguf_tensor_raw(f32, i, &got, &nbytes));
        int same = got && nbytes == (uint64_t)(rows * cols) * 4;
        for (int64_t r = 0; same && r < rows; r++)
            same = memcmp((const float *)got + r * cols, want + stored_row(name, r) * cols,
                          (size_t)cols * 4) == 0;
        CHECKF(same, "%s: %s of the f32 view is not lq_hf_dequantize's bits", s->name, name);

        /* the exact view */
        int64_t j = lq_gguf_find_tensor(ex, name);
        CHECK_OK(lq_hf_model_tensor_origin(ex, j, &fmt, &exact));
        const int type = lq_gguf_tensor_ggml_type(ex, j);
        const int want_type = exact_type >= 0 ? lq_type_ggml_id(exact_type) : 1 /* f16 */;
        CHECKF(type == want_type && exact == (exact_type >= 0) && fmt == s->format,
               "%s: %s: ggml type %d (want %d), exact %d", s->name, name, type, want_type, exact);
        lq_tensor *t = NULL;
        CHECK_OK(lq_gguf_get_tensor(ex, j, &t));
        if (t && got && exact_type >= 0) {
            CHECK_OK(lq_dequantize_f32(NULL, t, dec, rows * cols));
            const uint8_t *blocks = lq_tensor_data(t);
            int64_t bad = 0;
            for (int64_t k = 0; k < rows * cols; k++) {
                const float x = ((const float *)got)[k];
                float tol = 0;
                if (exact_type == LQ_TYPE_Q4_1) {
                    /* m = -scale * zero rounded once to f16 (half an ulp:
                     * 2^-11 relative, 2^-25 absolute below 2^-14), then
                     * d * q + m rounded once in f32 (2^-24 relative) */
                    const uint8_t *b = blocks + (size_t)(k / 32) * 20;
                    const float m = half_to_float((uint16_t)(b[2] | b[3] << 8));
                    tol = ldexpf(fabsf(m), -11) * 1.001f + ldexpf(1, -25) + ldexpf(fabsf(x), -23);
                }
                bad += !(fabsf(dec[k] - x) <= tol);
            }
            CHECKF(bad == 0, "%s: %s: %lld values off the f32 view", s->name, name,
                   (long long)bad);
        }
        lq_tensor_free(t);
        free(want);
        free(dec);
    }
    CHECKF(layers == 14, "%s: %lld quantized layers", s->name, (long long)layers);
done:
    lq_gguf_free(f32);
    lq_gguf_free(ex);
    lq_safetensors_free(st);
}

static const spec GPTQ_SYM = {"gptq-sym", LQ_HF_GPTQ, "int4:g32:sym", 0, NULL, NULL};
static const spec GPTQ_V2 = {"gptq-v2", LQ_HF_GPTQ_V2, "int4:g64:asym", 0, NULL, NULL};
static const spec AWQ = {"awq", LQ_HF_AWQ, "int4:g128:asym", 0, NULL, NULL};
static const spec GPTQ_CHANNEL = {"gptq-channel", LQ_HF_GPTQ, "int4:channel:sym", 0, NULL, NULL};
static const spec GPTQ8 = {"gptq8", LQ_HF_GPTQ, "int8:g32:sym", 0, NULL, NULL};
static const spec GPTQ_ACT = {"gptq-act", LQ_HF_GPTQ, "int4:g32:sym", 1, "\"desc_act\": false",
                              "\"desc_act\": true"};
static const spec GPTQ3 = {"gptq3", LQ_HF_GPTQ_V2, "int3:g32:asym", 0, NULL, NULL};
static const spec NF4 = {"nf4", LQ_HF_BNB4, "nf4:b64:dq", 0, NULL, NULL};
static const spec INT8 = {"int8", LQ_HF_INT8, "llm_int8:int8:scale=f32", 0, NULL, NULL};

static void gptq_sym_q4_0(void) { check_checkpoint(&GPTQ_SYM, LQ_TYPE_Q4_0); }
static void gptq_v2_q4_1(void) { check_checkpoint(&GPTQ_V2, LQ_TYPE_Q4_1); }
static void awq_q4_1(void) { check_checkpoint(&AWQ, LQ_TYPE_Q4_1); }
/* group_size -1: one group of every column, as whole blocks */
static void gptq_channel_q4_0(void) { check_checkpoint(&GPTQ_CHANNEL, LQ_TYPE_Q4_0); }
static void gptq8_q8_0(void) { check_checkpoint(&GPTQ8, LQ_TYPE_Q8_0); }
static void gptq_act_order_lossy(void) { check_checkpoint(&GPTQ_ACT, -1); }
static void gptq3_lossy(void) { check_checkpoint(&GPTQ3, -1); }
static void nf4_lossy(void) { check_checkpoint(&NF4, -1); }
static void int8_lossy(void) { check_checkpoint(&INT8, -1); }

/* ---- hostile and unsupported folders, made from a good checkpoint ---- */

/* Folder tmpdir/<name> linking every file of `from` except config.json,
 * which is from's with the first `old` replaced by `new`, and, when tensor
 * is not NULL, model.safetensors, which is from's with int32 element `at`
 * of `tensor` set to `value`. */
static void derive(const char *from, const char *name, const char *old, const char *new,
                   const char *tensor, int64_t at, int32_t value, char *dir, size_t dir_size)
{
    char path[1024], to[1024];
    snprintf(dir, dir_size, "%s/%s", tmpdir, name);
    mkdir(dir, 0700);
    DIR *d = opendir(from);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "config.json") ||
            (tensor && !strcmp(e->d_name, "model.safetensors")))
            continue;
        snprintf(path, sizeof path, "%s/%s", from, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
        unlink(to);
        CHECK(symlink(path, to) == 0);
    }
    if (d)
        closedir(d);
    size_t len = 0;
    snprintf(path, sizeof path, "%s/config.json", from);
    char *cfg = slurp(path, &len), *at_old = cfg ? strstr(cfg, old) : NULL;
    CHECKF(at_old != NULL, "no '%s' in %s", old, path);
    char *text = malloc(len + strlen(new) + 1);
    if (at_old && text) {
        sprintf(text, "%.*s%s%s", (int)(at_old - cfg), cfg, new, at_old + strlen(old));
        snprintf(path, sizeof path, "%s/config.json", dir);
        write_file(path, text);
    }
    free(text);
    free(cfg);
    if (!tensor)
        return;
    lq_safetensors *in = NULL, *out = NULL;
    snprintf(path, sizeof path, "%s/model.safetensors", from);
    CHECK_OK(lq_safetensors_open(path, &in));
    CHECK_OK(lq_safetensors_create(&out));
    for (int64_t i = 0; in && out && i < lq_safetensors_tensor_count(in); i++) {
        const char *n = lq_safetensors_tensor_name(in, i);
        int ndim = lq_safetensors_tensor_ndim(in, i);
        int64_t shape[8];
        for (int k = 0; k < ndim && k < 8; k++)
            shape[k] = lq_safetensors_tensor_dim(in, i, k);
        const void *raw;
        uint64_t nbytes;
        CHECK_OK(lq_safetensors_tensor_raw(in, i, &raw, &nbytes));
        uint8_t *copy = malloc(nbytes + 1);
        memcpy(copy, raw, nbytes);
        if (!strcmp(n, tensor) && (uint64_t)(at + 1) * 4 <= nbytes)
            memcpy(copy + at * 4, &value, 4);
        CHECK_OK(lq_safetensors_add_tensor_raw(out, n, lq_safetensors_tensor_dtype(in, i), ndim,
                                               shape, copy, nbytes, LQ_COPY));
        free(copy);
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    CHECK_OK(lq_safetensors_save(NULL, out, path, 0));
    lq_safetensors_free(in);
    lq_safetensors_free(out);
}

/* Opening (flags) fails with `want`, the message naming `what`. */
static void expect_open_failure(const char *dir, unsigned flags, lq_status want, const char *what)
{
    lq_gguf *g = (lq_gguf *)dir;
    CHECK_STATUS(lq_hf_model_open_v2(dir, LQ_TYPE_F32, flags, &g), want);
    CHECK(g == NULL);
    CHECKF(strstr(lq_last_error(), what) != NULL, "message: %s", lq_last_error());
}

/* Opening works; reading tensor `gguf_name` fails with `want`, naming it. */
static void expect_read_failure(const char *dir, unsigned flags, const char *gguf_name,
                                lq_status want, const char *what)
{
    lq_gguf *g = NULL;
    CHECK_OK(lq_hf_model_open_v2(dir, LQ_TYPE_F16, flags, &g));
    int64_t i = g ? lq_gguf_find_tensor(g, gguf_name) : -1;
    CHECKF(i >= 0, "no %s", gguf_name);
    if (i >= 0) {
        const void *raw = NULL;
        uint64_t n = 0;
        CHECK_STATUS(lq_gguf_tensor_raw(g, i, &raw, &n), want);
        CHECKF(strstr(lq_last_error(), what) != NULL, "message: %s", lq_last_error());
    }
    lq_gguf_free(g);
}

static void hostile(void)
{
    char good[512], act[512], dir[512];
    if (!make_checkpoint(&GPTQ_SYM, good, sizeof good) ||
        !make_checkpoint(&(spec){"gptq-act-unsaid", LQ_HF_GPTQ, "int4:g32:sym", 1, NULL, NULL},
                         act, sizeof act)) {
        ORACLE_SKIP_CASE("no fixture model %s (the hf-fixtures test makes it)", MODEL);
        return;
    }
    /* schemes not read */
    derive(good, "hqq", "\"quant_method\": \"gptq\"", "\"quant_method\": \"hqq\"", NULL, 0, 0,
           dir, sizeof dir);
    expect_open_failure(dir, 0, LQ_ERR_UNSUPPORTED, "hqq");
    derive(good, "marlin", "\"checkpoint_format\": \"gptq\"", "\"checkpoint_format\": \"marlin\"",
           NULL, 0, 0, dir, sizeof dir);
    expect_open_failure(dir, 0, LQ_ERR_UNSUPPORTED, "gptq");
    derive(good, "qcfg-int", "\"quantization_config\": {", "\"quantization_config\": 7, \"x\": {",
           NULL, 0, 0, dir, sizeof dir);
    expect_open_failure(dir, 0, LQ_ERR_FORMAT, "quantization_config");
    /* bits contradicting the tensors */
    derive(good, "bits8", "\"bits\": 4", "\"bits\": 8", NULL, 0, 0, dir, sizeof dir);
    expect_open_failure(dir, 0, LQ_ERR_FORMAT, "model.layers.");
    /* a layer stored twice: a float weight beside its quantized codes */
    derive(good, "twice", "\"bits\": 4", "\"bits\": 4", "model.layers.0.mlp.up_proj.g_idx", 0, 0,
           dir, sizeof dir);
    {
        char path[1024];
        lq_safetensors *st = NULL;
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        CHECK_OK(lq_safetensors_open(path, &st));
        lq_safetensors *out = NULL;
        CHECK_OK(lq_safetensors_create(&out));
        for (int64_t i = 0; st && out && i < lq_safetensors_tensor_count(st); i++) {
            int ndim = lq_safetensors_tensor_ndim(st, i);
            int64_t shape[8];
            for (int k = 0; k < ndim && k < 8; k++)
                shape[k] = lq_safetensors_tensor_dim(st, i, k);
            const void *raw;
            uint64_t n;
            CHECK_OK(lq_safetensors_tensor_raw(st, i, &raw, &n));
            CHECK_OK(lq_safetensors_add_tensor_raw(out, lq_safetensors_tensor_name(st, i),
                                                   lq_safetensors_tensor_dtype(st, i), ndim, shape,
                                                   raw, n, LQ_COPY));
        }
        static const uint16_t zeros[512 * 256];
        const int64_t shape[2] = {512, 256};
        CHECK_OK(lq_safetensors_add_tensor_raw(out, "model.layers.0.mlp.up_proj.weight", "F16", 2,
                                               shape, zeros, sizeof zeros, LQ_COPY));
        lq_safetensors_free(st);
        unlink(path);
        CHECK_OK(lq_safetensors_save(NULL, out, path, 0));
        lq_safetensors_free(out);
        expect_open_failure(dir, 0, LQ_ERR_FORMAT, "stored twice");
    }
    /* a g_idx out of range, found when the layer is decoded */
    derive(good, "g-idx", "\"bits\": 4", "\"bits\": 4", "model.layers.0.mlp.up_proj.g_idx", 5,
           1000, dir, sizeof dir);
    expect_read_failure(dir, 0, "blk.0.ffn_up.weight", LQ_ERR_FORMAT, "g_idx");
    expect_read_failure(dir, LQ_HF_EXACT_QUANT, "blk.0.ffn_up.weight", LQ_ERR_FORMAT, "g_idx");
    /* a config promising what the data do not hold: act-order columns
     * under desc_act false, zero points other than 8 under sym */
    expect_read_failure(act, LQ_HF_EXACT_QUANT, "blk.1.ffn_down.weight", LQ_ERR_FORMAT,
                        "ffn_down");
    derive(good, "zero", "\"bits\": 4", "\"bits\": 4", "model.layers.1.self_attn.k_proj.qzeros",
           0, 0x12345678, dir, sizeof dir);
    expect_read_failure(dir, LQ_HF_EXACT_QUANT, "blk.1.attn_k.weight", LQ_ERR_FORMAT,
                        "zero point");
    /* flags not defined */
    lq_gguf *g = NULL;
    CHECK_STATUS(lq_hf_model_open_v2(good, LQ_TYPE_F32, 2u, &g), LQ_ERR_INVALID);
    int f, e;
    CHECK_STATUS(lq_hf_model_tensor_origin(NULL, 0, &f, &e), LQ_ERR_INVALID);
}

/* The runner reads the folder as its f32 conversion: the same logits as
 * from the converted file. */
static void runner(void)
{
    char dir[512], path[1024];
    if (!make_checkpoint(&AWQ, dir, sizeof dir)) {
        ORACLE_SKIP_CASE("no fixture model %s (the hf-fixtures test makes it)", MODEL);
        return;
    }
    snprintf(path, sizeof path, "%s/awq-f32.gguf", tmpdir);
    CHECK_OK(lq_hf_convert_v2(NULL, dir, LQ_TYPE_F32, 0, path));
    lq_model *a = NULL, *b = NULL;
    CHECK_OK(lq_model_load(NULL, dir, 32, LQ_TYPE_F32, &a));
    CHECK_OK(lq_model_load(NULL, path, 32, LQ_TYPE_F32, &b));
    const int32_t ids[8] = {1, 100, 200, 300, 400, 500, 600, 1000};
    float *la = malloc(8 * 1024 * 4), *lb = malloc(8 * 1024 * 4);
    if (a && b && la && lb) {
        CHECK_OK(lq_model_eval(NULL, a, ids, 8, 0, 0, la));
        CHECK_OK(lq_model_eval(NULL, b, ids, 8, 0, 0, lb));
        CHECK(memcmp(la, lb, 8 * 1024 * 4) == 0);
        int finite = 1;
        for (int i = 0; i < 8 * 1024; i++)
            finite &= isfinite(la[i]);
        CHECK(finite);
    }
    free(la);
    free(lb);
    lq_model_free(a);
    lq_model_free(b);
}

/* llama.cpp loads the --exact conversion and scores it as the runner does. */
static void llama_cpp_on(const spec *s, int want_type)
{
    char dir[512], path[1024];
    if (!make_checkpoint(s, dir, sizeof dir)) {
        ORACLE_SKIP_CASE("no fixture model %s (the hf-fixtures test makes it)", MODEL);
        return;
    }
    snprintf(path, sizeof path, "%s/%s-exact.gguf", tmpdir, s->name);
    CHECK_OK(lq_hf_convert_v2(NULL, dir, LQ_TYPE_F16, LQ_HF_EXACT_QUANT, path));
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_open(path, &g));
    int64_t i = g ? lq_gguf_find_tensor(g, "blk.0.attn_q.weight") : -1;
    CHECK(i >= 0 && lq_gguf_tensor_ggml_type(g, i) == lq_type_ggml_id(want_type));
    lq_gguf_free(g);
    int failed;
    lqt_ref *r = lqt_ref_live(path, REF_TOKENS, &failed);
    CHECKF(!failed, "llama_ref.mjs failed on %s", path);
    lq_model *m = NULL;
    if (r)
        CHECK_OK(lq_model_load(NULL, path, REF_CTX, LQ_KV_F16, &m));
    float *logits = r ? malloc((size_t)REF_CTX * (size_t)r->n_vocab * 4) : NULL;
    if (r && m && logits) {
        double out[LQ_EVAL_COUNT_V1];
        CHECK_OK(lq_model_perplexity(NULL, m, r->tokens, r->n_tokens, r->ctx, 0, out,
                                     LQ_EVAL_COUNT_V1));
        double rel = fabs(out[LQ_EVAL_PPL] / r->ppl - 1);
        /* the rows of window 0 (its first token is BOS already) */
        CHECK_OK(lq_model_eval(NULL, m, r->tokens, r->ctx, 0, 0, logits));
        double worst = 0;
        for (int32_t k = 0; k < r->n_rows; k++)
            for (int32_t v = 0; r->row_window[k] == 0 && v < r->n_vocab; v++) {
                double d = fabs(logits[(size_t)r->row_j[k] * (size_t)r->n_vocab + (size_t)v] -
                                r->logits[(size_t)k * (size_t)r->n_vocab + (size_t)v]);
                worst = d > worst ? d : worst;
            }
        printf("# %s: perplexity ours %.4f, llama.cpp %.4f (%.3f%%); window 0 logits differ by "
               "at most %.2e\n", s->name, out[LQ_EVAL_PPL], r->ppl, 100 * rel, worst);
        CHECK(rel < 0.01); /* as the runner's other files: within 1% of llama.cpp */
        CHECK(worst < LOGIT_TOL);
    }
    free(logits);
    lq_model_free(m);
    lqt_ref_free(r);
}

/* FP8 weights are reported as decoded layers too: exact in f32 only. */
static void fp8_origin(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", lqt_hf_fixture("models/llama3-fp8-channel"));
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        ORACLE_SKIP_CASE("no FP8 fixture %.160s (the hf-fixtures test makes it)", dir);
        return;
    }
    for (int k = 0; k < 2; k++) {
        lq_gguf *g = NULL;
        CHECK_OK(lq_hf_model_open_v2(dir, k ? LQ_TYPE_F32 : LQ_TYPE_Q8_0, LQ_HF_EXACT_QUANT, &g));
        int64_t q = g ? lq_gguf_find_tensor(g, "blk.0.attn_q.weight") : -1;
        int64_t e = g ? lq_gguf_find_tensor(g, "token_embd.weight") : -1;
        int fq = -2, xq = -2, fe = -2, xe = -2;
        CHECK_OK(lq_hf_model_tensor_origin(g, q, &fq, &xq));
        CHECK_OK(lq_hf_model_tensor_origin(g, e, &fe, &xe));
        CHECKF(fq == LQ_HF_FP8 && xq == k && fe == -1 && xe == 1, "%d: %d %d %d %d", k, fq, xq,
               fe, xe);
        lq_gguf_free(g);
    }
}

/* convert_hf_to_gguf.py dequantizes GPTQ itself (doc/hf-input.md): its file
 * and lq convert's are the same bytes. */
static void converter_on(const spec *s, const char *type_name, int type)
{
    char dir[512], ours[1024], theirs[1024], cmd[4096];
    const char *venv = getenv("LQ_VENV"), *home = getenv("HOME");
    char python[1024];
    if (venv && *venv)
        snprintf(python, sizeof python, "%s/bin/python", venv);
    else
        snprintf(python, sizeof python, "%s/.cache/libquant/venv/bin/python", home ? home : "");
    const char *converter = lqt_hf_fixture("converter");
    char script[1100];
    snprintf(script, sizeof script, "%s/convert_hf_to_gguf.py", converter);
    if (access(python, X_OK) != 0 || access(script, R_OK) != 0) {
        ORACLE_SKIP_CASE("no oracle venv (%.160s) or no converter in the fixtures", python);
        return;
    }
    if (!make_checkpoint(s, dir, sizeof dir)) {
        ORACLE_SKIP_CASE("no fixture model %s (the hf-fixtures test makes it)", MODEL);
        return;
    }
    snprintf(ours, sizeof ours, "%s/%s-lq-%s.gguf", tmpdir, s->name, type_name);
    snprintf(theirs, sizeof theirs, "%s/%s-converter-%s.gguf", tmpdir, s->name, type_name);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' convert_hf_to_gguf.py '%s' --outtype %s "
             "--outfile '%s' >/dev/null 2>&1", converter, python, dir, type_name, theirs);
    CHECKF(system(cmd) == 0, "the converter failed: %s", cmd);
    CHECK_OK(lq_hf_convert_v2(NULL, dir, type, 0, ours));
    size_t na = 0, nb = 0;
    char *a = slurp(ours, &na), *b = slurp(theirs, &nb);
    CHECKF(a && b && na == nb && memcmp(a, b, na) == 0, "%s --outtype %s: %s and %s differ",
           s->name, type_name, ours, theirs);
    free(a);
    free(b);
}

static void converter_gptq_v2(void) { converter_on(&GPTQ_V2, "f32", LQ_TYPE_F32); }
static void converter_gptq8(void) { converter_on(&GPTQ8, "f32", LQ_TYPE_F32); }
static void converter_gptq_act_f16(void) { converter_on(&GPTQ_ACT, "f16", LQ_TYPE_F16); }

static void llama_cpp_q4_0(void) { llama_cpp_on(&GPTQ_SYM, LQ_TYPE_Q4_0); }
static void llama_cpp_q4_1(void) { llama_cpp_on(&AWQ, LQ_TYPE_Q4_1); }

LQT_MAIN(gptq_sym_q4_0, gptq_v2_q4_1, awq_q4_1, gptq_channel_q4_0, gptq8_q8_0,
         gptq_act_order_lossy, gptq3_lossy, nf4_lossy, int8_lossy, hostile, runner, fp8_origin, converter_gptq_v2, converter_gptq8,
         converter_gptq_act_f16, llama_cpp_q4_0, llama_cpp_q4_1)
