/* ggml_grids_iq3_iq1.h — the blocks and lattice codebooks of ggml's IQ3_XXS
 * and IQ3_S types (internal).
 *
 * Both store the magnitudes of each group of four values as one index into a
 * grid of four-value points (ggml_grids_iq3_iq1.c, generated from ggml's own
 * decoders), their signs apart, and a 4-bit scale per 32 values under an f16
 * block scale. */
#ifndef LQ_FORMATS_GGML_GRIDS_IQ3_IQ1_H
#define LQ_FORMATS_GGML_GRIDS_IQ3_IQ1_H

#include <stdint.h>

#include "ggml_blocks.h"

/* iq3_xxs: qs[0..63] grid indices, two per 8 values; qs[64..95] eight
 * little-endian words, one per 32 values: four 7-bit sign fields (bit 7l..,
 * for values 8l..8l+7, lq__iq_signs) and the scale s in bits 28..31, the
 * values' scale being d * (0.5 + s) / 2 times the grid's magnitudes. */
typedef struct LQ__PACKED {
    uint16_t d;
    uint8_t qs[96];
} lq__blk_iq3_xxs;

/* iq3_s: grid index k (of 64) is qs[k] | bit k % 8 of qh[k / 8] << 8; sign
 * bit j of signs[i] is value 8i + j's; scales[i] holds the 4-bit scales s of
 * values 64i..64i+31 (low nibble) and 64i+32..64i+63, d * (1 + 2s). */
typedef struct LQ__PACKED {
    uint16_t d;
    uint8_t qs[64];
    uint8_t qh[8];
    uint8_t signs[32];
    uint8_t scales[4];
} lq__blk_iq3_s;

_Static_assert(sizeof(lq__blk_iq3_xxs) == 98, "iq3_xxs block size");
_Static_assert(sizeof(lq__blk_iq3_s) == 110, "iq3_s block size");

/* The grids: byte i of entry k is the magnitude of value i of a group. */
extern const uint32_t lq__iq3xxs_grid[256];
extern const uint32_t lq__iq3s_grid[512];

/* A 7-bit sign field as the eight sign bits it stands for: the eighth is the
 * parity of the seven, so that every group has an even number of negative
 * values (ggml's ksigns_iq2xs). */
static inline uint8_t lq__iq_signs(unsigned s7)
{
    return (uint8_t)(s7 | (unsigned)__builtin_parity(s7 & 127) << 7);
}

#endif
