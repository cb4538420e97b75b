/* test_bnb4.c — nf4/fp4: the code tables and the double-quant map against
 * bitsandbytes' facts and PyTorch's output, exact bytes against bitsandbytes'
 * CPU quantizer, the round-trip bound, blocks that cross rows, odd lengths,
 * double quantization and thread independence. */
#include <float.h>

#include "formats_util.h"
#include "libquant/core/tensor.h"
#include "libquant/formats/codecs_bnb4.h"

/* bitsandbytes get_4bit_type: NF4 by code (reference facts, algorithms.md
 * 3.1) and FP4's raw values in bit-pattern order, divided by 12. */
static const float nf4_ref[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
};
/* code 8 is +0: bitsandbytes' table has the integer -0 there, and the
 * quant_map of its checkpoints (bitsandbytes 0.50.2) holds +0.0 */
static const float fp4_raw[16] = {0, 0.0625f, 8, 12, 4, 6, 2, 3, 0.0f, -0.0625f, -8, -12, -4, -6, -2, -3};

/* create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8) as f32
 * bit patterns, printed by PyTorch 1.13.1 (Debian python3-torch) running
 * that algorithm with ATEN_CPU_CAPABILITY=default. */
static const uint32_t dynamic_ref[256] = {
    0xbf7e3333, 0xbf7a9999, 0xbf770000, 0xbf736666, 0xbf6fcccc, 0xbf6c3333, 0xbf68999a, 0xbf650000,
    0xbf616666, 0xbf5dcccc, 0xbf5a3333, 0xbf569999, 0xbf530000, 0xbf4f6666, 0xbf4bcccc, 0xbf483333,
    0xbf44999a, 0xbf410000, 0xbf3d6667, 0xbf39cccd, 0xbf363334, 0xbf32999a, 0xbf2f0000, 0xbf2b6667,
    0xbf27cccd, 0xbf243333, 0xbf20999a, 0xbf1d0000, 0xbf196666, 0xbf15cccd, 0xbf123334, 0xbf0e999a,
    0xbf0b0000, 0xbf076666, 0xbf03cccc, 0xbf003333, 0xbef93332, 0xbef1fffe, 0xbeeacccc, 0xbee39998,
    0xbedc6666, 0xbed53332, 0xbece0000, 0xbec6cccc, 0xbebf999a, 0xbeb86666, 0xbeb13332, 0xbeaa0000,
    0xbea2cccc, 0xbe9b999a, 0xbe946666, 0xbe8d3334, 0xbe860000, 0xbe7d999a, 0xbe6f3334, 0xbe60cccd,
    0xbe526666, 0xbe440000, 0xbe359999, 0xbe273333, 0xbe18cccd, 0xbe0a6666, 0xbdf80000, 0xbddb3334,
    0xbdc9eb85, 0xbdc428f5, 0xbdbe6667, 0xbdb8a3d7, 0xbdb2e148, 0xbdad1eb8, 0xbda75c28, 0xbda1999a,
    0xbd9bd70a, 0xbd96147b, 0xbd9051eb, 0xbd8a8f5d, 0xbd84cccd, 0xbd7e147a, 0xbd728f5d, 0xbd670a3d,
    0xbd5b851f, 0xbd500000, 0xbd447ae1, 0xbd38f5c3, 0xbd2d70a3, 0xbd21eb85, 0xbd166667, 0xbd0ae147,
    0xbcfeb852, 0xbce7ae13, 0xbcd0a3d7, 0xbcb9999a, 0xbca28f5c, 0xbc8b851f, 0xbc68f5c3, 0xbc3ae148,
    0xbc1f3b64, 0xbc160418, 0xbc0ccccd, 0xbc039581, 0xbbf4bc6a, 0xbbe24dd3, 0xbbcfdf3b, 0xbbbd70a4,
    0xbbab020d, 0xbb989374, 0xbb8624dd, 0xbb676c8a, 0xbb428f5c, 0xbb1db22d, 0xbaf1a9fc, 0xbaa7ef9d,
    0xba7765ff, 0xba59e83e, 0xba3c6a80, 0xba1eecc1, 0xba016f00, 0xb9c7e282, 0xb98ce705, 0xb923d70b,
    0xb8ba1f4b, 0xb88aefb3, 0xb8378034, 0xb7b24206, 0xb70205ff, 0xb65a1a94, 0xb513a3b7, 0x00000000,
    0x3513a3b7, 0x365a1a94, 0x370205ff, 0x37b24206, 0x38378034, 0x388aefb3, 0x38ba1f4b, 0x3923d70b,
    0x398ce705, 0x39c7e282, 0x3a016f00, 0x3a1eecc1, 0x3a3c6a80, 0x3a59e83e, 0x3a7765ff, 0x3aa7ef9d,
    0x3af1a9fc, 0x3b1db22d, 0x3b428f5c, 0x3b676c8a, 0x3b8624dd, 0x3b989374, 0x3bab020d, 0x3bbd70a4,
    0x3bcfdf3b, 0x3be24dd3, 0x3bf4bc6a, 0x3c039581, 0x3c0ccccd, 0x3c160418, 0x3c1f3b64, 0x3c3ae148,
    0x3c68f5c3, 0x3c8b851f, 0x3ca28f5c, 0x3cb9999a, 0x3cd0a3d7, 0x3ce7ae13, 0x3cfeb852, 0x3d0ae147,
    0x3d166667, 0x3d21eb85, 0x3d2d70a3, 0x3d38f5c3, 0x3d447ae1, 0x3d500000, 0x3d5b851f, 0x3d670a3d,
    0x3d728f5d, 0x3d7e147a, 0x3d84cccd, 0x3d8a8f5d, 0x3d9051eb, 0x3d96147b, 0x3d9bd70a, 0x3da1999a,
    0x3da75c28, 0x3dad1eb8, 0x3db2e148, 0x3db8a3d7, 0x3dbe6667, 0x3dc428f5, 0x3dc9eb85, 0x3ddb3334,
    0x3df80000, 0x3e0a6666, 0x3e18cccd, 0x3e273333, 0x3e359999, 0x3e440000, 0x3e526666, 0x3e60cccd,
    0x3e6f3334, 0x3e7d999a, 0x3e860000, 0x3e8d3334, 0x3e946666, 0x3e9b999a, 0x3ea2cccc, 0x3eaa0000,
    0x3eb13332, 0x3eb86666, 0x3ebf999a, 0x3ec6cccc, 0x3ece0000, 0x3ed53332, 0x3edc6666, 0x3ee39998,
    0x3eeacccc, 0x3ef1fffe, 0x3ef93332, 0x3f003333, 0x3f03cccc, 0x3f076666, 0x3f0b0000, 0x3f0e999a,
    0x3f123334, 0x3f15cccd, 0x3f196666, 0x3f1d0000, 0x3f20999a, 0x3f243333, 0x3f27cccd, 0x3f2b6667,
    0x3f2f0000, 0x3f32999a, 0x3f363334, 0x3f39cccd, 0x3f3d6667, 0x3f410000, 0x3f44999a, 0x3f483333,
    0x3f4bcccc, 0x3f4f6666, 0x3f530000, 0x3f569999, 0x3f5a3333, 0x3f5dcccc, 0x3f616666, 0x3f650000,
    0x3f68999a, 0x3f6c3333, 0x3f6fcccc, 0x3f736666, 0x3f770000, 0x3f7a9999, 0x3f7e3333, 0x3f800000,
};

static void code_tables(void)
{
    const float *nf4 = lq__bnb4_code(LQ_TYPE_NF4), *fp4 = lq__bnb4_code(LQ_TYPE_FP4);
    for (int i = 0; i < 16; i++) {
        CHECKF(nf4[i] == nf4_ref[i], "nf4[%d] = %.9g", i, nf4[i]);
        CHECKF(fp4[i] == fp4_raw[i] / 12.0f && signbit(fp4[i]) == signbit(fp4_raw[i]),
               "fp4[%d] = %.9g", i, fp4[i]);
        if (i > 0)
            CHECK(nf4[i] > nf4[i - 1]);
        if (i < 8) /* fp4: bit 3 is the sign */
            CHECK(fp4[i + 8] == -fp4[i]);
    }
    CHECK(nf4[0] == -1.0f && nf4[7] == 0.0f && nf4[15] == 1.0f);
    CHECK(fp4[3] == 1.0f && fp4[11] == -1.0f && fp4[1] == 0.0625f / 12.0f);
}

static void dynamic_map(void)
{
    const float *map = lq__bnb_dynamic_map();
    CHECK(map == lq__bnb_dynamic_map()); /* built once */
    int bad_bits = 0, bad_formula = 0;
    for (int i = 0; i < 256; i++) {
        uint32_t u;
        memcpy(&u, &map[i], 4);
        bad_bits += u != dynamic_ref[i];
        if (i > 0)
            CHECK(map[i] > map[i - 1]);
    }
    CHECKF(bad_bits == 0, "%d entries differ from PyTorch's", bad_bits);
    CHECK(map[127] == 0.0f && map[255] == 1.0f && map[0] == -map[254]);
    for (int i = 0; i < 127; i++)
        CHECK(map[i] == -map[254 - i]);
    /* the positive entries are 10^(e-6) * (0.1 + (k + 1/2) * 0.9 / 2^e),
     * e = 0..6, k < 2^e, in order: within a few f32 ulps of that */
    int idx = 128;
    for (int e = 0; e < 7; e++)
        for (int k = 0; k < (1 << e); k++, idx++) {
            double want = pow(10.0, e - 6) * (0.1 + (k + 0.5) * 0.9 / (1 << e));
            bad_formula += fabs(map[idx] - want) > 4 * want * FLT_EPSILON;
        }
    CHECKF(idx == 255 && bad_formula == 0, "%d entries off the formula", bad_formula);
    /* bitsandbytes' printed values, to a float ulp or so of each (6e-8, 5e-14) */
    CHECK(fabsf(map[0] + 0.99296875f) < 1e-7f && fabsf(map[128] - 5.5e-7f) < 1e-13f);
}

/* Hand cases: nf4 [-1, 1] -> codes 0 and 15 = 0x0F; fp4 -> 11 and 3 = 0xB3;
 * an odd length pads the last low nibble with 0. */
static void exact_small_cases(void)
{
    const float x[2] = {-1.0f, 1.0f};
    float y[3];
    lq_tensor *q = fu_round_trip("nf4:b64", x, 1, 2, 1, y);
    if (q) {
        const uint8_t *b = lq_tensor_data(q);
        CHECK(lq_tensor_nbytes(q) == 1 + 4 && b[0] == 0x0F && fu_f32_at(b + 1) == 1.0f);
        CHECK(y[0] == -1.0f && y[1] == 1.0f);
    }
    lq_tensor_free(q);
    q = fu_round_trip("fp4:b64", x, 1, 2, 1, y);
    if (q)
        CHECK(((const uint8_t *)lq_tensor_data(q))[0] == 0xB3 && y[0] == -1.0f && y[1] == 1.0f);
    lq_tensor_free(q);

    /* 0.5 lies between 0.4407 (12) and 0.5626 (13), nearer 12 */
    const float x3[3] = {2.0f, -2.0f, 1.0f};
    q = fu_round_trip("nf4:b64", x3, 1, 3, 1, y);
    if (q) {
        const uint8_t *b = lq_tensor_data(q);
        CHECK(lq_tensor_nbytes(q) == 2 + 4 && b[0] == 0xF0 && b[1] == 0xC0 &&
              fu_f32_at(b + 2) == 2.0f);
        CHECK(y[2] == 2.0f * nf4_ref[12]);
    }
    lq_tensor_free(q);
}

/* Ties: a value exactly halfway between two codes (in f32 distance) takes
 * the lowest code index, as bitsandbytes' argmin does. For nf4 that is the
 * lower value. For fp4, whose other midpoints are not f32 numbers, it shows
 * around zero: +-c1/2 (c1 = 0.0625/12) and tiny values of either sign all
 * take code 0, never 8 (-0) or 9 (-c1). An all-zero block is code 0 with
 * absmax 0, and decodes to zeros. */
static void ties_and_zeros(void)
{
    float x[2] = {1.0f, nf4_ref[8] / 2}, y[68];
    lq_tensor *q = fu_round_trip("nf4:b64", x, 1, 2, 1, y);
    if (q)
        CHECK(((const uint8_t *)lq_tensor_data(q))[0] == 0xF7);
    lq_tensor_free(q);

    float c1 = fp4_raw[1] / 12;
    const float xt[6] = {1.0f, c1 / 2, -c1 / 2, 1e-9f, -1e-9f, -1.0f};
    q = fu_round_trip("fp4:b64", xt, 1, 6, 1, y);
    if (q) {
        const uint8_t *b = lq_tensor_data(q);
        CHECKF(b[0] == 0x30 && b[1] == 0x00 && b[2] == 0x0B, "%02x %02x %02x", b[0], b[1], b[2]);
    }
    lq_tensor_free(q);

    float z[68] = {0};
    z[65] = 3.0f;
    q = fu_round_trip("nf4:b64", z, 1, 68, 1, y);
    if (q) {
        const uint8_t *b = lq_tensor_data(q);
        int nonzero = 0;
        for (int i = 0; i < 32; i++)
            nonzero += b[i] != 0;
        CHECK(nonzero == 0 && fu_f32_at(b + 34) == 0.0f && fu_f32_at(b + 38) == 3.0f);
        for (int i = 0; i < 68; i++)
            CHECK(y[i] == z[i]);
    }
    lq_tensor_free(q);
}

/* The inputs of the bitsandbytes goldens: 20-bit integers / 2^16 from an
 * LCG, exact in f32 (generated identically on the Python side). */
static void golden_input(float *x, int n)
{
    uint64_t h = 12345;
    for (int i = 0; i < n; i++) {
        h = (h * 1103515245u + 12345u) & 0x7fffffffu;
        x[i] = (float)((int64_t)((h >> 8) % (1u << 20)) - (1 << 19)) / 65536.0f;
    }
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* bitsandbytes' CPU quantize_4bit (its default PyTorch path, which
 * multiplies by 1/absmax and takes argmin |s - code|) on 150 values in
 * blocks of 64 ([3, 50]: blocks cross rows, the last one has 22 values),
 * and with double quantization (quantize_blockwise of absmax - mean). */
static const uint8_t nf4_packed[75] = {
    0x26, 0x5e, 0x1e, 0xdf, 0x0f, 0xa4, 0x41, 0x3e, 0x5c, 0x30, 0xfa, 0xce,
    0xa9, 0xbe, 0x41, 0x23, 0xdf, 0x61, 0x16, 0x1c, 0x6d, 0xb1, 0xa0, 0xe5,
    0x92, 0x1b, 0xf1, 0xfe, 0x7f, 0x25, 0x9b, 0x91, 0x5e, 0x0d, 0xa6, 0x0f,
    0x94, 0x68, 0x1b, 0x3d, 0xfd, 0xb6, 0x95, 0xf2, 0x3f, 0x53, 0xf1, 0x22,
    0x7e, 0xf3, 0x20, 0x44, 0x0c, 0x9f, 0xfc, 0x2b, 0x4d, 0x0c, 0x06, 0xe6,
    0x07, 0x3d, 0xdd, 0x50, 0x33, 0x0d, 0x9f, 0xf2, 0x2d, 0x57, 0xa4, 0x24,
    0x39, 0x46, 0x3f,
};
static const uint8_t fp4_packed[75] = {
    0xde, 0xe2, 0xa3, 0x23, 0xb3, 0x7f, 0xfa, 0xc2, 0xe5, 0xcb, 0x37, 0x52,
    0x76, 0x43, 0xfa, 0xdc, 0x53, 0xea, 0xa9, 0xa5, 0xe5, 0x4a, 0x7b, 0x2f,
    0x6d, 0xa4, 0x3a, 0x32, 0x93, 0xae, 0x64, 0x6a, 0xf3, 0xb2, 0x79, 0xb3,
    0x6c, 0x91, 0xa4, 0xd2, 0x35, 0x49, 0x6e, 0x3d, 0xd3, 0xec, 0x3a, 0xdd,
    0x12, 0x3c, 0xdb, 0xfc, 0xb5, 0x63, 0x35, 0xd4, 0xf2, 0xb5, 0xb9, 0x2e,
    0xb9, 0xd2, 0x52, 0xfb, 0xcc, 0xb2, 0x63, 0x3a, 0xd2, 0xe9, 0x7f, 0xdf,
    0xc6, 0xf9, 0xd3,
};
static const uint32_t golden_absmax[3] = {0x40fff780, 0x40fae580, 0x40fbb300};
static const uint8_t golden_qabsmax[3] = {0xff, 0x1a, 0x2c};
static const uint32_t golden_nested = 0x3dc73540, golden_offset = 0x40fcdaab;

static int bits_equal(const uint8_t *p, uint32_t want)
{
    uint32_t u;
    memcpy(&u, p, 4);
    return u == want;
}

static void bitsandbytes_goldens(void)
{
    float x[150], y[150];
    golden_input(x, 150);
    for (int t = 0; t < 2; t++) {
        const uint8_t *want = t ? fp4_packed : nf4_packed;
        lq_tensor *q = fu_round_trip(t ? "fp4:b64" : "nf4:b64", x, 3, 50, 2, y);
        if (q) {
            const uint8_t *b = lq_tensor_data(q);
            CHECK(lq_tensor_nbytes(q) == 75 + 12 && memcmp(b, want, 75) == 0);
            for (int k = 0; k < 3; k++)
                CHECK(bits_equal(b + 75 + 4 * k, golden_absmax[k]));
        }
        lq_tensor_free(q);
        q = fu_round_trip(t ? "fp4:b64:dq" : "nf4:b64:dq", x, 3, 50, 2, y);
        if (q) {
            const uint8_t *b = lq_tensor_data(q);
            CHECK(lq_tensor_nbytes(q) == 75 + 3 + 4 + 4 && memcmp(b, want, 75) == 0);
            CHECK(memcmp(b + 75, golden_qabsmax, 3) == 0);
            CHECK(bits_equal(b + 78, golden_nested) && bits_equal(b + 82, golden_offset));
        }
        lq_tensor_free(q);
    }

    /* 64000 values in blocks of 128: FNV-1a of each plane, from the same
     * Python run */
    enum { R = 64, C = 1000 };
    static float big[R * C];
    golden_input(big, R * C);
    static const uint64_t packed_hash[2] = {0xf50910c25c093c69ull, 0x78fb460fb4e773c3ull};
    for (int t = 0; t < 2; t++) {
        lq_tensor *q = NULL;
        CHECK_OK(fu_quantize(t ? "fp4:b128:dq" : "nf4:b128:dq", big, R, C, 2, &q));
        if (!q)
            continue;
        const uint8_t *b = lq_tensor_data(q);
        size_t nb = R * C / 128;
        CHECK(fnv1a(b, R * C / 2) == packed_hash[t]);
        CHECK(fnv1a(b + R * C / 2, nb) == 0xa258638353ffd64eull);
        CHECK(fnv1a(b + R * C / 2 + nb, 8) == 0x058c3f1b2faeeed5ull);
        CHECK(bits_equal(b + R * C / 2 + nb + 8, 0x40fdffe1));
        lq_tensor_free(q);
        CHECK_OK(fu_quantize(t ? "fp4:b128" : "nf4:b128", big, R, C, 2, &q));
        if (q)
            CHECK(fnv1a((const uint8_t *)lq_tensor_data(q) + R * C / 2, 4 * nb) ==
                  0x86f36be18f467985ull);
        lq_tensor_free(q);
    }
}

/* Decoded absmax of every block, from the planes (doc/formats.md). */
static void decoded_absmax(const lq_tensor *q, int64_t n, int block, int dq, float *am)
{
    const uint8_t *b = lq_tensor_data(q);
    int64_t nb = (n + block - 1) / block, codes = (n + 1) / 2;
    const float *map = lq__bnb_dynamic_map();
    for (int64_t k = 0; k < nb; k++)
        am[k] = dq ? map[b[codes + k]] * fu_f32_at(b + codes + nb + 4 * (k / 256)) +
                         fu_f32_at(b + codes + nb + 4 * ((nb + 255) / 256))
                   : fu_f32_at(b + codes + 4 * k);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Round trip: each value is off by at most half the gap between the two
 * codes around x / absmax, times absmax (with dq, plus the error of the
 * 8-bit absmax: at most half the dynamic map's largest gap, 0.9/128, times
 * the nested absmax). */
static void round_trip_bound(void)
{
    static float x[37 * 100], y[37 * 100], am[64], am_true[64];
    fu_normal(x, 37 * 100, 5);
    static const struct { const char *scheme; int64_t rows, cols; int block, dq; } cases[] = {
        {"nf4:b64", 37, 100, 64, 0}, {"fp4:b64", 37, 100, 64, 0}, {"nf4:b32", 3, 33, 32, 0},
        {"fp4:b128:dq", 37, 100, 128, 1}, {"nf4:b64:dq", 37, 100, 64, 1},
        {"nf4:b4096", 37, 100, 4096, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t n = cases[i].rows * cases[i].cols, nb = (n + cases[i].block - 1) / cases[i].block;
        int is_fp4 = cases[i].scheme[0] == 'f';
        float sorted[16];
        for (int k = 0; k < 16; k++)
            sorted[k] = is_fp4 ? fp4_raw[k] / 12 : nf4_ref[k];
        qsort(sorted, 16, sizeof *sorted, cmp_float);
        lq_tensor *q = fu_round_trip(cases[i].scheme, x, cases[i].rows, cases[i].cols, 2, y);
        if (!q)
            continue;
        decoded_absmax(q, n, cases[i].block, cases[i].dq, am);
        int bad = 0;
        for (int64_t k = 0; k < nb; k++) {
            am_true[k] = 0;
            for (int64_t j = k * cases[i].block; j < n && j < (k + 1) * cases[i].block; j++)
                am_true[k] = fmaxf(am_true[k], fabsf(x[j]));
            double slack = 0;
            if (cases[i].dq) {
                const uint8_t *b = lq_tensor_data(q);
                float nested = fu_f32_at(b + (n + 1) / 2 + nb + 4 * (k / 256));
                slack = fabs(am[k] - am_true[k]);
                /* the nested 8-bit absmax codes: half a step of the dynamic map
                 * (its widest gap is under 0.9 / 64) times the nested scale, plus
                 * float rounding of the decode (1e-6 relative) */
                bad += slack > nested * (0.9 / 128) * (1 + 1e-5) + 1e-6 * am_true[k];
            } else {
                bad += am[k] != am_true[k];
            }
            for (int64_t j = k * cases[i].block; j < n && j < (k + 1) * cases[i].block; j++) {
                double s = x[j] / am_true[k];
                int lo = 0;
                while (lo < 14 && sorted[lo + 1] <= s)
                    lo++;
                double half_gap = (sorted[lo + 1] - sorted[lo]) / 2;
                /* half the gap to the nearest code, the absmax's own error, and
                 * float rounding of code * absmax (1e-6 relative, 1e-7 absolute) */
                bad += fabs(x[j] - y[j]) > half_gap * am_true[k] * (1 + 1e-6) + slack + 1e-7;
            }
        }
        CHECKF(bad == 0, "%s: %d values or scales beyond the bound", cases[i].scheme, bad);
        lq_tensor_free(q);
    }
}

static void layout_sizes(void)
{
    static const struct { const char *scheme; int64_t rows, cols; uint64_t bytes; } cases[] = {
        {"nf4:b64", 4096, 4096, 8388608 + 4 * 262144},
        {"nf4:b64:dq", 4096, 4096, 8388608 + 262144 + 4 * 1024 + 4},
        {"fp4:b64:dq", 3, 33, 50 + 2 + 4 + 4},
        {"fp4:b4096", 1, 1, 1 + 4},
        {"nf4:b64:dq", 0, 16, 0 + 0 + 0 + 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lq_scheme *s = NULL;
        uint64_t n = 0;
        CHECK_OK(lq_scheme_parse(cases[i].scheme, &s));
        CHECK_OK(lq_scheme_tensor_bytes(s, cases[i].rows, cases[i].cols, &n));
        CHECKF(n == cases[i].bytes, "%s: %llu bytes", cases[i].scheme, (unsigned long long)n);
        lq_scheme_free(s);
    }
    fu_check_nonfinite_refused("nf4:b64");
    fu_check_nonfinite_refused("fp4:b32:dq");
}

/* Decoding any run of rows gives the rows of the whole decode, though blocks
 * start in one row and end in another. */
static void row_ranges_cross_blocks(void)
{
    enum { R = 9, C = 50 };
    float x[R * C], whole[R * C], part[R * C];
    fu_normal(x, R * C, 9);
    const char *schemes[2] = {"nf4:b64:dq", "fp4:b32"};
    for (int s = 0; s < 2; s++) {
        lq_tensor *q = fu_round_trip(schemes[s], x, R, C, 1, whole);
        if (!q)
            continue;
        lq__qview v = {q->data, R, C, &q->scheme->qp, {0}};
        CHECK_OK(lq__codec_layout("test", v.qp, R, C, &v.layout));
        const lq__codec *c = lq__codec_for(v.qp->type);
        for (int r0 = 0; r0 < R; r0++)
            for (int r1 = r0 + 1; r1 <= R; r1++) {
                c->dequantize(&v, r0, r1, part);
                CHECK(memcmp(part, whole + r0 * C, sizeof(float) * (size_t)(r1 - r0) * C) == 0);
            }
        lq_tensor_free(q);
    }
}

static void threads_do_not_matter(void)
{
    enum { R = 300, C = 1000 };
    static float x[R * C], y1[R * C], y2[R * C];
    fu_normal(x, R * C, 13);
    fu_check_thread_independent("nf4:b64:dq", x, R, C);
    fu_check_thread_independent("fp4:b256", x, R, C);
    /* decoding on 2 threads splits rows inside blocks */
    lq_tensor *q = NULL;
    lq_ctx *ctx = NULL;
    CHECK_OK(fu_quantize("nf4:b64:dq", x, R, C, 1, &q));
    CHECK_OK(lq_ctx_create(&ctx));
    CHECK_OK(lq_ctx_set_threads(ctx, 1));
    CHECK_OK(lq_dequantize_f32(ctx, q, y1, R * C));
    CHECK_OK(lq_ctx_set_threads(ctx, 2));
    CHECK_OK(lq_dequantize_f32(ctx, q, y2, R * C));
    CHECK(memcmp(y1, y2, sizeof y1) == 0);
    lq_ctx_free(ctx);
    lq_tensor_free(q);
}

/* RMSE and SQNR on a 256 x 4096 N(0,1) matrix, reported in the TAP output.
 * QLoRA's NF4 is ~20 dB on Gaussian data; the floors sit a little under. */
static void quality_figures(void)
{
    enum { R = 256, C = 4096 };
    static float x[R * C], y[R * C];
    fu_normal(x, R * C, 2024);
    static const struct { const char *scheme; double min_sqnr; } cases[] = {
        {"nf4:b64", 19}, {"nf4:b64:dq", 19}, {"fp4:b64", 16}, {"fp4:b64:dq", 16},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lq_tensor *q = fu_round_trip(cases[i].scheme, x, R, C, 2, y);
        double met[LQ_METRIC_COUNT_V1];
        CHECK_OK(lq_error_metrics(x, y, (int64_t)R * C, met, LQ_METRIC_COUNT_V1));
        printf("# %-22s %.3f bits/weight  rmse %.5f  sqnr %.2f dB\n", cases[i].scheme,
               q ? lq_tensor_bits_per_weight(q) : 0.0, met[LQ_METRIC_RMSE],
               met[LQ_METRIC_SQNR_DB]);
        CHECKF(met[LQ_METRIC_SQNR_DB] > cases[i].min_sqnr, "%s: %.2f dB", cases[i].scheme,
               met[LQ_METRIC_SQNR_DB]);
        lq_tensor_free(q);
    }
}

LQT_MAIN(code_tables, dynamic_map, exact_small_cases, ties_and_zeros, bitsandbytes_goldens,
         round_trip_bound, layout_sizes, row_ranges_cross_blocks, threads_do_not_matter,
         quality_figures)
