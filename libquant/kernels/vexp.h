/* vexp.h — e^x of a vector of floats for the runner's softmax and SwiGLU
 * loops, in the compiler's generic vectors: one source for every level, each
 * lane the same IEEE operations in the same order, so every level and width
 * gives the same bits (the SIMD levels are compiled with -ffp-contract=off).
 * The reference level takes 4 lanes (an SSE2 register on any x86-64, a NEON
 * one on ARM), AVX2 8 (kernels256.h); the kernel table's exp_f32 is the
 * level's. expf through libm was one call per element: 12 % of a Q4_K_M
 * prefill of the 512-wide fixture with the softmax around it. llama.cpp's
 * soft_max and silu use a vector exp of this accuracy too (ggml_v_expf).
 *
 * x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2 (ln2 in two parts,
 * so r is exact to far below an ulp); e^r by its Taylor series to r^7 (the
 * rest is below 5e-9 relative, a tenth of an ulp); e^x = 2^n e^r by adding n
 * to the exponent bits. Within 1 ulp of expf on [-86, 88] (tests/model/
 * test_vexp.c); 0 below -86 (expf is below 4.5e-38 there: only subnormals are
 * lost), +inf above 88 (expf is above 1.6e38), NaN stays NaN. */
#ifndef LQ_KERNELS_VEXP_H
#define LQ_KERNELS_VEXP_H

#include <stdint.h>
#include <string.h>

/* static inline VF NAME(VF x) for float vectors VF with uint32 vectors VU
 * of the same width (the bits are worked on unsigned, where wrapping is
 * defined: outside the range they are replaced anyway) */
#define LQ__VEXP_DEFINE(name, VF, VU)                                                        \
    static inline VF name(VF x)                                                                  \
    {                                                                                            \
        const VF rnd = x * 1.44269504088896341f + 12582912.0f; /* 2^23 + 2^22: rounds to an integer */ \
        const VF n = rnd - 12582912.0f;                                                          \
        const VU ni = (VU)rnd - 0x4B400000u; /* its bits minus those of 1.5 * 2^23: n */         \
        const VF r = (x - n * 0.693359375f) - n * -2.12194440e-4f;                               \
        VF p = r * (1.0f / 5040) + (1.0f / 720);                                                 \
        p = p * r + (1.0f / 120);                                                                \
        p = p * r + (1.0f / 24);                                                                 \
        p = p * r + (1.0f / 6);                                                                  \
        p = p * r + 0.5f;                                                                        \
        p = p * r + 1.0f;                                                                        \
        p = p * r + 1.0f;                                                                        \
        VU y = (VU)p + (ni << 23);                                                               \
        const VU low = (VU)(x < -86.0f), high = (VU)(x > 88.0f), nan = (VU)(x != x);             \
        y = (y & ~(low | high | nan)) | (high & 0x7F800000u) | ((VU)x & nan);                    \
        return (VF)y;                                                                            \
    }

/* void NAME(float *x, int64_t n): e^x in place on n floats of any alignment,
 * W at a time; the last n % W go through the vector in a padded copy, so
 * each element's result never depends on where it sits. */
#define LQ__VEXP_INPLACE_DEFINE(name, vexp, VF, W)                                               \
    static void name(float *x, int64_t n)                                                        \
    {                                                                                            \
        int64_t i = 0;                                                                           \
        VF v;                                                                                    \
        for (; i + (W) <= n; i += (W)) {                                                         \
            memcpy(&v, x + i, sizeof v);                                                         \
            v = vexp(v);                                                                         \
            memcpy(x + i, &v, sizeof v);                                                         \
        }                                                                                        \
        if (i < n) {                                                                             \
            memset(&v, 0, sizeof v);                                                             \
            memcpy(&v, x + i, (size_t)(n - i) * sizeof *x);                                      \
            v = vexp(v);                                                                         \
            memcpy(x + i, &v, (size_t)(n - i) * sizeof *x);                                      \
        }                                                                                        \
    }

typedef float lq__v4f __attribute__((vector_size(16)));
typedef int32_t lq__v4i __attribute__((vector_size(16)));
typedef uint32_t lq__v4u __attribute__((vector_size(16)));
typedef double lq__v2d __attribute__((vector_size(16)));

LQ__VEXP_DEFINE(lq__v4_exp, lq__v4f, lq__v4u)

/* e^x in place on n floats with the chosen level's exp_f32 (dispatch.c) */
void lq__exp_f32(float *x, int64_t n);

#endif
