/* dot_iq2.c — the reference dot products of the 2-bit i-quants against
 * q8_K, as ggml's generic vec_dot: per super-block the integer sum over
 * groups of 8 of (2 s + 1) * (signed point . activations), s the group's
 * 4-bit scale code, then s += (d * a.d) * sum, and 0.125 * s at the end (the
 * scale d (0.5 + s) / 4 is d (2 s + 1) / 8). */
#include <string.h>

#include "../../formats/ggml_blocks.h"
#include "../kernels.h"
#include "ref.h"

/* A point with its 8 sign bits, dotted with 8 activations. */
static int dot8(uint64_t point, unsigned signs, const int8_t *a)
{
    int s = 0;
    for (int j = 0; j < 8; j++) {
        const int v = (int)((point >> 8 * j) & 255) * a[j];
        s += signs >> j & 1 ? -v : v;
    }
    return s;
}

float lq__ref_dot_iq2_xxs(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq2_xxs *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        int bsum = 0;
        for (int ib = 0; ib < 8; ib++) {
            uint32_t aux[2];
            memcpy(aux, w[i].qs + 4 * ib, sizeof aux);
            int sum = 0;
            for (int l = 0; l < 4; l++)
                sum += dot8(lq__iq2xxs_grid[(aux[0] >> 8 * l) & 255],
                            lq__iq2_signs(aux[1] >> 7 * l), a[i].qs + 32 * ib + 8 * l);
            bsum += sum * (int)(2 * (aux[1] >> 28) + 1);
        }
        s += lq__f16_to_f32(w[i].d) * a[i].d * (float)bsum;
    }
    return 0.125f * s;
}

float lq__ref_dot_iq2_xs(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq2_xs *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        int bsum = 0;
        for (int g = 0; g < 32; g++) {
            const unsigned q = w[i].qs[g];
            const int ls = 2 * ((w[i].scales[g / 4] >> 4 * (g / 2 % 2)) & 15) + 1;
            bsum += ls * dot8(lq__iq2xs_grid[q & 511], lq__iq2_signs(q >> 9), a[i].qs + 8 * g);
        }
        s += lq__f16_to_f32(w[i].d) * a[i].d * (float)bsum;
    }
    return 0.125f * s;
}

float lq__ref_dot_iq2_s(int64_t n, const void *vw, const void *va)
{
    const lq__blk_iq2_s *w = vw;
    const lq__blk_q8_k *a = va;
    float s = 0.0f;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        int bsum = 0;
        for (int g = 0; g < 32; g++) {
            const int p = w[i].qs[g] | ((w[i].qh[g / 4] << (8 - 2 * (g % 4))) & 0x300);
            const int ls = 2 * ((w[i].scales[g / 4] >> 4 * (g / 2 % 2)) & 15) + 1;
            bsum += ls * dot8(lq__iq2s_grid[p], w[i].qs[32 + g], a[i].qs + 8 * g);
        }
        s += lq__f16_to_f32(w[i].d) * a[i].d * (float)bsum;
    }
    return 0.125f * s;
}
