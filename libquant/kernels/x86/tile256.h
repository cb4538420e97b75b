/* tile256.h — the tile kernels (tile.h) with 256-bit vectors, for avx2.c
 * (include once; the AVX-512 level without VNNI uses them too): the
 * transpose of codes into panels, and the products. A step takes half a
 * panel (8 weight rows, one int32 lane each) times MR activation rows; four
 * codes of each row times four activation bytes broadcast to every lane go
 * through vpmaddubsw (pairs summed in int16: the codes must be at most 128,
 * so wide types are read as signed u - 128 with the sign trick, and
 * tile_wide_bias is 128) and vpmaddwd, which also applies the sub-block
 * scales of the S256 family. Per output the integers and the float
 * operations are those of ref/tile.c, in its order: bit-identical results. */
#ifndef LQ_KERNELS_X86_TILE256_H
#define LQ_KERNELS_X86_TILE256_H

#include <immintrin.h>

#include "../tile.h"

/* 8 rows of 8 dwords to 8 columns: the classic three rounds of unpacks and
 * lane permutes; column t goes to out + 64 t (the panel's layout). */
static inline void t256_transpose8(const uint8_t *rows, size_t stride, uint8_t *out)
{
    __m256i r[8], t[8], u[8];
    for (int i = 0; i < 8; i++)
        r[i] = _mm256_loadu_si256((const __m256i *)(rows + (size_t)i * stride));
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
        u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
        u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
        u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    LQ__UNROLL
    for (int c = 0; c < 4; c++) {
        _mm256_storeu_si256((__m256i *)(out + 64 * c), _mm256_permute2x128_si256(u[c], u[c + 4], 0x20));
        _mm256_storeu_si256((__m256i *)(out + 64 * (c + 4)), _mm256_permute2x128_si256(u[c], u[c + 4], 0x31));
    }
}

static void tile_transpose_256(const uint8_t *rows, size_t stride, int quads, uint8_t *out)
{
    for (int g = 0; g < quads; g += 8, rows += 32, out += 8 * 64) {
        t256_transpose8(rows, stride, out);
        t256_transpose8(rows + 8 * stride, stride, out + 32);
    }
}

/* tile_codes (kernels.h) with the block helpers of kernels256.h, which
 * avx2.c includes first: the codes of a row's block in one or eight
 * vectors of 32. int3 and int2 are left to the portable code (the switch
 * returns 0 on the first row, before writing anything). */
static int tile_codes_256(lq_type type, int bits, const uint8_t *const *src, int rows, uint8_t *u,
                          size_t stride)
{
    const __m256i flip = _mm256_set1_epi8((char)0x80); /* signed code + 128 */
    for (int r = 0; r < rows; r++, u += stride) {
        const uint8_t *b = src[r];
        __m256i v[8];
        int nv = 1;
        switch (type) {
        case LQ_TYPE_Q4_0: v[0] = nibbles_split(((const lq__blk_q4_0 *)b)->qs); break;
        case LQ_TYPE_Q4_1: v[0] = nibbles_split(((const lq__blk_q4_1 *)b)->qs); break;
        case LQ_TYPE_Q5_0: v[0] = q5_codes(((const lq__blk_q5_0 *)b)->qs, ((const lq__blk_q5_0 *)b)->qh); break;
        case LQ_TYPE_Q5_1: v[0] = q5_codes(((const lq__blk_q5_1 *)b)->qs, ((const lq__blk_q5_1 *)b)->qh); break;
        case LQ_TYPE_Q8_0:
            v[0] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)((const lq__blk_q8_0 *)b)->qs), flip);
            break;
        case LQ_TYPE_IQ4_NL:
            v[0] = _mm256_xor_si256(nibbles_lookup(lq__iq4_levels, ((const lq__blk_iq4_nl *)b)->qs), flip);
            break;
        case LQ_TYPE_INT8: v[0] = _mm256_loadu_si256((const __m256i *)b); break;
        case LQ_TYPE_INT4: v[0] = nibbles_interleaved(b); break;
        case LQ_TYPE_Q2_K:
            nv = 8;
            k2_codes(((const lq__blk_q2_k *)b)->qs, v);
            k2_codes(((const lq__blk_q2_k *)b)->qs + 32, v + 4);
            break;
        case LQ_TYPE_Q3_K: {
            const lq__blk_q3_k *x = (const lq__blk_q3_k *)b;
            __m256i hm = _mm256_loadu_si256((const __m256i *)x->hmask);
            nv = 8;
            k2_codes(x->qs, v);
            k2_codes(x->qs + 32, v + 4);
            LQ__UNROLL
            for (int c = 0; c < 8; c++) /* + 4 where bit c of hmask[l] is set */
                v[c] = _mm256_or_si256(v[c], _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hm, c),
                                                                                _mm256_set1_epi8(1)), 2));
            break;
        }
        case LQ_TYPE_Q4_K:
            nv = 8;
            LQ__UNROLL
            for (int c = 0; c < 4; c++)
                q4_k_codes((const lq__blk_q4_k *)b, c, &v[2 * c], &v[2 * c + 1]);
            break;
        case LQ_TYPE_Q5_K:
            nv = 8;
            LQ__UNROLL
            for (int c = 0; c < 4; c++)
                q5_k_codes((const lq__blk_q5_k *)b, c, &v[2 * c], &v[2 * c + 1]);
            break;
        case LQ_TYPE_Q6_K:
            nv = 8;
            q6_codes(((const lq__blk_q6_k *)b)->ql, ((const lq__blk_q6_k *)b)->qh, v);
            q6_codes(((const lq__blk_q6_k *)b)->ql + 64, ((const lq__blk_q6_k *)b)->qh + 32, v + 4);
            break;
        case LQ_TYPE_IQ4_XS:
            nv = 8;
            LQ__UNROLL
            for (int j = 0; j < 8; j++)
                v[j] = _mm256_xor_si256(nibbles_lookup(lq__iq4_levels, ((const lq__blk_iq4_xs *)b)->qs + 16 * j), flip);
            break;
        default: return 0;
        }
        LQ__UNROLL
        for (int i = 0; i < 8; i++) /* a constant bound: v stays in registers */
            if (i < nv)
                _mm256_storeu_si256((__m256i *)(u + 32 * i), v[i]);
    }
    return 1;
}

enum { T256_MR = 4 };

#define T256_INLINE static inline __attribute__((always_inline))

static inline __m256i t256_bcast32(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* Where one step reads: the rows of X (the last valid one repeated past m),
 * and the half panel (rows 8 * half ... of the panel). */
typedef struct t256_step {
    const int8_t *x[T256_MR];
    int64_t ib[T256_MR]; /* row * nb */
    const uint8_t *pan;
    int half;
} t256_step;

/* Pair sums of codes u (at most 128) times activation bytes a, or for wide
 * codes (ws = u - 128 as signed bytes, aw = |ws|) through the sign trick. */
T256_INLINE __m256i t256_pairs(__m256i u, __m256i ws, __m256i aw, __m256i a, const int wide)
{
    return wide ? _mm256_maddubs_epi16(aw, _mm256_sign_epi8(a, ws)) : _mm256_maddubs_epi16(u, a);
}

T256_INLINE void t256_codes(const uint8_t *p, __m256i *u, __m256i *ws, __m256i *aw, const int wide)
{
    *u = _mm256_loadu_si256((const __m256i *)p);
    if (wide) {
        *ws = _mm256_xor_si256(*u, _mm256_set1_epi8((char)0x80));
        *aw = _mm256_abs_epi8(*ws);
    }
}

/* Pair sums stay in int16 for g16 quads (t256_run picks g16 from the
 * largest code: g16 quads of pairs at most 2 * umax * 127 each stay below
 * 2^15), then go to int32 through vpmaddwd. */
T256_INLINE void t256_b32(const lq__tile_format *f, const lq__tile_act *a, const t256_step *st,
                          __m256 acc[T256_MR], const int wide, const int g16, const int has_min,
                          const int has_zero)
{
    const __m256i ones = _mm256_set1_epi16(1);
    const size_t h = 32 * (size_t)st->half;
    LQ__UNROLL
    for (int i = 0; i < T256_MR; i++)
        acc[i] = _mm256_setzero_ps();
    for (int64_t b = 0; b < a->nb; b++) {
        const uint8_t *w = st->pan + (size_t)b * f->block_bytes;
        __m256i s[T256_MR];
        LQ__UNROLL
        for (int i = 0; i < T256_MR; i++)
            s[i] = _mm256_set1_epi32(a->corr[st->ib[i] + b]);
        for (int t0 = 0; t0 < 8; t0 += g16) {
            __m256i p[T256_MR];
            LQ__UNROLL
            for (int i = 0; i < T256_MR; i++)
                p[i] = _mm256_setzero_si256();
            /* a loop, not unrolled: unrolled, GCC reassociates the int16
             * sums into trees whose temporaries spill */
            _Pragma("GCC unroll 1")
            for (int t = t0; t < t0 + g16; t++) {
                __m256i u, ws = _mm256_setzero_si256(), aw = ws;
                t256_codes(w + 64 * t + h, &u, &ws, &aw, wide);
                LQ__UNROLL
                for (int i = 0; i < T256_MR; i++)
                    p[i] = _mm256_add_epi16(p[i], t256_pairs(u, ws, aw, t256_bcast32(st->x[i] + 32 * b + 4 * t), wide));
            }
            LQ__UNROLL
            for (int i = 0; i < T256_MR; i++)
                s[i] = _mm256_add_epi32(s[i], _mm256_madd_epi16(p[i], ones));
        }
        if (has_zero) {
            __m256i z = _mm256_loadu_si256((const __m256i *)(w + LQ__TILE_B32_EXTRA + h));
            LQ__UNROLL
            for (int i = 0; i < T256_MR; i++)
                s[i] = _mm256_sub_epi32(s[i], _mm256_mullo_epi32(z, _mm256_set1_epi32(a->asum[st->ib[i] + b])));
        }
        __m256 d = _mm256_loadu_ps((const float *)(w + LQ__TILE_B32_D + h));
        LQ__UNROLL
        for (int i = 0; i < T256_MR; i++)
            acc[i] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(a->d[st->ib[i] + b])),
                                     _mm256_cvtepi32_ps(s[i]), acc[i]);
        if (has_min) {
            __m256 m = _mm256_loadu_ps((const float *)(w + LQ__TILE_B32_EXTRA + h));
            LQ__UNROLL
            for (int i = 0; i < T256_MR; i++)
                acc[i] = _mm256_fmadd_ps(m, _mm256_set1_ps(a->s[st->ib[i] + b]), acc[i]);
        }
    }
}

T256_INLINE void t256_s256(const lq__tile_format *f, const lq__tile_act *a, const t256_step *st,
                           __m256 acc[T256_MR], const int wide, const int g16, const int sub,
                           const int has_min)
{
    const int nsub = 256 / sub;
    const size_t h = 32 * (size_t)st->half, mm_at = lq__tile_s256_mm(f), d_at = lq__tile_s256_d(f);
    const __m256i off = _mm256_set1_epi32(f->offset - a->bias);
    LQ__UNROLL
    for (int i = 0; i < T256_MR; i++)
        acc[i] = _mm256_setzero_ps();
    for (int64_t b = 0; b < a->nb; b++) {
        const uint8_t *w = st->pan + (size_t)b * f->block_bytes;
        __m256i isum[T256_MR], msum[T256_MR];
        LQ__UNROLL
        for (int i = 0; i < T256_MR; i++)
            isum[i] = msum[i] = _mm256_setzero_si256();
        LQ__UNROLL
        for (int j = 0; j < nsub; j++) {
            /* the rows' scales of sub-block j as int16 pairs (sc, sc) */
            __m256i sc = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(w + LQ__TILE_S256_SC + 16 * j + h / 4)));
            sc = _mm256_or_si256(_mm256_and_si256(sc, _mm256_set1_epi32(0xFFFF)), _mm256_slli_epi32(sc, 16));
            for (int t0 = j * sub / 4; t0 < (j + 1) * sub / 4; t0 += g16) {
                __m256i p[T256_MR];
                LQ__UNROLL
                for (int i = 0; i < T256_MR; i++)
                    p[i] = _mm256_setzero_si256();
                _Pragma("GCC unroll 1") /* as in t256_b32 */
                for (int t = t0; t < t0 + g16; t++) {
                    __m256i u, ws = _mm256_setzero_si256(), aw = ws;
                    t256_codes(w + 64 * t + h, &u, &ws, &aw, wide);
                    LQ__UNROLL
                    for (int i = 0; i < T256_MR; i++)
                        p[i] = _mm256_add_epi16(p[i], t256_pairs(u, ws, aw, t256_bcast32(st->x[i] + 256 * b + 4 * t), wide));
                }
                LQ__UNROLL
                for (int i = 0; i < T256_MR; i++)
                    isum[i] = _mm256_add_epi32(isum[i], _mm256_madd_epi16(p[i], sc));
            }
        }
        LQ__UNROLL
        for (int pp = 0; pp < nsub / 2; pp++) {
            __m256i mv = _mm256_loadu_si256((const __m256i *)(w + mm_at + 64 * pp + h));
            LQ__UNROLL
            for (int i = 0; i < T256_MR; i++)
                msum[i] = _mm256_add_epi32(msum[i], _mm256_madd_epi16(mv, _mm256_set1_epi32(a->bs[8 * (st->ib[i] + b) + pp])));
        }
        __m256 d = _mm256_loadu_ps((const float *)(w + d_at + h));
        __m256 dmin = _mm256_loadu_ps((const float *)(w + d_at + 4 * LQ__TILE_ROWS + h));
        LQ__UNROLL
        for (int i = 0; i < T256_MR; i++) {
            __m256 da = _mm256_set1_ps(a->d[st->ib[i] + b]);
            if (has_min) {
                acc[i] = _mm256_fmadd_ps(_mm256_mul_ps(d, da), _mm256_cvtepi32_ps(isum[i]), acc[i]);
                acc[i] = _mm256_fnmadd_ps(_mm256_mul_ps(dmin, da), _mm256_cvtepi32_ps(msum[i]), acc[i]);
            } else {
                __m256i v = _mm256_sub_epi32(isum[i], _mm256_mullo_epi32(off, msum[i]));
                acc[i] = _mm256_fmadd_ps(_mm256_mul_ps(d, da), _mm256_cvtepi32_ps(v), acc[i]);
            }
        }
    }
}

/* One function per combination of the constant arguments that some type
 * has (kept apart, so that each gets its own register allocation). */
typedef void (*t256_fn)(const lq__tile_format *f, const lq__tile_act *a, const t256_step *st,
                        __m256 acc[T256_MR]);
#define T256_B32(name, wide, g16, has_min, has_zero)                                              \
    static void name(const lq__tile_format *f, const lq__tile_act *a, const t256_step *st,        \
                     __m256 acc[T256_MR])                                                         \
    {                                                                                             \
        t256_b32(f, a, st, acc, wide, g16, has_min, has_zero);                                    \
    }
#define T256_S256(name, wide, g16, sub, has_min)                                                  \
    static void name(const lq__tile_format *f, const lq__tile_act *a, const t256_step *st,        \
                     __m256 acc[T256_MR])                                                         \
    {                                                                                             \
        t256_s256(f, a, st, acc, wide, g16, sub, has_min);                                        \
    }
T256_B32(t256_b32_wide, 1, 1, 0, 0)        /* q8_0, iq4_nl, int8 */
T256_B32(t256_b32_wide_zero, 1, 1, 0, 1)   /* int8 asym */
T256_B32(t256_b32_g8, 0, 8, 0, 0)          /* q4_0, int4 / int3 / int2 */
T256_B32(t256_b32_g8_min, 0, 8, 1, 0)      /* q4_1 */
T256_B32(t256_b32_g8_zero, 0, 8, 0, 1)     /* int4 / int3 / int2 asym */
T256_B32(t256_b32_g4, 0, 4, 0, 0)          /* q5_0 */
T256_B32(t256_b32_g4_min, 0, 4, 1, 0)      /* q5_1 */
T256_S256(t256_s16_g4_min, 0, 4, 16, 1)    /* q2_k */
T256_S256(t256_s16_g4, 0, 4, 16, 0)        /* q3_k */
T256_S256(t256_s16_g2, 0, 2, 16, 0)        /* q6_k */
T256_S256(t256_s32_g8_min, 0, 8, 32, 1)    /* q4_k */
T256_S256(t256_s32_g4_min, 0, 4, 32, 1)    /* q5_k */
T256_S256(t256_s32_wide, 1, 1, 32, 0)      /* iq4_xs */
#undef T256_B32
#undef T256_S256

/* The kernel of a format. Pair sums of g16 quads stay in int16: each pair
 * is at most 2 * umax * 127, so g16 = 8 for codes up to 15, 4 up to 31, 2 up
 * to 63, and 1 for the sign trick (at most 2 * 128 * 127). */
static t256_fn t256_kernel(const lq__tile_format *f, const lq__tile_act *a)
{
    int wide = f->wide && a->bias; /* codes above 127 read as signed */
    if (f->family == LQ__TILE_B32) {
        if (wide)
            return f->has_zero ? t256_b32_wide_zero : t256_b32_wide;
        if (f->umax <= 15)
            return f->has_min ? t256_b32_g8_min : f->has_zero ? t256_b32_g8_zero : t256_b32_g8;
        return f->has_min ? t256_b32_g4_min : t256_b32_g4;
    }
    if (wide)
        return t256_s32_wide;
    if (f->sub == 16)
        return f->has_min ? t256_s16_g4_min : f->umax <= 31 ? t256_s16_g4 : t256_s16_g2;
    return f->umax <= 15 ? t256_s32_g8_min : t256_s32_g4_min;
}

/* The activation rows MR at a time (they stay in L1), and for each, the
 * chunk's half panels (from L2). */
static void tile_gemm_256(const lq__tile_format *f, const uint8_t *panels, int64_t ncols,
                          const lq__tile_act *a, float *y, int64_t ldy)
{
    size_t panel_bytes = (size_t)a->nb * f->block_bytes;
    t256_fn kernel = t256_kernel(f, a);
    for (int64_t i0 = 0; i0 < a->m; i0 += T256_MR) {
        int mr = a->m - i0 < T256_MR ? (int)(a->m - i0) : T256_MR;
        t256_step st;
        LQ__UNROLL
        for (int i = 0; i < T256_MR; i++) {
            int64_t row = i0 + (i < mr ? i : mr - 1);
            st.x[i] = a->q + row * a->k;
            st.ib[i] = row * a->nb;
        }
        for (int64_t j = 0; j < ncols; j += 8) {
            st.pan = panels + (size_t)(j / LQ__TILE_ROWS) * panel_bytes;
            st.half = (int)(j % LQ__TILE_ROWS) / 8;
            __m256 acc[T256_MR];
            kernel(f, a, &st, acc);
            /* a masked store only for the last, partial 8 columns: vmaskmovps
             * to memory is many times slower than a plain store on AMD's
             * Zen cores (2.5 % of a Q8_0 prefill of the 512-wide fixture) */
            if (ncols - j >= 8) {
                for (int i = 0; i < mr; i++)
                    _mm256_storeu_ps(y + (i0 + i) * ldy + j, acc[i]);
            } else {
                __m256i keep = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(ncols - j)),
                                                  _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
                for (int i = 0; i < mr; i++)
                    _mm256_maskstore_ps(y + (i0 + i) * ldy + j, keep, acc[i]);
            }
        }
    }
}

static inline void fill_tile_256(lq__kernels *k)
{
    k->tile_transpose = tile_transpose_256;
    k->tile_codes = tile_codes_256;
    k->tile_gemm[LQ__TILE_B32] = tile_gemm_256;
    k->tile_gemm[LQ__TILE_S256] = tile_gemm_256;
    k->tile_wide_bias = 128;
}

#endif
