/* ggml_grids_iq3_iq1.h — the blocks and lattice codebooks of ggml's IQ3_XXS,
 * IQ3_S, IQ1_S and IQ1_M types (internal).
 *
 * The IQ3 types store the magnitudes of each group of four values as one
 * index into a grid of four-value points (ggml_grids_iq3_iq1.c, generated
 * from ggml's own decoders), their signs apart, and a 4-bit scale per 32
 * values under an f16 block scale. The IQ1 types store each group of eight
 * values as one index into a grid of 2048 points of values -1, 0, 1, plus a
 * shift of +-1/8 (LQ__IQ1_DELTA) per 32 (IQ1_S) or 8 (IQ1_M) values, times
 * an odd 3-bit scale of an f16 block scale. */
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

/* iq1_s: group g's grid index is qs[g] | (qh[g / 4] >> 3 (g % 4) & 7) << 8;
 * bits 12..14 of qh[i] are the scale s of values 32i..32i+31, d (2s + 1),
 * and bit 15 the sign of their shift. */
typedef struct LQ__PACKED {
    uint16_t d;
    uint8_t qs[32];
    uint16_t qh[8];
} lq__blk_iq1_s;

/* iq1_m: group g's grid index is qs[g] | (qh[g / 2] >> 4 (g % 2) & 7) << 8,
 * bit 3 + 4 (g % 2) of qh[g / 2] the sign of its shift; the four
 * little-endian words of scales hold four 3-bit scales s each (bits 3j..,
 * values 16 (4w + j).. of word w, d (2s + 1)) and, in their top nibbles
 * (word w: bits 4w..4w+3), the f16 block scale d. */
typedef struct LQ__PACKED {
    uint8_t qs[32];
    uint8_t qh[16];
    uint8_t scales[8];
} lq__blk_iq1_m;

_Static_assert(sizeof(lq__blk_iq3_xxs) == 98, "iq3_xxs block size");
_Static_assert(sizeof(lq__blk_iq3_s) == 110, "iq3_s block size");
_Static_assert(sizeof(lq__blk_iq1_s) == 50, "iq1_s block size");
_Static_assert(sizeof(lq__blk_iq1_m) == 56, "iq1_m block size");

/* The shift of the IQ1 values (ggml's IQ1S_DELTA and IQ1M_DELTA). */
#define LQ__IQ1_DELTA 0.125f

/* The grids: byte i of entry k is the magnitude of value i of a group (IQ3),
 * or value i as an int8 (IQ1). */
extern const uint32_t lq__iq3xxs_grid[256];
extern const uint32_t lq__iq3s_grid[512];
extern const uint64_t lq__iq1s_grid[2048];

/* IQ1_M's f16 block scale, from the top nibbles of its scale words. */
static inline uint16_t lq__iq1m_d(const lq__blk_iq1_m *b)
{
    uint16_t sc[4];
    __builtin_memcpy(sc, b->scales, sizeof sc);
    return (uint16_t)((sc[0] >> 12) | ((sc[1] >> 8) & 0x00F0) | ((sc[2] >> 4) & 0x0F00) |
                      (sc[3] & 0xF000));
}

/* Stores h as IQ1_M's f16 block scale: nibble w of h in the top nibble of
 * scale word w, the 3-bit scales below kept. */
static inline void lq__iq1m_put_d(lq__blk_iq1_m *b, uint16_t h)
{
    for (int w = 0; w < 4; w++)
        b->scales[2 * w + 1] = (uint8_t)((b->scales[2 * w + 1] & 0x0F) | ((h >> 4 * w) & 0xF) << 4);
}

/* A 7-bit sign field as the eight sign bits it stands for: the eighth is the
 * parity of the seven, so that every group has an even number of negative
 * values (ggml's ksigns_iq2xs). */
static inline uint8_t lq__iq_signs(unsigned s7)
{
    return (uint8_t)(s7 | (unsigned)__builtin_parity(s7 & 127) << 7);
}

#endif
