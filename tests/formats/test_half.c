/* test_half.c — the f16 and bf16 conversions of core/half.h against an
 * oracle written here: every 16-bit pattern decodes to the value its fields
 * give; f32 inputs round to the nearest value (distances in double), ties to
 * the even pattern, overflowing to infinity — for f16 every positive f32
 * whose result is not plainly 0 or infinity, for bf16 the neighbourhood of
 * every value and midpoint; negative inputs, every NaN and a random sample
 * check the sign. */
#include "../harness.h"
#include "libquant/core/half.h"

typedef struct {
    const char *name;
    int mbits, bias;
    uint16_t inf;    /* the infinity pattern, also the first past the largest finite */
    double top;      /* the value the infinity pattern would have: where overflow starts */
} fmt;

static const fmt f16 = {"f16", 10, 15, 0x7c00, 65536.0};
static const fmt bf16 = {"bf16", 7, 127, 0x7f80, 0x1p128};

static double oracle_value(const fmt *f, uint16_t h)
{
    int e = (h & 0x7fff) >> f->mbits, m = h & ((1 << f->mbits) - 1);
    double v;
    if ((h & 0x7fff) >= f->inf)
        v = (h & 0x7fff) == f->inf ? INFINITY : NAN;
    else if (e == 0)
        v = ldexp(m, 1 - f->bias - f->mbits);
    else
        v = ldexp(1.0 + ldexp(m, -f->mbits), e - f->bias);
    return h & 0x8000 ? -v : v;
}

static uint16_t to16(const fmt *f, float x) { return f == &f16 ? lq__f32_to_f16(x) : lq__f32_to_bf16(x); }
static float from16(const fmt *f, uint16_t h) { return f == &f16 ? lq__f16_to_f32(h) : lq__bf16_to_f32(h); }

static void decode_every_pattern(const fmt *f)
{
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        double want = oracle_value(f, (uint16_t)h);
        float got = from16(f, (uint16_t)h);
        bad += isnan(want) ? !isnan(got) || !signbit(got) != !(h & 0x8000)
                           : (double)got != want || !signbit(got) != !(h & 0x8000);
    }
    CHECKF(bad == 0, "%s: %d patterns decode wrongly", f->name, bad);
}

/* f16: every f32 from 2^-26 to 65536 in increasing order (below, every
 * value rounds to 0, above to infinity: those ranges are sampled every 97th
 * pattern). The expected pattern only changes at the midpoints between
 * neighbouring values (f32 numbers, from the oracle's values), so one pass
 * checks them all. */
static void round_positive_f32_sweep(const fmt *f, float exhaustive_from, float exhaustive_to)
{
    long long bad = 0;
    uint32_t from = lq__f32_bits(exhaustive_from), to = lq__f32_bits(exhaustive_to);
    uint16_t k = 0;   /* expected pattern below the next midpoint */
    uint32_t mid = 0; /* bits of the midpoint above pattern k */
    int have_mid = 0;
    for (uint32_t u = 0; u <= 0x7f800000u; u += u < from || u > to ? 97 : 1) {
        while (!have_mid || u > mid) {
            if (have_mid)
                k++;
            have_mid = 1;
            if (k == f->inf) { /* past the last midpoint: infinity */
                mid = 0xffffffffu;
                break;
            }
            double lo = oracle_value(f, k), hi = k + 1 < f->inf ? oracle_value(f, k + 1) : f->top;
            float m = (float)((lo + hi) / 2);
            CHECK((double)m == (lo + hi) / 2);
            mid = lq__f32_bits(m);
        }
        uint16_t want = u == mid && (k & 1) ? (uint16_t)(k + 1) : k;
        bad += to16(f, lq__f32_from_bits(u)) != want;
    }
    CHECKF(bad == 0, "%s: %lld f32 values round wrongly", f->name, bad);
}

/* bf16: every f32 matters, too many to sweep in a few seconds. Every bf16
 * value b is checked with the f32 numbers around it and around the midpoint
 * to the next one (low halves 0, 1, 0x7fff, 0x8000, 0x8001, 0xffff) and 16
 * random low halves, both signs. */
static void round_bf16_neighbourhoods(void)
{
    static const uint32_t lows[6] = {0, 1, 0x7fff, 0x8000, 0x8001, 0xffff};
    long long bad = 0;
    lqt_rng rng = {5};
    for (uint32_t b = 0; b < bf16.inf; b++) {
        double lo = oracle_value(&bf16, (uint16_t)b);
        double hi = b + 1 < bf16.inf ? oracle_value(&bf16, (uint16_t)(b + 1)) : bf16.top;
        for (int i = 0; i < 22; i++) {
            uint32_t u = b << 16 | (i < 6 ? lows[i] : (uint32_t)lqt_next(&rng) & 0xffff);
            double x = lq__f32_from_bits(u);
            uint16_t want = (uint16_t)(x - lo < hi - x ? b : x - lo > hi - x ? b + 1 : b + (b & 1));
            bad += lq__f32_to_bf16(lq__f32_from_bits(u)) != want;
            bad += lq__f32_to_bf16(lq__f32_from_bits(u | 0x80000000u)) != (want | 0x8000);
        }
    }
    CHECKF(bad == 0, "bf16: %lld f32 values round wrongly", bad);
}

/* The sign is kept: negatives give the positive result with the sign bit
 * (every 1021st pattern and a random sample), NaN stays NaN of the same sign
 * (every NaN pattern), infinity stays infinity. */
static void signs_and_nan(const fmt *f)
{
    long long bad = 0;
    for (uint32_t u = 0; u < 0x7f800000u; u += 1021)
        bad += to16(f, lq__f32_from_bits(u | 0x80000000u)) != (to16(f, lq__f32_from_bits(u)) | 0x8000);
    lqt_rng rng = {77};
    for (int i = 0; i < 1 << 22; i++) {
        uint32_t u = (uint32_t)lqt_next(&rng) & 0x7fffffffu;
        if (u > 0x7f800000u)
            continue;
        bad += to16(f, lq__f32_from_bits(u | 0x80000000u)) != (to16(f, lq__f32_from_bits(u)) | 0x8000);
    }
    for (uint32_t m = 1; m < (1u << 23); m++)
        for (uint32_t s = 0; s < 2; s++) {
            uint16_t h = to16(f, lq__f32_from_bits((s << 31) | 0x7f800000u | m));
            bad += !isnan(oracle_value(f, h)) || (h >> 15) != s;
        }
    bad += to16(f, -INFINITY) != (f->inf | 0x8000) || to16(f, INFINITY) != f->inf;
    CHECKF(bad == 0, "%s: %lld sign or NaN cases wrong", f->name, bad);
}

static void f16_exhaustive(void)
{
    decode_every_pattern(&f16);
    round_positive_f32_sweep(&f16, 0x1p-26f, 65536.0f);
    signs_and_nan(&f16);
    CHECK(lq__f32_to_f16(65519.0f) == 0x7bff && lq__f32_to_f16(65520.0f) == 0x7c00);
    CHECK(lq__f32_to_f16(0x1p-25f) == 0 && lq__f32_to_f16(0x1.000002p-25f) == 1);
}

static void bf16_exhaustive(void)
{
    decode_every_pattern(&bf16);
    round_bf16_neighbourhoods();
    signs_and_nan(&bf16);
    CHECK(lq__f32_to_bf16(1.00390625f) == 0x3f80 && lq__f32_to_bf16(1.01171875f) == 0x3f82);
}

LQT_MAIN(f16_exhaustive, bf16_exhaustive)
