/* tile512.h — the tile kernels (tile.h) with 512-bit vectors and VNNI, for
 * avx512_vnni.c (include once). One vpdpbusd multiplies four codes of each of
 * a panel's 16 rows by four activation bytes broadcast to every lane: the
 * lanes are the rows, so block sums need no horizontal reduction. A step
 * takes NP panels (32 weight rows) times MR activation rows, so each weight
 * vector serves MR rows of X and each broadcast NP panels; per output the
 * integers and the float operations are those of ref/tile.c, in its order,
 * so the results are bit-identical to it. Codes are read as unsigned bytes
 * (tile_wide_bias 0). */
#ifndef LQ_KERNELS_X86_TILE512_H
#define LQ_KERNELS_X86_TILE512_H

#include <immintrin.h>

#include "../tile.h"

enum { T512_MR = 4, T512_NP = 2 };

#define T512_INLINE static inline __attribute__((always_inline))

static inline __m512i t512_bcast32(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}

/* Where one MR x NP step reads: the rows of X (the last valid one repeated
 * past m) and the panels (the last one repeated past the chunk). */
typedef struct t512_step {
    const int8_t *x[T512_MR];
    int64_t ib[T512_MR]; /* row * nb: index of the row's first block in the act arrays */
    const uint8_t *pan[T512_NP];
} t512_step;

T512_INLINE void t512_b32(const lq__tile_format *f, const lq__tile_act *a, const t512_step *st,
                          __m512 acc[T512_MR][T512_NP], const int has_min, const int has_zero)
{
    LQ__UNROLL
    for (int i = 0; i < T512_MR; i++)
        LQ__UNROLL
        for (int p = 0; p < T512_NP; p++)
            acc[i][p] = _mm512_setzero_ps();
    for (int64_t b = 0; b < a->nb; b++) {
        const uint8_t *w[T512_NP];
        __m512i s[T512_MR][T512_NP];
        LQ__UNROLL
        for (int p = 0; p < T512_NP; p++)
            w[p] = st->pan[p] + (size_t)b * f->block_bytes;
        LQ__UNROLL
        for (int i = 0; i < T512_MR; i++) {
            __m512i c = _mm512_set1_epi32(a->corr[st->ib[i] + b]);
            LQ__UNROLL
            for (int p = 0; p < T512_NP; p++)
                s[i][p] = c;
        }
        LQ__UNROLL
        for (int t = 0; t < 8; t++) {
            __m512i wv[T512_NP];
            LQ__UNROLL
            for (int p = 0; p < T512_NP; p++)
                wv[p] = _mm512_loadu_si512(w[p] + 64 * t);
            LQ__UNROLL
            for (int i = 0; i < T512_MR; i++) {
                __m512i av = t512_bcast32(st->x[i] + 32 * b + 4 * t);
                LQ__UNROLL
                for (int p = 0; p < T512_NP; p++)
                    s[i][p] = _mm512_dpbusd_epi32(s[i][p], wv[p], av);
            }
        }
        if (has_zero) {
            LQ__UNROLL
            for (int p = 0; p < T512_NP; p++) {
                __m512i z = _mm512_loadu_si512(w[p] + LQ__TILE_B32_EXTRA);
                LQ__UNROLL
                for (int i = 0; i < T512_MR; i++)
                    s[i][p] = _mm512_sub_epi32(s[i][p], _mm512_mullo_epi32(z, _mm512_set1_epi32(a->asum[st->ib[i] + b])));
            }
        }
        __m512 d[T512_NP];
        LQ__UNROLL
        for (int p = 0; p < T512_NP; p++)
            d[p] = _mm512_loadu_ps(w[p] + LQ__TILE_B32_D);
        LQ__UNROLL
        for (int i = 0; i < T512_MR; i++) {
            __m512 da = _mm512_set1_ps(a->d[st->ib[i] + b]);
            LQ__UNROLL
            for (int p = 0; p < T512_NP; p++)
                acc[i][p] = _mm512_fmadd_ps(_mm512_mul_ps(d[p], da), _mm512_cvtepi32_ps(s[i][p]), acc[i][p]);
        }
        if (has_min) {
            LQ__UNROLL
            for (int p = 0; p < T512_NP; p++) {
                __m512 m = _mm512_loadu_ps(w[p] + LQ__TILE_B32_EXTRA);
                LQ__UNROLL
                for (int i = 0; i < T512_MR; i++)
                    acc[i][p] = _mm512_fmadd_ps(m, _mm512_set1_ps(a->s[st->ib[i] + b]), acc[i][p]);
            }
        }
    }
}

T512_INLINE void t512_s256(const lq__tile_format *f, const lq__tile_act *a, const t512_step *st,
                           __m512 acc[T512_MR][T512_NP], const int sub, const int has_min)
{
    const int nsub = 256 / sub;
    const size_t mm_at = lq__tile_s256_mm(f), d_at = lq__tile_s256_d(f);
    const __m512i off = _mm512_set1_epi32(f->offset - a->bias);
    LQ__UNROLL
    for (int i = 0; i < T512_MR; i++)
        LQ__UNROLL
        for (int p = 0; p < T512_NP; p++)
            acc[i][p] = _mm512_setzero_ps();
    for (int64_t b = 0; b < a->nb; b++) {
        const uint8_t *w[T512_NP];
        __m512i isum[T512_MR][T512_NP], msum[T512_MR][T512_NP];
        LQ__UNROLL
        for (int p = 0; p < T512_NP; p++)
            w[p] = st->pan[p] + (size_t)b * f->block_bytes;
        LQ__UNROLL
        for (int i = 0; i < T512_MR; i++)
            LQ__UNROLL
            for (int p = 0; p < T512_NP; p++)
                isum[i][p] = msum[i][p] = _mm512_setzero_si512();
        LQ__UNROLL
        for (int j = 0; j < nsub; j++) {
            __m512i s[T512_MR][T512_NP], sc[T512_NP];
            LQ__UNROLL
            for (int i = 0; i < T512_MR; i++)
                LQ__UNROLL
                for (int p = 0; p < T512_NP; p++)
                    s[i][p] = _mm512_setzero_si512();
            LQ__UNROLL
            for (int t = j * sub / 4; t < (j + 1) * sub / 4; t++) {
                __m512i wv[T512_NP];
                LQ__UNROLL
                for (int p = 0; p < T512_NP; p++)
                    wv[p] = _mm512_loadu_si512(w[p] + 64 * t);
                LQ__UNROLL
                for (int i = 0; i < T512_MR; i++) {
                    __m512i av = t512_bcast32(st->x[i] + 256 * b + 4 * t);
                    LQ__UNROLL
                    for (int p = 0; p < T512_NP; p++)
                        s[i][p] = _mm512_dpbusd_epi32(s[i][p], wv[p], av);
                }
            }
            LQ__UNROLL
            for (int p = 0; p < T512_NP; p++)
                sc[p] = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(w[p] + LQ__TILE_S256_SC + 16 * j)));
            LQ__UNROLL
            for (int i = 0; i < T512_MR; i++)
                LQ__UNROLL
                for (int p = 0; p < T512_NP; p++)
                    isum[i][p] = _mm512_add_epi32(isum[i][p], _mm512_mullo_epi32(s[i][p], sc[p]));
        }
        LQ__UNROLL
        for (int pp = 0; pp < nsub / 2; pp++) {
            __m512i mv[T512_NP];
            LQ__UNROLL
            for (int p = 0; p < T512_NP; p++)
                mv[p] = _mm512_loadu_si512(w[p] + mm_at + 64 * pp);
            LQ__UNROLL
            for (int i = 0; i < T512_MR; i++) {
                __m512i bs = _mm512_set1_epi32(a->bs[8 * (st->ib[i] + b) + pp]);
                LQ__UNROLL
                for (int p = 0; p < T512_NP; p++)
                    msum[i][p] = _mm512_dpwssd_epi32(msum[i][p], mv[p], bs);
            }
        }
        __m512 d[T512_NP], dmin[T512_NP];
        LQ__UNROLL
        for (int p = 0; p < T512_NP; p++) {
            d[p] = _mm512_loadu_ps(w[p] + d_at);
            dmin[p] = _mm512_loadu_ps(w[p] + d_at + 4 * LQ__TILE_ROWS);
        }
        LQ__UNROLL
        for (int i = 0; i < T512_MR; i++) {
            __m512 da = _mm512_set1_ps(a->d[st->ib[i] + b]);
            LQ__UNROLL
            for (int p = 0; p < T512_NP; p++) {
                if (has_min) {
                    acc[i][p] = _mm512_fmadd_ps(_mm512_mul_ps(d[p], da), _mm512_cvtepi32_ps(isum[i][p]), acc[i][p]);
                    acc[i][p] = _mm512_fnmadd_ps(_mm512_mul_ps(dmin[p], da), _mm512_cvtepi32_ps(msum[i][p]), acc[i][p]);
                } else {
                    __m512i v = _mm512_sub_epi32(isum[i][p], _mm512_mullo_epi32(off, msum[i][p]));
                    acc[i][p] = _mm512_fmadd_ps(_mm512_mul_ps(d[p], da), _mm512_cvtepi32_ps(v), acc[i][p]);
                }
            }
        }
    }
}

/* One function per combination of the constant arguments that some type
 * has (kept apart, so that each gets its own register allocation). */
typedef void (*t512_fn)(const lq__tile_format *f, const lq__tile_act *a, const t512_step *st,
                        __m512 acc[T512_MR][T512_NP]);
#define T512_B32(name, has_min, has_zero)                                                         \
    static void name(const lq__tile_format *f, const lq__tile_act *a, const t512_step *st,        \
                     __m512 acc[T512_MR][T512_NP])                                                \
    {                                                                                             \
        t512_b32(f, a, st, acc, has_min, has_zero);                                               \
    }
#define T512_S256(name, sub, has_min)                                                             \
    static void name(const lq__tile_format *f, const lq__tile_act *a, const t512_step *st,        \
                     __m512 acc[T512_MR][T512_NP])                                                \
    {                                                                                             \
        t512_s256(f, a, st, acc, sub, has_min);                                                   \
    }
T512_B32(t512_b32_plain, 0, 0) /* q4_0, q5_0, q8_0, iq4_nl, symmetric linear */
T512_B32(t512_b32_min, 1, 0)   /* q4_1, q5_1 */
T512_B32(t512_b32_zero, 0, 1)  /* asymmetric linear */
T512_S256(t512_s16_min, 16, 1) /* q2_k */
T512_S256(t512_s16, 16, 0)     /* q3_k, q6_k */
T512_S256(t512_s32_min, 32, 1) /* q4_k, q5_k */
T512_S256(t512_s32, 32, 0)     /* iq4_xs */
#undef T512_B32
#undef T512_S256

static t512_fn t512_kernel(const lq__tile_format *f)
{
    if (f->family == LQ__TILE_B32)
        return f->has_min ? t512_b32_min : f->has_zero ? t512_b32_zero : t512_b32_plain;
    if (f->sub == 16)
        return f->has_min ? t512_s16_min : t512_s16;
    return f->has_min ? t512_s32_min : t512_s32;
}

/* The activation rows MR at a time (they stay in L1), and for each, the
 * chunk's panels NP at a time (from L2). */
static void tile_gemm_512(const lq__tile_format *f, const uint8_t *panels, int64_t ncols,
                          const lq__tile_act *a, float *y, int64_t ldy)
{
    int64_t npan = (ncols + LQ__TILE_ROWS - 1) / LQ__TILE_ROWS;
    size_t panel_bytes = (size_t)a->nb * f->block_bytes;
    t512_fn kernel = t512_kernel(f);
    for (int64_t i0 = 0; i0 < a->m; i0 += T512_MR) {
        int mr = a->m - i0 < T512_MR ? (int)(a->m - i0) : T512_MR;
        t512_step st;
        LQ__UNROLL
        for (int i = 0; i < T512_MR; i++) {
            int64_t row = i0 + (i < mr ? i : mr - 1);
            st.x[i] = a->q + row * a->k;
            st.ib[i] = row * a->nb;
        }
        for (int64_t p0 = 0; p0 < npan; p0 += T512_NP) {
            LQ__UNROLL
            for (int p = 0; p < T512_NP; p++)
                st.pan[p] = panels + (size_t)(p0 + p < npan ? p0 + p : npan - 1) * panel_bytes;
            __m512 acc[T512_MR][T512_NP];
            kernel(f, a, &st, acc);
            for (int p = 0; p < T512_NP && p0 + p < npan; p++) {
                int64_t j = (p0 + p) * LQ__TILE_ROWS, cols = ncols - j < LQ__TILE_ROWS ? ncols - j : LQ__TILE_ROWS;
                __mmask16 keep = (__mmask16)((1u << cols) - 1u);
                for (int i = 0; i < mr; i++)
                    _mm512_mask_storeu_ps(y + (i0 + i) * ldy + j, keep, acc[i][p]);
            }
        }
    }
}

static inline void fill_tile_512(lq__kernels *k)
{
    k->tile_gemm[LQ__TILE_B32] = tile_gemm_512;
    k->tile_gemm[LQ__TILE_S256] = tile_gemm_512;
    k->tile_wide_bias = 0;
    k->tile_f32_rows = 0; /* 1.7-2.3x f32 sgemm at 512 rows, faster at every m */
}

#endif
