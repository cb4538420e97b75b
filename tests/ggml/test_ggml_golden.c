/* test_ggml_golden.c — the ggml block codecs against the vectors made with
 * ggml's own reference code (shared/golden/ggml/): every .bin byte for byte,
 * every .deq.f32 bit for bit, with and without the importance matrix, both
 * inputs; through the row functions and through lq_quantize /
 * lq_dequantize_f32. Plus ggml.md 6c's MD5 digests of 16 x 4096 values of
 * 0.1 + 2 cos(i). Run once per SIMD level (LQ_ARCH). */
#include "../harness.h"
#include "ggml_cases.h"
#include "libquant/core/type_info.h"
#include "libquant/core/type_list.h"
#include "libquant/formats/codec.h"
#include "md5.h"

enum { ROWS = 8, COLS = 2048 };
static const char *const inputs[2] = {"normal", "mixed"};

typedef struct {
    float *x[2];  /* the two inputs */
    float *imat;
} goldens;

static int load_inputs(goldens *g)
{
    char name[64];
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "%s_8x2048.f32", inputs[i]);
        g->x[i] = read_golden(name, &n);
        if (!g->x[i] || n != sizeof(float) * ROWS * COLS)
            return 0;
    }
    g->imat = read_golden("normal_8x2048.imatrix.f32", &n);
    return g->imat && n == sizeof(float) * COLS;
}

static void free_inputs(goldens *g)
{
    free(g->x[0]), free(g->x[1]), free(g->imat);
}

/* The golden .bin or .deq.f32 of one case, checked for its size. */
static void *expected(const ggml_case *c, int input, int imat, const char *ext, size_t want)
{
    char name[96];
    size_t n = 0;
    snprintf(name, sizeof name, "%s.%s%s.%s", inputs[input], c->file, imat ? ".imat" : "", ext);
    void *buf = read_golden(name, &n);
    CHECKF(buf && n == want, "%s: missing or %zu bytes, want %zu", name, n, want);
    if (buf && n != want) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void row_functions_make_the_golden_blocks(void)
{
    goldens g;
    CHECK(load_inputs(&g));
    for (int t = 0; t < GGML_NCASES && g.imat; t++) {
        const ggml_case *c = &ggml_cases[t];
        if (!c->golden)
            continue;
        const lq__codec *codec = lq__codec_for(c->type);
        const size_t row_bytes = (size_t)COLS / c->block * c->bytes;
        unsigned char *got = malloc(ROWS * row_bytes);
        for (int input = 0; input < 2; input++) {
            for (int imat = 0; imat < 2; imat++) {
                unsigned char *want = expected(c, input, imat, "bin", ROWS * row_bytes);
                if (!want || !got)
                    continue;
                memset(got, 0xa5, ROWS * row_bytes); /* row functions write every byte */
                for (int r = 0; r < ROWS; r++)
                    codec->quantize_row(g.x[input] + r * COLS, got + r * row_bytes, COLS,
                                        imat ? g.imat : NULL);
                long d = first_diff(got, want, ROWS * row_bytes);
                CHECKF(d < 0, "%s %s%s: byte %ld differs (row %ld, block %ld): %d, want %d",
                       inputs[input], c->file, imat ? " imat" : "", d, d / (long)row_bytes,
                       d % (long)row_bytes / c->bytes, got[d < 0 ? 0 : d], want[d < 0 ? 0 : d]);
                free(want);
            }
        }
        free(got);
    }
    free_inputs(&g);
}

static void row_functions_decode_to_the_golden_floats(void)
{
    for (int t = 0; t < GGML_NCASES; t++) {
        const ggml_case *c = &ggml_cases[t];
        if (!c->golden)
            continue;
        const lq__codec *codec = lq__codec_for(c->type);
        const size_t row_bytes = (size_t)COLS / c->block * c->bytes;
        float *got = malloc(sizeof(float) * ROWS * COLS);
        /* one extra byte so that the blocks can start at an odd address */
        unsigned char *odd = malloc(ROWS * row_bytes + 1);
        for (int input = 0; input < 2; input++) {
            for (int imat = 0; imat < 2; imat++) {
                unsigned char *bin = expected(c, input, imat, "bin", ROWS * row_bytes);
                float *want = expected(c, input, imat, "deq.f32", sizeof(float) * ROWS * COLS);
                if (bin && want && got && odd) {
                    memcpy(odd + 1, bin, ROWS * row_bytes);
                    for (int r = 0; r < ROWS; r++)
                        codec->dequantize_row(odd + 1 + r * row_bytes, got + r * COLS, COLS);
                    long d = first_diff(got, want, sizeof(float) * ROWS * COLS);
                    CHECKF(d < 0, "%s %s%s: float %ld is %.9g, want %.9g", inputs[input], c->file,
                           imat ? " imat" : "", d / 4, got[d < 0 ? 0 : d / 4],
                           want[d < 0 ? 0 : d / 4]);
                }
                free(bin);
                free(want);
            }
        }
        free(got);
        free(odd);
    }
}

/* lq_quantize with the type's scheme, then lq_dequantize_f32, on two threads. */
static void public_api_matches_the_goldens(void)
{
    goldens g;
    CHECK(load_inputs(&g));
    lq_ctx *ctx = NULL;
    CHECK_OK(lq_ctx_create(&ctx));
    CHECK_OK(lq_ctx_set_threads(ctx, 2));
    int64_t shape[2] = {ROWS, COLS};
    float *deq = malloc(sizeof(float) * ROWS * COLS);
    for (int t = 0; t < GGML_NCASES && g.imat && deq; t++) {
        const ggml_case *c = &ggml_cases[t];
        if (!c->golden)
            continue;
        lq_scheme *s = NULL;
        CHECK_OK(lq_scheme_parse(lq_type_name(c->type), &s));
        const size_t bytes = (size_t)ROWS * COLS / c->block * c->bytes;
        for (int input = 0; input < 2; input++) {
            lq_tensor *w = NULL;
            CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, g.x[input], sizeof(float) * ROWS * COLS,
                                    LQ_BORROW, "w", &w));
            for (int imat = 0; imat < 2; imat++) {
                unsigned char *bin = expected(c, input, imat, "bin", bytes);
                float *want = expected(c, input, imat, "deq.f32", sizeof(float) * ROWS * COLS);
                lq_tensor *q = NULL;
                CHECK_OK(lq_quantize(ctx, w, s, NULL, imat ? g.imat : NULL, &q));
                if (q && bin && want) {
                    CHECK(lq_tensor_type(q) == c->type && lq_tensor_nbytes(q) == bytes);
                    CHECKF(first_diff(lq_tensor_data(q), bin, bytes) < 0, "%s %s%s: bytes differ",
                           inputs[input], c->file, imat ? " imat" : "");
                    CHECK_OK(lq_dequantize_f32(ctx, q, deq, ROWS * COLS));
                    CHECKF(first_diff(deq, want, sizeof(float) * ROWS * COLS) < 0,
                           "%s %s%s: floats differ", inputs[input], c->file, imat ? " imat" : "");
                }
                lq_tensor_free(q);
                free(bin);
                free(want);
            }
            lq_tensor_free(w);
        }
        lq_scheme_free(s);
    }
    free(deq);
    lq_ctx_free(ctx);
    free_inputs(&g);
}

/* A borrowed tensor at an odd address decodes like an aligned one. */
static void wrapped_blocks_at_odd_addresses(void)
{
    size_t n = 0;
    unsigned char *bin = read_golden("normal.q6_K.bin", &n);
    float *want = read_golden("normal.q6_K.deq.f32", &n);
    unsigned char *odd = bin ? malloc(ROWS * COLS / 256 * 210 + 1) : NULL;
    float *got = malloc(sizeof(float) * ROWS * COLS);
    CHECK(bin && want && odd && got);
    if (bin && want && odd && got) {
        memcpy(odd + 1, bin, ROWS * COLS / 256 * 210);
        lq_scheme *s = NULL;
        lq_tensor *q = NULL;
        int64_t shape[2] = {ROWS, COLS};
        CHECK_OK(lq_scheme_parse("q6_k", &s));
        CHECK_OK(lq_tensor_wrap_quantized(s, 2, shape, odd + 1, ROWS * COLS / 256 * 210, LQ_BORROW,
                                          "odd", &q));
        CHECK_OK(lq_dequantize_f32(NULL, q, got, ROWS * COLS));
        CHECK(first_diff(got, want, sizeof(float) * ROWS * COLS) < 0);
        lq_tensor_free(q);
        lq_scheme_free(s);
    }
    free(bin), free(want), free(odd), free(got);
}

/* Every ggml type of the library's list (core/type_list.h) has a case here,
 * so a type added there is tested against ggml too, and the case's block
 * facts, written from ggml-common.h, are the library's. */
static void every_listed_type_has_a_case(void)
{
#define HAS_CASE(T, n, v, g, be, bb, ...)                                                    \
    {                                                                                    \
        const ggml_case *c = NULL;                                                       \
        for (int k = 0; k < GGML_NCASES; k++)                                            \
            if (ggml_cases[k].type == LQ_TYPE_##T)                                       \
                c = &ggml_cases[k];                                                      \
        const lq__type_info *ti = lq__type(LQ_TYPE_##T);                                 \
        CHECKF(c, "%s has no case in ggml_cases.h", #n);                                 \
        CHECKF(!c || (c->block == ti->block_elems && c->bytes == ti->block_bytes &&      \
                      c->weight == !(ti->flags & LQ__T_ACT_ONLY)),                       \
               "%s: the case says %d elements, %d bytes, weight %d", #n, c ? c->block : 0, \
               c ? c->bytes : 0, c ? c->weight : 0);                                     \
    }
    LQ__GGML_TYPES(HAS_CASE)
#undef HAS_CASE
}

/* ggml.md 6c: ggml_quantize_chunk of 16 x 4096 values 0.1 + 2 cosf(i), no imatrix. */
static void cosine_digests(void)
{
    static const struct {
        lq_type type;
        const char *md5;
    } want[] = {
        {LQ_TYPE_Q4_0, "2b4ed804096ff0be29b2e98e05226542"},
        {LQ_TYPE_Q4_1, "e4ebe7ed8ee8f2888ea379cca709eb9a"},
        {LQ_TYPE_Q5_0, "0ad73f454b28a4987443e848c6c26ba6"},
        {LQ_TYPE_Q5_1, "e6a1338c902b000e732ac3076cb2e092"},
        {LQ_TYPE_Q8_0, "6f0b4afe0411b0f7f3d514ef9481c610"},
        {LQ_TYPE_Q2_K, "4aa7fb792bb6f1502153d9dbf665e9de"},
        {LQ_TYPE_Q3_K, "74f2e2c37b9069bfb1fcbbb766dca4dc"},
        {LQ_TYPE_Q4_K, "1c1ea7db666bb8156b3ea449ad83aeb7"},
        {LQ_TYPE_Q5_K, "ad24412fcb69db5f862ff54eee9ffb03"},
        {LQ_TYPE_Q6_K, "af2aca045b37ee95324b644c3a0ff9d7"},
        {LQ_TYPE_IQ4_NL, "e1ba74cbdf692b39379e1890ffc7fdf5"},
        {LQ_TYPE_IQ4_XS, "9067d8335e5d95ae307b47cac6b8c5aa"},
    };
    enum { R = 16, C = 4096 };
    float *x = malloc(sizeof(float) * R * C);
    unsigned char *q = malloc(R * C / 32 * 34); /* the largest of these types per value */
    CHECK(x && q);
    for (int i = 0; x && i < R * C; i++)
        x[i] = (float)(0.1 + 2 * cosf((float)i)); /* as ggml's tests: in double */
    for (size_t t = 0; x && q && t < sizeof want / sizeof want[0]; t++) {
        const lq__codec *codec = lq__codec_for(want[t].type);
        const ggml_case *c = NULL;
        for (int k = 0; k < GGML_NCASES; k++)
            if (ggml_cases[k].type == want[t].type)
                c = &ggml_cases[k];
        const size_t row_bytes = (size_t)C / c->block * c->bytes;
        for (int r = 0; r < R; r++)
            codec->quantize_row(x + r * C, q + r * row_bytes, C, NULL);
        char hex[33];
        md5_hex(q, R * row_bytes, hex);
        CHECKF(strcmp(hex, want[t].md5) == 0, "%s: md5 %s, want %s", c->file, hex, want[t].md5);
    }
    free(x);
    free(q);
}

LQT_MAIN(row_functions_make_the_golden_blocks, row_functions_decode_to_the_golden_floats,
         public_api_matches_the_goldens, wrapped_blocks_at_odd_addresses, cosine_digests,
         every_listed_type_has_a_case)
