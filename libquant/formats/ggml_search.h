/* ggml_search.h — the scale searches behind ggml's quantizers (internal).
 *
 * Each function reproduces one of ggml's searches operation for operation:
 * the same float operations in the same order, the same rounding helpers, so
 * that its results are bit-identical to ggml's on IEEE hardware (compiled
 * without FMA contraction). Facts about the algorithms are in
 * shared/reference/ggml.md section 2.
 *
 * The *_batch functions run `count` independent groups of n values stored one
 * after the other (group g at x + g*n). Where AVX2 or AVX-512 is compiled in
 * and selected (lq__arch_selected; LQ_ARCH=avx2 forces the AVX2 code,
 * LQ_ARCH=ref the scalar code) they run one group per vector lane, up to 64
 * groups at once (32 with AVX2), with the same per-group arithmetic and the
 * same results. */
#ifndef LQ_FORMATS_GGML_SEARCH_H
#define LQ_FORMATS_GGML_SEARCH_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ggml_blocks.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define LQ__GROUP_MAX_EPS 1e-15f /* below this max |x|, ggml treats a group as all zero */

/* ggml's nearest_int: round half to even by adding 1.5 * 2^23. Exact for
 * |f| <= 4194303; larger, infinite or NaN input gives ggml's same garbage
 * (the low mantissa bits of f + 1.5 * 2^23), deliberately kept. */
static inline int lq__nearest_int(float f)
{
    float v = f + 12582912.f;
    int32_t i;
    memcpy(&i, &v, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

/* Float to int as x86's cvttss2si does it, which is what ggml's casts compile
 * to: truncation toward zero, and INT32_MIN for NaN and for values out of
 * range (where a plain C cast is undefined). */
static inline int32_t lq__trunc_i32(float f)
{
#if defined(__SSE2__)
    return _mm_cvttss_si32(_mm_set_ss(f));
#else
    if (f > -2147483904.0f && f < 2147483648.0f)
        return (int32_t)f;
    return INT32_MIN;
#endif
}

/* lq__trunc_i32(roundf(f)): round half away from zero, without the libm call.
 * f - trunc(f) is exact, and only |f| < 2^23 can have a fraction. */
static inline int32_t lq__round_i32(float f)
{
    int32_t i = lq__trunc_i32(f);
    if (i == INT32_MIN)
        return i;
    const float frac = f - (float)i;
    return i + (frac >= 0.5f) - (frac <= -0.5f); /* no branch: its outcome is random */
}

/* x[0]^2 + ... + x[n-1]^2, summed in this order (ggml's sigma2 sums). */
static inline float lq__sum_squares(const float *x, int64_t n)
{
    float s = 0;
    for (int64_t i = 0; i < n; i++)
        s += x[i] * x[i];
    return s;
}

/* The value of largest magnitude among x[0..n), with its sign (the first one
 * on ties, +0 when all are zero), as ggml's searches pick it; its magnitude
 * goes to *amax. */
static inline float lq__signed_absmax(int n, const float *x, float *amax)
{
    float max = 0, a = 0;
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > a) {
            a = fabsf(x[i]);
            max = x[i];
        }
    }
    *amax = a;
    return max;
}

/* ggml's make_qx_quants with rmse_type 1: symmetric scale with a +-0.9 step
 * search, weights w (NULL: x^2). L gets nmax + l, l in [-nmax, nmax-1];
 * returns the signed scale (0 for an all-zero group). */
float lq__make_qx_quants(int n, int nmax, const float *x, int8_t *L, const float *w);

/* make_q3_quants with do_rmse: weights x^2, then up to 5 passes of
 * coordinate descent. L gets nmax + l. */
float lq__make_q3_quants(int n, int nmax, const float *x, int8_t *L);

/* make_qkx2_quants / make_qkx3_quants (identical once weights are given):
 * scale and min (min <= 0, returned negated in *the_min) with a grid search
 * of nstep+1 inverse scales (rmin + rdelta*is + nmax) / (max - min).
 * n <= 32 and nstep >= 1 (ggml returns before the search when nstep < 1;
 * none of its quantizers asks for that). */
typedef enum lq__qkx_weights {
    LQ__QKX_W_GIVEN,   /* the caller's (importance matrix) */
    LQ__QKX_W_ABS,     /* |x| (Q2_K's reference quantizer) */
    LQ__QKX_W_RMS_ABS, /* the group's rms + |x| (Q4_K's and Q5_K's) */
} lq__qkx_weights;

typedef struct lq__qkx_params {
    int nmax;
    float rmin, rdelta;
    int nstep;
    bool use_mad; /* error sum_w |e| instead of sum_w e^2 */
    /* the batches make the weights themselves unless GIVEN (the lane code
     * in its lanes, rather than a pass over memory and a transpose) */
    lq__qkx_weights weights;
} lq__qkx_params;

/* w[0..n) = the weights p->weights names for the group x (not GIVEN). */
void lq__qkx_ref_weights(int n, lq__qkx_weights kind, const float *x, float *w);

float lq__make_qkx_quants(int n, const lq__qkx_params *p, const float *x, const float *w,
                          uint8_t *L, float *the_min);

/* make_qp_quants: non-negative values (sub-block scales or mins) on a grid
 * 0..nmax with weights w; returns the super-block scale. */
float lq__make_qp_quants(int n, int nmax, const float *x, uint8_t *L, const float *w);

/* count groups of n at a time; results as the single-group functions.
 * lq__qkx_batch reads w only when p->weights is LQ__QKX_W_GIVEN. */
void lq__qkx_batch(int count, int n, const lq__qkx_params *p, const float *x, const float *w,
                   uint8_t *L, float *scales, float *the_mins);
void lq__qx_batch(int count, int n, int nmax, const float *x, const float *w, int8_t *L,
                  float *scales);
void lq__q3_batch(int count, int n, int nmax, const float *x, int8_t *L, float *scales);

/* ggml's re-pick of the quants of nsub sub-blocks of `sub` values (a
 * multiple of 8) against their rounded scales d[j] and mins m[j] (NULL: 0):
 * L[j*sub + i] = clamp(nearest_int((x + m[j]) / d[j]), lo, hi) + offset.
 * Sub-blocks with d[j] == 0 keep their L, as in ggml. With m = 0 this is also
 * ggml's nearest_int(x / d): x + 0 == x except for -0, which rounds to 0
 * either way. */
void lq__requantize(int nsub, int sub, const float *x, const float *m, const float *d, int lo,
                    int hi, int offset, uint8_t *L);

/* The scale of 32 values with weights w, as ggml's quantize_row_iq4_nl_impl
 * with ntry = 7 finds it: least squares over the levels picked with
 * d = max / 127, then over the inverse scales (itry - 127) / max for itry in
 * [-7, 7]. 0 for an all-zero group. */
float lq__iq4_search(const float *x, const float *w);
void lq__iq4_batch(int count, const float *x, const float *w, float *scales);

/* The codes of 32 values for inverse scale id (ggml's best_index_int8 of
 * id * x), packed as Q4_0: element j in the low nibble of qs[j], j+16 high. */
void lq__iq4_codes(const float *x, float id, uint8_t qs[16]);

/* Whether the CPU and LQ_ARCH allow the AVX2 code this build has
 * (LQ_GGML_AVX2 defined). */
int lq__ggml_use_avx2(void);

/* Whether the CPU and LQ_ARCH select the AVX-512 searches this build has
 * (LQ_GGML_AVX512 defined). */
int lq__ggml_use_avx512(void);

/* ggml's Q8_0 reference quantizer on nb blocks (ggml_legacy_avx2.c). */
void lq__q8_0_blocks_avx2(const float *x, void *y, int64_t nb);

/* The AVX2 versions (ggml_search_avx2.c): 8*nv groups, nv in 1..4, n 16 or
 * 32 (the qkx ones make p->weights' weights where w is NULL); and
 * lq__requantize, lq__iq4_codes. */
void lq__qkx_lanes_avx2(int nv, int n, const lq__qkx_params *p, const float *x, const float *w,
                        uint8_t *L, float *scales, float *the_mins);
void lq__qx_lanes_avx2(int nv, int n, int nmax, const float *x, const float *w, int8_t *L,
                       float *scales);
void lq__q3_lanes_avx2(int nv, int n, int nmax, const float *x, int8_t *L, float *scales);
void lq__requantize_avx2(int nsub, int sub, const float *x, const float *m, const float *d,
                         int lo, int hi, int offset, uint8_t *L);
void lq__iq4_lanes_avx2(int nv, const float *x, const float *w, float *scales);
void lq__iq4_codes_avx2(const float *x, float id, uint8_t qs[16]);

/* The AVX-512 versions (ggml_search_avx512.c): 16*nv groups, nv in 1..4. */
void lq__qkx_lanes_avx512(int nv, int n, const lq__qkx_params *p, const float *x,
                          const float *w, uint8_t *L, float *scales, float *the_mins);
void lq__qx_lanes_avx512(int nv, int n, int nmax, const float *x, const float *w, int8_t *L,
                         float *scales);
void lq__q3_lanes_avx512(int nv, int n, int nmax, const float *x, int8_t *L, float *scales);

#endif
