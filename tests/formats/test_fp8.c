/* test_fp8.c — the f32 <-> E4M3FN / E5M2 conversions of fp8.h against a
 * brute-force oracle written here (every code decoded; encoding of all 2^16
 * upper halves of f32 patterns and of every midpoint and its neighbours),
 * and the fp8 codecs: exact bytes, scales, round-trip bound, threads. */
#include <float.h>

#include "formats_util.h"
#include "libquant/formats/fp8.h"

typedef struct {
    const char *name;
    int ebits, mbits, bias;
    int fn;            /* E4M3FN: no infinity, only S.1111.111 is NaN */
    int maxcode;       /* largest finite positive code */
    double virtual_top; /* the value the next code would have: where overflow starts */
    uint8_t (*encode)(float, int);
    float (*decode)(uint8_t);
} fmt;

static const fmt e4m3 = {"e4m3fn", 4, 3, 7, 1, 0x7e, 480.0, lq__f32_to_e4m3, lq__e4m3_to_f32};
static const fmt e5m2 = {"e5m2", 5, 2, 15, 0, 0x7b, 65536.0, lq__f32_to_e5m2, lq__e5m2_to_f32};

/* The value of a code from its fields, in double; NaN and infinity as such. */
static double oracle_decode(const fmt *f, int c)
{
    int sign = c >> 7, e = (c >> f->mbits) & ((1 << f->ebits) - 1), m = c & ((1 << f->mbits) - 1);
    int top = (1 << f->ebits) - 1;
    double v;
    if (f->fn && e == top && m == (1 << f->mbits) - 1)
        return NAN;
    if (!f->fn && e == top)
        v = m ? NAN : INFINITY;
    else if (e == 0)
        v = ldexp(m, 1 - f->bias - f->mbits);
    else
        v = ldexp(1.0 + ldexp(m, -f->mbits), e - f->bias);
    return sign ? -v : v;
}

/* The code of x: the nearest of all finite positive codes and the virtual
 * one past the largest (distances in double, ties to the even code); the
 * virtual one or beyond is overflow. */
static uint8_t oracle_encode(const fmt *f, float x, int saturate)
{
    uint8_t sign = signbit(x) ? 0x80 : 0;
    if (isnan(x))
        return 0; /* not used: NaN is checked by decoding */
    double ax = fabs((double)x);
    int best = 0;
    double best_d = INFINITY;
    for (int c = 0; c <= f->maxcode + 1; c++) {
        double v = c <= f->maxcode ? oracle_decode(f, c) : f->virtual_top;
        double d = fabs(ax - v);
        if (d < best_d || (d == best_d && (c & 1) == 0)) {
            best = c;
            best_d = d;
        }
    }
    if (ax > f->virtual_top || best > f->maxcode)
        best = saturate ? f->maxcode : f->fn ? 0x7f : 0x7c;
    return (uint8_t)(sign | best);
}

static void decode_every_code(const fmt *f)
{
    int bad = 0;
    for (int c = 0; c < 256; c++) {
        double want = oracle_decode(f, c);
        float got = f->decode((uint8_t)c);
        if (isnan(want))
            bad += !isnan(got) || !signbit(got) != !(c >> 7);
        else
            bad += (double)got != want || !signbit(got) != !signbit(want);
    }
    CHECKF(bad == 0, "%s: %d codes decode wrongly", f->name, bad);
}

static int check_encode(const fmt *f, float x)
{
    int bad = 0;
    for (int sat = 0; sat < 2; sat++) {
        uint8_t got = f->encode(x, sat);
        if (isnan(x))
            bad += !isnan(oracle_decode(f, got)) || (got >> 7) != (signbit(x) != 0);
        else
            bad += got != oracle_encode(f, x, sat);
    }
    return bad;
}

static void encode_against_oracle(const fmt *f)
{
    int bad = 0;
    for (uint32_t hi = 0; hi < 65536; hi++) /* every sign, exponent and 7 mantissa bits */
        bad += check_encode(f, lq__f32_from_bits(hi << 16));
    for (int c = 0; c <= f->maxcode; c++) { /* every midpoint, and a float either side */
        double lo = oracle_decode(f, c), up = c < f->maxcode ? oracle_decode(f, c + 1) : f->virtual_top;
        float mid = (float)((lo + up) / 2);
        CHECK((double)mid == (lo + up) / 2);
        const float xs[5] = {mid, nextafterf(mid, 0.0f), nextafterf(mid, INFINITY),
                             (float)lo, (float)up};
        for (int k = 0; k < 5; k++)
            bad += check_encode(f, xs[k]) + check_encode(f, -xs[k]);
    }
    CHECKF(bad == 0, "%s: %d encodings differ from the oracle", f->name, bad);
    for (int c = 0; c < 256; c++) /* decode then encode gives the code back */
        if (!isnan(oracle_decode(f, c)))
            CHECKF(f->encode(f->decode((uint8_t)c), 0) == c, "%s: code %02x", f->name, c);
}

static void e4m3_conversions(void)
{
    decode_every_code(&e4m3);
    encode_against_oracle(&e4m3);
    CHECK(lq__f32_to_e4m3(448.0f, 0) == 0x7e);
    CHECK(lq__f32_to_e4m3(464.0f, 0) == 0x7e); /* tie to even: down to 448 */
    CHECK(lq__f32_to_e4m3(465.0f, 0) == 0x7f); /* NaN without saturation */
    CHECK(lq__f32_to_e4m3(465.0f, 1) == 0x7e);
    CHECK(lq__f32_to_e4m3(-1e9f, 1) == 0xfe && lq__f32_to_e4m3(-1e9f, 0) == 0xff);
    CHECK(lq__f32_to_e4m3(INFINITY, 0) == 0x7f && lq__f32_to_e4m3(INFINITY, 1) == 0x7e);
    CHECK(lq__f32_to_e4m3(0x1p-9f, 0) == 0x01);
    CHECK(lq__f32_to_e4m3(0x1p-10f, 0) == 0x00);  /* tie to even: 0 */
    CHECK(lq__f32_to_e4m3(0x3p-10f, 0) == 0x02);  /* 1.5 * 2^-9: tie to even: 2 * 2^-9 */
    CHECK(lq__f32_to_e4m3(-0.0f, 0) == 0x80 && lq__f32_to_e4m3(NAN, 0) == 0x7f);
    CHECK(lq__e4m3_to_f32(0x7e) == 448.0f && isnan(lq__e4m3_to_f32(0xff)));
    CHECK(lq__e4m3_to_f32(0x08) == 0x1p-6f && lq__e4m3_to_f32(0x07) == 0x7p-9f);
}

static void e5m2_conversions(void)
{
    decode_every_code(&e5m2);
    encode_against_oracle(&e5m2);
    CHECK(lq__f32_to_e5m2(57344.0f, 0) == 0x7b);
    CHECK(lq__f32_to_e5m2(61440.0f, 0) == 0x7c); /* tie to even: up to infinity */
    CHECK(lq__f32_to_e5m2(61439.0f, 0) == 0x7b);
    CHECK(lq__f32_to_e5m2(61440.0f, 1) == 0x7b);
    CHECK(lq__f32_to_e5m2(-INFINITY, 0) == 0xfc && lq__f32_to_e5m2(INFINITY, 1) == 0x7b);
    CHECK(lq__f32_to_e5m2(0x1p-16f, 0) == 0x01 && lq__f32_to_e5m2(0x1p-17f, 0) == 0x00);
    CHECK(lq__f32_to_e5m2(-NAN, 0) == 0xfe);
    CHECK(isinf(lq__e5m2_to_f32(0x7c)) && isnan(lq__e5m2_to_f32(0x7d)));
}

/* fp8_e4m3 per tensor: amax 448 gives scale 1; 448 -> 0x7E, -224 -> 0xF6,
 * 1 -> 0x38, 2^-9 -> 0x01; the f32 scale follows the codes. */
static void codec_exact_bytes(void)
{
    const float x[5] = {448.0f, -224.0f, 1.0f, 0.0f, 0x1p-9f};
    const uint8_t want[9] = {0x7e, 0xf6, 0x38, 0x00, 0x01, 0x00, 0x00, 0x80, 0x3f};
    float y[5];
    lq_tensor *q = fu_round_trip("fp8_e4m3", x, 1, 5, 1, y);
    if (q) {
        CHECK(lq_tensor_nbytes(q) == 9 && memcmp(lq_tensor_data(q), want, 9) == 0);
        CHECK(memcmp(x, y, sizeof x) == 0);
    }
    lq_tensor_free(q);

    /* e5m2 per channel: row 0 has amax 57344 (scale 1), row 1 is zero and
     * gets the floor scale FLT_EPSILON */
    const float x2[4] = {57344.0f, -1.0f, 0.0f, 0.0f};
    const uint8_t want2[4] = {0x7b, 0xbc, 0x00, 0x00};
    q = fu_round_trip("fp8_e5m2:channel", x2, 2, 2, 1, y);
    if (q) {
        const uint8_t *b = lq_tensor_data(q);
        CHECK(lq_tensor_nbytes(q) == 4 + 8 && memcmp(b, want2, 4) == 0);
        CHECK(fu_f32_at(b + 4) == 1.0f && fu_f32_at(b + 8) == FLT_EPSILON);
        CHECK(memcmp(x2, y, sizeof x2) == 0);
    }
    lq_tensor_free(q);
}

/* Half an fp8 ulp at the magnitude of v (in units of the scale). */
static double half_ulp(const fmt *f, double v)
{
    int e = v > 0 ? ilogb(v) : 1 - f->bias;
    if (e < 1 - f->bias)
        e = 1 - f->bias;
    return ldexp(0.5, e - f->mbits);
}

static void codec_round_trip(void)
{
    enum { R = 64, C = 300 };
    static float x[R * C], y[R * C];
    fu_normal(x, R * C, 17);
    for (int c = 0; c < C; c++)
        x[3 * C + c] *= 1e-6f; /* a row of tiny values: subnormal codes per tensor */
    static const char *const schemes[] = {"fp8_e4m3", "fp8_e4m3:channel", "fp8_e5m2",
                                          "fp8_e5m2:channel"};
    for (int s = 0; s < 4; s++) {
        const fmt *f = s < 2 ? &e4m3 : &e5m2;
        int channel = s % 2;
        lq_tensor *q = fu_round_trip(schemes[s], x, R, C, 2, y);
        if (!q)
            continue;
        const uint8_t *b = lq_tensor_data(q);
        CHECK(lq_tensor_nbytes(q) == (size_t)R * C + 4 * (channel ? R : 1));
        int bad = 0;
        float tensor_amax = 0;
        for (int i = 0; i < R * C; i++)
            tensor_amax = fmaxf(tensor_amax, fabsf(x[i]));
        for (int r = 0; r < R; r++) {
            float amax = 0;
            for (int c = 0; c < C; c++)
                amax = fmaxf(amax, fabsf(x[r * C + c]));
            float scale = fu_f32_at(b + (size_t)R * C + (channel ? 4 * r : 0));
            float want = fmaxf((channel ? amax : tensor_amax) / (float)(f == &e4m3 ? 448 : 57344),
                               FLT_EPSILON);
            bad += scale != want;
            for (int c = 0; c < C; c++) {
                double v = x[r * C + c], err = fabs(v - y[r * C + c]);
                /* half an fp8 ulp of v / scale, plus float rounding of the division
                 * and of code * scale (1e-6 relative) */
                bad += err > half_ulp(f, fabs(v) / scale) * scale * (1 + 1e-6) + 1e-6 * fabs(v);
            }
        }
        CHECKF(bad == 0, "%s: %d values or scales off", schemes[s], bad);
        lq_tensor_free(q);
    }
}

static void bad_input_and_threads(void)
{
    fu_check_nonfinite_refused("fp8_e4m3");
    fu_check_nonfinite_refused("fp8_e5m2:channel");
    lq_scheme *s = NULL;
    CHECK_STATUS(lq_scheme_parse("fp8_e4m3:g128", &s), LQ_ERR_INVALID);
    enum { R = 256, C = 512 };
    static float x[R * C];
    fu_normal(x, R * C, 19);
    fu_check_thread_independent("fp8_e4m3", x, R, C);
    fu_check_thread_independent("fp8_e5m2:channel", x, R, C);
}

static void quality_figures(void)
{
    enum { R = 256, C = 4096 };
    static float x[R * C], y[R * C];
    fu_normal(x, R * C, 2024);
    static const struct { const char *scheme; double min_sqnr; } cases[] = {
        {"fp8_e4m3", 30}, {"fp8_e4m3:channel", 30}, {"fp8_e5m2", 23}, {"fp8_e5m2:channel", 23},
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

LQT_MAIN(e4m3_conversions, e5m2_conversions, codec_exact_bytes, codec_round_trip,
         bad_input_and_threads, quality_figures)
