/* test_linear.c — int8/int4/int3/int2: exact bytes of hand-made cases, the
 * round-trip bound of round-to-nearest, granularities, scale types, bad
 * shapes and values, thread independence, and the helpers in linear.h. */
#include "formats_util.h"
#include "libquant/core/half.h"
#include "libquant/formats/linear.h"

static const uint8_t *bytes_of(const lq_tensor *q) { return lq_tensor_data(q); }

/* int4 sym, one group of 8, f16 scale: 2/15 rounds to f16 0x3044 =
 * 0.13330078125, so x/scale = -7.5018 -> -8 (code 0), 7.5018 -> 8 -> clamped
 * to 15, 3.7509 -> 4, ... Codes are offset by 8, packed low nibble first. */
static void int4_sym_exact_bytes(void)
{
    const float x[8] = {-1.0f, 0.5f, 0.25f, 0.0f, 1.0f, -0.5f, 0.125f, 0.75f};
    const uint8_t want[6] = {0xC0, 0x8A, 0x4F, 0xE9, 0x44, 0x30};
    float y[8];
    lq_tensor *q = fu_round_trip("int4:g8:sym", x, 1, 8, 1, y);
    if (!q)
        return;
    CHECK(lq_tensor_nbytes(q) == sizeof want);
    CHECK(memcmp(bytes_of(q), want, sizeof want) == 0);
    const float s = 0.13330078125f;
    const int steps[8] = {-8, 4, 2, 0, 7, -4, 1, 6};
    for (int i = 0; i < 8; i++)
        CHECKF(y[i] == s * (float)steps[i], "y[%d] = %g", i, y[i]);
    lq_tensor_free(q);

    /* the same bytes, wrapped, decode the same */
    lq_scheme *sc = NULL;
    int64_t shape[2] = {1, 8};
    float y2[8];
    CHECK_OK(lq_scheme_parse("int4:g8:sym", &sc));
    CHECK_OK(lq_tensor_wrap_quantized(sc, 2, shape, want, sizeof want, LQ_BORROW, "w", &q));
    CHECK_OK(lq_dequantize_f32(NULL, q, y2, 8));
    CHECK(memcmp(y, y2, sizeof y) == 0);
    lq_tensor_free(q);
    lq_scheme_free(sc);
}

/* int3: amax 3.5 gives scale 2*3.5/7 = 1, so codes are x + 4 = 0..7; the bit
 * stream sum(j << 3j) = 0xFAC688 crosses both byte boundaries. The second
 * case has 3 columns: each row takes ceil(9/8) = 2 bytes. */
static void int3_packing_crosses_bytes(void)
{
    const float x[8] = {-3.5f, -3.0f, -2.0f, -1.0f, 0.0f, 1.0f, 2.0f, 3.0f};
    const uint8_t want[5] = {0x88, 0xC6, 0xFA, 0x00, 0x3C}; /* codes, then f16 1.0 */
    float y[8];
    lq_tensor *q = fu_round_trip("int3:g8:sym", x, 1, 8, 1, y);
    if (q) {
        CHECK(lq_tensor_nbytes(q) == sizeof want && memcmp(bytes_of(q), want, sizeof want) == 0);
        for (int i = 0; i < 8; i++)
            CHECKF(y[i] == (i == 0 ? -4.0f : x[i]), "y[%d] = %g", i, y[i]);
    }
    lq_tensor_free(q);

    /* rows [-3.5 0 3] and [3.5 -1 0]: codes 0 4 7 and 7 3 4, scale 1 each */
    const float x2[6] = {-3.5f, 0.0f, 3.0f, 3.5f, -1.0f, 0.0f};
    const uint8_t want2[8] = {0xE0, 0x01, 0x1F, 0x01, 0x00, 0x3C, 0x00, 0x3C};
    q = fu_round_trip("int3:channel:sym", x2, 2, 3, 1, y);
    if (q)
        CHECK(lq_tensor_nbytes(q) == sizeof want2 && memcmp(bytes_of(q), want2, sizeof want2) == 0);
    lq_tensor_free(q);
}

/* int2: amax 1.5 gives scale 1; codes 0 1 2 3 pack to 0xE4. */
static void int2_exact_bytes(void)
{
    const float x[4] = {-1.5f, -1.0f, 0.0f, 1.0f};
    const uint8_t want[3] = {0xE4, 0x00, 0x3C};
    float y[4];
    lq_tensor *q = fu_round_trip("int2:tensor:sym", x, 1, 4, 1, y);
    if (q)
        CHECK(lq_tensor_nbytes(q) == sizeof want && memcmp(bytes_of(q), want, sizeof want) == 0);
    lq_tensor_free(q);
}

/* int8 asym with an f32 scale: range [-1, 3], scale 4/255 (0x3C808081),
 * zero rne(1/scale = 63.75) = 64; codes 0, 64, 255. */
static void int8_asym_exact_bytes(void)
{
    const float x[3] = {-1.0f, 0.0f, 3.0f};
    const uint8_t want[8] = {0x00, 0x40, 0xFF, 0x81, 0x80, 0x80, 0x3C, 0x40};
    float y[3];
    lq_tensor *q = fu_round_trip("int8:channel:asym:scale=f32", x, 1, 3, 1, y);
    if (q) {
        CHECK(lq_tensor_nbytes(q) == sizeof want && memcmp(bytes_of(q), want, sizeof want) == 0);
        /* the ends of the range decode within half a step (4 / 255 / 2 = 0.008) */
        CHECK(y[1] == 0.0f && fabsf(y[0] + 1.0f) < 0.01f && fabsf(y[2] - 3.0f) < 0.01f);
    }
    lq_tensor_free(q);
}

/* All-zero groups: sym scale 0 with codes 2^(b-1); asym scale 0, zero 0,
 * codes 0; both decode to exact zeros. */
static void zero_groups(void)
{
    float x[16] = {0}, y[16];
    x[8] = 1.0f; /* second group is not zero */
    lq_tensor *q = fu_round_trip("int4:g8:sym", x, 1, 16, 1, y);
    if (q) {
        const uint8_t *b = bytes_of(q);
        CHECK(b[0] == 0x88 && b[1] == 0x88 && b[2] == 0x88 && b[3] == 0x88);
        CHECK(b[8] == 0 && b[9] == 0); /* scale of group 0 */
        for (int i = 0; i < 8; i++)
            CHECK(y[i] == 0.0f);
    }
    lq_tensor_free(q);
    q = fu_round_trip("int4:g8:asym", x, 1, 16, 1, y);
    if (q) {
        const uint8_t *b = bytes_of(q);
        CHECK(b[0] == 0 && b[3] == 0 && b[8] == 0 && b[9] == 0 && b[12] == 0);
        for (int i = 0; i < 8; i++)
            CHECK(y[i] == 0.0f);
    }
    lq_tensor_free(q);
}

/* The round-trip bound, per element: with the stored (scale, zero) of its
 * group, a value inside the grid's range [s*(0-z), s*(maxq-z)] is off by at
 * most s/2, one outside by its distance to the range. And the stored scale
 * is the formula's within the scale type's rounding. */
static void check_rtn(const char *scheme, const float *x, const float *y, const lq_tensor *q,
                      int64_t rows, int64_t cols)
{
    const lq_scheme *s = lq_tensor_scheme(q);
    lq__qparams qp = ((const struct lq_scheme *)s)->qp;
    lq__layout layout;
    CHECK_OK(lq__codec_layout("test", &qp, rows, cols, &layout));
    lq__linear_map m;
    lq__linear_map_init(&m, &qp, rows, cols, &layout);
    double rel = qp.scale_type == LQ_TYPE_F16 ? 1.001 / 2048 : 4.0 / (1 << 24);
    int bad = 0, bad_scale = 0;
    int64_t gcols = qp.group > 0 ? qp.group : cols, grows = qp.group == LQ_GROUP_TENSOR ? rows : 1;
    for (int64_t r0 = 0; r0 < rows; r0 += grows) {
        for (int64_t c0 = 0; c0 < cols; c0 += gcols) {
            double lo = 0, hi = 0;
            for (int64_t r = r0; r < r0 + grows; r++)
                for (int64_t c = c0; c < c0 + gcols; c++) {
                    lo = fmin(lo, x[r * cols + c]);
                    hi = fmax(hi, x[r * cols + c]);
                }
            double want = m.sym ? 2 * fmax(-lo, hi) / m.maxq : (hi - lo) / m.maxq;
            lq__linear_param p = lq__linear_load_param(lq_tensor_data(q), &m,
                                                       lq__linear_param_index(&m, r0, c0));
            bad_scale += fabs(p.scale - want) > want * rel;
            double top = (double)p.scale * (m.maxq - p.zero), bottom = -(double)p.scale * p.zero;
            for (int64_t r = r0; r < r0 + grows; r++)
                for (int64_t c = c0; c < c0 + gcols; c++) {
                    double v = x[r * cols + c], err = fabs(v - y[r * cols + c]);
                    double bound = v > top ? v - top : v < bottom ? bottom - v : 0.5 * p.scale;
                    /* half a step inside the range, the clipped distance outside it;
                     * 1e-6 relative for the float rounding of scale * code (and an f16
                     * scale's conversion), which the double bound leaves out */
                    bad += err > bound * (1 + 1e-6) + 1e-6 * fabs(v);
                }
        }
    }
    CHECKF(bad == 0 && bad_scale == 0, "%s: %d values beyond the bound, %d scales off", scheme,
           bad, bad_scale);
}

static void round_trip_bounds(void)
{
    enum { R = 32, C = 256 };
    static float x[R * C], y[R * C];
    fu_normal(x, R * C, 7);
    x[5] = 40.0f; /* an outlier widens one group */
    static const char *const types[] = {"int8", "int4", "int3", "int2"};
    static const char *const grains[] = {"g32", "g128", "g256", "channel", "tensor"};
    static const char *const options[] = {"sym", "asym", "sym:scale=f32", "asym:scale=f32"};
    for (int t = 0; t < 4; t++)
        for (int g = 0; g < 5; g++)
            for (int o = 0; o < 4; o++) {
                char scheme[64];
                snprintf(scheme, sizeof scheme, "%s:%s:%s", types[t], grains[g], options[o]);
                lq_tensor *q = fu_round_trip(scheme, x, R, C, 2, y);
                if (q)
                    check_rtn(scheme, x, y, q, R, C);
                lq_tensor_free(q);
            }
}

/* Sizes: codes ceil(cols*bits/8) per row, then scales, then zero points. */
static void layout_sizes(void)
{
    static const struct { const char *scheme; int64_t rows, cols; uint64_t bytes; } cases[] = {
        {"int4:g128:sym", 64, 256, 64 * 128 + 64 * 2 * 2},
        {"int3:g128:asym", 64, 256, 64 * 96 + 64 * 2 * 2 + 64 * 2},
        {"int3:channel:sym", 5, 3, 5 * 2 + 5 * 2},
        {"int2:tensor:asym:scale=f32", 3, 5, 3 * 2 + 4 + 1},
        {"int8:channel:sym", 7, 9, 7 * 9 + 7 * 2},
        {"int4:g7", 2, 21, 2 * 11 + 6 * 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lq_scheme *s = NULL;
        uint64_t n = 0;
        CHECK_OK(lq_scheme_parse(cases[i].scheme, &s));
        CHECK_OK(lq_scheme_tensor_bytes(s, cases[i].rows, cases[i].cols, &n));
        CHECKF(n == cases[i].bytes, "%s: %llu bytes, wanted %llu", cases[i].scheme,
               (unsigned long long)n, (unsigned long long)cases[i].bytes);
        lq_scheme_free(s);
    }
}

static void bad_shapes_and_values(void)
{
    float x[3 * 100] = {0};
    lq_tensor *q = (lq_tensor *)1;
    CHECK_STATUS(fu_quantize("int4:g128", x, 3, 100, 1, &q), LQ_ERR_SHAPE);
    CHECK(q == NULL);
    CHECKF(strstr(lq_last_error(), "100") && strstr(lq_last_error(), "128"), "%s", lq_last_error());
    CHECK_STATUS(fu_quantize("int8:g3", x, 3, 100, 1, &q), LQ_ERR_SHAPE);
    CHECK_OK(fu_quantize("int8:g25", x, 3, 100, 1, &q));
    lq_tensor_free(q);
    lq_scheme *s = NULL;
    uint64_t n;
    CHECK_OK(lq_scheme_parse("int3:g64", &s));
    CHECK_STATUS(lq_scheme_tensor_bytes(s, 2, 96, &n), LQ_ERR_SHAPE);
    lq_scheme_free(s);
    fu_check_nonfinite_refused("int4:g32");
    fu_check_nonfinite_refused("int8:tensor:asym");
}

/* A scale above f16's 65504 is an error naming scale=f32; f32 scales work. */
static void scale_overflow(void)
{
    float x[2 * 8] = {0};
    x[11] = 1e6f; /* int4 sym: scale 1e6/7.5 */
    lq_tensor *q = NULL;
    CHECK_STATUS(fu_quantize("int4:g8:sym", x, 2, 8, 2, &q), LQ_ERR_NUMERIC);
    CHECKF(strstr(lq_last_error(), "scale=f32") && strstr(lq_last_error(), "row 1"), "%s",
           lq_last_error());
    CHECK_STATUS(fu_quantize("int4:tensor:asym", x, 2, 8, 2, &q), LQ_ERR_NUMERIC);
    CHECKF(strstr(lq_last_error(), "scale=f32") != NULL, "%s", lq_last_error());
    float y[16];
    q = fu_round_trip("int4:g8:sym:scale=f32", x, 2, 8, 2, y);
    if (q)
        CHECK(fabsf(y[11] - 1e6f) <= 1e6f / 15 * 1.001f && y[0] == 0.0f);
    lq_tensor_free(q);
    /* f32 range overflow: hi - lo is infinite */
    x[3] = -3e38f;
    x[4] = 3e38f;
    CHECK_STATUS(fu_quantize("int8:channel:asym:scale=f32", x, 2, 8, 1, &q), LQ_ERR_NUMERIC);
}

static void threads_do_not_matter(void)
{
    enum { R = 256, C = 512 };
    static float x[R * C];
    fu_normal(x, R * C, 11);
    fu_check_thread_independent("int4:g128:sym", x, R, C);
    fu_check_thread_independent("int3:g64:asym", x, R, C);
    fu_check_thread_independent("int2:channel:asym:scale=f32", x, R, C);
    fu_check_thread_independent("int8:tensor:sym", x, R, C);
}

/* The helpers the methods use. */
static void helpers(void)
{
    lqt_rng rng = {3};
    for (int bits = 2; bits <= 8; bits++) {
        if (bits > 4 && bits < 8)
            continue;
        uint8_t codes[37], back[37], row[37];
        for (int j = 0; j < 37; j++)
            codes[j] = (uint8_t)(lqt_next(&rng) & ((1u << bits) - 1));
        memset(row, 0xAA, sizeof row);
        lq__linear_pack_row(codes, 37, bits, row);
        lq__linear_unpack_row(row, 37, bits, back);
        CHECK(memcmp(codes, back, sizeof codes) == 0);
        for (int j = 0; j < 37; j++) /* against a bit-by-bit reading of the stream */
            for (int k = 0; k < bits; k++) {
                int bit = j * bits + k;
                CHECK(((row[bit / 8] >> (bit % 8)) & 1) == ((codes[j] >> k) & 1));
            }
        int used = (37 * bits + 7) / 8;
        CHECK(used == 37 || row[used] == 0xAA); /* nothing past the row is written */
    }
    CHECK(lq__linear_bits(LQ_TYPE_INT3) == 3 && lq__linear_bits(LQ_TYPE_NF4) == 0);

    lq__linear_param p;
    CHECK_OK(lq__linear_param_for_range(-2.0f, 1.0f, 4, 1, LQ_TYPE_F32, &p));
    CHECK(p.scale == 4.0f / 15.0f && p.zero == 8);
    CHECK_OK(lq__linear_param_for_range(0.5f, 3.0f, 2, 0, LQ_TYPE_F32, &p)); /* widened to 0 */
    CHECK(p.scale == 1.0f && p.zero == 0);
    CHECK_OK(lq__linear_param_for_range(-3.0f, -1.0f, 2, 0, LQ_TYPE_F16, &p));
    CHECK(p.scale == 1.0f && p.zero == 3);
    CHECK(lq__linear_quantize_value(-3.0f, p, 3) == 0 && lq__linear_quantize_value(9.0f, p, 3) == 3);
    CHECK(lq__linear_quantize_value(-0.5f, p, 3) == 3); /* -0.5 rounds half to even: 0 */
    CHECK(lq__linear_quantize_value(-1.5f, p, 3) == 1); /* -1.5 -> -2 */
    CHECK(lq__linear_dequantize_value(1, p) == -2.0f);
    const float run[5] = {0.25f, -0.75f, 0.5f, 0.0f, 0.125f};
    CHECK_OK(lq__linear_param_for(run, 5, 8, 1, LQ_TYPE_F16, &p));
    CHECK(p.scale == lq__f16_to_f32(lq__f32_to_f16(1.5f / 255)) && p.zero == 128);
    CHECK_STATUS(lq__linear_param_for_range(-1e6f, 0.0f, 2, 1, LQ_TYPE_F16, &p), LQ_ERR_NUMERIC);

    /* scale and zero point locations */
    lq__qparams qp = {LQ_TYPE_INT4, 4, 0, LQ_TYPE_F16, 0, 0};
    lq__layout layout;
    CHECK_OK(lq__codec_layout("test", &qp, 3, 8, &layout));
    lq__linear_map m;
    lq__linear_map_init(&m, &qp, 3, 8, &layout);
    CHECK(m.row_bytes == 4 && m.codes == 0 && m.scales == 12 && m.zeros == 12 + 6 * 2);
    CHECK(lq__linear_param_index(&m, 2, 5) == 5 && lq__linear_param_index(&m, 1, 3) == 2);
    uint8_t data[64] = {0};
    lq__linear_param w = {0.5f, 11};
    lq__linear_store_param(data, &m, 5, w);
    lq__linear_param r = lq__linear_load_param(data, &m, 5);
    CHECK(r.scale == 0.5f && r.zero == 11 && data[m.zeros + 5] == 11);
}

/* RMSE and SQNR of each scheme on a 256 x 4096 N(0,1) matrix (reported in
 * the TAP output), with floors a few dB under the expected figures: a
 * uniform b-bit grid over +-amax loses about 6 dB per bit removed. */
static void quality_figures(void)
{
    enum { R = 256, C = 4096 };
    static float x[R * C], y[R * C];
    fu_normal(x, R * C, 2024);
    static const struct { const char *scheme; double min_sqnr; } cases[] = {
        {"int8:channel:sym", 38}, {"int4:g128:sym", 17}, {"int4:g128:asym", 17},
        {"int4:g32:sym", 19}, {"int3:g128:sym", 10}, {"int3:g64:asym", 11},
        {"int2:g64:asym", 5}, {"int4:tensor:sym", 10},
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

/* Tensors without elements quantize to their (scale-only or empty) layout,
 * in every family. */
static void empty_tensors(void)
{
    static const char *const schemes[] = {"int4:g8", "int8:tensor:asym", "nf4:b64:dq",
                                          "fp8_e4m3:channel", "fp8_e5m2"};
    float dummy[1] = {0};
    for (int i = 0; i < 5; i++) {
        lq_tensor *q = NULL;
        lq_scheme *s = NULL;
        uint64_t n = 1;
        CHECK_OK(fu_quantize(schemes[i], dummy, 0, 8, 2, &q));
        CHECK_OK(lq_scheme_parse(schemes[i], &s));
        CHECK_OK(lq_scheme_tensor_bytes(s, 0, 8, &n));
        CHECK(q && lq_tensor_nbytes(q) == n);
        CHECK_OK(lq_dequantize_f32(NULL, q, dummy, 0));
        lq_tensor_free(q);
        lq_scheme_free(s);
    }
}

LQT_MAIN(int4_sym_exact_bytes, int3_packing_crosses_bytes, int2_exact_bytes,
         int8_asym_exact_bytes, zero_groups, round_trip_bounds, layout_sizes,
         bad_shapes_and_values, scale_overflow, threads_do_not_matter, helpers, empty_tensors,
         quality_figures)
