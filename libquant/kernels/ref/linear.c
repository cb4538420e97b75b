/* linear.c — scalar reference kernels for the linear int8 and int4 rows
 * (layout in formats/linear.h): decoding, and dot products with q8_0
 * activations, summed as integers per block of 32. */
#include "../../formats/ggml_blocks.h"
#include "../kernels.h"
#include "ref.h"

static int lin_code(const lq__lin_row *w, int bits, int64_t j)
{
    return bits == 8 ? w->codes[j] : (w->codes[j / 2] >> (4 * (j % 2))) & 0xF;
}

static void lin_dequant(int64_t k, const lq__lin_row *w, float *y, int bits)
{
    for (int64_t g = 0; g * w->group < k; g++) {
        float scale = lq__lin_scale(w, g);
        int zero = w->zeros ? w->zeros[g] : 1 << (bits - 1);
        for (int64_t j = g * w->group; j < (g + 1) * w->group; j++)
            y[j] = scale * (float)(lin_code(w, bits, j) - zero);
    }
}

static float lin_dot(int64_t k, const lq__lin_row *w, const void *va, int bits)
{
    const lq__blk_q8_0 *a = va;
    float s = 0.0f;
    for (int64_t b = 0; b < k / LQ__QK; b++) {
        int64_t g = b * LQ__QK / w->group;
        int zero = w->zeros ? w->zeros[g] : 1 << (bits - 1);
        int sum = 0;
        for (int j = 0; j < LQ__QK; j++)
            sum += (lin_code(w, bits, b * LQ__QK + j) - zero) * a[b].qs[j];
        s += lq__lin_scale(w, g) * lq__f16_to_f32(a[b].d) * (float)sum;
    }
    return s;
}

void lq__ref_lin8_dequant(int64_t k, const lq__lin_row *w, float *y) { lin_dequant(k, w, y, 8); }
void lq__ref_lin4_dequant(int64_t k, const lq__lin_row *w, float *y) { lin_dequant(k, w, y, 4); }
float lq__ref_lin8_dot(int64_t k, const lq__lin_row *w, const void *a) { return lin_dot(k, w, a, 8); }
float lq__ref_lin4_dot(int64_t k, const lq__lin_row *w, const void *a) { return lin_dot(k, w, a, 4); }
