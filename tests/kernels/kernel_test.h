/* kernel_test.h — making rows of every format for the kernel tests: random
 * and adversarial block bytes with finite scales, activations, golden files,
 * and the per-level skip. Header-only, for tests that link the library's
 * internals. */
#ifndef LQ_TESTS_KERNEL_TEST_H
#define LQ_TESTS_KERNEL_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "libquant/core/half.h"
#include "libquant/core/type_info.h"
#include "libquant/formats/ggml_blocks.h"
#include "libquant/formats/ggml_grids_iq3_iq1.h"
#include "libquant/kernels/kernels.h"

/* How a row's numbers are chosen. */
enum {
    KT_NORMAL = 0,   /* random codes, scales ~ N(0, 0.02) */
    KT_EXTREME = 1,  /* scales at the ends of f16: 65504, subnormals, 0, signs mixed */
    KT_ZERO = 2,     /* all scales and codes zero */
    KT_SATURATE = 3, /* every code byte 0xFF (largest codes), normal scales */
    KT_MODES = 4
};

static inline const char *kt_mode_name(int mode)
{
    static const char *const names[] = {"normal", "extreme", "zero", "saturate"};
    return names[mode];
}

static inline float kt_scale(int mode, lqt_rng *rng)
{
    static const float extremes[] = {65504.0f, -65504.0f, 5.9604645e-8f, -6.1035156e-5f, 0.0f, 1.0f};
    switch (mode) {
    case KT_EXTREME: return extremes[lqt_next(rng) % 6];
    case KT_ZERO: return 0.0f;
    default: return 0.02f * lqt_normal(rng);
    }
}

/* Byte offsets of the f16 scale fields of a ggml weight block (-1 ends);
 * mxfp4's and nvfp4's scales are single bytes, iq1_m's is spread over
 * nibbles (kt_make_row). */
static inline const int *kt_half_fields(lq_type t)
{
    static const int d0[] = {0, -1}, dm0[] = {0, 2, -1}, q2k[] = {80, 82, -1}, q3k[] = {108, -1},
                     q6k[] = {208, -1}, tq1[] = {52, -1}, tq2[] = {64, -1}, none[] = {-1};
    switch (t) {
    case LQ_TYPE_TQ1_0: return tq1;
    case LQ_TYPE_TQ2_0: return tq2;
    case LQ_TYPE_MXFP4: case LQ_TYPE_NVFP4: case LQ_TYPE_IQ1_M: return none;
    case LQ_TYPE_Q4_1: case LQ_TYPE_Q5_1: case LQ_TYPE_Q4_K: case LQ_TYPE_Q5_K: return dm0;
    case LQ_TYPE_Q2_K: return q2k;
    case LQ_TYPE_Q3_K: return q3k;
    case LQ_TYPE_Q6_K: return q6k;
    default: return d0;
    }
}

static inline int64_t kt_row_elems(lq_type t, int blocks)
{
    const lq__type_info *ti = lq__type(t);
    return (int64_t)blocks * (ti->flags & LQ__T_GGML ? ti->block_elems : 32);
}

static inline size_t kt_row_bytes(lq_type t, int64_t n)
{
    const lq__type_info *ti = lq__type(t);
    if (ti->flags & LQ__T_GGML)
        return (size_t)(n / ti->block_elems * ti->block_bytes);
    return (size_t)n * (size_t)ti->elem_bytes;
}

typedef struct {
    uint8_t *bytes;
    size_t size;
} kt_row;

static inline void kt_put_f16(uint8_t *p, float v)
{
    uint16_t h = lq__f32_to_f16(v);
    p[0] = (uint8_t)h, p[1] = (uint8_t)(h >> 8);
}

/* A row of n elements of type t (n a multiple of its block). */
static inline void kt_make_row(kt_row *row, lq_type t, int64_t n, int mode, lqt_rng *rng)
{
    const lq__type_info *ti = lq__type(t);
    row->size = kt_row_bytes(t, n);
    row->bytes = malloc(row->size + 1);
    for (size_t i = 0; i < row->size; i++)
        row->bytes[i] = mode == KT_ZERO ? 0 : mode == KT_SATURATE ? 0xFF : (uint8_t)lqt_next(rng);
    if (t == LQ_TYPE_F32 || t == LQ_TYPE_F16 || t == LQ_TYPE_BF16) {
        for (int64_t i = 0; i < n; i++) {
            float v = mode == KT_EXTREME ? kt_scale(mode, rng)
                                         : mode == KT_ZERO ? 0.0f : lqt_normal(rng);
            if (t == LQ_TYPE_F32)
                memcpy(row->bytes + 4 * i, &v, 4);
            else if (t == LQ_TYPE_F16)
                kt_put_f16(row->bytes + 2 * i, v);
            else {
                uint16_t h = lq__f32_to_bf16(v);
                row->bytes[2 * i] = (uint8_t)h, row->bytes[2 * i + 1] = (uint8_t)(h >> 8);
            }
        }
        return;
    }
    for (int64_t b = 0; b < n / ti->block_elems; b++)
        for (const int *f = kt_half_fields(t); *f >= 0; f++)
            kt_put_f16(row->bytes + b * ti->block_bytes + *f, kt_scale(mode, rng));
    /* mxfp4's E8M0 exponent: scales 2^-6 .. 2^-3 (the normal modes' 0.02),
     * and in the extreme mode the subnormal ones (0, 1) and 2^22, large but
     * with products that stay finite (random bytes would reach 2^127, whose
     * products overflow to infinities that no tolerance compares); nvfp4's
     * UE4M3 bytes are finite whatever they hold, so stay random. */
    if (t == LQ_TYPE_IQ1_M)
        for (int64_t b = 0; b < n / ti->block_elems; b++)
            lq__iq1m_put_d((lq__blk_iq1_m *)(row->bytes + b * ti->block_bytes),
                           lq__f32_to_f16(kt_scale(mode, rng)));
    if (t == LQ_TYPE_MXFP4) {
        static const uint8_t extremes[] = {0, 1, 2, 150};
        for (int64_t b = 0; b < n / ti->block_elems; b++)
            row->bytes[b * ti->block_bytes] = mode == KT_ZERO      ? 0
                                              : mode == KT_EXTREME ? extremes[lqt_next(rng) % 4]
                                                                   : (uint8_t)(121 + lqt_next(rng) % 4);
    }
}

/* An importance matrix of ones (k <= 4096 columns) for a scheme whose type
 * is quantized only with one (IQ2_XXS, IQ2_XS, IQ1_S), else NULL. */
static inline const float *kt_imatrix_for(const char *scheme, int64_t k)
{
    static float ones[4096];
    lq_type t;
    if (lq_type_from_name(scheme, &t) != LQ_OK || !(lq__type(t)->flags & LQ__T_IMATRIX))
        return NULL;
    for (int64_t i = 0; i < k && i < 4096; i++)
        ones[i] = 1.0f;
    return k <= 4096 ? ones : NULL;
}

static inline void kt_free_row(kt_row *row)
{
    free(row->bytes);
}

/* Activations: normal, extreme (magnitudes 1e-6 .. 1e3 mixed, and ties of the
 * largest magnitude with both signs; larger ones can overflow q8_1's f16 block
 * sum d * sum(q), as in ggml), zero, saturate (+-1000 alternating). */
static inline void kt_fill_floats(float *x, int64_t n, int mode, lqt_rng *rng)
{
    for (int64_t i = 0; i < n; i++) {
        switch (mode) {
        case KT_EXTREME: {
            static const float mags[] = {1e-6f, 1e-3f, 1.0f, 1e1f, 1e3f};
            x[i] = lqt_normal(rng) * mags[lqt_next(rng) % 5];
            if (i % 97 == 5)
                x[i] = i % 2 ? 2e3f : -2e3f; /* equal magnitudes: the first one wins in q8_K */
            break;
        }
        case KT_ZERO: x[i] = 0.0f; break;
        case KT_SATURATE: x[i] = i % 2 ? 1000.0f : -1000.0f; break;
        default: x[i] = lqt_normal(rng);
        }
    }
}

/* Index of the first element whose bits differ, or -1. */
static inline int64_t kt_first_diff(const float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof *a) != 0)
            return i;
    return -1;
}

/* Element i of an activation row as the kernels see it. */
static inline float kt_act_value(lq_type at, const void *act, int64_t i)
{
    switch (at) {
    case LQ_TYPE_Q8_0: {
        const lq__blk_q8_0 *b = (const lq__blk_q8_0 *)act + i / 32;
        return lq__f16_to_f32(b->d) * (float)b->qs[i % 32];
    }
    case LQ_TYPE_Q8_1: {
        const lq__blk_q8_1 *b = (const lq__blk_q8_1 *)act + i / 32;
        return lq__f16_to_f32(b->d) * (float)b->qs[i % 32];
    }
    case LQ_TYPE_Q8_K: {
        const lq__blk_q8_k *b = (const lq__blk_q8_k *)act + i / 256;
        return b->d * (float)b->qs[i % 256];
    }
    default: return ((const float *)act)[i];
    }
}

/* sum |w_i a_i| over the decoded weight (into wd) and activation rows. */
static inline double kt_dot_magnitude(const lq__kernels *ref, lq_type t, const void *w, lq_type at,
                                      const void *act, const float *x, float *wd, int64_t n)
{
    (void)x;
    ref->t[t].dequant(w, wd, n);
    double mag = 0;
    for (int64_t i = 0; i < n; i++)
        mag += fabs((double)wd[i] * kt_act_value(at, act, i));
    return mag;
}

/* How far apart, as a fraction of sum |terms|, two float sums of the same m
 * terms may be when each term takes up to r roundings before it is added
 * (products, scale multiplications; FMA saves one) and the additions come in
 * any order (lanes of 4, 8 or 16, unrolling, tails): each is within
 * gamma_{m-1+r} = k u / (1 - k u), u = 2^-24, of the exact sum (Higham,
 * "Accuracy and Stability of Numerical Algorithms", 3.1), so the two differ
 * by at most twice that, on any machine and at any SIMD width. */
static inline double kt_sum_tol(double m, double r)
{
    double k = (m < 1 ? 1 : m) - 1 + r, u = 0x1p-24;
    return 2 * k * u / (1 - k * u);
}

/* A golden file from ../shared/golden/ggml (LQ_SHARED), or NULL. */
static inline uint8_t *kt_read_golden(const char *name, size_t *size)
{
    const char *root = getenv("LQ_SHARED");
    if (!root)
        return NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/golden/ggml/%s", root, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    uint8_t *buf = len > 0 ? malloc((size_t)len) : NULL;
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = buf ? (size_t)len : 0;
    return buf;
}

/* A linear row with its scale and zero-point planes; asym 0: symmetric,
 * 1: zero points 0..maxq, 2: any u8. */
typedef struct {
    lq__lin_row row;
    uint8_t *codes, *scales, *zeros;
} kt_lin;

static inline void kt_make_lin(kt_lin *l, int bits, int64_t k, int64_t group, int f32_scales, int asym,
                               lqt_rng *rng)
{
    int64_t ng = k / group;
    l->codes = malloc((size_t)(k * bits / 8));
    l->scales = malloc((size_t)ng * 4);
    l->zeros = asym ? malloc((size_t)ng) : NULL;
    for (int64_t i = 0; i < k * bits / 8; i++)
        l->codes[i] = (uint8_t)lqt_next(rng);
    for (int64_t g = 0; g < ng; g++) {
        float s = g % 5 == 4 ? 0.0f : kt_scale(KT_NORMAL, rng);
        if (f32_scales)
            memcpy(l->scales + 4 * g, &s, 4);
        else
            kt_put_f16(l->scales + 2 * g, s);
        if (asym) /* 2: any u8, as imported checkpoints may hold (GPTQ v1: up to 2^bits) */
            l->zeros[g] = (uint8_t)(lqt_next(rng) % (asym == 2 ? 256u : 1u << bits));
    }
    l->row = (lq__lin_row){l->codes, l->scales, l->zeros, f32_scales, group};
}

static inline void kt_free_lin(kt_lin *l)
{
    free(l->codes), free(l->scales), free(l->zeros);
}

/* With LQ_ARCH naming a level this process does not run (not compiled in, or
 * the CPU lacks it), print a TAP skip plan and return 1. */
static inline int kt_skip_unavailable_level(const lq__kernels *k)
{
    const char *want = getenv("LQ_ARCH");
    if (!want || !*want || strcmp(want, lq__arch_name(k->arch)) == 0)
        return 0;
    printf("1..0 # SKIP LQ_ARCH=%s is not available here (%s)\n", want, lq__arch_note());
    return 1;
}

#endif
