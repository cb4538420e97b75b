/* nonfinite.c — finding infinity or NaN in a product's X (nonfinite.h). */
#include <math.h>
#include <string.h>

#include "../core/error.h"
#include "nonfinite.h"

int64_t lq__first_nonfinite(const float *x, int64_t n)
{
    /* whole pieces without a branch per element, and a constant count that
     * the compiler makes vector code at -O2: the check of X was 1 % of a
     * window's prefill, on the calling thread alone */
    enum { PIECE = 256 };
    int64_t i0 = 0;
    for (; i0 + PIECE <= n; i0 += PIECE) {
        uint32_t bad = 0;
        for (int i = 0; i < PIECE; i++) {
            uint32_t b;
            memcpy(&b, x + i0 + i, sizeof b);
            bad |= (b & 0x7f800000u) == 0x7f800000u; /* exponent all ones: inf or NaN */
        }
        if (bad)
            break;
    }
    for (; i0 < n; i0++)
        if (!isfinite(x[i0]))
            return i0;
    return n;
}

lq_status lq__check_x(const float *x, int64_t m, int64_t k)
{
    int64_t i = lq__first_nonfinite(x, m * k);
    if (i < m * k)
        return lq__fail(LQ_ERR_NONFINITE, "lq_matmul: x[%lld, %lld] is %s", (long long)(i / k),
                        (long long)(i % k), isnan(x[i]) ? "NaN" : "infinite");
    return LQ_OK;
}
