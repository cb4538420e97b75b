/* f16_table.c — lq__f16_table (kernels.h), in a file of its own so that the
 * levels' kernels, which read it, and dispatch.c, which builds it with the
 * kernel tables, do not depend on each other. */
#include <pthread.h>

#include "kernels.h"

float lq__f16_table[1 << 16];

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void fill(void)
{
    for (uint32_t h = 0; h < (1u << 16); h++)
        lq__f16_table[h] = lq__f16_to_f32((uint16_t)h);
}

void lq__f16_table_init(void) { pthread_once(&once, fill); }
