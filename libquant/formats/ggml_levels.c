/* ggml_levels.c — the IQ4_NL / IQ4_XS and E2M1 codebooks (ggml_blocks.h), in a file of
 * its own so that the scalar and the AVX2 searches, the codecs and the
 * kernels all depend on it and it on none of them. */
#include "ggml_blocks.h"

/* ggml's kvalues_iq4nl (ggml, MIT licence) */
const int8_t lq__iq4_levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                   1,    13,   25,  38,  53,  69,  89,  113};

/* E2M1 (sign, two exponent bits, one mantissa bit) doubled, so that every
 * level is an integer: 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives. */
const int8_t lq__fp4_levels[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
