/* test_kernels.c — every kernel of the level LQ_ARCH selects against its scalar
 * reference (kernels/ref/), on random and adversarial rows.
 *
 * Registered once per level (LQ_ARCH=ref|avx2|avx512|neon); a level this CPU
 * or build lacks is skipped. Decoding must be bit-identical; dot products may
 * differ by float rounding only, within the bound of kt_sum_tol for the float
 * terms each format adds (below). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "kernel_test.h"
#include "libquant/core/half.h"
#include "libquant/core/type_info.h"
#include "libquant/core/type_list.h"
#include "libquant/formats/codecs_bnb4.h"
#include "libquant/kernels/kernels.h"

static const lq__kernels *lvl, *ref;

/* The formats whose dot products are compared, with the float terms they add
 * (kt_sum_tol's m and r): f32 / f16 / bf16 add n products, one rounding each.
 * The block formats sum codes times activations exactly in integers; what
 * reaches float arithmetic is at most a scale term and a min term per group
 * of 16 elements (the smallest scale group of any of them), each with up to
 * four roundings (f16 scale times activation scale times the integer sum,
 * minus the min's product). */
static const struct {
    lq_type type;
    int elems_per_term, roundings;
} formats[] = {
    {LQ_TYPE_F32, 1, 1},
    {LQ_TYPE_F16, 1, 1},
    {LQ_TYPE_BF16, 1, 1},
#define GGML_FORMAT(T, n, v, g, be, bb, bits, fl, act, kern, ...) \
    LQ__IF_KERNELS_REF_##kern({LQ_TYPE_##T, 8, 4},)
    LQ__GGML_TYPES(GGML_FORMAT)
#undef GGML_FORMAT
};
#define NFORMATS (int)(sizeof formats / sizeof *formats)

/* Block counts per row: one, odd, and enough for every unrolled loop and tail. */
static const int row_blocks[] = {1, 2, 3, 7, 16, 33};

static void dequant_bit_identical(void)
{
    lqt_rng rng = {11};
    for (int f = 0; f < NFORMATS; f++) {
        lq_type t = formats[f].type;
        for (int r = 0; r < (int)(sizeof row_blocks / sizeof *row_blocks); r++) {
            for (int mode = 0; mode < KT_MODES; mode++) {
                int64_t n = kt_row_elems(t, row_blocks[r]);
                kt_row row;
                kt_make_row(&row, t, n, mode, &rng);
                float *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
                ref->t[t].dequant(row.bytes, a, n);
                lvl->t[t].dequant(row.bytes, b, n);
                int64_t bad = kt_first_diff(a, b, n);
                CHECKF(bad < 0, "%s n=%lld mode %s: element %lld: ref %a, %s %a", lq_type_name(t),
                       (long long)n, kt_mode_name(mode), (long long)bad, bad < 0 ? 0 : a[bad],
                       lq__arch_name(lvl->arch), bad < 0 ? 0 : b[bad]);
                uint16_t *ha = malloc((size_t)n * 2), *hb = malloc((size_t)n * 2);
                lq__dequant_row_f16(ref, t, row.bytes, ha, n);
                lq__dequant_row_f16(lvl, t, row.bytes, hb, n);
                CHECKF(memcmp(ha, hb, (size_t)n * 2) == 0, "%s n=%lld: f16 decode differs",
                       lq_type_name(t), (long long)n);
                free(ha), free(hb), free(a), free(b);
                kt_free_row(&row);
            }
        }
    }
}

/* The decoders against ggml's own outputs in ../shared/golden/ggml. */
static void dequant_matches_ggml_goldens(void)
{
    static const struct {
        lq_type type;
        const char *name;
    } g[] = {{LQ_TYPE_Q4_0, "q4_0"}, {LQ_TYPE_Q4_1, "q4_1"}, {LQ_TYPE_Q5_0, "q5_0"},
             {LQ_TYPE_Q5_1, "q5_1"}, {LQ_TYPE_Q8_0, "q8_0"}, {LQ_TYPE_Q2_K, "q2_K"},
             {LQ_TYPE_Q3_K, "q3_K"}, {LQ_TYPE_Q4_K, "q4_K"}, {LQ_TYPE_Q5_K, "q5_K"},
             {LQ_TYPE_Q6_K, "q6_K"}, {LQ_TYPE_IQ4_NL, "iq4_nl"}, {LQ_TYPE_IQ4_XS, "iq4_xs"}};
    int compared = 0;
    for (int i = 0; i < (int)(sizeof g / sizeof *g); i++) {
        for (int v = 0; v < 4; v++) {
            char bin[96], deq[96];
            const char *input = v % 2 ? "mixed" : "normal", *imat = v / 2 ? ".imat" : "";
            snprintf(bin, sizeof bin, "%s.%s%s.bin", input, g[i].name, imat);
            snprintf(deq, sizeof deq, "%s.%s%s.deq.f32", input, g[i].name, imat);
            size_t nb = 0, nd = 0;
            uint8_t *q = kt_read_golden(bin, &nb);
            float *want = (float *)kt_read_golden(deq, &nd);
            if (q && want) {
                int64_t n = (int64_t)(nd / 4), cols = n / 8;
                size_t row_bytes = nb / 8;
                float *got = malloc(nd);
                for (int r = 0; r < 8; r++)
                    lvl->t[g[i].type].dequant(q + r * row_bytes, got + r * cols, cols);
                int64_t bad = kt_first_diff(want, got, n);
                CHECKF(bad < 0, "%s: element %lld: ggml %a, ours %a", bin, (long long)bad,
                       bad < 0 ? 0 : want[bad], bad < 0 ? 0 : got[bad]);
                free(got);
                compared++;
            }
            free(q);
            free(want);
        }
    }
    /* All 48 or none: none is a missing folder (test_ggml_golden fails on that),
     * anything between is a missing file. */
    if (!compared)
        SKIP_CASE("golden files not found in $LQ_SHARED/golden/ggml");
    else
        CHECKF(compared == 48, "%d of 48 golden files found", compared);
}

static void vec_dot_within_tolerance(void)
{
    lqt_rng rng = {12};
    for (int f = 0; f < NFORMATS; f++) {
        lq_type t = formats[f].type;
        lq_type at = ref->t[t].act_type;
        CHECK(lvl->t[t].act_type == at);
        for (int r = 0; r < (int)(sizeof row_blocks / sizeof *row_blocks); r++) {
            for (int mode = 0; mode < KT_MODES; mode++) {
                int64_t n = kt_row_elems(t, row_blocks[r]);
                if (at == LQ_TYPE_F32 && r % 2)
                    n -= 3; /* plain types: any length, tails included */
                kt_row row;
                kt_make_row(&row, t, n, mode, &rng);
                float *x = malloc((size_t)n * sizeof *x), *wd = malloc((size_t)n * sizeof *wd);
                kt_fill_floats(x, n, mode, &rng);
                void *act = x;
                if (at != LQ_TYPE_F32) {
                    act = malloc((size_t)lq__act_row_bytes(at, n));
                    lq__quant_act_for(at)(x, act, n);
                }
                double mag = kt_dot_magnitude(ref, t, row.bytes, at, act, x, wd, n);
                float want = ref->t[t].vec_dot(n, row.bytes, act);
                float got = lvl->t[t].vec_dot(n, row.bytes, act);
                double err = fabs((double)got - (double)want);
                double tol = kt_sum_tol((double)n / formats[f].elems_per_term, formats[f].roundings);
                /* + 1e-30: the extreme mode's subnormal scales underflow, where a
                 * relative bound does not hold; 1e-30 is far below any normal result */
                CHECKF(err <= tol * mag + 1e-30, "%s n=%lld mode %s: ref %.9g, %s %.9g "
                       "(error %.3g, allowed %.3g)", lq_type_name(t), (long long)n,
                       kt_mode_name(mode), want, lq__arch_name(lvl->arch), got, err, tol * mag);
                if (act != x)
                    free(act);
                free(x), free(wd);
                kt_free_row(&row);
            }
        }
    }
}

/* The many-row dot products: every row bit-identical to vec_dot's (the
 * decode path takes either, by where a chunk of rows ends), with rows a
 * little more than a row apart. */
static void vec_dot_rows_bit_identical(void)
{
    lqt_rng rng = {13};
    for (int f = 0; f < NFORMATS; f++) {
        lq_type t = formats[f].type;
        if (!lvl->t[t].vec_dot_rows)
            continue;
        CHECK(lvl->t[t].vec_dot != NULL);
        lq_type at = lvl->t[t].act_type;
        for (int r = 0; r < (int)(sizeof row_blocks / sizeof *row_blocks); r++) {
            for (int mode = 0; mode < KT_MODES; mode++) {
                int64_t n = kt_row_elems(t, row_blocks[r]);
                size_t stride = kt_row_bytes(t, n) + 3;
                uint8_t *rows = malloc(stride * LQ__DOT_ROWS);
                for (int j = 0; j < LQ__DOT_ROWS; j++) {
                    kt_row row;
                    kt_make_row(&row, t, n, mode, &rng);
                    memcpy(rows + (size_t)j * stride, row.bytes, row.size);
                    kt_free_row(&row);
                }
                float *x = malloc((size_t)n * sizeof *x), got[LQ__DOT_ROWS];
                kt_fill_floats(x, n, mode, &rng);
                void *act = x;
                if (at != LQ_TYPE_F32) {
                    act = malloc((size_t)lq__act_row_bytes(at, n));
                    lq__quant_act_for(at)(x, act, n);
                }
                lvl->t[t].vec_dot_rows(n, rows, stride, act, got);
                for (int j = 0; j < LQ__DOT_ROWS; j++) {
                    float want = lvl->t[t].vec_dot(n, rows + (size_t)j * stride, act);
                    CHECKF(memcmp(&want, &got[j], sizeof want) == 0, "%s n=%lld mode %s row %d: "
                           "vec_dot %a, vec_dot_rows %a", lq_type_name(t), (long long)n,
                           kt_mode_name(mode), j, want, got[j]);
                }
                if (act != x)
                    free(act);
                free(x), free(rows);
            }
        }
    }
}

/* The level's q8_0 and q8_1 activation quantizers: the shared ones' bytes,
 * on random and adversarial rows and on a row of exact ties (amax 127: d = 1,
 * so x.5 must round away from zero). */
static void quant_q8_0_q8_1_bit_identical(void)
{
    enum { N = 33 * 32 };
    lqt_rng rng = {14};
    static float x[N];
    static uint8_t want[N / 32 * 36], got[N / 32 * 36];
    const struct { lq_type type; lq__quant_act_fn level; size_t bytes; } q[] = {
        {LQ_TYPE_Q8_0, lvl->quant_q8_0, N / 32 * 34},
        {LQ_TYPE_Q8_1, lvl->quant_q8_1, N / 32 * 36},
    };
    for (int t = 0; t < 2; t++)
        for (int mode = 0; mode <= KT_MODES; mode++) {
            if (mode < KT_MODES)
                kt_fill_floats(x, N, mode, &rng);
            else
                for (int i = 0; i < N; i++)
                    x[i] = i % 32 == 0 ? 127.0f : (float)((i * 7) % 255 - 127) + (i % 2 ? 0.5f : -0.5f);
            lq__quant_act_for(q[t].type)(x, want, N);
            q[t].level(x, got, N);
            CHECKF(memcmp(want, got, q[t].bytes) == 0, "mode %d: %s differs from the shared %s "
                   "quantizer", mode, lq__arch_name(lvl->arch), t ? "q8_1" : "q8_0");
        }
}

/* The level's q8_K activation quantizer: the shared one's bytes, on random
 * and adversarial rows, on rows whose largest magnitude comes twice with
 * both signs (the first one's sign sets the scale's), on zero and subnormal
 * blocks, and on rows of exact ties of the rounding (|x| = 127 sets iscale
 * to 1). */
static void quant_q8_k_bit_identical(void)
{
    enum { N = 9 * 256 };
    lqt_rng rng = {15};
    static float x[N];
    static uint8_t want[N / 256 * 292], got[N / 256 * 292];
    for (int mode = 0; mode <= KT_MODES + 1; mode++) {
        if (mode < KT_MODES)
            kt_fill_floats(x, N, mode, &rng);
        else if (mode == KT_MODES)
            /* +-3 at a random place, -+3 later; block 1 all zero; block 2
             * subnormal, where -127 / max overflows to infinity */
            for (int i = 0; i < N; i++)
                x[i] = i / 256 == 1   ? 0.0f
                       : i / 256 == 2 ? (float)(i % 3) * 1.4e-45f
                                      : (float)(lqt_next(&rng) % 5) * 0.5f - 1.0f;
        else
            for (int i = 0; i < N; i++)
                x[i] = i % 256 == 7 ? -127.0f : (float)((i * 7) % 253 - 126) + (i % 2 ? 0.5f : -0.5f);
        if (mode == KT_MODES)
            for (int b = 0; b < N / 256; b++)
                if (b > 2) {
                    float sign = b % 2 ? 1.0f : -1.0f;
                    x[b * 256 + (int)(lqt_next(&rng) % 128)] = 3.0f * sign;
                    x[b * 256 + 128 + (int)(lqt_next(&rng) % 128)] = -3.0f * sign;
                }
        lq__quant_act_for(LQ_TYPE_Q8_K)(x, want, N);
        lvl->quant_q8_k(x, got, N);
        CHECKF(memcmp(want, got, sizeof want) == 0, "mode %d: %s differs from the shared q8_K "
               "quantizer", mode, lq__arch_name(lvl->arch));
    }
}

static void f32_dot_and_f16_conversion(void)
{
    lqt_rng rng = {13};
    for (int64_t n = 0; n < 80; n++) {
        float *a = malloc(((size_t)n + 1) * sizeof *a), *b = malloc(((size_t)n + 1) * sizeof *b);
        double mag = 0;
        for (int64_t i = 0; i < n; i++) {
            a[i] = lqt_normal(&rng);
            b[i] = lqt_normal(&rng);
            mag += fabs((double)a[i] * b[i]);
        }
        double err = fabs((double)lvl->dot_f32(n, a, b) - (double)ref->dot_f32(n, a, b));
        CHECKF(err <= kt_sum_tol((double)n, 1) * mag, "dot_f32 n=%lld: error %g", (long long)n, err);
        free(a), free(b);
    }
    /* every rounding case of f32 -> f16: ties, subnormals, overflow, infinities */
    enum { N = 4096 };
    static float x[N];
    static uint16_t ha[N], hb[N];
    for (int i = 0; i < N; i++) {
        uint32_t bits = (uint32_t)lqt_next(&rng);
        int kind = i % 4;
        if (kind == 0) /* around the f16 range: exponents 2^-26 .. 2^17 */
            bits = (bits & 0x807fffffu) | ((uint32_t)(101 + (bits >> 23) % 43) << 23);
        else if (kind == 1) /* exact ties: a half-ulp bit and nothing below it */
            bits = (bits & 0xffffe000u) | 0x1000u;
        x[i] = lq__f32_from_bits(bits);
        if (isnan(x[i]))
            x[i] = 1.0f;
    }
    x[0] = 65504.0f, x[1] = 65520.0f, x[2] = -65520.0f, x[3] = 1e-8f, x[4] = 5.9604645e-8f;
    x[5] = INFINITY, x[6] = -INFINITY, x[7] = -0.0f, x[8] = 2.9802322e-8f, x[9] = 65519.996f;
    ref->to_f16(x, ha, N);
    lvl->to_f16(x, hb, N);
    int bad = -1;
    for (int i = 0; i < N && bad < 0; i++)
        if (ha[i] != hb[i] || ha[i] != lq__f32_to_f16(x[i]))
            bad = i;
    CHECKF(bad < 0, "to_f16(%a): ref %04x, %s %04x", bad < 0 ? 0 : x[bad], bad < 0 ? 0 : ha[bad],
           lq__arch_name(lvl->arch), bad < 0 ? 0 : hb[bad]);
}

static void linear_rows(void)
{
    lqt_rng rng = {14};
    /* blocks of 32 per row and group (0: the row, 1184 elements); odd counts
     * of one-block and three-block groups and a row of one block reach the
     * tails of kernels that take two blocks per step */
    static const struct {
        int blocks;
        int64_t group;
    } shapes[] = {{12, 32}, {12, 64}, {12, 128}, {37, 0}, {13, 32}, {15, 96}, {1, 32}};
    static const int widths[] = {8, 4, 3, 2};
    for (int wi = 0; wi < 4; wi++) {
        int bits = widths[wi], b = lq__lin_slot(bits);
        for (int si = 0; si < (int)(sizeof shapes / sizeof *shapes); si++) {
            for (int v = 0; v < 6; v++) { /* v & 1: f32 scales; v >> 1: sym, asym, any u8 zero */
                int64_t k = 32 * shapes[si].blocks;
                int64_t group = shapes[si].group ? shapes[si].group : k;
                kt_lin lin;
                kt_make_lin(&lin, bits, k, group, v & 1, v >> 1, &rng);
                float *a = malloc((size_t)k * sizeof *a), *c = malloc((size_t)k * sizeof *c);
                ref->lin_dequant[b](k, &lin.row, a);
                lvl->lin_dequant[b](k, &lin.row, c);
                int64_t bad = kt_first_diff(a, c, k);
                static const char *const zeros[] = {"sym", "asym", "asym with zero points to 255"};
                CHECKF(bad < 0, "int%d g%lld %s %s: element %lld differs", bits, (long long)group,
                       v & 1 ? "f32" : "f16", zeros[v >> 1], (long long)bad);
                float *x = malloc((size_t)k * sizeof *x);
                kt_fill_floats(x, k, KT_NORMAL, &rng);
                void *act = malloc((size_t)lq__act_row_bytes(LQ_TYPE_Q8_0, k));
                lq__quant_act_for(LQ_TYPE_Q8_0)(x, act, k);
                float *xd = malloc((size_t)k * sizeof *xd);
                ref->t[LQ_TYPE_Q8_0].dequant(act, xd, k); /* q8_0 activations decode as q8_0 weights */
                double mag = 0;
                for (int64_t j = 0; j < k; j++)
                    mag += fabs((double)a[j] * xd[j]);
                float want = ref->lin_dot[b](k, &lin.row, act), got = lvl->lin_dot[b](k, &lin.row, act);
                /* integer sums per group of 32 (q8_0 blocks), a scale and a zero-point
                 * term per group in float: at most k / 16 terms, four roundings each */
                CHECKF(fabs((double)got - want) <= kt_sum_tol((double)k / 16, 4) * mag,
                       "int%d g%lld %s dot: ref %.9g, got %.9g", bits, (long long)group,
                       zeros[v >> 1], want, got);
                /* the integer reference is exact up to the float sum: compare with the decoded rows */
                double exact = 0;
                for (int64_t j = 0; j < k; j++)
                    exact += (double)a[j] * xd[j];
                /* one float sum (the reference's) against the double one, which adds
                 * the decoded floats' own roundings (a weight and an activation each) */
                CHECKF(fabs(exact - want) <= (kt_sum_tol((double)k / 16, 4) / 2 + 0x1p-23) * mag,
                       "int%d: ref dot %.9g vs decoded %.9g", bits, want, exact);
                free(a), free(c), free(x), free(act), free(xd);
                kt_free_lin(&lin);
            }
        }
    }
}

/* Decoding with groups that are not a multiple of the vector width: runs
 * that end inside a vector (g24, g20), and int3 groups that start inside a
 * byte (g20: the second group starts at bit 60). */
static void linear_rows_ragged_groups(void)
{
    lqt_rng rng = {17};
    static const int64_t groups[] = {24, 20};
    static const int widths[] = {8, 4, 3, 2};
    enum { K = 240 };
    for (int wi = 0; wi < 4; wi++) {
        for (int gi = 0; gi < 2; gi++) {
            for (int v = 0; v < 4; v++) {
                kt_lin lin;
                kt_make_lin(&lin, widths[wi], K, groups[gi], v & 1, v >> 1, &rng);
                float a[K], c[K];
                ref->lin_dequant[lq__lin_slot(widths[wi])](K, &lin.row, a);
                lvl->lin_dequant[lq__lin_slot(widths[wi])](K, &lin.row, c);
                int64_t bad = kt_first_diff(a, c, K);
                CHECKF(bad < 0, "int%d g%lld %s %s: element %lld differs", widths[wi],
                       (long long)groups[gi], v & 1 ? "f32" : "f16", v >> 1 ? "asym" : "sym",
                       (long long)bad);
                kt_free_lin(&lin);
            }
        }
    }
}

/* The many-row code dot product: every row bit-identical to code_dot's (the
 * matmul takes either, by where a chunk of rows ends), rows of their own
 * codes and scales against the activations xl (arranged by code_act). */
static void code_dot_rows_bit_identical(int kind, const lq__code_row *like, int64_t k, const float *xl,
                                        lqt_rng *rng)
{
    size_t code_bytes = (size_t)(lq__code_4bit(kind) ? k / 2 : k);
    int64_t nb = k / like->block;
    uint8_t *codes = malloc(code_bytes * LQ__DOT_ROWS);
    float *scales = malloc((size_t)nb * LQ__DOT_ROWS * sizeof *scales), got[LQ__DOT_ROWS];
    lq__code_row rows[LQ__DOT_ROWS];
    for (size_t i = 0; i < code_bytes * LQ__DOT_ROWS; i++)
        codes[i] = (uint8_t)lqt_next(rng);
    for (int64_t i = 0; i < nb * LQ__DOT_ROWS; i++)
        scales[i] = kt_scale(KT_NORMAL, rng);
    for (int j = 0; j < LQ__DOT_ROWS; j++)
        rows[j] = (lq__code_row){codes + code_bytes * j, scales + nb * j, like->table, like->block};
    lvl->code_dot_rows[kind](k, rows, xl, got);
    for (int j = 0; j < LQ__DOT_ROWS; j++) {
        float want = lvl->code_dot[kind](k, &rows[j], xl);
        CHECKF(memcmp(&want, &got[j], sizeof want) == 0, "code kind %d block %lld k %lld row %d: code_dot %a, "
               "code_dot_rows %a", kind, (long long)like->block, (long long)k, j, want, got[j]);
    }
    free(codes), free(scales);
}

/* nf4/fp4 and fp8 code rows: decoding bit-identical, including NaN and
 * infinite codes, zero and huge scales; dot products within tolerance. */
static void code_rows(void)
{
    lqt_rng rng = {16};
    static const int64_t blocks[] = {32, 64, 256, 1024};
    for (int kind = 0; kind < LQ__CODE_KINDS; kind++) {
        for (int bi = 0; bi < 4; bi++) {
            for (int nb = 1; nb <= 5; nb += 2) {
                /* fp8 blocks of any length (lq_matmul gives a row, one scale) */
                int64_t block = lq__code_4bit(kind) ? blocks[bi] : 32 * (bi + 1) + 5 * bi;
                int64_t k = block * nb;
                size_t code_bytes = (size_t)(lq__code_4bit(kind) ? k / 2 : k);
                uint8_t *codes = malloc(code_bytes);
                float *scales = malloc((size_t)(k / block) * sizeof *scales);
                for (size_t i = 0; i < code_bytes; i++)
                    codes[i] = (uint8_t)lqt_next(&rng);
                for (int64_t i = 0; i < k / block; i++)
                    scales[i] = i % 3 == 2 ? 0.0f : kt_scale(nb == 3 ? KT_EXTREME : KT_NORMAL, &rng);
                /* the 4-bit kernels take any table: nf4's and fp4's in turn */
                const float *table = kind == LQ__CODE_4BIT ? lq__bnb4_code(bi % 2 ? LQ_TYPE_FP4 : LQ_TYPE_NF4)
                                                           : NULL;
                lq__code_row row = {codes, scales, table, block};
                float *a = malloc((size_t)k * sizeof *a), *c = malloc((size_t)k * sizeof *c);
                ref->code_dequant[kind](k, &row, a);
                lvl->code_dequant[kind](k, &row, c);
                int64_t bad = kt_first_diff(a, c, k);
                CHECKF(bad < 0, "code kind %d block %lld k %lld: element %lld: ref %a, %s %a", kind,
                       (long long)block, (long long)k, (long long)bad, bad < 0 ? 0 : a[bad],
                       lq__arch_name(lvl->arch), bad < 0 ? 0 : c[bad]);
                float *x = malloc((size_t)k * sizeof *x), *xl = malloc((size_t)k * sizeof *xl);
                kt_fill_floats(x, k, KT_NORMAL, &rng);
                /* the level's dot product takes x as its code_act arranges it */
                if (lvl->code_act[kind])
                    lvl->code_act[kind](x, xl, k);
                else
                    memcpy(xl, x, (size_t)k * sizeof *xl);
                /* with NaN / infinite codes the product is NaN / infinite as the reference's
                 * (E4M3 kernels that sum NaN codes as numbers must notice them) */
                float want = ref->code_dot[kind](k, &row, x), got = lvl->code_dot[kind](k, &row, xl);
                CHECKF(isnan(got) == isnan(want) && isfinite(got) == isfinite(want),
                       "code kind %d block %lld raw dot: ref %.9g, %s %.9g", kind, (long long)block, want,
                       lq__arch_name(lvl->arch), got);
                /* dot products on finite rows: NaN / infinite codes replaced by zero */
                for (size_t i = 0; i < code_bytes && !lq__code_4bit(kind); i++)
                    if ((kind == LQ__CODE_E4M3 && (codes[i] & 0x7f) == 0x7f) ||
                        (kind == LQ__CODE_E5M2 && (codes[i] & 0x7c) == 0x7c))
                        codes[i] = 0;
                ref->code_dequant[kind](k, &row, a);
                double mag = 0;
                for (int64_t j = 0; j < k; j++)
                    mag += fabs((double)a[j] * x[j]);
                want = ref->code_dot[kind](k, &row, x), got = lvl->code_dot[kind](k, &row, xl);
                /* each element's decoded weight times x is one float term (the
                 * scale, the code's value and x: two roundings) */
                CHECKF(isfinite(want) && fabs((double)got - want) <= kt_sum_tol((double)k, 2) * mag,
                       "code kind %d block %lld dot: ref %.9g, %s %.9g", kind, (long long)block, want,
                       lq__arch_name(lvl->arch), got);
                if (lvl->code_dot_rows[kind])
                    code_dot_rows_bit_identical(kind, &row, k, xl, &rng);
                free(codes), free(scales), free(a), free(c), free(x), free(xl);
            }
        }
    }
}

static void gemm_i8_exact(void)
{
    lqt_rng rng = {15};
    static const int64_t shapes[][3] = {{1, 1, 1}, {1, 5, 31}, {3, 7, 64}, {5, 9, 97}, {2, 4, 4096},
                                        {17, 13, 200}, {33, 31, 129}};
    for (int s = 0; s < (int)(sizeof shapes / sizeof *shapes); s++) {
        int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        int8_t *x = malloc((size_t)(m * k)), *w = malloc((size_t)(n * k));
        float *sx = malloc((size_t)m * 4), *sw = malloc((size_t)n * 4);
        float *ya = malloc((size_t)(m * n) * 4), *yb = malloc((size_t)(m * n) * 4);
        for (int64_t i = 0; i < m * k; i++) /* activations stay in [-127, 127], weights use -128 too */
            x[i] = (int8_t)(s % 2 ? (i % 2 ? 127 : -127) : (int)(lqt_next(&rng) % 255) - 127);
        for (int64_t i = 0; i < n * k; i++)
            w[i] = (int8_t)(s % 2 ? -128 : (int)(lqt_next(&rng) % 256) - 128);
        for (int64_t i = 0; i < m; i++)
            sx[i] = (float)lqt_uniform(&rng);
        for (int64_t i = 0; i < n; i++)
            sw[i] = (float)lqt_uniform(&rng);
        ref->gemm_i8(m, n, k, x, sx, w, sw, ya, n);
        lvl->gemm_i8(m, n, k, x, sx, w, sw, yb, n);
        CHECKF(memcmp(ya, yb, (size_t)(m * n) * 4) == 0, "gemm_i8 %lldx%lldx%lld differs", (long long)m,
               (long long)n, (long long)k);
        free(x), free(w), free(sx), free(sw), free(ya), free(yb);
    }
}

/* Where the CPU has a level's optional extension (VNNI on AVX-512, dotprod on
 * NEON), the level without it is what other CPUs run: check that table too. */
static void level_without_extension(void)
{
    static lq__kernels table;
    int has = lvl->arch == LQ__ARCH_AVX512 ? lq__cpu_has_vnni()
              : lvl->arch == LQ__ARCH_NEON ? lq__cpu_has_dotprod() : 0;
    if (!has || !lq__kernels_build(&table, lvl->arch, 0)) {
        printf("# %s has no optional extension on this CPU: nothing to split\n", lq__arch_name(lvl->arch));
        return;
    }
    const lq__kernels *saved = lvl;
    lvl = &table;
    dequant_bit_identical();
    vec_dot_within_tolerance();
    vec_dot_rows_bit_identical();
    quant_q8_0_q8_1_bit_identical();
    quant_q8_k_bit_identical();
    f32_dot_and_f16_conversion();
    linear_rows();
    linear_rows_ragged_groups();
    code_rows();
    gemm_i8_exact();
    lvl = saved;
}

int main(void)
{
    lvl = lq__kernels_get();
    ref = lq__kernels_for(LQ__ARCH_REF);
    if (kt_skip_unavailable_level(lvl))
        return 0;
    lqt_case_fn cases[] = {dequant_bit_identical, dequant_matches_ggml_goldens, vec_dot_within_tolerance,
                           vec_dot_rows_bit_identical, quant_q8_0_q8_1_bit_identical, quant_q8_k_bit_identical, f32_dot_and_f16_conversion, linear_rows, linear_rows_ragged_groups, code_rows,
                           gemm_i8_exact, level_without_extension};
    return lqt_run("dequant_bit_identical, dequant_matches_ggml_goldens, vec_dot_within_tolerance, "
                   "vec_dot_rows_bit_identical, quant_q8_0_q8_1_bit_identical, quant_q8_k_bit_identical, f32_dot_and_f16_conversion, linear_rows, linear_rows_ragged_groups, code_rows, gemm_i8_exact, "
                   "level_without_extension",
                   cases, (int)(sizeof cases / sizeof *cases));
}
