/* test_hf.c — the Hugging Face layouts: golden words worked out by hand from
 * the layout rules (the sym qzeros words, the 3-bit word layout, AWQ's
 * nibble interleave, bitsandbytes' nibble order, fp8 codes), exact round
 * trips of every format through memory and through a safetensors file, g_idx
 * from act_order, the config JSON, and damaged inputs. */
#include <stdint.h>
#include <unistd.h>

#include "../methods/synth.h"

static lqt_rng R = {2024};

static float *random_w(int64_t n)
{
    float *w = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        w[i] = lqt_normal(&R) * 0.05f;
    return w;
}

static lq_tensor *quantize_w(const char *scheme, const float *w, int64_t rows, int64_t cols)
{
    lq_scheme *s = lqt_scheme(scheme);
    lq_tensor *t = lqt_wrap(w, rows, cols, "w"), *q = NULL;
    CHECK_OK(lq_quantize(NULL, t, s, NULL, NULL, &q));
    lq_tensor_free(t);
    lq_scheme_free(s);
    return q;
}

/* An int tensor with the given codes (rows x cols bytes) and grids. */
static lq_tensor *int_tensor(const char *scheme, int64_t rows, int64_t cols, const uint8_t *codes,
                             float scale, int zero)
{
    lq_scheme *s = lqt_scheme(scheme);
    int64_t bits = 0, group = 0, sym = 1, shape[2] = {rows, cols};
    lq_scheme_get_int(s, LQ_PARAM_BITS, &bits);
    lq_scheme_get_int(s, LQ_PARAM_GROUP_SIZE, &group);
    lq_scheme_get_int(s, LQ_PARAM_SYMMETRIC, &sym);
    uint64_t nbytes = 0;
    CHECK_OK(lq_scheme_tensor_bytes(s, rows, cols, &nbytes));
    uint8_t *b = calloc(nbytes, 1);
    int64_t row_bytes = (cols * bits + 7) / 8, ng = group > 0 ? cols / group : 1;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < cols; j++) {
            int64_t bit = j * bits;
            unsigned v = (unsigned)codes[r * cols + j] << (bit % 8);
            b[r * row_bytes + bit / 8] |= (uint8_t)v;
            if (bit % 8 + bits > 8)
                b[r * row_bytes + bit / 8 + 1] |= (uint8_t)(v >> 8);
        }
    for (int64_t i = 0; i < rows * ng; i++) { /* f32 scales, then u8 zeros */
        memcpy(b + rows * row_bytes + 4 * i, &scale, 4);
        if (!sym)
            b[rows * row_bytes + 4 * rows * ng + i] = (uint8_t)zero;
    }
    lq_tensor *t = NULL;
    CHECK_OK(lq_tensor_wrap_quantized(s, 2, shape, b, nbytes, LQ_COPY, "w", &t));
    free(b);
    lq_scheme_free(s);
    return t;
}

static uint32_t word(const lq_safetensors *st, const char *name, int64_t i)
{
    int64_t k = lq_safetensors_find_tensor(st, name);
    const void *d = NULL;
    uint64_t n = 0;
    if (k < 0 || lq_safetensors_tensor_raw(st, k, &d, &n) != LQ_OK || (uint64_t)(4 * i + 4) > n)
        return 0xdeadbeef;
    uint32_t w;
    memcpy(&w, (const uint8_t *)d + 4 * i, 4);
    return w;
}

static void gptq_golden_words(void)
{
    enum { OUT = 32, IN = 64 };
    lq_safetensors *st = NULL;
    CHECK_OK(lq_safetensors_create(&st));
    float *w = random_w(OUT * IN);
    /* symmetric zero points 8 and 128, stored minus one */
    lq_tensor *q4 = quantize_w("int4:g32:sym", w, OUT, IN), *q8 = quantize_w("int8:g32:sym", w, OUT, IN);
    CHECK_OK(lq_hf_export(q4, NULL, NULL, LQ_HF_GPTQ, "l4", st));
    CHECK_OK(lq_hf_export(q8, NULL, NULL, LQ_HF_GPTQ, "l8", st));
    int all7 = 1, all7f = 1;
    for (int i = 0; i < 2 * OUT * 4 / 32; i++)
        all7 &= word(st, "l4.qzeros", i) == 0x77777777u;
    for (int i = 0; i < 2 * OUT * 8 / 32; i++)
        all7f &= word(st, "l8.qzeros", i) == 0x7F7F7F7Fu;
    CHECK(all7 && all7f);
    int gi = 1;
    for (int c = 0; c < IN; c++)
        gi &= (int)word(st, "l4.g_idx", c) == c / 32;
    CHECK(gi);
    /* 4-bit: nibble j of qweight[k, o] is input 8k + j */
    uint8_t codes[OUT * IN];
    for (int o = 0; o < OUT; o++)
        for (int c = 0; c < IN; c++)
            codes[o * IN + c] = (uint8_t)((c + 3 * o) % 16);
    lq_tensor *t4 = int_tensor("int4:g32:sym:scale=f32", OUT, IN, codes, 0.5f, 0);
    CHECK_OK(lq_hf_export(t4, NULL, NULL, LQ_HF_GPTQ, "n4", st));
    CHECK(word(st, "n4.qweight", 0) == 0x76543210u);        /* k = 0, o = 0 */
    /* inputs 8..15 of output 1: (c + 3) % 16 = 11, 12, 13, 14, 15, 0, 1, 2 -> 0x210FEDCB */
    CHECKF(word(st, "n4.qweight", OUT + 1) == 0x210FEDCBu, "0x%08x",
           word(st, "n4.qweight", OUT + 1));
    /* 3-bit: 32 values in 3 words, the rule of algorithms.md 1.7 written out */
    for (int o = 0; o < OUT; o++)
        for (int c = 0; c < IN; c++)
            codes[o * IN + c] = (uint8_t)((c * 5 + o) % 8);
    lq_tensor *t3 = int_tensor("int3:g32:asym:scale=f32", OUT, IN, codes, 0.25f, 3);
    CHECK_OK(lq_hf_export(t3, NULL, NULL, LQ_HF_GPTQ, "n3", st));
    for (int blk = 0; blk < 2; blk++) {
        const uint8_t *v = codes + 32 * blk; /* output 0, inputs 32 blk .. */
        uint32_t w0 = 0, w1 = 0, w2 = 0;
        for (int j = 0; j < 10; j++)
            w0 |= (uint32_t)v[j] << (3 * j);
        w0 |= (uint32_t)(v[10] & 3) << 30;
        w1 = (uint32_t)v[10] >> 2;
        for (int j = 11; j < 21; j++)
            w1 |= (uint32_t)v[j] << (3 * (j - 11) + 1);
        w1 |= (uint32_t)(v[21] & 1) << 31;
        w2 = (uint32_t)v[21] >> 1;
        for (int j = 22; j < 32; j++)
            w2 |= (uint32_t)v[j] << (3 * (j - 22) + 2);
        CHECK(word(st, "n3.qweight", (3 * blk + 0) * OUT) == w0);
        CHECK(word(st, "n3.qweight", (3 * blk + 1) * OUT) == w1);
        CHECK(word(st, "n3.qweight", (3 * blk + 2) * OUT) == w2);
    }
    /* zero 3 stored as 2 for 32 outputs of 3 bits: the pattern 010 repeated */
    uint32_t z[3] = {0, 0, 0};
    for (int j = 0; j < 32; j++) {
        int bit = 3 * j + 1; /* the one set bit of 010 */
        z[bit / 32] |= 1u << (bit % 32);
    }
    CHECK(word(st, "n3.qzeros", 0) == z[0] && word(st, "n3.qzeros", 1) == z[1] &&
          word(st, "n3.qzeros", 2) == z[2]);
    /* asym with a zero point of 0: v1 cannot, v2 can */
    lq_tensor *t0 = int_tensor("int4:g32:asym:scale=f32", OUT, IN, codes, 0.25f, 0);
    CHECK_STATUS(lq_hf_export(t0, NULL, NULL, LQ_HF_GPTQ, "z0", st), LQ_ERR_UNSUPPORTED);
    CHECK_OK(lq_hf_export(t0, NULL, NULL, LQ_HF_GPTQ_V2, "z0", st));
    CHECK(word(st, "z0.qzeros", 0) == 0);
    lq_tensor_free(q4), lq_tensor_free(q8), lq_tensor_free(t4), lq_tensor_free(t3),
        lq_tensor_free(t0);
    lq_safetensors_free(st);
    free(w);
}

static void awq_golden_words(void)
{
    enum { OUT = 16, IN = 64 };
    uint8_t codes[OUT * IN];
    for (int o = 0; o < OUT; o++)
        for (int c = 0; c < IN; c++)
            codes[o * IN + c] = (uint8_t)(o % 8 + (c % 2) * 8);
    lq_tensor *t = int_tensor("int4:g32:asym:scale=f32", OUT, IN, codes, 0.125f, 3);
    lq_safetensors *st = NULL;
    CHECK_OK(lq_safetensors_create(&st));
    CHECK_OK(lq_hf_export(t, NULL, NULL, LQ_HF_AWQ, "a", st));
    /* input 0: value k at output k -> nibbles 0,2,4,6,1,3,5,7 */
    CHECK(word(st, "a.qweight", 0) == 0x75316420u);
    CHECK(word(st, "a.qweight", 2) == 0xFDB9ECA8u); /* input 1: k + 8 */
    CHECK(word(st, "a.qzeros", 0) == 0x33333333u);  /* zeros as they are */
    int64_t k = lq_safetensors_find_tensor(st, "a.scales");
    CHECK(k >= 0 && lq_safetensors_tensor_dim(st, k, 0) == IN / 32 && lq_safetensors_tensor_dim(st, k, 1) == OUT);
    float *w = random_w(8 * 64);
    lq_tensor *q3 = quantize_w("int3:g32", w, 8, 64), *q5 = quantize_w("int4:g32", w, 4, 128);
    CHECK_STATUS(lq_hf_export(q3, NULL, NULL, LQ_HF_AWQ, "b", st), LQ_ERR_INVALID);
    CHECK_STATUS(lq_hf_export(q5, NULL, NULL, LQ_HF_AWQ, "c", st), LQ_ERR_SHAPE); /* 4 outputs */
    lq_tensor_free(t), lq_tensor_free(q3), lq_tensor_free(q5);
    lq_safetensors_free(st);
    free(w);
}

static void bnb_and_fp8_golden_bytes(void)
{
    lq_safetensors *st = NULL;
    CHECK_OK(lq_safetensors_create(&st));
    float w[2] = {-1.0f, 1.0f};
    lq_tensor *q = quantize_w("nf4:b64", w, 1, 2);
    CHECK_OK(lq_hf_export(q, NULL, NULL, LQ_HF_BNB4, "m", st));
    int64_t k = lq_safetensors_find_tensor(st, "m.weight");
    const void *d = NULL;
    uint64_t n = 0;
    CHECK(k >= 0 && lq_safetensors_tensor_raw(st, k, &d, &n) == LQ_OK && n == 1 &&
          *(const uint8_t *)d == 0x0F);
    CHECK(strcmp(lq_safetensors_tensor_dtype(st, k), "U8") == 0 && lq_safetensors_tensor_dim(st, k, 1) == 1);
    k = lq_safetensors_find_tensor(st, "m.weight.quant_state.bitsandbytes__nf4");
    CHECK(k >= 0 && lq_safetensors_tensor_raw(st, k, &d, &n) == LQ_OK);
    char json[256] = {0};
    memcpy(json, d, n < 255 ? n : 255);
    CHECKF(strstr(json, "\"blocksize\": 64") && strstr(json, "\"shape\": [1, 2]") &&
           strstr(json, "\"quant_type\": \"nf4\""), "%s", json);
    k = lq_safetensors_find_tensor(st, "m.weight.absmax");
    CHECK(k >= 0 && lq_safetensors_tensor_raw(st, k, &d, &n) == LQ_OK && n == 4 && *(const float *)d == 1.0f);
    CHECK(lq_safetensors_find_tensor(st, "m.weight.quant_map") >= 0);
    lq_tensor_free(q);

    float f[4] = {448.0f, -448.0f, 224.0f, 0.0f};
    q = quantize_w("fp8_e4m3", f, 2, 2);
    CHECK_OK(lq_hf_export(q, NULL, NULL, LQ_HF_FP8, "f", st));
    k = lq_safetensors_find_tensor(st, "f.weight");
    CHECK(k >= 0 && strcmp(lq_safetensors_tensor_dtype(st, k), "F8_E4M3") == 0);
    CHECK(lq_safetensors_tensor_raw(st, k, &d, &n) == LQ_OK && n == 4 &&
          memcmp(d, "\x7e\xfe\x76\x00", 4) == 0);
    k = lq_safetensors_find_tensor(st, "f.weight_scale");
    CHECK(k >= 0 && lq_safetensors_tensor_ndim(st, k) == 0 && lq_safetensors_tensor_raw(st, k, &d, &n) == LQ_OK &&
          *(const float *)d == 1.0f);
    CHECK(lq_safetensors_find_tensor(st, "f.input_scale") < 0); /* dynamic activations */
    /* static activations: input_scale = max |x| / 448 from the calibration set */
    lq_calib *c = NULL;
    float x[2 * 2] = {0.5f, -896.0f, 3.0f, 1.0f};
    CHECK_OK(lq_calib_create(2, &c));
    CHECK_OK(lq_calib_add(c, x, 2));
    CHECK_STATUS(lq_hf_export(q, NULL, NULL, LQ_HF_FP8_STATIC, "s", st), LQ_ERR_INVALID);
    CHECK_OK(lq_hf_export(q, NULL, c, LQ_HF_FP8_STATIC, "s", st));
    k = lq_safetensors_find_tensor(st, "s.input_scale");
    CHECK(k >= 0 && lq_safetensors_tensor_ndim(st, k) == 0 && lq_safetensors_tensor_raw(st, k, &d, &n) == LQ_OK &&
          *(const float *)d == 2.0f);
    lq_calib_free(c);
    lq_tensor_free(q);
    lq_safetensors_free(st);
}

/* x rounded to bfloat16 (nearest, ties to even), back as float. */
static float bf16_round(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    memcpy(&x, &u, 4);
    return x;
}

/* Export, import: the same bytes and scheme; lq_hf_dequantize: the same
 * floats as lq_dequantize_f32 (int8: within bitsandbytes' own rounding;
 * bnb4: rounded to bfloat16, the dtype lq_hf_export writes in the quant
 * state, to which bitsandbytes rounds what it decodes). */
static void round_trip(const char *scheme, int format, int64_t rows, int64_t cols,
                       lq_safetensors *st, const char *prefix)
{
    float *w = random_w(rows * cols);
    lq_tensor *q = quantize_w(scheme, w, rows, cols), *back = NULL;
    CHECK_OK(lq_hf_export(q, NULL, NULL, format, prefix, st));
    CHECK_OK(lq_hf_import(st, format, prefix, &back, NULL));
    if (q && back) {
        CHECKF(lq_tensor_nbytes(q) == lq_tensor_nbytes(back) &&
               memcmp(lq_tensor_data(q), lq_tensor_data(back), lq_tensor_nbytes(q)) == 0,
               "%s: bytes differ after the round trip", scheme);
        float *a = malloc(sizeof(float) * rows * cols), *b = malloc(sizeof(float) * rows * cols);
        CHECK_OK(lq_dequantize_f32(NULL, q, a, rows * cols));
        CHECK_OK(lq_hf_dequantize(st, format, prefix, b, rows * cols));
        int same = 1;
        for (int64_t i = 0; i < rows * cols; i++)
            /* int8 rows decode as code * scale in one order and code / (1 / scale)
             * in the other: one float rounding apart (2^-23 = 1.2e-7) */
            same &= format == LQ_HF_INT8   ? fabsf(a[i] - b[i]) <= 2e-7f * fabsf(a[i])
                    : format == LQ_HF_BNB4 ? b[i] == bf16_round(a[i])
                                           : a[i] == b[i];
        CHECKF(same, "%s: decoded values differ", scheme);
        free(a), free(b);
    }
    lq_tensor_free(q), lq_tensor_free(back);
    free(w);
}

static char tmpdir[64];

static void every_format_round_trips(void)
{
    lq_safetensors *st = NULL;
    CHECK_OK(lq_safetensors_create(&st));
    round_trip("int4:g128:sym", LQ_HF_GPTQ, 64, 256, st, "g4");
    round_trip("int3:g64:sym", LQ_HF_GPTQ, 64, 128, st, "g3");
    round_trip("int2:channel:sym", LQ_HF_GPTQ, 32, 128, st, "g2");
    round_trip("int8:g32:sym:scale=f32", LQ_HF_GPTQ, 32, 64, st, "g8");
    round_trip("int4:g64:asym", LQ_HF_GPTQ_V2, 48, 128, st, "v2");
    round_trip("int4:g64:asym", LQ_HF_AWQ, 48, 128, st, "aw");
    round_trip("int4:channel:sym", LQ_HF_AWQ, 16, 96, st, "as");
    round_trip("nf4:b64", LQ_HF_BNB4, 24, 72, st, "b1");
    round_trip("fp4:b128:dq", LQ_HF_BNB4, 40, 520, st, "b2");
    round_trip("nf4:b32:dq", LQ_HF_BNB4, 3, 7, st, "b3"); /* odd element count */
    round_trip("fp8_e4m3", LQ_HF_FP8, 16, 40, st, "f1");
    round_trip("fp8_e4m3:channel", LQ_HF_FP8, 16, 40, st, "f2");
    round_trip("llm_int8:int8:scale=f32", LQ_HF_INT8, 24, 40, st, "i8");
    round_trip("nvfp4", LQ_HF_NVFP4, 16, 128, st, "n4");
    round_trip("mxfp4", LQ_HF_MXFP4, 24, 96, st, "x4");
    /* the same through a file */
    strcpy(tmpdir, "/tmp/lq-hf-XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/model.safetensors", tmpdir);
    CHECK_OK(lq_safetensors_save(NULL, st, path, 0));
    lq_safetensors *rd = NULL;
    CHECK_OK(lq_safetensors_open(path, &rd));
    const char *prefixes[] = {"g4", "g3", "v2", "aw", "b2", "b3", "f2", "i8"};
    const int formats[] = {LQ_HF_GPTQ, LQ_HF_GPTQ, LQ_HF_GPTQ_V2, LQ_HF_AWQ, LQ_HF_BNB4, LQ_HF_BNB4,
                           LQ_HF_FP8, LQ_HF_INT8};
    for (int i = 0; i < 8; i++) {
        lq_tensor *a = NULL, *b = NULL;
        CHECK_OK(lq_hf_import(st, formats[i], prefixes[i], &a, NULL));
        CHECK_OK(lq_hf_import(rd, formats[i], prefixes[i], &b, NULL));
        CHECK(a && b && lq_tensor_nbytes(a) == lq_tensor_nbytes(b) &&
              memcmp(lq_tensor_data(a), lq_tensor_data(b), lq_tensor_nbytes(a)) == 0);
        lq_tensor_free(a), lq_tensor_free(b);
    }
    lq_safetensors_free(rd);
    lq_safetensors_free(st);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    CHECK(system(cmd) == 0);
}

/* act_order: the column order becomes g_idx and comes back from it. */
static void act_order_g_idx(void)
{
    enum { OUT = 32, IN = 128, T = 256 };
    float *w = random_w(OUT * IN), *x = random_w(T * IN);
    for (int t = 0; t < T; t++)
        for (int c = 0; c < IN; c++)
            x[t * IN + c] *= 1.0f + (float)((c * 37) % IN) / 8.0f; /* distinct diagonals */
    lq_calib *c = NULL;
    CHECK_OK(lq_calib_create(IN, &c));
    CHECK_OK(lq_calib_add(c, x, T));
    lq_scheme *s = lqt_scheme("gptq:int4:g32:act_order");
    lq_tensor *t = lqt_wrap(w, OUT, IN, "w"), *q = NULL, *back = NULL;
    int32_t perm[IN], perm2[IN];
    CHECK_OK(lq_gptq_quantize(NULL, t, s, c, &q, perm));
    lq_safetensors *st = NULL;
    CHECK_OK(lq_safetensors_create(&st));
    CHECK_OK(lq_hf_export(q, perm, NULL, LQ_HF_GPTQ, "p", st));
    int scattered = 0, right = 1;
    for (int j = 0; j < IN; j++) {
        right &= (int)word(st, "p.g_idx", perm[j]) == j / 32;
        scattered |= (int)word(st, "p.g_idx", j) != j / 32;
    }
    CHECK(right && scattered);
    CHECK_STATUS(lq_hf_import(st, LQ_HF_GPTQ, "p", &back, NULL), LQ_ERR_INVALID);
    CHECK_OK(lq_hf_import(st, LQ_HF_GPTQ, "p", &back, perm2));
    /* g_idx fixes each column's group, not the order inside a group: the
     * import orders them by index, and decodes to the same weight */
    float *a = malloc(sizeof(float) * OUT * IN), *b = malloc(sizeof(float) * OUT * IN);
    float *a2 = malloc(sizeof(float) * OUT * IN), *b2 = malloc(sizeof(float) * OUT * IN);
    CHECK_OK(lq_dequantize_f32(NULL, q, a, OUT * IN));
    CHECK_OK(lq_dequantize_f32(NULL, back, a2, OUT * IN));
    CHECK_OK(lq_hf_dequantize(st, LQ_HF_GPTQ, "p", b, OUT * IN));
    int same = 1;
    for (int o = 0; o < OUT; o++)
        for (int j = 0; j < IN; j++) {
            b2[o * IN + perm2[j]] = a2[o * IN + j];
            same &= a[o * IN + j] == b[o * IN + perm[j]];
        }
    CHECK(same);
    CHECK(memcmp(b, b2, sizeof(float) * OUT * IN) == 0);
    for (int j = 0; j < IN; j++)
        CHECK((int)word(st, "p.g_idx", perm2[j]) == j / 32);
    free(a2), free(b2);
    CHECK_STATUS(lq_hf_export(q, perm, NULL, LQ_HF_AWQ, "x", st), LQ_ERR_INVALID);
    lq_tensor_free(t), lq_tensor_free(q), lq_tensor_free(back);
    lq_safetensors_free(st);
    lq_scheme_free(s);
    lq_calib_free(c);
    free(w), free(x), free(a), free(b);
}

/* Files from elsewhere: wrong dtypes, shapes and values are reported; a
 * g_idx whose groups differ in size decodes but does not import. */
static void damaged_layers(void)
{
    enum { OUT = 8, IN = 64 };
    lq_safetensors *st = NULL;
    CHECK_OK(lq_safetensors_create(&st));
    int32_t qweight[IN / 8 * OUT] = {0}, qzeros[2 * OUT / 8], g_idx[IN];
    uint16_t scales[2 * OUT];
    for (int i = 0; i < 2 * OUT / 8; i++)
        qzeros[i] = 0x77777777;
    for (int i = 0; i < 2 * OUT; i++)
        scales[i] = 0x3c00; /* 1.0 */
    for (int i = 0; i < IN / 8 * OUT; i++)
        qweight[i] = (int32_t)0x89abcdefu;
    for (int c = 0; c < IN; c++)
        g_idx[c] = c % 3 == 0; /* groups of 22 and 42 columns */
    int64_t sw[2] = {IN / 8, OUT}, sz[2] = {2, OUT / 8}, ss[2] = {2, OUT}, sg[1] = {IN};
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "x.qweight", "I32", 2, sw, qweight, sizeof qweight, LQ_COPY));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "x.qzeros", "I32", 2, sz, qzeros, sizeof qzeros, LQ_COPY));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "x.scales", "F16", 2, ss, scales, sizeof scales, LQ_COPY));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "x.g_idx", "I32", 1, sg, g_idx, sizeof g_idx, LQ_COPY));
    lq_tensor *t = NULL;
    int32_t perm[IN];
    CHECK_STATUS(lq_hf_import(st, LQ_HF_GPTQ, "x", &t, perm), LQ_ERR_UNSUPPORTED);
    float out[OUT * IN];
    CHECK_OK(lq_hf_dequantize(st, LQ_HF_GPTQ, "x", out, OUT * IN));
    /* nibble c % 8 of 0x89abcdef, zero 8 */
    int ok = 1;
    for (int c = 0; c < IN; c++)
        ok &= out[c] == (float)(int)((0x89abcdefu >> (4 * (c % 8))) & 15) - 8.0f;
    CHECK(ok);
    CHECK_STATUS(lq_hf_dequantize(st, LQ_HF_GPTQ, "x", out, 5), LQ_ERR_SHAPE);
    g_idx[5] = 7;
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "y.qweight", "I32", 2, sw, qweight, sizeof qweight, LQ_COPY));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "y.qzeros", "I32", 2, sz, qzeros, sizeof qzeros, LQ_COPY));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "y.scales", "I32", 2, ss, qweight, 4 * 2 * OUT, LQ_COPY));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "y.g_idx", "I32", 1, sg, g_idx, sizeof g_idx, LQ_COPY));
    CHECK_STATUS(lq_hf_dequantize(st, LQ_HF_GPTQ, "y", out, OUT * IN), LQ_ERR_FORMAT);
    CHECK(strstr(lq_last_error(), "y.scales") != NULL);
    CHECK_STATUS(lq_hf_import(st, LQ_HF_GPTQ, "missing", &t, perm), LQ_ERR_FORMAT);
    CHECK_STATUS(lq_hf_import(st, LQ_HF_AWQ, "x", &t, NULL), LQ_ERR_FORMAT); /* shapes */
    CHECK_STATUS(lq_hf_import(st, 42, "x", &t, NULL), LQ_ERR_INVALID);
    /* a bitsandbytes state with a bad block size */
    const char *js = "{\"quant_type\": \"nf4\", \"blocksize\": 48, \"dtype\": \"float16\", \"shape\": [2, 2]}";
    int64_t sj[1] = {(int64_t)strlen(js)}, s1[1] = {2}, s16[1] = {16}, s2[2] = {2, 1};
    float map[16] = {0}, am[2] = {1, 1};
    uint8_t wb[2] = {0x12, 0x34};
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "b.weight.quant_state.bitsandbytes__nf4", "U8", 1, sj, js,
                                    strlen(js), LQ_COPY));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "b.weight", "U8", 2, s2, wb, 2, LQ_COPY));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "b.weight.absmax", "F32", 1, s1, am, 8, LQ_COPY));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "b.weight.quant_map", "F32", 1, s16, map, 64, LQ_COPY));
    CHECK_STATUS(lq_hf_import(st, LQ_HF_BNB4, "b", &t, NULL), LQ_ERR_FORMAT);
    CHECK(strstr(lq_last_error(), "blocksize") != NULL);
    lq_safetensors_free(st);
}

static void config_json(void)
{
    const char *cases[][3] = {
        {"gptq:int4:g128:act_order", "0", "\"desc_act\": true"},
        {"gptq:int3:channel", "0", "\"group_size\": -1"},
        {"int4:g128:sym", "0", "\"checkpoint_format\": \"gptq\""},
        {"int4:g64:asym", "1", "\"checkpoint_format\": \"gptq_v2\""},
        {"awq:int4:g128", "2", "\"version\": \"gemm\""},
        {"nf4:b64:dq", "3", "\"bnb_4bit_use_double_quant\": true"},
        {"llm_int8:int8:threshold=4", "5", "\"llm_int8_threshold\": 4"},
        {"fp8_e4m3", "4", "\"quant_method\": \"fp8\""},
        {"fp8_e4m3:channel", "4", "\"strategy\": \"channel\""},
        {"fp8_e4m3", "6", "\"activation_scheme\": \"static\""},
        {"nvfp4", "7", "\"format\": \"nvfp4-pack-quantized\""},
        {"mxfp4", "8", "\"quant_method\": \"mxfp4\""},
    };
    for (int i = 0; i < 12; i++) {
        lq_scheme *s = lqt_scheme(cases[i][0]);
        char *json = NULL;
        CHECK_OK(lq_hf_config(atoi(cases[i][1]), s, &json));
        CHECKF(json && strstr(json, cases[i][2]), "%s: %s", cases[i][0], json ? json : "(null)");
        lq_free(json);
        lq_scheme_free(s);
    }
    lq_scheme *s = lqt_scheme("int3:g64");
    char *json = NULL;
    CHECK_STATUS(lq_hf_config(LQ_HF_AWQ, s, &json), LQ_ERR_INVALID);
    CHECK(json == NULL);
    lq_scheme_free(s);
}

/* The microscaling layouts, worked by hand: one ggml block whose element j
 * has code j % 16; gpt-oss and compressed-tensors pack elements 2k and
 * 2k + 1 into byte k (low nibble first), ggml j and j + 16 (MXFP4) or j and
 * j + 8 of each 16 (NVFP4). Also 3-D experts and NVFP4's global scale. */
static void fp4_golden_bytes(void)
{
    uint8_t mx[17] = {130}; /* e = 130: scale 2^3 */
    for (int j = 0; j < 32; j++)
        mx[1 + (j & 15)] |= (uint8_t)((j % 16) << (j < 16 ? 0 : 4));
    uint8_t nv[36] = {0x38, 0x38, 0x38, 0x38}; /* E4M3 1.0 */
    for (int j = 0; j < 64; j++)
        nv[4 + 8 * (j / 16) + (j & 7)] |= (uint8_t)((j % 16) << (j % 16 < 8 ? 0 : 4));
    lq_scheme *smx = lqt_scheme("mxfp4"), *snv = lqt_scheme("nvfp4");
    int64_t s2[2] = {1, 32}, s3[3] = {2, 1, 32}, n2[2] = {1, 64};
    uint8_t mx2[34];
    memcpy(mx2, mx, 17), memcpy(mx2 + 17, mx, 17);
    lq_tensor *qm = NULL, *q3 = NULL, *qn = NULL, *back = NULL;
    CHECK_OK(lq_tensor_wrap_quantized(smx, 2, s2, mx, 17, LQ_COPY, "m", &qm));
    CHECK_OK(lq_tensor_wrap_quantized(smx, 3, s3, mx2, 34, LQ_COPY, "e", &q3));
    CHECK_OK(lq_tensor_wrap_quantized(snv, 2, n2, nv, 36, LQ_COPY, "n", &qn));
    lq_safetensors *st = NULL;
    CHECK_OK(lq_safetensors_create(&st));
    CHECK_OK(lq_hf_export(qm, NULL, NULL, LQ_HF_MXFP4, "m", st));
    CHECK_OK(lq_hf_export(q3, NULL, NULL, LQ_HF_MXFP4, "e", st));
    CHECK_OK(lq_hf_export(qn, NULL, NULL, LQ_HF_NVFP4, "n", st));
    int64_t e = lq_safetensors_find_tensor(st, "m_scales");
    const void *ed = NULL;
    uint64_t en = 0;
    CHECK(e >= 0 && lq_safetensors_tensor_raw(st, e, &ed, &en) == LQ_OK && en == 1 &&
          *(const uint8_t *)ed == 130);
    for (int k = 0; k < 16; k++) {
        uint8_t want = (uint8_t)((2 * k % 16) | (2 * k + 1) % 16 << 4);
        CHECKF((word(st, "m_blocks", k / 4) >> (8 * (k % 4)) & 0xFF) == want, "mxfp4 byte %d", k);
    }
    for (int k = 0; k < 32; k++) {
        uint8_t want = (uint8_t)((2 * k % 16) | (2 * k + 1) % 16 << 4);
        CHECKF((word(st, "n.weight_packed", k / 4) >> (8 * (k % 4)) & 0xFF) == want,
               "nvfp4 byte %d", k);
    }
    int64_t i = lq_safetensors_find_tensor(st, "e_blocks");
    CHECK(i >= 0 && lq_safetensors_tensor_ndim(st, i) == 4 &&
          lq_safetensors_tensor_dim(st, i, 0) == 2 && lq_safetensors_tensor_dim(st, i, 2) == 1 &&
          lq_safetensors_tensor_dim(st, i, 3) == 16);
    CHECK_OK(lq_hf_import(st, LQ_HF_MXFP4, "e", &back, NULL));
    CHECK(back && lq_tensor_ndim(back) == 3 && memcmp(lq_tensor_data(back), mx2, 34) == 0);
    lq_tensor_free(back);
    /* element j decodes to E2M1 value (j % 16) times 8; code 9 is -0.5 */
    float y[64];
    CHECK_OK(lq_hf_dequantize(st, LQ_HF_MXFP4, "m", y, 32));
    CHECK(y[1] == 4.0f && y[7] == 48.0f && y[9] == -4.0f && y[31] == -48.0f);
    /* a global scale of 4 divides every scale: decoded, not importable */
    float four = 4.0f;
    int64_t one = 1;
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "g.weight_global_scale", "F32", 1, &one, &four, 4,
                                           LQ_COPY));
    for (const char *part = "weight_packed"; part; part = part[7] == 'p' ? "weight_scale" : NULL) {
        char from[64], to[64];
        snprintf(from, sizeof from, "n.%s", part), snprintf(to, sizeof to, "g.%s", part);
        int64_t k = lq_safetensors_find_tensor(st, from);
        const void *data;
        uint64_t nb;
        int64_t shape[2] = {lq_safetensors_tensor_dim(st, k, 0), lq_safetensors_tensor_dim(st, k, 1)};
        CHECK_OK(lq_safetensors_tensor_raw(st, k, &data, &nb));
        CHECK_OK(lq_safetensors_add_tensor_raw(st, to, lq_safetensors_tensor_dtype(st, k), 2, shape,
                                               data, nb, LQ_COPY));
    }
    CHECK_OK(lq_hf_dequantize(st, LQ_HF_NVFP4, "g", y, 64));
    CHECK(y[7] == 1.5f && y[23] == 1.5f && y[15] == -1.5f); /* 6 x 1 / 4 */
    CHECK_STATUS(lq_hf_import(st, LQ_HF_NVFP4, "g", &back, NULL), LQ_ERR_UNSUPPORTED);
    CHECK(strstr(lq_last_error(), "global scale") != NULL);
    lq_safetensors_free(st);
    lq_tensor_free(qm), lq_tensor_free(q3), lq_tensor_free(qn);
    lq_scheme_free(smx), lq_scheme_free(snv);
}

LQT_MAIN(gptq_golden_words, awq_golden_words, bnb_and_fp8_golden_bytes, every_format_round_trips,
         act_order_g_idx, damaged_layers, config_json, fp4_golden_bytes)
