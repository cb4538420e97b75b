/* dequant.c — scalar reference decoding of a row of a plain float type to f32.
 * The ggml block types' reference decoders are their codecs' dequantize_row
 * (formats/ggml_*.c; fill.c puts them in the table). The SIMD levels must
 * reproduce both bit for bit. */
#include <string.h>

#include "../kernels.h"
#include "ref.h"

void lq__ref_dequant_f32(const void *x, float *y, int64_t n)
{
    memcpy(y, x, (size_t)n * sizeof *y);
}

void lq__ref_dequant_f16(const void *x, float *y, int64_t n)
{
    const uint8_t *p = x;
    for (int64_t i = 0; i < n; i++)
        y[i] = lq__ld_f16(p + 2 * i);
}

void lq__ref_dequant_bf16(const void *x, float *y, int64_t n)
{
    const uint8_t *p = x;
    for (int64_t i = 0; i < n; i++)
        y[i] = lq__bf16_to_f32(lq__ld_u16(p + 2 * i));
}
