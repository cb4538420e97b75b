/* avx2.c — the AVX2 + FMA + F16C level. Compiled with -mavx2 -mfma -mf16c
 * in its own library; the dispatcher calls lq__kernels_fill_avx2 only on CPUs
 * that have all three. The kernels are in kernels256.h and kernels256_codes.h, the tile
 * kernels in tile256.h. */
#include "kernels256.h"
#include "kernels256_codes.h"
#include "tile256.h"

void lq__kernels_fill_avx2(lq__kernels *k)
{
    fill_256_floats(k);
    fill_256_blocks(k);
    fill_256_narrow(k);
    fill_256_codes(k);
    fill_tile_256(k);
}
