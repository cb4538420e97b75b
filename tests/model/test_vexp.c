/* test_vexp.c — the runner's vector e^x (libquant/kernels/vexp.h, each
 * level's exp_f32) against libm's expf: within 1 ulp on its range, the
 * documented values outside it, the same bits on every level, and the same
 * result for an element wherever it sits in a row. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "libquant/core/cpu.h"
#include "libquant/kernels/kernels.h"
#include "libquant/kernels/vexp.h"

/* floats in the order of the integers, so that a difference is in ulp */
static int64_t ordered(float f)
{
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i < 0 ? (int64_t)INT32_MIN - i : i;
}

enum { N = 1 << 16 };
static float x[N], ref[N], got[N];

/* 1 ulp: the largest difference from expf over every float of [-86, 88],
 * measured once (a minute of CPU, too long for a test); this samples it,
 * near 0 too (where e^x ~ 1 + x), and checks every level gives the
 * reference level's bits. */
static void within_one_ulp_on_every_level(void)
{
    lqt_rng rng = {21};
    for (int i = 0; i < N; i++)
        x[i] = i % 4 ? (float)(lqt_uniform(&rng) * 174.0 - 86.0) : lqt_normal(&rng) * 1e-3f;
    x[0] = 0.0f, x[1] = -86.0f, x[2] = 88.0f;
    memcpy(ref, x, sizeof x);
    lq__kernels_for(LQ__ARCH_REF)->exp_f32(ref, N);
    int64_t worst = 0;
    float at = 0;
    for (int i = 0; i < N; i++) {
        int64_t d = llabs(ordered(ref[i]) - ordered(expf(x[i])));
        if (d > worst)
            worst = d, at = x[i];
    }
    CHECKF(worst <= 1, "%lld ulp from expf at %.9g", (long long)worst, at);
    CHECKF(ref[0] == 1.0f && ref[2] > 1.6e38f, "e^0 = %g, e^88 = %g", ref[0], ref[2]);
    for (int a = 0; a < LQ__ARCH_COUNT; a++) {
        const lq__kernels *k = lq__kernels_for((lq__arch)a);
        if (!k)
            continue;
        memcpy(got, x, sizeof x);
        k->exp_f32(got, N);
        CHECKF(memcmp(got, ref, sizeof got) == 0, "%s differs from the reference level",
               lq__arch_name((lq__arch)a));
    }
}

static void outside_the_range(void)
{
    float v[9] = {-86.001f, -100.0f, -1e30f, -INFINITY, 88.001f, 89.0f, 1e30f, INFINITY, NAN};
    lq__exp_f32(v, 9);
    for (int i = 0; i < 4; i++)
        CHECKF(v[i] == 0.0f, "value %d: %g, not 0", i, v[i]);
    for (int i = 4; i < 8; i++)
        CHECKF(isinf(v[i]) && v[i] > 0, "value %d: %g, not +inf", i, v[i]);
    CHECK(isnan(v[8]));
}

/* every length to 17 at every offset to 8: each element the value it has
 * in a long row */
static void any_position(void)
{
    float a[32], b[32];
    for (int i = 0; i < 32; i++)
        a[i] = (float)(i * 5 % 11) - 5.5f;
    memcpy(b, a, sizeof b);
    lq__exp_f32(b, 32);
    for (int len = 0; len <= 17; len++)
        for (int off = 0; off < 8; off++) {
            float y[32];
            memcpy(y, a, sizeof y);
            lq__exp_f32(y + off, len);
            for (int i = 0; i < 32; i++) {
                float want = i >= off && i < off + len ? b[i] : a[i];
                CHECKF(memcmp(&want, &y[i], sizeof want) == 0, "length %d offset %d element %d: "
                       "%.9g, wanted %.9g", len, off, i, y[i], want);
            }
        }
}

LQT_MAIN(within_one_ulp_on_every_level, outside_the_range, any_position)
