/* tile.h — the many-row integer product (internal): weights repacked into
 * panels of 8-bit codes, activations quantized to 8 bits once, and
 * register-tiled kernels that multiply several weight rows by several
 * activation rows per step (the approach of llamafile's tinyBLAS and of
 * ggml's repacked q4_0x8 kernels).
 *
 * The activations are the bytes the dot path uses (q8_0, q8_1 or q8_K from
 * lq__quant_act_for), and every integer block sum is the one the type's
 * vec_dot / lin_dot computes, so a product here equals the dot path up to
 * the order of float additions.
 *
 * Weights: a panel is LQ__TILE_ROWS consecutive weight rows, stored block by
 * block along k. A block holds the rows' codes as unsigned bytes u, where the
 * weight's integer value is u - offset - zero (offset a constant of the type,
 * zero an optional per-row integer), interleaved four at a time:
 *
 *   codes[t][r][e] = u of row r, element 4t + e of the block
 *
 * so that one 32-bit lane of a vector holds four consecutive codes of one
 * row: a 16-lane integer dot product (vpdpbusd on 64 bytes, or vpmaddubsw +
 * vpmaddwd) with four activation bytes broadcast to every lane gives sixteen
 * rows' partial sums at once, with no horizontal reduction. After the codes
 * come the per-row numbers of the block (LQ__TILE_B32: float d[16], then
 * float m[16] or int32 zero[16]; LQ__TILE_S256: int8 sc[nsub][16], int16
 * mm[nsub/2][16][2], float d[16], float dmin[16]).
 *
 * Two families:
 *   LQ__TILE_B32 (32-element blocks: q4_0, q4_1, q5_0, q5_1, q8_0, iq4_nl, mxfp4,
 *     linear int8/int4/int3/int2): per block and (row, activation row),
 *       isum = sum_e (u - offset - zero) * a_e
 *       acc  = fma(d * d_a, (float)isum, acc)
 *       acc  = fma(m, s_a, acc)                   (q4_1, q5_1: q8_1's s)
 *   LQ__TILE_S256 (256-element super-blocks with nsub sub-blocks of 16 or
 *     32 elements and small integer scales: q2_k ... q6_k, iq4_xs):
 *       isum = sum_j sc_j * sum_{e in j} u_e a_e
 *       msum = sum_j mm_j * bsum_j                (bsum_j: activation sums)
 *       with mins (q2_k, q4_k, q5_k: mm = the mins):
 *         acc = fma(d * d_a, (float)isum, acc); acc = fma(-(dmin * d_a), (float)msum, acc)
 *       with an offset (q3_k, q6_k, iq4_xs: mm = sc):
 *         acc = fma(d * d_a, (float)(isum - offset * msum), acc)
 * Every level computes these integers exactly and these float operations in
 * this order per output, so all levels give bit-identical results
 * (ref/tile.c is the specification). The integers stay below 2^31 for any
 * codes and activations: at most 32 * 255 * 127 (plus the zero correction,
 * 255 * 32 * 127) per B32 block, 256 * 255 * 127 * 128 < 2^30 per
 * super-block.
 *
 * Codes above 127 (the "wide" types q8_0, iq4_nl, iq4_xs, int8) do not fit
 * vpmaddubsw's 16-bit pair sums or NEON's signed bytes; those levels read
 * them as signed bytes u - bias with bias = 128
 * (lq__kernels.tile_wide_bias) and sum (u - bias) * a, so the offset left
 * to correct is offset - bias: in corr (B32, below) and in the S256 formula
 * (isum - (offset - bias) * msum).
 */
#ifndef LQ_KERNELS_TILE_H
#define LQ_KERNELS_TILE_H

#include <stddef.h>
#include <stdint.h>

#include <lq/lq_core.h>
#include <lq/lq_types.h>

#include "decode.h"

#define LQ__TILE_ROWS 16 /* weight rows per panel */

enum { LQ__TILE_B32, LQ__TILE_S256 }; /* lq__kernels.tile_gemm has one kernel for each */

/* How one weight type is laid out in panels (lq__tile_format_for). */
typedef struct lq__tile_format {
    int family;         /* LQ__TILE_B32 or LQ__TILE_S256 */
    int block;          /* elements per block: 32 or 256 */
    int offset;         /* the type's constant offset: 0 or a power of two */
    int wide;           /* codes may exceed 127 */
    int has_min;        /* B32: + m * s_a; S256: mm holds mins */
    int has_zero;       /* B32: per-row integer zero points (asymmetric linear types) */
    int sub;            /* S256: elements per sub-block, 16 or 32 */
    int umax;           /* the largest code u */
    size_t block_bytes; /* bytes of one block of a panel */
} lq__tile_format;

/* Offsets inside a panel block. */
#define LQ__TILE_B32_D 512
#define LQ__TILE_B32_EXTRA 576 /* float m[16] or int32 zero[16] */
#define LQ__TILE_S256_SC 4096
static inline size_t lq__tile_s256_mm(const lq__tile_format *f)
{
    return LQ__TILE_S256_SC + (size_t)(LQ__TILE_ROWS * 256 / f->sub);
}
static inline size_t lq__tile_s256_d(const lq__tile_format *f)
{
    return lq__tile_s256_mm(f) + (size_t)(LQ__TILE_ROWS * 2 * 256 / f->sub);
}

/* The activations of one call, prepared for the tile kernels from the q8
 * rows: m rows of k codes, and per row and block (nb = k / block):
 *   d     the block's scale (q8_0 / q8_1 f16 as float, q8_K's float)
 *   s     B32 with mins: q8_1's s as float; else NULL
 *   corr  B32: -(offset - bias) * asum, the integer correction of the block
 *         sum when codes are read as u - bias
 *   asum  B32 with zero points: the sum of the block's codes; else NULL
 *   bs    S256: 8 int32 per super-block, each two int16 activation sums of
 *         consecutive sub-blocks (sub-blocks j = 2p, 2p + 1 in pair p; with
 *         32-element sub-blocks only the first 4 are used)
 * bias is how the level's kernel reads this type's codes: 128 for wide codes
 * on a level without VNNI, and on NEON (the top comment), else 0. */
typedef struct lq__tile_act {
    int8_t *q;
    float *d, *s;
    int32_t *corr, *asum, *bs;
    int64_t m, k, nb;
    int bias;
} lq__tile_act;

/* The tile format of a decoder's tensor: 1 when the type has one and k (and
 * for linear types the group) is a multiple of 32, else 0. */
int lq__tile_format_for(const lq__row_decoder *d, lq__tile_format *f);

/* Bytes of the panels for nr weight rows (rounded up to whole panels) of k
 * elements; 0 when that overflows size_t. */
size_t lq__tile_panels_bytes(const lq__tile_format *f, int64_t nr, int64_t k);

/* Repack weight rows [r0, r0 + nr) of d's tensor into panels at dst
 * (lq__tile_panels_bytes(f, nr, k) bytes), with the codes taken out of the
 * blocks and transposed by kern's tile_codes and tile_transpose; rows past
 * nr in the last panel are zero. */
void lq__tile_pack(const lq__tile_format *f, const lq__row_decoder *d, const lq__kernels *kern,
                   int64_t r0, int64_t nr, uint8_t *dst);

/* An act form for m rows of k elements of a tensor of format f, for a
 * kernel that reads codes with the given bias: its arrays allocated, nothing
 * filled. LQ_ERR_NOMEM on failure (with the message), and then nothing to
 * free. */
lq_status lq__tile_act_alloc(const lq__tile_format *f, int64_t m, int64_t k, int bias,
                             lq__tile_act *a);
void lq__tile_act_free(lq__tile_act *a);

/* Fill rows [i0, i1) of a from activation rows quantized to the type's
 * act_type (q8_0, q8_1 or q8_K), act_bytes apart, starting with row 0. */
void lq__tile_act_fill(const lq__tile_format *f, const uint8_t *act, size_t act_bytes, int64_t i0,
                       int64_t i1, lq__tile_act *a);

/* y[m, n] = x[m, k] W^T for the tensor of dec (format f, whose vec_dot
 * activation type is act_type) through the tile kernels of kern, on ctx's
 * threads. With check_x, the rows of X are checked for infinity and NaN as
 * they are quantized (on the pool, not on the calling thread alone), and
 * then nothing is multiplied. Errors: LQ_ERR_NOMEM, LQ_ERR_CANCELLED,
 * LQ_ERR_NONFINITE (lq__check_x's message). */
lq_status lq__tile_matmul(const lq_ctx *ctx, const lq__kernels *kern, const lq__row_decoder *dec,
                          const lq__tile_format *f, lq_type act_type, const float *x, int64_t m,
                          float *y, int check_x);

/* y[j] = x W_j^T for count (at most LQ__TILE_SHARED_MAX) tensors of one
 * format f and k columns, as count lq__tile_matmul calls compute them (the
 * same bits), with X quantized once and the chunks of all the weights run as
 * one job: the query, key and value projections of a window, or the gate
 * and up projections. */
#define LQ__TILE_SHARED_MAX 4
lq_status lq__tile_matmul_shared(const lq_ctx *ctx, const lq__kernels *kern, int count,
                                 const lq__row_decoder *const *dec, const lq__tile_format *f,
                                 lq_type act_type, const float *x, int64_t m, float *const *y,
                                 int check_x);

#endif
