/* test_vexp.c — the runner's vector e^x (libquant/model/vexp.h) against
 * libm's expf: within 1 ulp on its range, the documented values outside it,
 * and the same result for an element wherever it sits in a row. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "libquant/model/vexp.h"

/* floats in the order of the integers, so that a difference is in ulp */
static int64_t ordered(float f)
{
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i < 0 ? (int64_t)INT32_MIN - i : i;
}

static float one(float x)
{
    lq__v4f v = {x, x, x, x};
    return lq__v4_exp(v)[0];
}

/* 1 ulp: the largest difference from expf over every float of [-86, 88],
 * measured once (a minute of CPU, too long for a test); this samples it. */
static void within_one_ulp(void)
{
    lqt_rng rng = {21};
    int64_t worst = 0;
    float at = 0;
    for (int i = 0; i < 1 << 20; i++) {
        float x = i < 1 << 19 ? (float)(lqt_uniform(&rng) * 174.0 - 86.0)
                              : (float)(lqt_normal(&rng) * 1e-3); /* near 0, where e^x ~ 1 + x */
        int64_t d = llabs(ordered(one(x)) - ordered(expf(x)));
        if (d > worst)
            worst = d, at = x;
    }
    CHECKF(worst <= 1, "%lld ulp from expf at %.9g", (long long)worst, at);
    CHECKF(one(0.0f) == 1.0f && one(-86.0f) == expf(-86.0f) && one(88.0f) > 1.6e38f,
           "e^0 = %g, e^-86 = %g, e^88 = %g", one(0.0f), one(-86.0f), one(88.0f));
}

static void outside_the_range(void)
{
    const float low[] = {-86.001f, -100.0f, -1e30f, -INFINITY};
    const float high[] = {88.001f, 89.0f, 1e30f, INFINITY};
    for (int i = 0; i < 4; i++) {
        CHECKF(one(low[i]) == 0.0f, "e^%g = %g, not 0", low[i], one(low[i]));
        CHECKF(isinf(one(high[i])) && one(high[i]) > 0, "e^%g = %g, not +inf", high[i], one(high[i]));
    }
    CHECK(isnan(one(NAN)));
}

/* lq__exp_inplace on every length to 9 and every offset: each element the
 * single-lane value */
static void any_position(void)
{
    float x[16], y[16];
    for (int len = 0; len <= 9; len++)
        for (int off = 0; off < 4; off++) {
            for (int i = 0; i < 16; i++)
                x[i] = y[i] = (float)(i * 5 % 11) - 5.5f;
            lq__exp_inplace(y + off, len);
            for (int i = 0; i < 16; i++) {
                float want = i >= off && i < off + len ? one(x[i]) : x[i];
                CHECKF(memcmp(&want, &y[i], sizeof want) == 0, "length %d offset %d element %d: "
                       "%.9g, wanted %.9g", len, off, i, y[i], want);
            }
        }
}

LQT_MAIN(within_one_ulp, outside_the_range, any_position)
