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

/* Half fields: ggml stores fp16 rounded to nearest even and, when it re-picks
 * quants, always works with the rounded value. */
static inline uint16_t lq__h(float f) { return lq__f32_to_f16(f); }
static inline float lq__f(uint16_t h) { return lq__f16_to_f32(h); }

#endif
