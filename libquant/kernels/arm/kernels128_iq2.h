/* kernels128_iq2.h — the NEON kernels of the 2-bit i-quants (iq2_xxs,
 * iq2_xs, iq2_s; q8_K activations). Part of kernels128.h, which includes it
 * after its block helpers (store16_scaled, dot_i8x16) and before its fill
 * function; layouts in formats/ggml_blocks.h.
 *
 * 16 values are two codebook points (8 bytes of 8, 25 or 43 each) negated
 * under their sign bits, which fit signed bytes, so the dot products are
 * plain signed byte dots. */
#ifndef LQ_KERNELS_ARM_KERNELS128_IQ2_H
#define LQ_KERNELS_ARM_KERNELS128_IQ2_H

/* Two points with their sign bytes as 16 signed values. */
static inline int8x16_t iq2_values(uint64_t p0, uint64_t p1, unsigned s0, unsigned s1)
{
    const int8x16_t v = vreinterpretq_s8_u8(vcombine_u8(vcreate_u8(p0), vcreate_u8(p1)));
    const uint8x16_t bits = vreinterpretq_u8_u64(vdupq_n_u64(0x8040201008040201ULL));
    const uint8x16_t m = vtstq_u8(vcombine_u8(vdup_n_u8((uint8_t)s0), vdup_n_u8((uint8_t)s1)), bits);
    return vbslq_s8(m, vnegq_s8(v), v);
}

/* Values 16 j .. 16 j + 15 of a block and their scale code. */
static inline int8x16_t iq2_xxs_values(const lq__blk_iq2_xxs *b, int j, unsigned *code)
{
    uint32_t aux[2];
    memcpy(aux, b->qs + 4 * (j / 2), sizeof aux);
    const int l = 2 * (j % 2);
    *code = aux[1] >> 28;
    return iq2_values(lq__iq2xxs_grid[(aux[0] >> 8 * l) & 255], lq__iq2xxs_grid[(aux[0] >> 8 * (l + 1)) & 255],
                      lq__iq2_signs(aux[1] >> 7 * l), lq__iq2_signs(aux[1] >> 7 * (l + 1)));
}

static inline int8x16_t iq2_xs_values(const lq__blk_iq2_xs *b, int j, unsigned *code)
{
    const unsigned q0 = b->qs[2 * j], q1 = b->qs[2 * j + 1];
    *code = (b->scales[j / 2] >> 4 * (j % 2)) & 15;
    return iq2_values(lq__iq2xs_grid[q0 & 511], lq__iq2xs_grid[q1 & 511], lq__iq2_signs(q0 >> 9),
                      lq__iq2_signs(q1 >> 9));
}

static inline int8x16_t iq2_s_values(const lq__blk_iq2_s *b, int j, unsigned *code)
{
    const int g = 2 * j;
    const unsigned h = b->qh[g / 4];
    const int p0 = b->qs[g] | ((h << (8 - 2 * (g % 4))) & 0x300);
    const int p1 = b->qs[g + 1] | ((h << (6 - 2 * (g % 4))) & 0x300);
    *code = (b->scales[j / 2] >> 4 * (j % 2)) & 15;
    return iq2_values(lq__iq2s_grid[p0], lq__iq2s_grid[p1], b->qs[32 + g], b->qs[33 + g]);
}

/* dequant_<t> and dot_<t>: the scale d (0.5 + code) / 4 per 16 values in
 * the reference's order of operations; the dot sums (2 code + 1) times the
 * signed byte dots and multiplies by 1/8 at the end. */
#define IQ2_KERNELS(t)                                                                             \
    static void dequant_##t(const void *x, float *y, int64_t n)                                    \
    {                                                                                              \
        const lq__blk_##t *b = x;                                                                  \
        for (int64_t i = 0; i < n / LQ__QK_K; i++, b++) {                                          \
            const float d = f16_val(b->d);                                                         \
            for (int j = 0; j < 16; j++, y += 16) {                                                \
                unsigned code;                                                                     \
                const int8x16_t v = t##_values(b, j, &code);                                       \
                store16_scaled(v, vdupq_n_f32(d * (0.5f + (float)code) * 0.25f), y);               \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    static float dot_##t(int64_t n, const void *vw, const void *va)                                \
    {                                                                                              \
        const lq__blk_##t *w = vw;                                                                 \
        const lq__blk_q8_k *a = va;                                                                \
        float32x4_t acc = vdupq_n_f32(0);                                                          \
        for (int64_t i = 0; i < n / LQ__QK_K; i++) {                                               \
            lq__prefetch(&w[i], sizeof *w);                                                        \
            int32x4_t sumi = vdupq_n_s32(0);                                                       \
            for (int j = 0; j < 16; j++) {                                                         \
                unsigned code;                                                                     \
                const int8x16_t v = t##_values(&w[i], j, &code);                                   \
                sumi = vmlaq_n_s32(sumi, dot_i8x16(vdupq_n_s32(0), v, vld1q_s8(a[i].qs + 16 * j)), \
                                   (int32_t)(2 * code + 1));                                       \
            }                                                                                      \
            acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sumi), a[i].d * f16_val(w[i].d));                 \
        }                                                                                          \
        return 0.125f * vaddvq_f32(acc);                                                           \
    }

IQ2_KERNELS(iq2_xxs)
IQ2_KERNELS(iq2_xs)
IQ2_KERNELS(iq2_s)
#undef IQ2_KERNELS

#endif
