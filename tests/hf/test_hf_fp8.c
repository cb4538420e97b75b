/* test_hf_fp8.c — FP8 checkpoints in (libquant/hf/fp8_weights.h), white-box.
 *
 * Against the fixtures (tests/hf/make_fixtures.py, $LQ_HF_FIXTURES or the
 * build folder's cache): every F8_E4M3 weight of each FP8 checkpoint decodes
 * to exactly the float32 bits convert_hf_to_gguf.py wrote into its f32 GGUF
 * (the converter computes weight.float() * scale.float() in float32 with one
 * rounding, as the decoder does, so the comparison is bit for bit), with
 * llama's Q/K row permutation applied to the decoded rows; the tensors the
 * decoder calls companions are exactly those the converter left out.
 * Without the fixtures those cases skip (fail under LQ_REQUIRE_ORACLE).
 *
 * Hostile input, from checkpoints built in memory: missing, mis-shaped,
 * wrongly typed and non-finite scales, a NaN weight, configs it does not
 * decode. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "libquant/hf/fp8_weights.h"
#include "libquant/io/json.h"
#include "../oracle.h"
#include "libquant/core/alloc.h"

static const char *const FIXTURE_MODELS[] = {"llama3-fp8-block", "llama3-fp8-block-i320",
                                             "llama3-fp8-channel", "llama3-fp8-tensor"};

static const char *fixtures(void)
{
    const char *v = getenv("LQ_HF_FIXTURES");
    return v && *v ? v : LQT_HF_FIXTURES_DEFAULT;
}

/* A whole file, NUL-terminated (free()); NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

/* config.json of a model folder, parsed; NULL (with a failed check) when it
 * cannot be read. */
static lq__json_doc *read_config(const char *dir)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/config.json", dir);
    size_t len = 0;
    char *text = slurp(path, &len);
    lq__json_doc *doc = NULL;
    CHECKF(text != NULL, "cannot read %s", path);
    if (text)
        CHECK_OK(lq__json_parse("test", "config.json", text, len, 64, &doc));
    free(text);
    return doc;
}

static int64_t config_int(const lq__json *cfg, const char *key)
{
    const lq__json *v = lq__json_get(cfg, key);
    return v && v->kind == LQ__JSON_INT ? v->integer : -1;
}

/* The GGUF name of an HF llama layer weight "model.layers.N.<part>.weight",
 * and how many heads its rows are permuted over (0: not permuted). */
static bool gguf_name(const char *hf, const lq__json *cfg, char *out, size_t n, int64_t *heads)
{
    static const struct { const char *hf, *gguf, *heads_key; } MAP[] = {
        {"self_attn.q_proj", "attn_q", "num_attention_heads"},
        {"self_attn.k_proj", "attn_k", "num_key_value_heads"},
        {"self_attn.v_proj", "attn_v", NULL},
        {"self_attn.o_proj", "attn_output", NULL},
        {"mlp.gate_proj", "ffn_gate", NULL},
        {"mlp.up_proj", "ffn_up", NULL},
        {"mlp.down_proj", "ffn_down", NULL},
    };
    int layer, used = 0;
    if (sscanf(hf, "model.layers.%d.%n", &layer, &used) != 1 || used == 0)
        return false;
    for (size_t i = 0; i < sizeof MAP / sizeof *MAP; i++) {
        size_t k = strlen(MAP[i].hf);
        if (strncmp(hf + used, MAP[i].hf, k) == 0 && strcmp(hf + used + k, ".weight") == 0) {
            snprintf(out, n, "blk.%d.%s.weight", layer, MAP[i].gguf);
            *heads = MAP[i].heads_key ? config_int(cfg, MAP[i].heads_key) : 0;
            return true;
        }
    }
    return false;
}

/* llama's rotate-half -> adjacent-pairs row order within each head
 * (doc/hf-input.md): row h*d + 2i takes h*d + i, h*d + 2i + 1 takes
 * h*d + d/2 + i. */
static void permute_rows(const float *src, float *dst, int64_t rows, int64_t cols, int64_t heads)
{
    const int64_t d = rows / heads;
    for (int64_t h = 0; h < heads; h++)
        for (int64_t i = 0; i < d / 2; i++) {
            memcpy(dst + (h * d + 2 * i) * cols, src + (h * d + i) * cols, (size_t)cols * 4);
            memcpy(dst + (h * d + 2 * i + 1) * cols, src + (h * d + d / 2 + i) * cols,
                   (size_t)cols * 4);
        }
}

/* One fixture: every FP8 weight against the converter's f32 GGUF. */
static void check_model(const char *model)
{
    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s/models/%s", fixtures(), model);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    lq_safetensors *st = NULL;
    if (lq_safetensors_open(path, &st) != LQ_OK) {
        ORACLE_SKIP_CASE("no FP8 fixture %.160s (the hf-fixtures test makes it)", path);
        return;
    }
    snprintf(path, sizeof path, "%s/gguf/%s-f32.gguf", fixtures(), model);
    lq_gguf *g = NULL;
    lq__json_doc *doc = read_config(dir);
    CHECK_OK(lq_gguf_open(path, &g));
    if (!g || !doc) {
        lq_gguf_free(g);
        lq__json_free(doc);
        lq_safetensors_free(st);
        return;
    }
    const lq__json *cfg = lq__json_root(doc), *qcfg = lq__json_get(cfg, "quantization_config");
    CHECK(qcfg != NULL);
    int64_t decoded = 0, kept = 0;
    for (int64_t i = 0; i < lq_safetensors_tensor_count(st); i++) {
        const char *name = lq_safetensors_tensor_name(st, i);
        if (lq__hf_fp8_is_companion(qcfg, name))
            continue;
        kept++;
        if (strcmp(lq_safetensors_tensor_dtype(st, i), "F8_E4M3") != 0)
            continue;
        char gname[128];
        int64_t heads = 0;
        if (!gguf_name(name, cfg, gname, sizeof gname, &heads)) {
            CHECKF(0, "%s: no GGUF name for FP8 weight %s", model, name);
            continue;
        }
        const int64_t rows = lq_safetensors_tensor_dim(st, i, 0);
        const int64_t cols = lq_safetensors_tensor_dim(st, i, 1);
        float *got = malloc((size_t)(rows * cols) * 4), *perm = malloc((size_t)(rows * cols) * 4);
        int64_t gi = lq_gguf_find_tensor(g, gname);
        const void *want = NULL;
        uint64_t nbytes = 0;
        CHECKF(gi >= 0, "%s: %s not in the GGUF", model, gname);
        if (got && perm && gi >= 0) {
            CHECK_OK(lq__hf_fp8_decode(qcfg, st, i, got));
            CHECK_OK(lq_gguf_tensor_raw(g, gi, &want, &nbytes));
            if (heads > 0)
                permute_rows(got, perm, rows, cols, heads);
            const float *cmp = heads > 0 ? perm : got;
            CHECKF(lq_gguf_tensor_ggml_type(g, gi) == 0 && nbytes == (uint64_t)(rows * cols) * 4 &&
                   memcmp(cmp, want, nbytes) == 0,
                   "%s: %s decoded is not bit-identical to %s of the converter's f32 GGUF", model,
                   name, gname);
            decoded++;
        }
        free(got);
        free(perm);
    }
    /* 7 Linear weights in each layer are FP8 */
    CHECKF(decoded == 7 * config_int(cfg, "num_hidden_layers"), "%s: %lld FP8 weights compared",
           model, (long long)decoded);
    /* the converter writes every tensor it keeps, plus rope_freqs (llama3
     * rope scaling): so the companions are exactly what it dropped */
    CHECKF(kept + 1 == lq_gguf_tensor_count(g), "%s: %lld tensors kept, the GGUF has %lld", model,
           (long long)kept, (long long)lq_gguf_tensor_count(g));
    lq_gguf_free(g);
    lq__json_free(doc);
    lq_safetensors_free(st);
}

static void fixture_block(void) { check_model(FIXTURE_MODELS[0]); }
static void fixture_block_partial(void) { check_model(FIXTURE_MODELS[1]); }
static void fixture_channel(void) { check_model(FIXTURE_MODELS[2]); }
static void fixture_tensor(void) { check_model(FIXTURE_MODELS[3]); }

/* ---- hand-made checkpoints ------------------------------------------------ */

static const char *const BLOCK_CFG = "{\"quant_method\": \"fp8\", \"weight_block_size\": [2, 2]}";
static const char *const CHANNEL_CFG =
    "{\"quant_method\": \"compressed-tensors\", \"format\": \"float-quantized\", \"config_groups\": "
    "{\"group_0\": {\"targets\": [\"Linear\"], \"weights\": {\"num_bits\": 8, \"type\": \"float\", "
    "\"strategy\": \"channel\", \"group_size\": null}}}}";

static lq__json_doc *parse(const char *text)
{
    lq__json_doc *doc = NULL;
    CHECK_OK(lq__json_parse("test", "config", text, strlen(text), 16, &doc));
    return doc;
}

/* A 3 x 3 E4M3 weight "w.weight" (codes 0x38 = 1.0 and 0x40 = 2.0 in turn),
 * and, unless scale_dtype is NULL, a scale "w.<scale_part>" of that dtype,
 * shape and data. */
static lq_safetensors *checkpoint(const char *scale_part, const char *scale_dtype, int ndim,
                                  const int64_t *shape, const void *scale, uint64_t nbytes)
{
    static const uint8_t w[9] = {0x38, 0x40, 0x38, 0x40, 0x38, 0x40, 0x38, 0x40, 0x38};
    const int64_t wshape[2] = {3, 3};
    lq_safetensors *st = NULL;
    CHECK_OK(lq_safetensors_create(&st));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "w.weight", "F8_E4M3", 2, wshape, w, 9, LQ_COPY));
    if (scale_dtype) {
        char name[64];
        snprintf(name, sizeof name, "w.%s", scale_part);
        CHECK_OK(lq_safetensors_add_tensor_raw(st, name, scale_dtype, ndim, shape, scale, nbytes,
                                               LQ_COPY));
    }
    return st;
}

/* Decoding "w.weight" under config `cfg` fails with `want`, naming it. */
static void expect_failure(const char *cfg, lq_safetensors *st, lq_status want)
{
    lq__json_doc *doc = parse(cfg);
    float out[9];
    if (doc && st) {
        CHECK_STATUS(lq__hf_fp8_decode(lq__json_root(doc), st, lq_safetensors_find_tensor(st, "w.weight"),
                                       out),
                     want);
        CHECKF(strstr(lq_last_error(), "w.weight") != NULL, "message: %s", lq_last_error());
    }
    lq__json_free(doc);
    lq_safetensors_free(st);
}

/* Partial edge blocks: a 3 x 3 weight in 2 x 2 blocks has a 2 x 2 grid of
 * scales whose last row and column cover one element each. */
static void partial_blocks(void)
{
    const float scale[4] = {0.5f, 3.0f, -0.25f, 1024.0f};
    const int64_t shape[2] = {2, 2};
    lq_safetensors *st = checkpoint("weight_scale_inv", "F32", 2, shape, scale, sizeof scale);
    lq__json_doc *doc = parse(BLOCK_CFG);
    float out[9];
    if (st && doc) {
        CHECK_OK(lq__hf_fp8_decode(lq__json_root(doc), st, lq_safetensors_find_tensor(st, "w.weight"),
                                   out));
        /* weight values 1 2 1 / 2 1 2 / 1 2 1 times the block of each */
        const float want[9] = {0.5f, 1.0f, 3.0f, 1.0f, 0.5f, 6.0f, -0.25f, -0.5f, 1024.0f};
        for (int i = 0; i < 9; i++)
            CHECKF(out[i] == want[i], "element %d: %g, want %g", i, out[i], want[i]);
        /* the scales' copy is the one allocation */
        lq__alloc_fail_nth(1, false);
        CHECK_STATUS(lq__hf_fp8_decode(lq__json_root(doc), st,
                                       lq_safetensors_find_tensor(st, "w.weight"), out),
                     LQ_ERR_NOMEM);
        lq__alloc_fail_nth(0, false);
    }
    lq__json_free(doc);
    lq_safetensors_free(st);
}

/* Half-precision scales (Qwen3-4B-Instruct-2507-FP8 stores F16): one per
 * row, widened exactly. */
static void f16_channel_scales(void)
{
    const uint16_t scale[3] = {0x3800, 0x4000, 0xbc00}; /* 0.5, 2, -1 */
    const int64_t shape[2] = {3, 1};
    lq_safetensors *st = checkpoint("weight_scale", "F16", 2, shape, scale, sizeof scale);
    lq__json_doc *doc = parse(CHANNEL_CFG);
    float out[9];
    if (st && doc) {
        CHECK_OK(lq__hf_fp8_decode(lq__json_root(doc), st, lq_safetensors_find_tensor(st, "w.weight"),
                                   out));
        const float want[9] = {0.5f, 1.0f, 0.5f, 4.0f, 2.0f, 4.0f, -1.0f, -2.0f, -1.0f};
        for (int i = 0; i < 9; i++)
            CHECKF(out[i] == want[i], "element %d: %g, want %g", i, out[i], want[i]);
    }
    lq__json_free(doc);
    lq_safetensors_free(st);
}

static void companions(void)
{
    lq__json_doc *fp8 = parse(BLOCK_CFG), *ct = parse(CHANNEL_CFG);
    lq__json_doc *gptq = parse("{\"quant_method\": \"gptq\"}");
    if (fp8 && ct && gptq) {
        const lq__json *a = lq__json_root(fp8), *b = lq__json_root(ct), *c = lq__json_root(gptq);
        CHECK(lq__hf_fp8_is_companion(a, "model.layers.0.mlp.up_proj.weight_scale_inv"));
        CHECK(lq__hf_fp8_is_companion(a, "model.layers.0.mlp.up_proj.activation_scale"));
        CHECK(!lq__hf_fp8_is_companion(a, "model.layers.0.mlp.up_proj.weight"));
        CHECK(!lq__hf_fp8_is_companion(a, "model.layers.0.mlp.up_proj.weight_scale"));
        CHECK(lq__hf_fp8_is_companion(b, "model.layers.0.mlp.up_proj.weight_scale"));
        CHECK(lq__hf_fp8_is_companion(b, "model.layers.0.mlp.up_proj.input_scale"));
        CHECK(!lq__hf_fp8_is_companion(b, "model.layers.0.input_layernorm.weight"));
        CHECK(!lq__hf_fp8_is_companion(c, "model.layers.0.mlp.up_proj.weight_scale_inv"));
        CHECK(!lq__hf_fp8_is_companion(NULL, "model.layers.0.mlp.up_proj.weight_scale_inv"));
    }
    lq__json_free(fp8);
    lq__json_free(ct);
    lq__json_free(gptq);
}

static void hostile_scales(void)
{
    const float good[4] = {1, 1, 1, 1}, nan4[4] = {1, NAN, 1, 1}, inf3[3] = {1, 1, -INFINITY};
    const int32_t ints[4] = {1, 1, 1, 1};
    const int64_t s22[2] = {2, 2}, s21[2] = {2, 1}, s13[1] = {3}, s31[2] = {3, 1};
    /* no scale at all; the wrong name for the scheme */
    expect_failure(BLOCK_CFG, checkpoint(NULL, NULL, 0, NULL, NULL, 0), LQ_ERR_FORMAT);
    expect_failure(BLOCK_CFG, checkpoint("weight_scale", "F32", 2, s22, good, 16), LQ_ERR_FORMAT);
    /* one block row short (the grid of 3 x 3 in 2 x 2 blocks is 2 x 2) */
    expect_failure(BLOCK_CFG, checkpoint("weight_scale_inv", "F32", 2, s21, good, 8), LQ_ERR_FORMAT);
    /* an integer scale */
    expect_failure(BLOCK_CFG, checkpoint("weight_scale_inv", "I32", 2, s22, ints, 16), LQ_ERR_FORMAT);
    /* non-finite scales */
    expect_failure(BLOCK_CFG, checkpoint("weight_scale_inv", "F32", 2, s22, nan4, 16), LQ_ERR_FORMAT);
    expect_failure(CHANNEL_CFG, checkpoint("weight_scale", "F32", 2, s31, inf3, 12), LQ_ERR_FORMAT);
    /* a channel scale must have one value per row: [3] and [3, 1] pass, a
     * block grid does not */
    expect_failure(CHANNEL_CFG, checkpoint("weight_scale", "F32", 2, s22, good, 16), LQ_ERR_FORMAT);
    lq_safetensors *st = checkpoint("weight_scale", "F32", 1, s13, good, 12);
    lq__json_doc *doc = parse(CHANNEL_CFG);
    float out[9];
    if (st && doc)
        CHECK_OK(lq__hf_fp8_decode(lq__json_root(doc), st, 0, out));
    lq__json_free(doc);
    lq_safetensors_free(st);
}

static void hostile_weights(void)
{
    const float good[4] = {1, 1, 1, 1};
    const int64_t s22[2] = {2, 2}, w33[2] = {3, 3};
    /* a NaN code (0x7f) in the weight */
    const uint8_t nanw[9] = {0x38, 0x38, 0x38, 0x38, 0xff, 0x38, 0x38, 0x38, 0x38};
    lq_safetensors *st = checkpoint("weight_scale_inv", "F32", 2, s22, good, 16);
    lq_safetensors *bad = NULL;
    CHECK_OK(lq_safetensors_create(&bad));
    if (bad) {
        CHECK_OK(lq_safetensors_add_tensor_raw(bad, "w.weight", "F8_E4M3", 2, w33, nanw, 9, LQ_COPY));
        CHECK_OK(lq_safetensors_add_tensor_raw(bad, "w.weight_scale_inv", "F32", 2, s22, good, 16,
                                               LQ_COPY));
    }
    expect_failure(BLOCK_CFG, bad, LQ_ERR_FORMAT);
    /* not an E4M3 weight: the scale asked for as the weight */
    lq__json_doc *doc = parse(BLOCK_CFG);
    float out[9];
    if (st && doc) {
        CHECK_STATUS(lq__hf_fp8_decode(lq__json_root(doc), st,
                                       lq_safetensors_find_tensor(st, "w.weight_scale_inv"), out),
                     LQ_ERR_FORMAT);
        CHECK_STATUS(lq__hf_fp8_decode(lq__json_root(doc), st, 99, out), LQ_ERR_INVALID);
    }
    lq__json_free(doc);
    lq_safetensors_free(st);
}

static void unsupported_configs(void)
{
    const float good[4] = {1, 1, 1, 1};
    const int64_t s22[2] = {2, 2};
    static const char *const CFGS[] = {
        "{\"quant_method\": \"gptq\"}",
        "{\"quant_method\": \"fp8\"}",
        "{\"quant_method\": \"compressed-tensors\", \"format\": \"float-quantized\", \"config_groups\": "
        "{\"group_0\": {\"weights\": {\"num_bits\": 4, \"type\": \"float\", \"strategy\": \"channel\"}}}}",
        "{\"quant_method\": \"compressed-tensors\", \"format\": \"float-quantized\", \"config_groups\": "
        "{\"group_0\": {\"weights\": {\"num_bits\": 8, \"type\": \"float\", \"strategy\": \"group\", "
        "\"group_size\": 128}}}}",
        "{\"quant_method\": \"compressed-tensors\", \"format\": \"float-quantized\", \"config_groups\": "
        "{\"a\": {\"weights\": {}}, \"b\": {\"weights\": {}}}}",
    };
    for (size_t i = 0; i < sizeof CFGS / sizeof *CFGS; i++)
        expect_failure(CFGS[i], checkpoint("weight_scale_inv", "F32", 2, s22, good, 16),
                       LQ_ERR_UNSUPPORTED);
    /* a malformed block size is the file's fault */
    expect_failure("{\"quant_method\": \"fp8\", \"weight_block_size\": [0, 128]}",
                   checkpoint("weight_scale_inv", "F32", 2, s22, good, 16), LQ_ERR_FORMAT);
    expect_failure("{\"quant_method\": \"fp8\", \"weight_block_size\": \"128\"}",
                   checkpoint("weight_scale_inv", "F32", 2, s22, good, 16), LQ_ERR_FORMAT);
}

LQT_MAIN(fixture_block, fixture_block_partial, fixture_channel, fixture_tensor, partial_blocks,
         f16_channel_scales, companions, hostile_scales, hostile_weights, unsupported_configs)
