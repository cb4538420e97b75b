/* neon.c — the aarch64 NEON level (baseline ARMv8-A: NEON is always there).
 * The kernels are in kernels128.h, kernels128_codes.h and tile128.h; neon_dotprod.c
 * replaces the integer ones with SDOT versions on CPUs that have the
 * dot-product extension. */
#include "kernels128.h"
#include "kernels128_codes.h"
#include "tile128.h"

void lq__kernels_fill_neon(lq__kernels *k, int dotprod)
{
    fill_128_floats(k);
    fill_128_blocks(k);
    fill_128_lin_packed(k);
    fill_128_code_rows(k);
    fill_tile_128(k);
    if (dotprod)
        lq__kernels_fill_neon_dotprod(k);
}
