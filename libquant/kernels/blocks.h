/* blocks.h — the ggml block layouts as C structs, for the kernels (internal).
 *
 * The layouts are fixed by GGUF (doc/formats.md, ../shared/reference/ggml.md
 * section 1). Weight blocks keep their f16 fields as byte pairs so that every
 * struct has alignment 1: a borrowed tensor's bytes need not be aligned, and
 * reading them through these structs is then always defined. The activation
 * blocks (q8_0, q8_1, q8_K) are made by the kernels themselves in aligned
 * buffers and use plain fields. */
#ifndef LQ_KERNELS_BLOCKS_H
#define LQ_KERNELS_BLOCKS_H

#include <stdint.h>
#include <string.h>

#include "../core/half.h"

#define LQ__QK 32   /* elements in a legacy block */
#define LQ__QK_K 256 /* elements in a k-quant super-block */

typedef struct { uint8_t d[2]; uint8_t qs[16]; } lq__blk_q4_0;
typedef struct { uint8_t d[2], m[2]; uint8_t qs[16]; } lq__blk_q4_1;
typedef struct { uint8_t d[2]; uint8_t qh[4]; uint8_t qs[16]; } lq__blk_q5_0;
typedef struct { uint8_t d[2], m[2]; uint8_t qh[4]; uint8_t qs[16]; } lq__blk_q5_1;
typedef struct { uint8_t d[2]; int8_t qs[32]; } lq__blk_q8_0w; /* q8_0 as a weight */
typedef struct { uint8_t scales[16]; uint8_t qs[64]; uint8_t d[2], dmin[2]; } lq__blk_q2_k;
typedef struct { uint8_t hmask[32]; uint8_t qs[64]; uint8_t scales[12]; uint8_t d[2]; } lq__blk_q3_k;
typedef struct { uint8_t d[2], dmin[2]; uint8_t scales[12]; uint8_t qs[128]; } lq__blk_q4_k;
typedef struct { uint8_t d[2], dmin[2]; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } lq__blk_q5_k;
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint8_t d[2]; } lq__blk_q6_k;
typedef struct { uint8_t d[2]; uint8_t qs[16]; } lq__blk_iq4_nl;
typedef struct { uint8_t d[2]; uint8_t scales_h[2]; uint8_t scales_l[4]; uint8_t qs[128]; } lq__blk_iq4_xs;

/* Activation blocks. */
typedef struct { uint16_t d; int8_t qs[32]; } lq__blk_q8_0;
typedef struct { uint16_t d, s; int8_t qs[32]; } lq__blk_q8_1; /* s = f16(d * sum(qs)) */
typedef struct { float d; int8_t qs[256]; int16_t bsums[16]; } lq__blk_q8_k;

_Static_assert(sizeof(lq__blk_q4_0) == 18, "q4_0");
_Static_assert(sizeof(lq__blk_q4_1) == 20, "q4_1");
_Static_assert(sizeof(lq__blk_q5_0) == 22, "q5_0");
_Static_assert(sizeof(lq__blk_q5_1) == 24, "q5_1");
_Static_assert(sizeof(lq__blk_q8_0w) == 34, "q8_0");
_Static_assert(sizeof(lq__blk_q2_k) == 84, "q2_k");
_Static_assert(sizeof(lq__blk_q3_k) == 110, "q3_k");
_Static_assert(sizeof(lq__blk_q4_k) == 144, "q4_k");
_Static_assert(sizeof(lq__blk_q5_k) == 176, "q5_k");
_Static_assert(sizeof(lq__blk_q6_k) == 210, "q6_k");
_Static_assert(sizeof(lq__blk_iq4_nl) == 18, "iq4_nl");
_Static_assert(sizeof(lq__blk_iq4_xs) == 136, "iq4_xs");
_Static_assert(sizeof(lq__blk_q8_0) == 34, "q8_0 act");
_Static_assert(sizeof(lq__blk_q8_1) == 36, "q8_1 act");
_Static_assert(sizeof(lq__blk_q8_k) == 292, "q8_k act");

/* An f16 stored as two little-endian bytes, as float. */
static inline float lq__ld_f16(const uint8_t *p)
{
    return lq__f16_to_f32((uint16_t)(p[0] | p[1] << 8));
}

static inline uint16_t lq__ld_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* The IQ4_NL / IQ4_XS codebook (ggml's kvalues_iq4nl). */
extern const int8_t lq__iq4nl_values[16];

/* Scale and min j (0..7) of a q4_K / q5_K super-block: 6 bits each, packed in
 * 12 bytes (ggml.md section 1). */
static inline void lq__k4_scale_min(int j, const uint8_t *q, uint8_t *sc, uint8_t *m)
{
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/* The 16 signed 6-bit scales of a q3_K super-block (value - 32). */
static inline void lq__k3_scales(const uint8_t *s, int8_t out[16])
{
    for (int j = 0; j < 16; j++) {
        int lo = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
        int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
        out[j] = (int8_t)((lo | hi << 4) - 32);
    }
}

/* Scale j (0..7) of an iq4_XS super-block, value - 32. */
static inline int lq__iq4xs_scale(const lq__blk_iq4_xs *b, int j)
{
    int lo = (b->scales_l[j / 2] >> (4 * (j % 2))) & 0xF;
    int hi = (lq__ld_u16(b->scales_h) >> (2 * j)) & 3;
    return (lo | hi << 4) - 32;
}

#endif
