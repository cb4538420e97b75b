/* tile.c — the scalar reference tile kernels: the formulas of tile.h, one
 * output at a time. The SIMD kernels compute the same integers and the same
 * float operations in the same order, so they match this bit for bit. fmaf
 * is the fused multiply-add the SIMD kernels use. */
#include <math.h>
#include <string.h>

#include "../tile.h"
#include "ref.h"

static float ld_f32(const uint8_t *p)
{
    float v;
    memcpy(&v, p, sizeof v);
    return v;
}

static int32_t ld_i32(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* sum over elements [e0, e1) of a panel block of (u - bias) * q, for panel row r. */
static int32_t code_dot(const uint8_t *blk, int r, int bias, const int8_t *q, int e0, int e1)
{
    int32_t sum = 0;
    for (int e = e0; e < e1; e++)
        sum += (blk[((e / 4) * LQ__TILE_ROWS + r) * 4 + e % 4] - bias) * q[e];
    return sum;
}

static float b32_output(const lq__tile_format *f, const uint8_t *panel, int r, const lq__tile_act *a,
                        int64_t i)
{
    float acc = 0.0f;
    for (int64_t b = 0; b < a->nb; b++) {
        const uint8_t *blk = panel + (size_t)b * f->block_bytes;
        size_t ib = (size_t)(i * a->nb + b);
        int32_t isum = a->corr[ib] + code_dot(blk, r, a->bias, a->q + i * a->k + 32 * b, 0, 32);
        if (f->has_zero)
            isum -= ld_i32(blk + LQ__TILE_B32_EXTRA + 4 * r) * a->asum[ib];
        acc = fmaf(ld_f32(blk + LQ__TILE_B32_D + 4 * r) * a->d[ib], (float)isum, acc);
        if (f->has_min)
            acc = fmaf(ld_f32(blk + LQ__TILE_B32_EXTRA + 4 * r), a->s[ib], acc);
    }
    return acc;
}

static float s256_output(const lq__tile_format *f, const uint8_t *panel, int r, const lq__tile_act *a,
                         int64_t i)
{
    int nsub = 256 / f->sub;
    float acc = 0.0f;
    for (int64_t b = 0; b < a->nb; b++) {
        const uint8_t *blk = panel + (size_t)b * f->block_bytes;
        const uint8_t *mm = blk + lq__tile_s256_mm(f), *dd = blk + lq__tile_s256_d(f);
        size_t ib = (size_t)(i * a->nb + b);
        const int8_t *q = a->q + i * a->k + 256 * b;
        int32_t isum = 0, msum = 0;
        for (int j = 0; j < nsub; j++) {
            int8_t sc = (int8_t)blk[LQ__TILE_S256_SC + j * LQ__TILE_ROWS + r];
            isum += sc * code_dot(blk, r, a->bias, q, j * f->sub, (j + 1) * f->sub);
        }
        for (int p = 0; p < nsub / 2; p++) {
            int16_t w[2], x[2];
            memcpy(w, mm + (p * LQ__TILE_ROWS + r) * 4, 4);
            memcpy(x, &a->bs[8 * ib + (size_t)p], 4);
            msum += w[0] * x[0] + w[1] * x[1];
        }
        float d = ld_f32(dd + 4 * r) * a->d[ib];
        if (f->has_min) {
            acc = fmaf(d, (float)isum, acc);
            acc = fmaf(-(ld_f32(dd + 4 * (LQ__TILE_ROWS + r)) * a->d[ib]), (float)msum, acc);
        } else {
            acc = fmaf(d, (float)(isum - (f->offset - a->bias) * msum), acc);
        }
    }
    return acc;
}

void lq__ref_tile_gemm(const lq__tile_format *f, const uint8_t *panels, int64_t ncols,
                       const lq__tile_act *a, float *y, int64_t ldy)
{
    size_t panel_bytes = (size_t)a->nb * f->block_bytes;
    for (int64_t j = 0; j < ncols; j++) {
        const uint8_t *panel = panels + (size_t)(j / LQ__TILE_ROWS) * panel_bytes;
        int r = (int)(j % LQ__TILE_ROWS);
        for (int64_t i = 0; i < a->m; i++)
            y[i * ldy + j] = f->family == LQ__TILE_B32 ? b32_output(f, panel, r, a, i)
                                                       : s256_output(f, panel, r, a, i);
    }
}

void lq__ref_tile_transpose(const uint8_t *rows, size_t stride, int quads, uint8_t *out)
{
    for (int t = 0; t < quads; t++)
        for (int r = 0; r < LQ__TILE_ROWS; r++)
            memcpy(out + (t * LQ__TILE_ROWS + r) * 4, rows + (size_t)r * stride + 4 * t, 4);
}

int lq__ref_tile_codes(lq_type type, int bits, const uint8_t *const *src, int rows, uint8_t *u,
                       size_t stride)
{
    return 0; /* tile_pack.c's portable code is the reference */
}
