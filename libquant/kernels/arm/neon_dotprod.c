/* neon_dotprod.c — the NEON integer kernels again, compiled with
 * -march=armv8.2-a+dotprod so that kernels128.h's int8 dot primitive is one
 * SDOT. Called by lq__kernels_fill_neon only when the CPU reports dotprod. */
#include "kernels128.h"
#include "kernels128_codes.h"
#include "tile128.h"

void lq__kernels_fill_neon_dotprod(lq__kernels *k)
{
    fill_128_blocks(k);
    fill_128_lin_packed(k);
    fill_tile_128(k);
}
