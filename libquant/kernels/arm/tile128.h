/* tile128.h — the tile kernels (tile.h) with NEON, for neon.c and
 * neon_dotprod.c (include once, after kernels128.h). A step takes half a
 * panel (8 weight rows, two vectors of 4 int32 lanes) times MR activation
 * rows; t128_dot4 multiplies four codes of each of 4 rows by four activation
 * bytes duplicated to every lane (one SDOT with dotprod). Its operands are
 * signed bytes, so codes above 127 are read as u - 128 (tile_wide_bias 128).
 * Per output the integers and the float operations are those of
 * ref/tile.c, in its order: bit-identical results. Panels are packed by the
 * portable code (tile_pack.c and the reference transpose). */
#ifndef LQ_KERNELS_ARM_TILE128_H
#define LQ_KERNELS_ARM_TILE128_H

#include <arm_neon.h>

#include "../tile.h"

enum { T128_MR = 4 };

#define T128_INLINE static inline __attribute__((always_inline))

/* acc + the four int32 sums of four products in each 4-byte group (lane r:
 * bytes 4r ... 4r + 3 of w and a): one SDOT with dotprod. Without it the
 * products pass through int16 (|w a| <= 128 * 127) and are added in pairs,
 * then pairs of pairs, so that each lane keeps its own group. */
static inline int32x4_t t128_dot4(int32x4_t acc, int8x16_t w, int8x16_t a)
{
#if defined(__ARM_FEATURE_DOTPROD)
    return vdotq_s32(acc, w, a);
#else
    int32x4_t lo = vpaddlq_s16(vmull_s8(vget_low_s8(w), vget_low_s8(a)));
    int32x4_t hi = vpaddlq_s16(vmull_high_s8(w, a));
    return vaddq_s32(acc, vpaddq_s32(lo, hi));
#endif
}

/* Four activation bytes in every lane. */
static inline int8x16_t t128_bcast(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return vreinterpretq_s8_s32(vdupq_n_s32(v));
}

/* 16 codes (4 rows x 4) as signed bytes: u, or u - 128 for wide codes. */
T128_INLINE int8x16_t t128_codes(const uint8_t *p, const int wide)
{
    uint8x16_t u = vld1q_u8(p);
    return vreinterpretq_s8_u8(wide ? veorq_u8(u, vdupq_n_u8(0x80)) : u);
}

static inline float32x4_t t128_ld_f32(const uint8_t *p)
{
    float v[4];
    memcpy(v, p, sizeof v);
    return vld1q_f32(v);
}

static inline int32x4_t t128_ld_i32(const uint8_t *p)
{
    int32_t v[4];
    memcpy(v, p, sizeof v);
    return vld1q_s32(v);
}

/* Where one step reads: the rows of X (the last valid one repeated past m),
 * and the half panel (rows 8 * half ... of the panel). */
typedef struct t128_step {
    const int8_t *x[T128_MR];
    int64_t ib[T128_MR]; /* row * nb */
    const uint8_t *pan;
    int half;
} t128_step;

T128_INLINE void t128_b32(const lq__tile_format *f, const lq__tile_act *a, const t128_step *st,
                          float32x4_t acc[T128_MR][2], const int wide, const int has_min,
                          const int has_zero)
{
    const size_t h = 32 * (size_t)st->half;
    LQ__UNROLL
    for (int i = 0; i < T128_MR; i++)
        acc[i][0] = acc[i][1] = vdupq_n_f32(0.0f);
    for (int64_t b = 0; b < a->nb; b++) {
        const uint8_t *w = st->pan + (size_t)b * f->block_bytes;
        int32x4_t s[T128_MR][2];
        LQ__UNROLL
        for (int i = 0; i < T128_MR; i++)
            s[i][0] = s[i][1] = vdupq_n_s32(a->corr[st->ib[i] + b]);
        LQ__UNROLL
        for (int t = 0; t < 8; t++) {
            int8x16_t w0 = t128_codes(w + 64 * t + h, wide), w1 = t128_codes(w + 64 * t + h + 16, wide);
            LQ__UNROLL
            for (int i = 0; i < T128_MR; i++) {
                int8x16_t av = t128_bcast(st->x[i] + 32 * b + 4 * t);
                s[i][0] = t128_dot4(s[i][0], w0, av);
                s[i][1] = t128_dot4(s[i][1], w1, av);
            }
        }
        if (has_zero) {
            LQ__UNROLL
            for (int p = 0; p < 2; p++) {
                int32x4_t z = t128_ld_i32(w + LQ__TILE_B32_EXTRA + h + 16 * p);
                LQ__UNROLL
                for (int i = 0; i < T128_MR; i++)
                    s[i][p] = vmlsq_s32(s[i][p], z, vdupq_n_s32(a->asum[st->ib[i] + b]));
            }
        }
        LQ__UNROLL
        for (int p = 0; p < 2; p++) {
            float32x4_t d = t128_ld_f32(w + LQ__TILE_B32_D + h + 16 * p);
            LQ__UNROLL
            for (int i = 0; i < T128_MR; i++)
                acc[i][p] = vfmaq_f32(acc[i][p], vmulq_f32(d, vdupq_n_f32(a->d[st->ib[i] + b])),
                                      vcvtq_f32_s32(s[i][p]));
            if (has_min) {
                float32x4_t m = t128_ld_f32(w + LQ__TILE_B32_EXTRA + h + 16 * p);
                LQ__UNROLL
                for (int i = 0; i < T128_MR; i++)
                    acc[i][p] = vfmaq_f32(acc[i][p], m, vdupq_n_f32(a->s[st->ib[i] + b]));
            }
        }
    }
}

T128_INLINE void t128_s256(const lq__tile_format *f, const lq__tile_act *a, const t128_step *st,
                           float32x4_t acc[T128_MR][2], const int wide, const int sub,
                           const int has_min)
{
    const int nsub = 256 / sub;
    const size_t h = 32 * (size_t)st->half, mm_at = lq__tile_s256_mm(f), d_at = lq__tile_s256_d(f);
    const int32x4_t off = vdupq_n_s32(f->offset - a->bias);
    LQ__UNROLL
    for (int i = 0; i < T128_MR; i++)
        acc[i][0] = acc[i][1] = vdupq_n_f32(0.0f);
    for (int64_t b = 0; b < a->nb; b++) {
        const uint8_t *w = st->pan + (size_t)b * f->block_bytes;
        int32x4_t isum[T128_MR][2], msum[T128_MR][2];
        LQ__UNROLL
        for (int i = 0; i < T128_MR; i++)
            isum[i][0] = isum[i][1] = msum[i][0] = msum[i][1] = vdupq_n_s32(0);
        for (int j = 0; j < nsub; j++) {
            int32x4_t s[T128_MR][2];
            LQ__UNROLL
            for (int i = 0; i < T128_MR; i++)
                s[i][0] = s[i][1] = vdupq_n_s32(0);
            LQ__UNROLL
            for (int t = j * sub / 4; t < (j + 1) * sub / 4; t++) {
                int8x16_t w0 = t128_codes(w + 64 * t + h, wide), w1 = t128_codes(w + 64 * t + h + 16, wide);
                LQ__UNROLL
                for (int i = 0; i < T128_MR; i++) {
                    int8x16_t av = t128_bcast(st->x[i] + 256 * b + 4 * t);
                    s[i][0] = t128_dot4(s[i][0], w0, av);
                    s[i][1] = t128_dot4(s[i][1], w1, av);
                }
            }
            /* the 8 rows' scales of sub-block j, widened to int32 */
            int16x8_t sc = vmovl_s8(vld1_s8((const int8_t *)(w + LQ__TILE_S256_SC + 16 * j + h / 4)));
            int32x4_t sc0 = vmovl_s16(vget_low_s16(sc)), sc1 = vmovl_high_s16(sc);
            LQ__UNROLL
            for (int i = 0; i < T128_MR; i++) {
                isum[i][0] = vmlaq_s32(isum[i][0], s[i][0], sc0);
                isum[i][1] = vmlaq_s32(isum[i][1], s[i][1], sc1);
            }
        }
        for (int pp = 0; pp < nsub / 2; pp++) {
            LQ__UNROLL
            for (int p = 0; p < 2; p++) {
                /* lane r: mm[r][0] * bs0 + mm[r][1] * bs1 */
                int16x8_t mv = vreinterpretq_s16_s32(t128_ld_i32(w + mm_at + 64 * pp + h + 16 * p));
                LQ__UNROLL
                for (int i = 0; i < T128_MR; i++) {
                    int16x8_t bs = vreinterpretq_s16_s32(vdupq_n_s32(a->bs[8 * (st->ib[i] + b) + pp]));
                    int32x4_t prod = vpaddq_s32(vmull_s16(vget_low_s16(mv), vget_low_s16(bs)),
                                                vmull_high_s16(mv, bs));
                    msum[i][p] = vaddq_s32(msum[i][p], prod);
                }
            }
        }
        LQ__UNROLL
        for (int p = 0; p < 2; p++) {
            float32x4_t d = t128_ld_f32(w + d_at + h + 16 * p);
            float32x4_t dmin = t128_ld_f32(w + d_at + 4 * LQ__TILE_ROWS + h + 16 * p);
            LQ__UNROLL
            for (int i = 0; i < T128_MR; i++) {
                float32x4_t da = vdupq_n_f32(a->d[st->ib[i] + b]);
                if (has_min) {
                    acc[i][p] = vfmaq_f32(acc[i][p], vmulq_f32(d, da), vcvtq_f32_s32(isum[i][p]));
                    acc[i][p] = vfmsq_f32(acc[i][p], vmulq_f32(dmin, da), vcvtq_f32_s32(msum[i][p]));
                } else {
                    int32x4_t v = vmlsq_s32(isum[i][p], off, msum[i][p]);
                    acc[i][p] = vfmaq_f32(acc[i][p], vmulq_f32(d, da), vcvtq_f32_s32(v));
                }
            }
        }
    }
}

/* One function per combination of the constant arguments that some type
 * has (kept apart, so that each gets its own register allocation). */
typedef void (*t128_fn)(const lq__tile_format *f, const lq__tile_act *a, const t128_step *st,
                        float32x4_t acc[T128_MR][2]);
#define T128_B32(name, wide, has_min, has_zero)                                                   \
    static void name(const lq__tile_format *f, const lq__tile_act *a, const t128_step *st,        \
                     float32x4_t acc[T128_MR][2])                                                 \
    {                                                                                             \
        t128_b32(f, a, st, acc, wide, has_min, has_zero);                                         \
    }
#define T128_S256(name, wide, sub, has_min)                                                       \
    static void name(const lq__tile_format *f, const lq__tile_act *a, const t128_step *st,        \
                     float32x4_t acc[T128_MR][2])                                                 \
    {                                                                                             \
        t128_s256(f, a, st, acc, wide, sub, has_min);                                             \
    }
T128_B32(t128_b32_plain, 0, 0, 0)     /* q4_0, q5_0, symmetric int4 / int3 / int2 */
T128_B32(t128_b32_min, 0, 1, 0)       /* q4_1, q5_1 */
T128_B32(t128_b32_zero, 0, 0, 1)      /* asymmetric int4 / int3 / int2 */
T128_B32(t128_b32_wide, 1, 0, 0)      /* q8_0, iq4_nl, int8 */
T128_B32(t128_b32_wide_zero, 1, 0, 1) /* asymmetric int8 */
T128_S256(t128_s16_min, 0, 16, 1)     /* q2_k */
T128_S256(t128_s16, 0, 16, 0)         /* q3_k, q6_k */
T128_S256(t128_s32_min, 0, 32, 1)     /* q4_k, q5_k */
T128_S256(t128_s32_wide, 1, 32, 0)    /* iq4_xs */
#undef T128_B32
#undef T128_S256

static t128_fn t128_kernel(const lq__tile_format *f)
{
    if (f->family == LQ__TILE_B32) {
        if (f->wide)
            return f->has_zero ? t128_b32_wide_zero : t128_b32_wide;
        return f->has_min ? t128_b32_min : f->has_zero ? t128_b32_zero : t128_b32_plain;
    }
    if (f->wide)
        return t128_s32_wide;
    if (f->sub == 16)
        return f->has_min ? t128_s16_min : t128_s16;
    return t128_s32_min;
}

/* The activation rows MR at a time (they stay in L1), and for each, the
 * chunk's half panels (from L2). */
static void tile_gemm_128(const lq__tile_format *f, const uint8_t *panels, int64_t ncols,
                          const lq__tile_act *a, float *y, int64_t ldy)
{
    size_t panel_bytes = (size_t)a->nb * f->block_bytes;
    t128_fn kernel = t128_kernel(f);
    for (int64_t i0 = 0; i0 < a->m; i0 += T128_MR) {
        int mr = a->m - i0 < T128_MR ? (int)(a->m - i0) : T128_MR;
        t128_step st;
        for (int i = 0; i < T128_MR; i++) {
            int64_t row = i0 + (i < mr ? i : mr - 1);
            st.x[i] = a->q + row * a->k;
            st.ib[i] = row * a->nb;
        }
        for (int64_t j = 0; j < ncols; j += 8) {
            st.pan = panels + (size_t)(j / LQ__TILE_ROWS) * panel_bytes;
            st.half = (int)(j % LQ__TILE_ROWS) / 8;
            float32x4_t acc[T128_MR][2];
            kernel(f, a, &st, acc);
            int cols = ncols - j < 8 ? (int)(ncols - j) : 8;
            for (int i = 0; i < mr; i++) {
                float out[8];
                vst1q_f32(out, acc[i][0]);
                vst1q_f32(out + 4, acc[i][1]);
                memcpy(y + (i0 + i) * ldy + j, out, sizeof(float) * (size_t)cols);
            }
        }
    }
}

static inline void fill_tile_128(lq__kernels *k)
{
    k->tile_gemm[LQ__TILE_B32] = tile_gemm_128;
    k->tile_gemm[LQ__TILE_S256] = tile_gemm_128;
    k->tile_wide_bias = 128;
}

#endif
