/* vexp.h — e^x of 4 floats at once for the runner's softmax and SwiGLU
 * loops, in the compiler's generic vectors (an SSE2 register on any x86-64, a
 * NEON one on ARM: one source for every machine, no dispatch). expf through libm
 * was one call per element: 12 % of a Q4_K_M prefill of the 512-wide fixture
 * with the softmax around it. llama.cpp's soft_max and silu use a vector
 * exp of this accuracy too (ggml_v_expf).
 *
 * x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2 (ln2 in two parts,
 * so r is exact to far below an ulp); e^r by its Taylor series to r^7 (the
 * rest is below 5e-9 relative, a tenth of an ulp); e^x = 2^n e^r by adding n
 * to the exponent bits. Within 2 ulp of expf on [-86, 88] (tests/model/
 * test_vexp.c); 0 below -86 (expf is below 4.5e-38 there: only subnormals are
 * lost), +inf above 88 (expf is above 1.6e38), NaN stays NaN. */
#ifndef LQ_MODEL_VEXP_H
#define LQ_MODEL_VEXP_H

#include <stdint.h>
#include <string.h>

typedef float lq__v4f __attribute__((vector_size(16)));
typedef int32_t lq__v4i __attribute__((vector_size(16)));
typedef double lq__v2d __attribute__((vector_size(16)));

static inline lq__v4f lq__v4_exp(lq__v4f x)
{
    const lq__v4f rnd = x * 1.44269504088896341f + 12582912.0f; /* 2^23 + 2^22: rounds to an integer */
    const lq__v4f n = rnd - 12582912.0f;
    const lq__v4i ni = (lq__v4i)rnd - 0x4B400000; /* its bits minus those of 1.5 * 2^23: n */
    const lq__v4f r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
    lq__v4f p = r * (1.0f / 5040) + (1.0f / 720);
    p = p * r + (1.0f / 120);
    p = p * r + (1.0f / 24);
    p = p * r + (1.0f / 6);
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    lq__v4i y = (lq__v4i)p + (ni << 23);
    const lq__v4i low = x < -86.0f, high = x > 88.0f, nan = x != x;
    const lq__v4i inf = {0x7F800000, 0x7F800000, 0x7F800000, 0x7F800000};
    y = (y & ~(low | high | nan)) | (inf & high) | ((lq__v4i)x & nan);
    return (lq__v4f)y;
}

/* The same on n floats of any alignment, in place; the last n % 4 go through
 * the vector in a padded copy, so each element's result never depends on
 * where it sits. */
static inline void lq__exp_inplace(float *x, int64_t n)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        lq__v4f v;
        memcpy(&v, x + i, sizeof v);
        v = lq__v4_exp(v);
        memcpy(x + i, &v, sizeof v);
    }
    if (i < n) {
        lq__v4f v = {0};
        memcpy(&v, x + i, (size_t)(n - i) * sizeof *x);
        v = lq__v4_exp(v);
        memcpy(x + i, &v, (size_t)(n - i) * sizeof *x);
    }
}

#endif
