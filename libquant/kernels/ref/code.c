/* code.c — scalar reference kernels for the code-table rows (nf4, fp4, fp8;
 * kernels.h lq__code_row): each value is looked up or converted exactly, then
 * multiplied by its block's scale once, as the codecs do. */
#include "../../formats/fp8.h"
#include "../kernels.h"
#include "ref.h"

static float value_code4(const lq__code_row *w, int64_t j)
{
    uint8_t byte = w->codes[j / 2];
    return w->table[j % 2 ? byte & 15 : byte >> 4];
}

static float value_e4m3(const lq__code_row *w, int64_t j)
{
    return lq__e4m3_to_f32(w->codes[j]);
}

static float value_e5m2(const lq__code_row *w, int64_t j)
{
    return lq__e5m2_to_f32(w->codes[j]);
}

#define CODE_KERNELS(kind)                                                                \
    static void kind##_dequant(int64_t k, const lq__code_row *w, float *y)                \
    {                                                                                     \
        for (int64_t j = 0; j < k; j++)                                                   \
            y[j] = value_##kind(w, j) * w->scales[j / w->block];                          \
    }                                                                                     \
    static float kind##_dot(int64_t k, const lq__code_row *w, const float *a)             \
    {                                                                                     \
        float s = 0.0f;                                                                   \
        for (int64_t j = 0; j < k; j++)                                                   \
            s += value_##kind(w, j) * w->scales[j / w->block] * a[j];                     \
        return s;                                                                         \
    }
CODE_KERNELS(code4)
CODE_KERNELS(e4m3)
CODE_KERNELS(e5m2)
#undef CODE_KERNELS

void lq__ref_fill_codes(lq__kernels *k)
{
    k->code_dequant[LQ__CODE_4BIT] = code4_dequant;
    k->code_dequant[LQ__CODE_E4M3] = e4m3_dequant;
    k->code_dequant[LQ__CODE_E5M2] = e5m2_dequant;
    k->code_dot[LQ__CODE_4BIT] = code4_dot;
    k->code_dot[LQ__CODE_E4M3] = e4m3_dot;
    k->code_dot[LQ__CODE_E5M2] = e5m2_dot;
}
