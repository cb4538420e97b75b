/* avx512_vnni.c — the AVX-512 level's integer kernels on CPUs with VNNI
 * (vpdpbusd: 64 byte products summed into 16 int32 lanes in one instruction).
 * The 256-bit block kernels of kernels256.h are compiled again here, where
 * their integer dot primitive becomes vpdpbusd (so are the int3 / int2 dot
 * products of kernels256_codes.h and kernels512_codes.h); W8A8 and the tile
 * kernels (tile512.h) get 512-bit ones. */
#include <immintrin.h>

#include "kernels256.h"
#include "kernels512.h"
#include "kernels256_codes.h"
#include "kernels512_codes.h"
#include "tile512.h"

/* Blocking of the W8A8 kernel: K_BLOCK bytes of 4 activation rows (16 KiB)
 * stay in L1 while 4-row strips of up to the chunk's weight rows pass by. */
#define K_BLOCK 4096
/* Outputs per panel, each way: 64 x 64 int32 sums (16 KiB) on the stack; the
 * panel's weight rows (64 x K_BLOCK bytes, 256 KiB) stay in L2. */
#define PANEL 64

/* acc[i][j] += sum_t (x[i][t] + 128) * w[j][t] over [t0, t1), t1 - t0 a
 * multiple of 64; x rows as x ^ 0x80 (= x + 128 as unsigned bytes). */
static inline void micro_4x4(const int8_t *const xr[4], const int8_t *const wr[4], int64_t t0, int64_t t1,
                             int32_t out[4][4])
{
    __m512i acc[4][4];
    LQ__UNROLL
    for (int i = 0; i < 4; i++) {
        LQ__UNROLL
        for (int j = 0; j < 4; j++)
            acc[i][j] = _mm512_setzero_si512();
    }
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    for (int64_t t = t0; t < t1; t += 64) {
        __m512i xu[4], wv[4];
        LQ__UNROLL
        for (int i = 0; i < 4; i++)
            xu[i] = _mm512_xor_si512(_mm512_loadu_si512(xr[i] + t), bias);
        LQ__UNROLL
        for (int j = 0; j < 4; j++)
            wv[j] = _mm512_loadu_si512(wr[j] + t);
        LQ__UNROLL
        for (int i = 0; i < 4; i++) {
            LQ__UNROLL
            for (int j = 0; j < 4; j++)
                acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], xu[i], wv[j]);
        }
    }
    LQ__UNROLL
    for (int i = 0; i < 4; i++) {
        LQ__UNROLL
        for (int j = 0; j < 4; j++)
            out[i][j] = _mm512_reduce_add_epi32(acc[i][j]);
    }
}

/* The same for a remainder of fewer than 64 bytes, and for rows that do not
 * fill a 4 x 4 tile, in plain C (exact int32 sums of x * w). */
static int32_t dot_tail(const int8_t *x, const int8_t *w, int64_t t0, int64_t t1)
{
    int32_t s = 0;
    for (int64_t t = t0; t < t1; t++)
        s += x[t] * w[t];
    return s;
}

/* One panel of at most PANEL x PANEL outputs, its int32 sums on the stack:
 * the kernel allocates nothing, so it cannot fail (a heap buffer with a
 * slower fallback would hide an allocation failure). */
static void gemm_i8_vnni_panel(int64_t m, int64_t n, int64_t k, const int8_t *x, const float *sx,
                               const int8_t *w, const float *sw, float *y, int64_t ldy)
{
    int64_t k64 = k / 64 * 64;
    /* int32 sums in uint32: the biased sums may wrap; x . w itself fits in int32
     * (k <= 131072), so the difference below is exact modulo 2^32 */
    uint32_t acc[PANEL][PANEL] = {{0}}, wsum[PANEL];
    const __m512i ones = _mm512_set1_epi8(1);
    for (int64_t j = 0; j < n; j++) {
        __m512i s = _mm512_setzero_si512();
        for (int64_t t = 0; t < k64; t += 64)
            s = _mm512_dpbusd_epi32(s, ones, _mm512_loadu_si512(w + j * k + t));
        wsum[j] = (uint32_t)_mm512_reduce_add_epi32(s);
    }
    for (int64_t t0 = 0; t0 < k64; t0 += K_BLOCK) {
        int64_t t1 = t0 + K_BLOCK < k64 ? t0 + K_BLOCK : k64;
        for (int64_t i0 = 0; i0 < m; i0 += 4) {
            const int8_t *xr[4];
            for (int i = 0; i < 4; i++)
                xr[i] = x + (i0 + i < m ? i0 + i : i0) * k;
            for (int64_t j0 = 0; j0 < n; j0 += 4) {
                const int8_t *wr[4];
                for (int j = 0; j < 4; j++)
                    wr[j] = w + (j0 + j < n ? j0 + j : j0) * k;
                int32_t part[4][4];
                micro_4x4(xr, wr, t0, t1, part);
                for (int i = 0; i < 4 && i0 + i < m; i++)
                    for (int j = 0; j < 4 && j0 + j < n; j++)
                        acc[i0 + i][j0 + j] += (uint32_t)part[i][j];
            }
        }
    }
    for (int64_t i = 0; i < m; i++) {
        for (int64_t j = 0; j < n; j++) {
            uint32_t biased = acc[i][j] - 128u * wsum[j];
            int32_t sum = (int32_t)biased + dot_tail(x + i * k, w + j * k, k64, k);
            y[i * ldy + j] = sx[i] * sw[j] * (float)sum;
        }
    }
}

static void gemm_i8_vnni(int64_t m, int64_t n, int64_t k, const int8_t *x, const float *sx,
                         const int8_t *w, const float *sw, float *y, int64_t ldy)
{
    for (int64_t j0 = 0; j0 < n; j0 += PANEL)
        for (int64_t i0 = 0; i0 < m; i0 += PANEL)
            gemm_i8_vnni_panel(m - i0 < PANEL ? m - i0 : PANEL, n - j0 < PANEL ? n - j0 : PANEL, k,
                               x + i0 * k, sx + i0, w + j0 * k, sw + j0, y + i0 * ldy + j0, ldy);
}

void lq__kernels_fill_avx512_vnni(lq__kernels *k)
{
    fill_256_blocks(k);
    fill_512_blocks(k);
    fill_256_narrow(k);
    fill_512_int2(k);
    k->gemm_i8 = gemm_i8_vnni;
    fill_tile_512(k);
}
