/* panels.c — the size of a Hessian kept in row panels (panels.h). */
#include "panels.h"

bool lq__panels_floats(int64_t n, size_t *floats)
{
    /* (count - 1) P^2 (count) / 2 + f n <= n (n + P) / 2 floats */
    uint64_t un = (uint64_t)n;
    if (n < 1 || un > UINT32_MAX || (un * (un + LQ__PANEL_ROWS)) / 2 > SIZE_MAX / sizeof(float))
        return false;
    *floats = lq__panel_offset(n, lq__panels_count(n));
    return true;
}
