/* f16_table.c — the decode tables lq__f16_table, lq__e8m0_table and
 * lq__ue4m3_table (kernels.h), in a file of their own so that the levels' kernels, which read
 * them, and dispatch.c, which builds them with the kernel tables, do not
 * depend on each other. */
#include <pthread.h>

#include "../formats/ggml_blocks.h"
#include "kernels.h"

float lq__f16_table[1 << 16];
float lq__e8m0_table[1 << 8];
float lq__ue4m3_table[1 << 8];

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void fill(void)
{
    for (uint32_t h = 0; h < (1u << 16); h++)
        lq__f16_table[h] = lq__f16_to_f32((uint16_t)h);
    for (uint32_t u = 0; u < (1u << 8); u++) {
        lq__e8m0_table[u] = lq__e8m0_half((uint8_t)u);
        lq__ue4m3_table[u] = lq__ue4m3_half((uint8_t)u);
    }
}

void lq__f16_table_init(void) { pthread_once(&once, fill); }
