/* ref.h — the scalar reference kernels (internal). Each SIMD kernel is tested
 * against its twin here. */
#ifndef LQ_KERNELS_REF_H
#define LQ_KERNELS_REF_H

#include <stddef.h>
#include <stdint.h>

#include <lq/lq_types.h>

#include "../../core/type_list.h"

/* The row dot products: the plain float types' and those of the ggml types
 * whose row in core/type_list.h has kernels. */
#define LQ__REF_DECLARE(t) float lq__ref_dot_##t(int64_t n, const void *w, const void *a);
#define LQ__REF_DECLARE_GGML(T, n, v, g, be, bb, bits, fl, act, kern, ...) \
    LQ__IF_KERNELS_REF_##kern(LQ__REF_DECLARE(n))
LQ__REF_DECLARE(f32)
LQ__REF_DECLARE(f16)
LQ__REF_DECLARE(bf16)
LQ__GGML_TYPES(LQ__REF_DECLARE_GGML)
#undef LQ__REF_DECLARE_GGML
#undef LQ__REF_DECLARE

/* The plain float types' decoders; the ggml types use their codecs'. */
void lq__ref_dequant_f32(const void *x, float *y, int64_t n);
void lq__ref_dequant_f16(const void *x, float *y, int64_t n);
void lq__ref_dequant_bf16(const void *x, float *y, int64_t n);

void lq__ref_gemm_i8(int64_t m, int64_t n, int64_t k, const int8_t *x, const float *sx,
                     const int8_t *w, const float *sw, float *y, int64_t ldy);
struct lq__kernels;
/* The linear (int8/int4/int3/int2) and code-table (nf4/fp4/fp8) kernels of
 * the reference level: ref/linear.c, ref/code.c. */
void lq__ref_fill_linear(struct lq__kernels *k);
void lq__ref_fill_codes(struct lq__kernels *k);
void lq__ref_to_f16(const float *x, uint16_t *y, int64_t n);
struct lq__tile_format;
struct lq__tile_act;
/* The tile kernel of both families (ref/tile.c), the specification of tile.h. */
void lq__ref_tile_gemm(const struct lq__tile_format *f, const uint8_t *panels, int64_t ncols,
                       const struct lq__tile_act *a, float *y, int64_t ldy);
void lq__ref_tile_transpose(const uint8_t *rows, size_t stride, int quads, uint8_t *out);
int lq__ref_tile_codes(lq_type type, int bits, const uint8_t *const *src, int rows, uint8_t *u,
                       size_t stride);

#endif
