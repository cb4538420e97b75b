/* f16_table.c — the decode tables lq__f16_table, lq__e8m0_table,
 * lq__ue4m3_table and lq__iq2_code_signs (kernels.h), in a file of their own
 * so that the levels' kernels, which read them, and dispatch.c, which builds
 * them with the kernel tables, do not depend on each other. */
#include <pthread.h>

#include "../formats/ggml_blocks.h"
#include "kernels.h"

float lq__f16_table[1 << 16];
float lq__e8m0_table[1 << 8];
float lq__ue4m3_table[1 << 8];
uint64_t lq__iq2_code_signs[1 << 7];

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void fill(void)
{
    for (uint32_t h = 0; h < (1u << 16); h++)
        lq__f16_table[h] = lq__f16_to_f32((uint16_t)h);
    for (uint32_t u = 0; u < (1u << 8); u++) {
        lq__e8m0_table[u] = lq__e8m0_half((uint8_t)u);
        lq__ue4m3_table[u] = lq__ue4m3_half((uint8_t)u);
    }
    for (unsigned c = 0; c < (1u << 7); c++) {
        uint64_t s = 0;
        for (int j = 0; j < 8; j++)
            s |= (uint64_t)(lq__iq2_signs(c) >> j & 1 ? 0xFF : 0x01) << 8 * j;
        lq__iq2_code_signs[c] = s;
    }
}

void lq__f16_table_init(void) { pthread_once(&once, fill); }
