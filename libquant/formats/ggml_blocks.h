/* ggml_blocks.h — the ggml block structs, byte for byte as ggml stores them
 * (internal).
 *
 * One struct per block type, fields in ggml's order, halves as raw IEEE
 * binary16 bits. The structs are packed (alignment 1) because quantized bytes
 * can come from anywhere, for example a borrowed buffer at an odd address, and
 * ggml's layout has no padding anyway: the _Static_asserts pin every size.
 * Multi-byte fields are little-endian in files, so the structs are only valid
 * on little-endian hosts, as in ggml. */
#ifndef LQ_FORMATS_GGML_BLOCKS_H
#define LQ_FORMATS_GGML_BLOCKS_H

#include <stdint.h>

#include "../core/half.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the ggml block structs assume a little-endian host"
#endif

#define LQ__PACKED __attribute__((packed))

#define LQ__QK 32   /* elements per legacy block (Q4_0 ... Q8_1, IQ4_NL) */
#define LQ__QK_K 256 /* elements per k-quant super-block */

typedef struct LQ__PACKED { uint16_t d; uint8_t qs[16]; } lq__blk_q4_0;
typedef struct LQ__PACKED { uint16_t d, m; uint8_t qs[16]; } lq__blk_q4_1;
typedef struct LQ__PACKED { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } lq__blk_q5_0;
typedef struct LQ__PACKED { uint16_t d, m; uint8_t qh[4]; uint8_t qs[16]; } lq__blk_q5_1;
typedef struct LQ__PACKED { uint16_t d; int8_t qs[32]; } lq__blk_q8_0;
/* s = d * (sum of qs), used by the Q4_1/Q5_1 dot products */
typedef struct LQ__PACKED { uint16_t d, s; int8_t qs[32]; } lq__blk_q8_1;

/* scales[j]: low nibble scale, high nibble min of sub-block j (16 x 16) */
typedef struct LQ__PACKED {
    uint8_t scales[16];
    uint8_t qs[64];
    uint16_t d, dmin;
} lq__blk_q2_k;

/* 16 x 16; hmask holds the third bit, scales 16 six-bit values packed in 12 bytes */
typedef struct LQ__PACKED {
    uint8_t hmask[32];
    uint8_t qs[64];
    uint8_t scales[12];
    uint16_t d;
} lq__blk_q3_k;

/* 8 x 32; scales: 8 six-bit scales and 8 six-bit mins packed in 12 bytes */
typedef struct LQ__PACKED {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qs[128];
} lq__blk_q4_k;

typedef struct LQ__PACKED {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qh[32];
    uint8_t qs[128];
} lq__blk_q5_k;

/* 16 x 16 with signed 8-bit scales */
typedef struct LQ__PACKED {
    uint8_t ql[128];
    uint8_t qh[64];
    int8_t scales[16];
    uint16_t d;
} lq__blk_q6_k;

/* activation side: f32 scale, bsums[j] = sum of qs[16j .. 16j+15] */
typedef struct LQ__PACKED {
    float d;
    int8_t qs[256];
    int16_t bsums[16];
} lq__blk_q8_k;

typedef struct LQ__PACKED { uint16_t d; uint8_t qs[16]; } lq__blk_iq4_nl;

/* 8 x 32; six-bit sub-scales: low 4 bits in scales_l, high 2 bits in scales_h */
typedef struct LQ__PACKED {
    uint16_t d;
    uint16_t scales_h;
    uint8_t scales_l[4];
    uint8_t qs[128];
} lq__blk_iq4_xs;

_Static_assert(sizeof(lq__blk_q4_0) == 18, "q4_0 block size");
_Static_assert(sizeof(lq__blk_q4_1) == 20, "q4_1 block size");
_Static_assert(sizeof(lq__blk_q5_0) == 22, "q5_0 block size");
_Static_assert(sizeof(lq__blk_q5_1) == 24, "q5_1 block size");
_Static_assert(sizeof(lq__blk_q8_0) == 34, "q8_0 block size");
_Static_assert(sizeof(lq__blk_q8_1) == 36, "q8_1 block size");
_Static_assert(sizeof(lq__blk_q2_k) == 84, "q2_K block size");
_Static_assert(sizeof(lq__blk_q3_k) == 110, "q3_K block size");
_Static_assert(sizeof(lq__blk_q4_k) == 144, "q4_K block size");
_Static_assert(sizeof(lq__blk_q5_k) == 176, "q5_K block size");
_Static_assert(sizeof(lq__blk_q6_k) == 210, "q6_K block size");
_Static_assert(sizeof(lq__blk_q8_k) == 292, "q8_K block size");
_Static_assert(sizeof(lq__blk_iq4_nl) == 18, "iq4_nl block size");
_Static_assert(sizeof(lq__blk_iq4_xs) == 136, "iq4_xs block size");

/* The IQ4_NL / IQ4_XS codebook (ggml's kvalues_iq4nl): codes index it. */
extern const int8_t lq__iq4_levels[16];

/* Scale and min j (0..7) of a q4_K / q5_K super-block: 6 bits each, packed in
 * 12 bytes (ggml's get_scale_min_k4). */
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

/* The 16 signed 6-bit scales of a q3_K super-block (stored value - 32). */
static inline void lq__k3_scales(const uint8_t *s, int8_t out[16])
{
    for (int j = 0; j < 16; j++) {
        int lo = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
        int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
        out[j] = (int8_t)((lo | hi << 4) - 32);
    }
}

/* Scale j (0..7) of an iq4_XS super-block (stored value - 32). */
static inline int lq__iq4xs_scale(const lq__blk_iq4_xs *b, int j)
{
    int lo = (b->scales_l[j / 2] >> (4 * (j % 2))) & 0xF;
    int hi = (b->scales_h >> (2 * j)) & 3;
    return (lo | hi << 4) - 32;
}

/* Half fields: ggml stores fp16 rounded to nearest even and, when it re-picks
 * quants, always works with the rounded value. */
static inline uint16_t lq__h(float f) { return lq__f32_to_f16(f); }
static inline float lq__f(uint16_t h) { return lq__f16_to_f32(h); }

#endif
