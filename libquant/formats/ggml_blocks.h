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
#include <string.h>

#include "../core/half.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the ggml block structs assume a little-endian host"
#endif

#define LQ__PACKED __attribute__((packed))

/* Eight bytes of a block as one integer, at any address (blocks are packed,
 * so their fields need not be aligned); memcpy compiles to one move. */
static inline uint64_t lq__blk_ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void lq__blk_st64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof v);
}

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

/* Ternary values -1, 0, 1 stored as trits 0, 1, 2 (BitNet b1.58 / TriLM).
 * tq1_0: qs[0..31] hold five trits each for elements 0..159 (byte m, trit
 * n: element 32n + m), qs[32..47] five each for the next 80 (16n + m), qh
 * four each for the last 16 (4n + m); a byte of trits t1..t5, most
 * significant first, is ceil(256 * (t1 t2 t3 t4 t5 in base 3) / 243), so
 * trit n is the top two bits of (byte * 3^n mod 256) * 3, and qh's
 * unused fifth trit is 0. */
typedef struct LQ__PACKED {
    uint8_t qs[48];
    uint8_t qh[4];
    uint16_t d;
} lq__blk_tq1_0;

/* Trit t (0 first) of a tq1_0 byte, as -1, 0 or 1. */
static inline int lq__tq1_value(uint8_t b, int t)
{
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    return (((uint8_t)(b * pow3[t]) * 3) >> 8) - 1;
}

/* tq2_0: byte j of each 32-byte group holds elements 128g + 32l + j in bits 2l. */
typedef struct LQ__PACKED {
    uint8_t qs[64];
    uint16_t d;
} lq__blk_tq2_0;

/* E2M1 codes (sign bit 3, lq__fp4_levels), elements j and j + 16 in the low
 * and high nibble of qs[j]; e is an E8M0 exponent: the scale is 2^(e - 127). */
typedef struct LQ__PACKED { uint8_t e; uint8_t qs[16]; } lq__blk_mxfp4;

/* Four sub-blocks of 16, each with a UE4M3 scale (E4M3 without its sign) and
 * 8 bytes of E2M1 codes, elements j and j + 8 of the sub-block in the low and
 * high nibble of its byte j. GGUF stores the checkpoint's per-tensor second
 * scale as a tensor of its own (<name>.scale), not in the blocks. */
typedef struct LQ__PACKED { uint8_t d[4]; uint8_t qs[32]; } lq__blk_nvfp4;

/* The 2-bit i-quants: each group of 8 values is one point of a codebook
 * (lq__iq2*_grid: eight magnitudes 8, 25 or 43) with 8 sign bits, times a
 * 4-bit sub-block scale s as d * (0.5 + s) / 4.
 * iq2_xxs: per 32 values two little-endian uint32, the first the four grid
 * indices (a byte each), the second four 7-bit sign codes (lq__iq2_signs) and
 * the scale in its top 4 bits. */
typedef struct LQ__PACKED {
    uint16_t d;
    uint16_t qs[32];
} lq__blk_iq2_xxs;

/* iq2_xs: a 9-bit grid index and a 7-bit sign code per group of 8; two
 * scales per 32 values (low nibble: the first 16). */
typedef struct LQ__PACKED {
    uint16_t d;
    uint16_t qs[32];
    uint8_t scales[8];
} lq__blk_iq2_xs;

/* iq2_s: 10-bit grid indices, the low 8 bits in qs[0..31], the top two of
 * group l (of 4) of 32 values in qh[32 values] bits 2l; qs[32..63] the 8 sign
 * bits of each group; scales as iq2_xs. */
typedef struct LQ__PACKED {
    uint16_t d;
    uint8_t qs[64];
    uint8_t qh[8];
    uint8_t scales[8];
} lq__blk_iq2_s;

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
_Static_assert(sizeof(lq__blk_tq1_0) == 54, "tq1_0 block size");
_Static_assert(sizeof(lq__blk_tq2_0) == 66, "tq2_0 block size");
_Static_assert(sizeof(lq__blk_mxfp4) == 17, "mxfp4 block size");
_Static_assert(sizeof(lq__blk_nvfp4) == 36, "nvfp4 block size");
_Static_assert(sizeof(lq__blk_iq2_xxs) == 66, "iq2_xxs block size");
_Static_assert(sizeof(lq__blk_iq2_xs) == 74, "iq2_xs block size");
_Static_assert(sizeof(lq__blk_iq2_s) == 82, "iq2_s block size");

/* The IQ4_NL / IQ4_XS codebook (ggml's kvalues_iq4nl): codes index it. */
extern const int8_t lq__iq4_levels[16];

/* The E2M1 values doubled (0, 0.5, 1, 1.5, 2, 3, 4, 6 with a sign bit, times
 * 2), as ggml's kvalues_mxfp4; the scales below are halved to match. */
extern const int8_t lq__fp4_levels[16];

/* The codebooks of the 2-bit i-quants (ggml_iq2_grids.c, generated): point
 * p is eight magnitudes, byte k of grid[p] the k-th value. */
extern const uint64_t lq__iq2xxs_grid[256];
extern const uint64_t lq__iq2xs_grid[512];
extern const uint64_t lq__iq2s_grid[1024];

/* The 8 sign bits of a 7-bit sign code: bit 7 makes the count of negative
 * values even (ggml's ksigns_iq2xs). */
static inline uint8_t lq__iq2_signs(unsigned code)
{
    code &= 127;
    return (uint8_t)(code | (unsigned)__builtin_parity(code) << 7);
}

/* Half the scale of an E8M0 exponent, 2^(e - 128), exactly (subnormal for
 * e < 2; e = 255 is 2^127, not a NaN, as in ggml). */
static inline float lq__e8m0_half(uint8_t e)
{
    return lq__f32_from_bits(e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23);
}

/* Half the value of a UE4M3 scale byte, exactly: 2^-10 m for exponent 0,
 * (1 + m/8) 2^(exp - 8) otherwise; bit 7 is ignored except that 0x7F (E4M3's
 * NaN) and 0 are 0, as ggml's ggml_ue4m3_to_fp32. */
static inline float lq__ue4m3_half(uint8_t x)
{
    const uint32_t e = (x >> 3) & 0xF, m = x & 7;
    if (x == 0 || x == 0x7F)
        return 0.0f;
    if (e == 0)
        return (float)m * 0x1p-10f;
    return lq__f32_from_bits((e + 119) << 23 | m << 20);
}

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
