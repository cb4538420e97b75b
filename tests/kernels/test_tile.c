/* test_tile.c — the tile kernels of the many-row integer product
 * (kernels/tile.h): for every type with integer dots, the level's panels and
 * tile kernels against the scalar reference bit for bit, and the reference
 * against the vec_dot / lin_dot of the dot path, on adversarial bytes.
 * Registered once per level (LQ_ARCH), like test_kernels, and built for
 * aarch64 too (cross/): it needs the kernels and formats only. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "kernel_test.h"
#include "libquant/formats/codec.h"
#include "libquant/kernels/tile.h"

static const lq_type ggml_types[] = {LQ_TYPE_Q4_0, LQ_TYPE_Q4_1, LQ_TYPE_Q5_0, LQ_TYPE_Q5_1,
                                     LQ_TYPE_Q8_0, LQ_TYPE_IQ4_NL, LQ_TYPE_MXFP4, LQ_TYPE_Q2_K,
                                     LQ_TYPE_Q3_K, LQ_TYPE_Q4_K, LQ_TYPE_Q5_K, LQ_TYPE_Q6_K,
                                     LQ_TYPE_IQ4_XS};
#define NGGML ((int)(sizeof ggml_types / sizeof *ggml_types))

/* The linear types: bits, group (> 0, LQ_GROUP_CHANNEL or LQ_GROUP_TENSOR),
 * symmetric, f32 scales. */
static const struct {
    lq_type type;
    int64_t group;
    int sym, f32_scales;
} linears[] = {
    {LQ_TYPE_INT8, 32, 1, 0}, {LQ_TYPE_INT8, 32, 0, 0}, {LQ_TYPE_INT8, LQ_GROUP_CHANNEL, 1, 0},
    {LQ_TYPE_INT8, LQ_GROUP_TENSOR, 1, 1}, {LQ_TYPE_INT4, 32, 1, 0}, {LQ_TYPE_INT4, 64, 0, 1},
    {LQ_TYPE_INT4, LQ_GROUP_CHANNEL, 0, 0}, {LQ_TYPE_INT3, 64, 0, 0}, {LQ_TYPE_INT3, 32, 1, 0},
    {LQ_TYPE_INT2, 32, 0, 0}, {LQ_TYPE_INT2, 128, 1, 1}};
#define NLINEAR ((int)(sizeof linears / sizeof *linears))

/* A weight tensor's bytes viewed as the kernels see them. */
typedef struct {
    uint8_t *raw;
    lq__qparams qp;
    lq__qview view;
    lq__row_decoder dec;
    lq__tile_format f;
} weight;

static int weight_open(weight *w, int64_t n, int64_t k)
{
    w->view = (lq__qview){w->raw, n, k, &w->qp, {0}};
    if (lq__codec_layout("test", &w->qp, n, k, &w->view.layout) != LQ_OK)
        return 0;
    lq__row_decoder_init(&w->dec, lq__kernels_get(), &w->view);
    return lq__tile_format_for(&w->dec, &w->f);
}

/* n rows of ggml type t, k elements each, numbers chosen by mode, every
 * fifth row all zero. */
static int weight_ggml(weight *w, lq_type t, int64_t n, int64_t k, int mode, lqt_rng *rng)
{
    size_t row = kt_row_bytes(t, k);
    memset(w, 0, sizeof *w);
    w->raw = malloc(row * (size_t)n);
    for (int64_t r = 0; r < n; r++) {
        kt_row kr;
        kt_make_row(&kr, t, k, r % 5 == 3 ? KT_ZERO : mode, rng);
        memcpy(w->raw + (size_t)r * row, kr.bytes, row);
        kt_free_row(&kr);
    }
    w->qp.type = t;
    return weight_open(w, n, k);
}

/* A linear tensor of random bytes: codes, scales by mode, any zero point. */
static int weight_linear(weight *w, int li, int64_t n, int64_t k, int mode, lqt_rng *rng)
{
    memset(w, 0, sizeof *w);
    w->qp = (lq__qparams){linears[li].type, linears[li].group, linears[li].sym,
                          linears[li].f32_scales ? LQ_TYPE_F32 : LQ_TYPE_F16, 0, 0};
    lq__layout layout;
    if (lq__codec_layout("test", &w->qp, n, k, &layout) != LQ_OK)
        return 0;
    w->raw = malloc(layout.total);
    for (size_t i = 0; i < layout.total; i++)
        w->raw[i] = mode == KT_ZERO ? 0 : mode == KT_SATURATE ? 0xFF : (uint8_t)lqt_next(rng);
    size_t nscales = layout.bytes[1] / (linears[li].f32_scales ? 4 : 2);
    for (size_t g = 0; g < nscales; g++) {
        float v = kt_scale(mode, rng);
        if (linears[li].f32_scales)
            memcpy(w->raw + layout.offset[1] + 4 * g, &v, 4);
        else
            kt_put_f16(w->raw + layout.offset[1] + 2 * g, v);
    }
    return weight_open(w, n, k);
}

static void weight_close(weight *w)
{
    free(w->raw);
}

/* m activation rows quantized to act_type, and the act form for bias. */
typedef struct {
    uint8_t *q8;
    size_t row_bytes;
    lq__tile_act act;
} acts;

static void acts_make(acts *a, const weight *w, lq_type act_type, const float *x, int64_t m, int bias)
{
    int64_t k = w->view.cols;
    a->row_bytes = (size_t)lq__act_row_bytes(act_type, k);
    a->q8 = malloc(a->row_bytes * (size_t)m);
    for (int64_t i = 0; i < m; i++)
        lq__quant_act_for(act_type)(x + i * k, a->q8 + (size_t)i * a->row_bytes, k);
    CHECK_OK(lq__tile_act_alloc(&w->f, m, k, bias, &a->act));
    lq__tile_act_fill(&w->f, a->q8, a->row_bytes, 0, m, &a->act);
}

static void acts_free(acts *a)
{
    free(a->q8);
    lq__tile_act_free(&a->act);
}

static lq_type act_type_of(const weight *w)
{
    const lq__kernels *ref = lq__kernels_for(LQ__ARCH_REF);
    return w->dec.kind == LQ__DECODE_LINEAR ? LQ_TYPE_Q8_0 : ref->t[w->qp.type].act_type;
}

static uint8_t *packed(const weight *w, const lq__kernels *kern)
{
    int64_t n = w->view.rows;
    size_t bytes = lq__tile_panels_bytes(&w->f, n, w->view.cols);
    uint8_t *p = malloc(bytes);
    memset(p, 0xA5, bytes); /* every byte must be written */
    /* in two calls, as two chunks of the weight rows */
    int64_t first = n > 16 ? 16 : n;
    lq__tile_pack(&w->f, &w->dec, kern, 0, first, p);
    if (n > first)
        lq__tile_pack(&w->f, &w->dec, kern, first, n - first,
                      p + lq__tile_panels_bytes(&w->f, first, w->view.cols));
    return p;
}

/* Index of the first output whose bits differ (any two NaNs are equal: the
 * sign of a NaN made from infinities may differ between fmaf and vfmadd), or -1. */
static int64_t first_diff(const float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof *a) != 0 && !(isnan(a[i]) && isnan(b[i])))
            return i;
    return -1;
}

/* The level's tables to test: the selected one and, where the level has an
 * optional extension (AVX-512 VNNI, NEON dotprod), the level without it. */
static int level_tables(lq__kernels tables[2])
{
    const lq__kernels *sel = lq__kernels_get();
    tables[0] = *sel;
    lq__kernels plain;
    if (lq__kernels_build(&plain, sel->arch, 0) && plain.tile_gemm[0] != sel->tile_gemm[0]) {
        tables[1] = plain;
        return 2;
    }
    return 1;
}

/* One weight against the reference: panels byte for byte, the level's
 * kernel bit for bit with the reference kernel on the same act form, and
 * the reference kernel against the dot path's vec_dot / lin_dot. */
static void check_weight(const char *name, weight *w, const float *x, int64_t m)
{
    const lq__kernels *ref = lq__kernels_for(LQ__ARCH_REF);
    lq__kernels tables[2];
    int ntables = level_tables(tables);
    int64_t n = w->view.rows, k = w->view.cols;
    lq_type at = act_type_of(w);
    uint8_t *want = packed(w, ref);
    float *y = malloc(sizeof(float) * (size_t)(m * n)), *y_ref = malloc(sizeof(float) * (size_t)(m * n));
    for (int tb = 0; tb < ntables; tb++) {
        const lq__kernels *kern = &tables[tb];
        uint8_t *got = packed(w, kern);
        size_t bytes = lq__tile_panels_bytes(&w->f, n, k);
        CHECKF(memcmp(want, got, bytes) == 0, "%s: the %s panels differ from the reference", name,
               lq__arch_name(kern->arch));
        free(got);
        acts a;
        acts_make(&a, w, at, x, m, w->f.wide ? kern->tile_wide_bias : 0);
        kern->tile_gemm[w->f.family](&w->f, want, n, &a.act, y, n);
        ref->tile_gemm[w->f.family](&w->f, want, n, &a.act, y_ref, n);
        int64_t bad = first_diff(y_ref, y, m * n);
        CHECKF(bad < 0, "%s m=%lld n=%lld k=%lld (%s%s): output %lld is %a, the reference %a", name,
               (long long)m, (long long)n, (long long)k, lq__arch_name(kern->arch),
               tb ? " without its optional extension" : "", (long long)bad, bad < 0 ? 0 : y[bad], bad < 0 ? 0 : y_ref[bad]);
        if (tb == 0) { /* the reference kernel against the dot path's kernels */
            float *wd = malloc(sizeof(float) * (size_t)k);
            int64_t worst = -1;
            double worst_ratio = 0;
            for (int64_t j = 0; j < n; j++) {
                lq__row_decoder_run(&w->dec, j, j + 1, wd);
                lq__lin_row lin;
                const uint8_t *wr = NULL;
                if (w->dec.kind == LQ__DECODE_LINEAR)
                    lq__row_decoder_lin_row(&w->dec, j, &lin);
                else
                    wr = w->view.data + (size_t)j * w->dec.row_bytes;
                for (int64_t i = 0; i < m; i++) {
                    const uint8_t *ar = a.q8 + (size_t)i * a.row_bytes;
                    float dot = wr ? ref->t[w->qp.type].vec_dot(k, wr, ar)
                                   : ref->lin_dot[w->dec.lin](k, &lin, ar);
                    double mag = 0;
                    for (int64_t t = 0; t < k; t++)
                        mag += fabs((double)wd[t] * kt_act_value(at, ar, t));
                    /* float order only: the same integer group sums, at most a scale
                     * and a min term per 16 elements, four roundings each (kt_sum_tol);
                     * + 1e-30 for all-zero rows. q8_1's f16 block sum can overflow (as
                     * in ggml): both then agree it is not finite */
                    double tol = kt_sum_tol((double)k / 16, 4);
                    double ratio = !isfinite(dot) ? (isfinite(y_ref[i * n + j]) ? INFINITY : 0)
                                                  : fabs((double)dot - y_ref[i * n + j]) / (tol * mag + 1e-30);
                    if (!(ratio <= worst_ratio) || worst < 0)
                        worst_ratio = ratio, worst = i * n + j;
                }
            }
            CHECKF(worst_ratio <= 1.0, "%s m=%lld k=%lld: output %lld is %.3g of the float-order "
                   "tolerance away from the dot path", name, (long long)m, (long long)k,
                   (long long)worst, worst_ratio);
            free(wd);
        }
        acts_free(&a);
    }
    free(want), free(y), free(y_ref);
}

/* Odd m and n (not multiples of any tile), k of one block and of many, every
 * weight mode (normal, extreme f16 scales, zero, saturated codes) and
 * activation mode. */
static void kernels_match_reference(void)
{
    static const int64_t shapes[][2] = {{1, 5}, {7, 37}, {13, 21}}; /* m, n */
    enum { KMAX = 1024 };
    lqt_rng rng = {31};
    float *x = malloc(sizeof(float) * 13 * KMAX);
    for (int ti = 0; ti < NGGML + NLINEAR; ti++) {
        for (int mode = 0; mode < KT_MODES; mode++) {
            for (int s = 0; s < 3; s++) {
                int64_t m = shapes[s][0], n = shapes[s][1];
                weight w;
                char name[64];
                int ok;
                if (ti < NGGML) {
                    lq_type t = ggml_types[ti];
                    int blk = lq__type(t)->block_elems;
                    int64_t k = s == 0 ? blk : s == 1 ? (4 * blk < KMAX ? 4 * blk : KMAX) : KMAX;
                    ok = weight_ggml(&w, t, n, k, mode, &rng);
                    snprintf(name, sizeof name, "%s %s", lq_type_name(t), kt_mode_name(mode));
                } else {
                    int li = ti - NGGML;
                    int64_t k = s == 0 ? 128 : s == 1 ? 256 : KMAX;
                    ok = weight_linear(&w, li, n, k, mode, &rng);
                    snprintf(name, sizeof name, "%s g%lld%s%s %s", lq_type_name(linears[li].type),
                             (long long)linears[li].group, linears[li].sym ? "" : " asym",
                             linears[li].f32_scales ? " f32" : "", kt_mode_name(mode));
                }
                CHECKF(ok, "%s: no tile format", name);
                if (ok) {
                    kt_fill_floats(x, m * w.view.cols, (mode + s) % KT_MODES, &rng);
                    check_weight(name, &w, x, m);
                }
                weight_close(&w);
            }
        }
    }
    free(x);
}

int main(void)
{
    if (kt_skip_unavailable_level(lq__kernels_get()))
        return 0;
    lqt_case_fn cases[] = {kernels_match_reference};
    return lqt_run("kernels_match_reference", cases, (int)(sizeof cases / sizeof *cases));
}
