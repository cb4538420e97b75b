/* kernels.h — the kernel table: per type, how to decode a row and how to take
 * its dot product with an activation row (internal).
 *
 * One table per instruction-set level. The dispatcher (dispatch.c) fills it
 * from the scalar reference (kernels/ref/, the specification) and then lets
 * each level it may use overwrite the entries it implements (x86/avx2.c,
 * x86/avx512.c and x86/avx512_vnni.c, arm/neon.c and arm/neon_dotprod.c), as
 * BLIS and libsodium do.
 *
 * Row kernels (t[type]) work on self-contained rows: the plain float types
 * and the ggml block types, whose row of n elements is n / block_elems blocks.
 * The linear types int8/int4/int3/int2 keep their scales in another plane and
 * have the linear kernels (lin_dequant, lin_dot) over an lq__lin_row. nf4,
 * fp4 and fp8 have the code kernels (code_dequant, code_dot) over an
 * lq__code_row: codes looked up or converted, times a float scale per block.
 * Every other type (the integer types, and nf4/fp4 rows that do not start on
 * a block) is decoded by its codec and multiplied with dot_f32 (decode.h puts
 * the four behind one interface).
 *
 * Dot products of ggml types take the activations quantized to act_type
 * (q8_0, q8_1 or q8_K, as ggml's CPU backend does), the linear kernels q8_0;
 * both accumulate integers within a block. Every level computes the same
 * integers, so levels differ only by float rounding in the order the scaled
 * block sums are added. Decoders are bit-identical on every level.
 *
 * The tile kernels (tile_gemm, tile.h) multiply many activation rows at once
 * with weights repacked into panels of 8-bit codes; they compute the same
 * integer block sums again, and are bit-identical on every level.
 */
#ifndef LQ_KERNELS_KERNELS_H
#define LQ_KERNELS_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <lq/lq_types.h>

#include "../core/cpu.h"
#include "../core/half.h"

/* Decode one row of n elements to f32. */
typedef void (*lq__dequant_fn)(const void *x, float *y, int64_t n);
/* Convert n floats to f16 bit patterns, rounding to nearest even. */
typedef void (*lq__to_f16_fn)(const float *x, uint16_t *y, int64_t n);
/* Dot product of a weight row and an activation row of n elements. */
typedef float (*lq__vec_dot_fn)(int64_t n, const void *w, const void *a);
/* The dot products of LQ__DOT_ROWS weight rows, stride bytes apart, with one
 * activation row: y[r] is bit-identical to vec_dot(n, w + r * stride, a), the
 * rows' independent chains interleaved (a decode step's matrix-vector
 * products are bound by the fixed costs of each short row otherwise). */
enum { LQ__DOT_ROWS = 4 };
typedef void (*lq__vec_dot_rows_fn)(int64_t n, const void *w, size_t stride, const void *a,
                                    float *y);
/* Quantize an activation row of n floats (n a multiple of the block). */
typedef void (*lq__quant_act_fn)(const float *x, void *y, int64_t n);

/* x[i] = e^x[i] in place, n floats of any alignment (vexp.h: the same bits
 * on every level). */
typedef void (*lq__exp_fn)(float *x, int64_t n);

typedef struct lq__type_kernels {
    lq_type act_type;          /* the vec_dot activation type: F32, Q8_0, Q8_1 or Q8_K */
    lq__dequant_fn dequant;    /* NULL: no row kernel for this type */
    lq__vec_dot_fn vec_dot;    /* NULL: decode to f32 and use dot_f32 */
    /* NULL, or LQ__DOT_ROWS rows of this vec_dot at once: a level that
     * replaces vec_dot sets or clears it too */
    lq__vec_dot_rows_fn vec_dot_rows;
} lq__type_kernels;

/* A 16-bit value stored as two little-endian bytes (f16 and bf16 rows, f16
 * scales): rows need not be aligned. */
static inline uint16_t lq__ld_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline float lq__ld_f16(const uint8_t *p)
{
    return lq__f16_to_f32(lq__ld_u16(p));
}

/* An f32 weight: a GGUF file's tensors need only general.alignment, which
 * may be 2. */
static inline float lq__ld_f32(const void *p)
{
    float f;
    memcpy(&f, p, sizeof f);
    return f;
}

/* One row of a linear int8 / int4 / int3 / int2 tensor (formats/linear.h):
 * packed codes and the row's scales and zero points. */
typedef struct lq__lin_row {
    const uint8_t *codes;  /* the row's code bytes, LSB first */
    const uint8_t *scales; /* the row's first scale: f16 or f32, little-endian */
    const uint8_t *zeros;  /* the row's first zero point, or NULL for the implicit 2^(bits-1) */
    int f32_scales;        /* 1: f32 scales, 0: f16 */
    int64_t group;         /* elements per scale (the whole row for channel / tensor) */
} lq__lin_row;

/* Scale g of a linear row. */
static inline float lq__lin_scale(const lq__lin_row *w, int64_t g)
{
    if (w->f32_scales) {
        float f;
        memcpy(&f, w->scales + 4 * g, sizeof f);
        return f;
    }
    return lq__ld_f16(w->scales + 2 * g);
}

/* Decode a linear row of k elements: y = scale * (q - zero), bit-identical to
 * the codec. */
typedef void (*lq__lin_dequant_fn)(int64_t k, const lq__lin_row *w, float *y);
/* Dot product of a linear row with k activations in q8_0 blocks; k and the
 * group must be multiples of 32 (so every block of 32 codes starts on a
 * byte, whatever the code width). */
typedef float (*lq__lin_dot_fn)(int64_t k, const lq__lin_row *w, const void *a);

/* The slot of the linear kernels for a code width: 8, 4, 3, 2 bits -> 0..3. */
enum { LQ__LIN_SLOTS = 4 };
static inline int lq__lin_slot(int bits)
{
    return bits == 8 ? 0 : bits == 4 ? 1 : bits == 3 ? 2 : 3;
}

/* A piece of a row of a code-table type: element j decodes to
 * value(code j) * scales[j / block], one rounding, bit-identical to the codec.
 *   LQ__CODE_4BIT (nf4, fp4): two codes per byte, the first element in the
 *     high nibble; value = table[code] (the type's 16 values: the kernels
 *     take any table);
 *   LQ__CODE_E4M3, LQ__CODE_E5M2 (fp8): one code per byte, value = the fp8
 *     number (formats/fp8.h; E4M3 0x7f / 0xff is NaN, E5M2 has infinities).
 * The k elements the kernels take are whole blocks (k a multiple of block);
 * for 4-bit codes block is a multiple of 32. */
typedef struct lq__code_row {
    const uint8_t *codes;
    const float *scales; /* one per block, aligned floats */
    const float *table;  /* 4-bit codes: the 16 values; else NULL */
    int64_t block;
} lq__code_row;

enum { LQ__CODE_4BIT, LQ__CODE_E4M3, LQ__CODE_E5M2, LQ__CODE_KINDS };

/* Whether a code kind has two 4-bit codes per byte and a table. */
static inline int lq__code_4bit(int kind)
{
    return kind == LQ__CODE_4BIT;
}

/* Decode k elements of a code row (bit-identical to the codec), and the dot
 * product of k elements with f32 activations (any float summation order). */
typedef void (*lq__code_dequant_fn)(int64_t k, const lq__code_row *w, float *y);
typedef float (*lq__code_dot_fn)(int64_t k, const lq__code_row *w, const float *a);
/* A level's code_dot may read its activations in an order of its own, the
 * same for every weight row: code_act then writes a row of k activations
 * (whole blocks) in that order into y, once per product for all the weight
 * rows. The order only moves elements within each 32, so the piece of a row
 * that starts on a block is the same piece of the arranged row. NULL: the
 * activations as they are. */
typedef lq__quant_act_fn lq__code_act_fn;
/* The dot products of LQ__DOT_ROWS code rows w[0..] (the same block and k)
 * with one activation row: y[r] is bit-identical to code_dot(k, &w[r], a),
 * the rows sharing each load of a (a row of X larger than L1 is otherwise
 * read again from L2 for every weight row). */
typedef void (*lq__code_dot_rows_fn)(int64_t k, const lq__code_row *w, const float *a, float *y);

/* W8A8: dot products of int8 rows, k elements each, computing
 * y[i*ldy + j] = sx[i] * sw[j] * sum_t x[i*k + t] * w[j*k + t] for i < m, j < n. */
typedef void (*lq__gemm_i8_fn)(int64_t m, int64_t n, int64_t k, const int8_t *x, const float *sx,
                               const int8_t *w, const float *sw, float *y, int64_t ldy);

/* The many-row integer product (tile.h): weight panels of ncols rows times
 * every activation row of a, y[i * ldy + j] for i < a->m, j < ncols. */
struct lq__tile_format;
struct lq__tile_act;
typedef void (*lq__tile_gemm_fn)(const struct lq__tile_format *f, const uint8_t *panels,
                                 int64_t ncols, const struct lq__tile_act *a, float *y, int64_t ldy);
/* The codes of a panel block from 16 rows of codes, stride bytes apart:
 * out[(t * 16 + r) * 4 + e] = rows[r * stride + 4 * t + e] for t < quads. */
typedef void (*lq__tile_transpose_fn)(const uint8_t *rows, size_t stride, int quads, uint8_t *out);
/* The codes of one block of `rows` weight rows of type (bits for the linear
 * types), whose bytes are at src[r] (a ggml block, or a linear row's codes),
 * as tile.h defines them, into u + r * stride; 0 when this level leaves the
 * type to the portable code of tile_pack.c. */
typedef int (*lq__tile_codes_fn)(lq_type type, int bits, const uint8_t *const *src, int rows,
                                 uint8_t *u, size_t stride);

/* The end of one 2 x 4 tile of a W8A8 kernel (every level's gemm_i8 works
 * in such tiles): the vector sums of the first kdone products of activation
 * rows i0.. (ni of them) with weight rows j0.. (nj), plus the remaining
 * products, scaled into y. */
static inline void lq__gemm_i8_tile_end(int32_t sums[2][4], int ni, int nj, int64_t i0,
                                        int64_t j0, int64_t k, int64_t kdone, const int8_t *x,
                                        const float *sx, const int8_t *w, const float *sw,
                                        float *y, int64_t ldy)
{
    for (int i = 0; i < ni; i++) {
        for (int j = 0; j < nj; j++) {
            const int8_t *xr = x + (i0 + i) * k, *wr = w + (j0 + j) * k;
            int32_t sum = sums[i][j];
            for (int64_t t = kdone; t < k; t++)
                sum += xr[t] * wr[t];
            y[(i0 + i) * ldy + j0 + j] = sx[i0 + i] * sw[j0 + j] * (float)sum;
        }
    }
}

typedef struct lq__kernels {
    lq__arch arch;
    lq__type_kernels t[LQ_TYPE_COUNT_];
    lq__vec_dot_fn dot_f32;   /* f32 . f32, any n */
    lq__quant_act_fn quant_q8_0; /* lq__quant_act_for(LQ_TYPE_Q8_0), or this level's bit-identical form */
    lq__quant_act_fn quant_q8_1; /* the same for LQ_TYPE_Q8_1 */
    lq__quant_act_fn quant_q8_k; /* and for LQ_TYPE_Q8_K */
    lq__exp_fn exp_f32;       /* vexp.h's e^x, as wide as the level's vectors */
    lq__to_f16_fn to_f16;     /* bit-identical to lq__f32_to_f16 on every level */
    lq__gemm_i8_fn gemm_i8;   /* any m, n, k */
    lq__lin_dequant_fn lin_dequant[LQ__LIN_SLOTS]; /* by lq__lin_slot(bits) */
    lq__lin_dot_fn lin_dot[LQ__LIN_SLOTS];
    lq__code_dequant_fn code_dequant[LQ__CODE_KINDS];
    lq__code_dot_fn code_dot[LQ__CODE_KINDS];
    lq__code_act_fn code_act[LQ__CODE_KINDS]; /* a level that replaces code_dot sets or clears it too */
    lq__code_dot_rows_fn code_dot_rows[LQ__CODE_KINDS]; /* NULL, or code_dot's many-row form: the same */
    lq__tile_gemm_fn tile_gemm[2]; /* [LQ__TILE_B32], [LQ__TILE_S256] */
    lq__tile_transpose_fn tile_transpose; /* quads a multiple of 8 */
    lq__tile_codes_fn tile_codes;
    /* lq_matmul's automatic choice: from this many rows of X on, decoding and
     * f32 sgemm beat this level's tile kernels (measured); 0: never */
    int64_t tile_f32_rows;
    int tile_wide_bias;            /* 0, or 128: codes above 127 read as signed u - 128 */
} lq__kernels;

/* Unroll the next short loop completely, so that shift counts and shuffle
 * controls that depend on its index become constants and small arrays of
 * vectors stay in registers. */
#define LQ__UNROLL _Pragma("GCC unroll 8")

/* Prefetch the weight bytes a row kernel will read LQ__PREFETCH_DISTANCE bytes
 * later. Hardware prefetchers stop at 4 KiB pages and leave one stream well
 * short of the memory bandwidth (measured here: q4_0 matrix-vector from DRAM,
 * one thread, 6.2 GB/s without, 11.7 GB/s with). A prefetch never faults, so
 * running past the end of the weights is harmless. */
#define LQ__PREFETCH_DISTANCE 8192
static inline void lq__prefetch(const void *p, size_t bytes)
{
    for (size_t o = 0; o < bytes; o += 64)
        __builtin_prefetch((const char *)p + LQ__PREFETCH_DISTANCE + o);
}

/* Every f16 bit pattern as float (built with the tables): a load is cheaper
 * than a scalar F16C conversion, whose moves between register files compete
 * with the vector shuffles of the block kernels. */
extern float lq__f16_table[1 << 16];
/* Every E8M0 byte (mxfp4's scales) and every UE4M3 byte (nvfp4's) as
 * lq__e8m0_half and lq__ue4m3_half give them: for the same reason, and a load
 * instead of their branches. */
extern float lq__e8m0_table[1 << 8];
extern float lq__ue4m3_table[1 << 8];
/* Every 7-bit sign code of iq2_xxs and iq2_xs as the signs of its 8 values,
 * 8 bytes of +1 or -1 (byte j -1 where bit j of lq__iq2_signs(code) is set). */
extern uint64_t lq__iq2_code_signs[1 << 7];
/* Fill the tables (once; thread-safe; f16_table.c). */
void lq__f16_table_init(void);

/* The table of the level this process runs (lq__arch_selected()). Never NULL. */
const lq__kernels *lq__kernels_get(void);

/* The table of one level, or NULL when the build lacks it or the CPU cannot
 * run it (for tests and benchmarks that compare levels). */
const lq__kernels *lq__kernels_for(lq__arch arch);

/* Decode one row of n elements of `type` to f16 with table k: the row kernel
 * to f32, then to_f16, a cache-sized piece at a time. k->t[type].dequant must
 * not be NULL. */
void lq__dequant_row_f16(const lq__kernels *k, lq_type type, const void *x, uint16_t *y,
                         int64_t n);

/* Activation quantizers, shared by every level so that activation bytes never
 * depend on the level (they cost O(k) per row against O(n k) for the product;
 * a level's quant_q8_0, quant_q8_1 and quant_q8_k are faster forms with the
 * same bytes).
 * Bit-exact with ggml's quantize_row_q8_0/q8_1/q8_K reference functions.
 * Returns NULL for other types. */
lq__quant_act_fn lq__quant_act_for(lq_type act_type);

/* The activation quantizer table k uses for act_type: its own form of q8_0,
 * q8_1 or q8_K (same bytes), else the shared one. */
static inline lq__quant_act_fn lq__level_quant_act(const lq__kernels *k, lq_type act_type)
{
    return act_type == LQ_TYPE_Q8_0   ? k->quant_q8_0
           : act_type == LQ_TYPE_Q8_1 ? k->quant_q8_1
           : act_type == LQ_TYPE_Q8_K ? k->quant_q8_k
                                      : lq__quant_act_for(act_type);
}

/* Bytes of one activation row of n elements in act_type (n a multiple of its
 * block; F32 is 4n). */
int64_t lq__act_row_bytes(lq_type act_type, int64_t n);

/* Build the table of a level into k: 0 when the build or CPU lacks it.
 * optional = 0 leaves out the optional extension of the level (VNNI on
 * AVX-512, dotprod on NEON) even where the CPU has it, for tests. */
int lq__kernels_build(lq__kernels *k, lq__arch arch, int optional);

/* Fill-in functions of each level; each overwrites the entries it has. */
void lq__kernels_fill_ref(lq__kernels *k);
void lq__kernels_fill_avx2(lq__kernels *k);
void lq__kernels_fill_avx512(lq__kernels *k);
void lq__kernels_fill_avx512_vnni(lq__kernels *k); /* after avx512, when lq__cpu_has_vnni() */
void lq__kernels_fill_neon(lq__kernels *k, int dotprod);
void lq__kernels_fill_neon_dotprod(lq__kernels *k); /* called by lq__kernels_fill_neon */

#endif
