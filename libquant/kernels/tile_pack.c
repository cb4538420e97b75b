/* tile_pack.c — weights to tile panels and activations to the act form
 * (tile.h). One implementation for every level, so it also defines the tile
 * form: the kernels of each level only read it. */
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/half.h"
#include "../formats/ggml_blocks.h"
#include "../formats/linear.h"
#include "tile.h"

/* ---- the formats ------------------------------------------------------------ */

int lq__tile_format_for(const lq__row_decoder *d, lq__tile_format *f)
{
    /* family, block, offset, wide, has_min, has_zero, sub, umax */
    static const struct {
        lq_type type;
        lq__tile_format f;
    } ggml[] = {
        {LQ_TYPE_Q4_0, {LQ__TILE_B32, 32, 8, 0, 0, 0, 0, 15, 0}},
        {LQ_TYPE_Q4_1, {LQ__TILE_B32, 32, 0, 0, 1, 0, 0, 15, 0}},
        {LQ_TYPE_Q5_0, {LQ__TILE_B32, 32, 16, 0, 0, 0, 0, 31, 0}},
        {LQ_TYPE_Q5_1, {LQ__TILE_B32, 32, 0, 0, 1, 0, 0, 31, 0}},
        {LQ_TYPE_Q8_0, {LQ__TILE_B32, 32, 128, 1, 0, 0, 0, 255, 0}},
        {LQ_TYPE_IQ4_NL, {LQ__TILE_B32, 32, 128, 1, 0, 0, 0, 241, 0}},
        {LQ_TYPE_MXFP4, {LQ__TILE_B32, 32, 128, 1, 0, 0, 0, 140, 0}},
        {LQ_TYPE_Q2_K, {LQ__TILE_S256, 256, 0, 0, 1, 0, 16, 3, 0}},
        {LQ_TYPE_Q3_K, {LQ__TILE_S256, 256, 4, 0, 0, 0, 16, 7, 0}},
        {LQ_TYPE_Q4_K, {LQ__TILE_S256, 256, 0, 0, 1, 0, 32, 15, 0}},
        {LQ_TYPE_Q5_K, {LQ__TILE_S256, 256, 0, 0, 1, 0, 32, 31, 0}},
        {LQ_TYPE_Q6_K, {LQ__TILE_S256, 256, 32, 0, 0, 0, 16, 63, 0}},
        {LQ_TYPE_IQ4_XS, {LQ__TILE_S256, 256, 128, 1, 0, 0, 32, 241, 0}},
    };
    int64_t k = d->view->cols;
    if (d->kind == LQ__DECODE_LINEAR) {
        int bits = d->map.bits;
        if (k % 32 != 0 || d->map.group % 32 != 0)
            return 0;
        *f = (lq__tile_format){LQ__TILE_B32, 32, 1 << (bits - 1), bits == 8, 0, !d->map.sym, 0,
                               (1 << bits) - 1, 0};
    } else {
        int i = 0, n = (int)(sizeof ggml / sizeof *ggml);
        while (i < n && ggml[i].type != d->view->qp->type)
            i++;
        if (i == n || d->kind != LQ__DECODE_ROW_KERNEL)
            return 0;
        *f = ggml[i].f;
        if (k % f->block != 0)
            return 0;
    }
    if (f->family == LQ__TILE_B32)
        f->block_bytes = LQ__TILE_B32_EXTRA + (f->has_min || f->has_zero ? 4 * LQ__TILE_ROWS : 0);
    else
        f->block_bytes = lq__tile_s256_d(f) + 2 * 4 * LQ__TILE_ROWS;
    return 1;
}

size_t lq__tile_panels_bytes(const lq__tile_format *f, int64_t nr, int64_t k)
{
    size_t panels = (size_t)((nr + LQ__TILE_ROWS - 1) / LQ__TILE_ROWS), per_panel, total;
    if (!lq__mul_size((size_t)(k / f->block), f->block_bytes, &per_panel) ||
        !lq__mul_size(per_panel, panels, &total))
        return 0;
    return total;
}

/* ---- unpacking one block of one row ------------------------------------------ */

/* The numbers of one block of one weight row (its codes go elsewhere). */
typedef struct numbers {
    float d, m, dmin;  /* m: B32 with mins */
    int32_t zero;      /* B32 with zero points */
    int8_t sc[16];     /* S256 */
    int16_t mm[16];    /* S256: mins, or sc for the types with an offset */
} numbers;

/* Where one weight row is: its ggml blocks, or its linear row. */
typedef struct src_row {
    const uint8_t *blocks;
    lq__lin_row lin;
    int bits;
} src_row;

/* An f16 as float through the kernels' table (built before any kernel runs). */
static inline float half(const uint8_t *p)
{
    return lq__f16_table[lq__ld_u16(p)];
}

#define LOW4 0x0F0F0F0F0F0F0F0FULL
#define ONES 0x0101010101010101ULL

/* 8 bits to 8 bytes: byte j = bit j of b (0 or 1). The byte replicated,
 * bit j picked out of byte j, and each nonzero byte carried into its top bit. */
static inline uint64_t spread_bits(unsigned b)
{
    uint64_t x = ((uint64_t)(b & 0xFF) * ONES) & 0x8040201008040201ULL;
    return ((x + 0x7F7F7F7F7F7F7F7FULL) >> 7) & ONES;
}

/* 16 bytes to 32 nibbles: low nibbles (elements 0..15), then high ones. */
static inline void nibbles16(const uint8_t *qs, uint8_t *u)
{
    uint64_t a = lq__blk_ld64(qs), b = lq__blk_ld64(qs + 8);
    lq__blk_st64(u, a & LOW4), lq__blk_st64(u + 8, b & LOW4);
    lq__blk_st64(u + 16, (a >> 4) & LOW4), lq__blk_st64(u + 24, (b >> 4) & LOW4);
}

/* The fifth bits of q5_0 / q5_1: element j gets bit j of qh, times 16. */
static inline void add_q5_bits(const uint8_t *qh, uint8_t *u)
{
    for (int i = 0; i < 4; i++)
        lq__blk_st64(u + 8 * i, lq__blk_ld64(u + 8 * i) | spread_bits(qh[i]) << 4);
}

/* iq4 codes are the codebook value + 128 (1 ... 241). */
static inline void iq4_codes16(const uint8_t *qs, uint8_t *u)
{
    nibbles16(qs, u);
    for (int i = 0; i < 32; i++)
        u[i] = (uint8_t)(lq__iq4_levels[u[i]] + 128);
}

/* mxfp4 codes are the doubled E2M1 level + 128 (116 ... 140). */
static inline void fp4_codes16(const uint8_t *qs, uint8_t *u)
{
    nibbles16(qs, u);
    for (int i = 0; i < 32; i++)
        u[i] = (uint8_t)(lq__fp4_levels[u[i]] + 128);
}

/* Codes of block b of a row: its bytes are at blk (a ggml block, or a linear
 * row's 32 codes). */
typedef void (*codes_fn)(const uint8_t *blk, int bits, uint8_t *u);
/* Numbers of block b of a row, whose block bytes are at blk; g is the scale
 * group of a linear row's block. */
typedef void (*numbers_fn)(const src_row *s, const uint8_t *blk, int64_t g, numbers *o);

static void codes_q4_0(const uint8_t *blk, int bits, uint8_t *u)
{
    nibbles16(((const lq__blk_q4_0 *)blk)->qs, u);
}

static void codes_q4_1(const uint8_t *blk, int bits, uint8_t *u)
{
    nibbles16(((const lq__blk_q4_1 *)blk)->qs, u);
}

static void codes_q5_0(const uint8_t *blk, int bits, uint8_t *u)
{
    const lq__blk_q5_0 *x = (const lq__blk_q5_0 *)blk;
    nibbles16(x->qs, u);
    add_q5_bits(x->qh, u);
}

static void codes_q5_1(const uint8_t *blk, int bits, uint8_t *u)
{
    const lq__blk_q5_1 *x = (const lq__blk_q5_1 *)blk;
    nibbles16(x->qs, u);
    add_q5_bits(x->qh, u);
}

static void codes_q8_0(const uint8_t *blk, int bits, uint8_t *u)
{
    const lq__blk_q8_0 *x = (const lq__blk_q8_0 *)blk;
    for (int i = 0; i < 32; i += 8) /* q + 128 */
        lq__blk_st64(u + i, lq__blk_ld64((const uint8_t *)x->qs + i) ^ 0x8080808080808080ULL);
}

static void codes_iq4_nl(const uint8_t *blk, int bits, uint8_t *u)
{
    iq4_codes16(((const lq__blk_iq4_nl *)blk)->qs, u);
}

static void codes_mxfp4(const uint8_t *blk, int bits, uint8_t *u)
{
    fp4_codes16(((const lq__blk_mxfp4 *)blk)->qs, u);
}

/* mxfp4's scale: its E8M0 byte, halved as the doubled levels want */
static void numbers_e8m0(const src_row *s, const uint8_t *blk, int64_t g, numbers *o)
{
    o->d = lq__e8m0_table[blk[0]];
}

/* The legacy blocks start with d; q4_1 and q5_1 then have m. */
static void numbers_d(const src_row *s, const uint8_t *blk, int64_t g, numbers *o)
{
    o->d = half(blk);
}

static void numbers_d_m(const src_row *s, const uint8_t *blk, int64_t g, numbers *o)
{
    o->d = half(blk);
    o->m = half(blk + 2);
}

/* Linear rows: the codes themselves (offset 2^(bits-1)). */
static void codes_linear(const uint8_t *codes, int bits, uint8_t *u)
{
    if (bits == 8) {
        memcpy(u, codes, 32);
    } else if (bits == 4) {
        /* 4 bytes to 8 codes in stream order: each byte into a 16-bit lane,
         * its low nibble in the low byte and its high nibble in the high one */
        for (int i = 0; i < 16; i += 4) {
            uint32_t v;
            memcpy(&v, codes + i, 4);
            uint64_t x = v;
            x = (x | x << 16) & 0x0000FFFF0000FFFFULL;
            x = (x | x << 8) & 0x00FF00FF00FF00FFULL;
            lq__blk_st64(u + 2 * i, (x & 0x000F000F000F000FULL) | (x << 4 & 0x0F000F000F000F00ULL));
        }
    } else if (bits == 3) { /* 3 bytes to 8 codes, LSB first */
        for (int i = 0; i < 4; i++) {
            uint32_t v = codes[3 * i] | (uint32_t)codes[3 * i + 1] << 8 | (uint32_t)codes[3 * i + 2] << 16;
            for (int e = 0; e < 8; e++)
                u[8 * i + e] = (uint8_t)(v >> 3 * e & 7);
        }
    } else { /* 2 bits: a byte to 4 codes */
        for (int i = 0; i < 8; i++)
            for (int e = 0; e < 4; e++)
                u[4 * i + e] = (uint8_t)(codes[i] >> 2 * e & 3);
    }
}

/* zero = the group's zero point - offset */
static void numbers_linear(const src_row *s, const uint8_t *blk, int64_t g, numbers *o)
{
    const lq__lin_row *w = &s->lin;
    o->d = w->f32_scales ? lq__lin_scale(w, g) : half(w->scales + 2 * g);
    o->zero = w->zeros ? w->zeros[g] - (1 << (s->bits - 1)) : 0;
}

/* q2_K / q3_K: element 128h + 32j + l is bits 2j..2j+1 of qs[32h + l]. */
static inline void k2_codes(const uint8_t *qs, uint8_t *u)
{
    for (int h = 0; h < 2; h++)
        for (int j = 0; j < 4; j++)
            for (int l = 0; l < 32; l += 8)
                lq__blk_st64(u + 128 * h + 32 * j + l, (lq__blk_ld64(qs + 32 * h + l) >> (2 * j)) & 0x0303030303030303ULL);
}

static void codes_q2_k(const uint8_t *blk, int bits, uint8_t *u)
{
    k2_codes(((const lq__blk_q2_k *)blk)->qs, u);
}

static void numbers_q2_k(const src_row *s, const uint8_t *blk, int64_t g, numbers *o)
{
    const lq__blk_q2_k *x = (const lq__blk_q2_k *)blk;
    for (int j = 0; j < 16; j++) {
        o->sc[j] = (int8_t)(x->scales[j] & 0xF);
        o->mm[j] = (int16_t)(x->scales[j] >> 4);
    }
    o->d = half((const uint8_t *)&x->d);
    o->dmin = half((const uint8_t *)&x->dmin);
}

static void codes_q3_k(const uint8_t *blk, int bits, uint8_t *u)
{
    const lq__blk_q3_k *x = (const lq__blk_q3_k *)blk;
    k2_codes(x->qs, u);
    /* + 4 where the hmask bit of element e (bit e / 32 of hmask[e % 32]) is set */
    for (int c = 0; c < 8; c++)
        for (int l = 0; l < 32; l += 8)
            lq__blk_st64(u + 32 * c + l, lq__blk_ld64(u + 32 * c + l) | ((lq__blk_ld64(x->hmask + l) >> c) & ONES) << 2);
}

static void numbers_q3_k(const src_row *s, const uint8_t *blk, int64_t g, numbers *o)
{
    const lq__blk_q3_k *x = (const lq__blk_q3_k *)blk;
    lq__k3_scales(x->scales, o->sc);
    for (int j = 0; j < 16; j++)
        o->mm[j] = o->sc[j];
    o->d = half((const uint8_t *)&x->d);
}

/* q4_K / q5_K: chunk c of 64 elements is the low nibbles of qs[32c ...]
 * then the high ones; 8 sub-blocks of 32 with 6-bit scales and mins. */
static inline void k4_codes(const uint8_t *qs, uint8_t *u)
{
    for (int c = 0; c < 4; c++) {
        for (int l = 0; l < 32; l += 8) {
            uint64_t v = lq__blk_ld64(qs + 32 * c + l);
            lq__blk_st64(u + 64 * c + l, v & LOW4);
            lq__blk_st64(u + 64 * c + 32 + l, (v >> 4) & LOW4);
        }
    }
}

static void codes_q4_k(const uint8_t *blk, int bits, uint8_t *u)
{
    k4_codes(((const lq__blk_q4_k *)blk)->qs, u);
}

static void codes_q5_k(const uint8_t *blk, int bits, uint8_t *u)
{
    const lq__blk_q5_k *x = (const lq__blk_q5_k *)blk;
    k4_codes(x->qs, u);
    /* the fifth bit of element 32c' + l is bit c' of qh[l] */
    for (int c = 0; c < 8; c++)
        for (int l = 0; l < 32; l += 8)
            lq__blk_st64(u + 32 * c + l, lq__blk_ld64(u + 32 * c + l) | ((lq__blk_ld64(x->qh + l) >> c) & ONES) << 4);
}

/* q4_K and q5_K start alike: d, dmin, the 12 bytes of scales and mins */
static void numbers_k4(const src_row *s, const uint8_t *blk, int64_t g, numbers *o)
{
    const lq__blk_q4_k *x = (const lq__blk_q4_k *)blk;
    for (int j = 0; j < 8; j++) {
        uint8_t sc, m;
        lq__k4_scale_min(j, x->scales, &sc, &m);
        o->sc[j] = (int8_t)sc;
        o->mm[j] = m;
    }
    o->d = half(blk);
    o->dmin = half(blk + 2);
}

static void codes_q6_k(const uint8_t *blk, int bits, uint8_t *u)
{
    const lq__blk_q6_k *x = (const lq__blk_q6_k *)blk;
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = x->ql + 64 * h, *qh = x->qh + 32 * h;
        uint8_t *v = u + 128 * h;
        for (int l = 0; l < 32; l += 8) {
            uint64_t l0 = lq__blk_ld64(ql + l), l1 = lq__blk_ld64(ql + 32 + l), hb = lq__blk_ld64(qh + l);
            const uint64_t h2 = 0x0303030303030303ULL;
            lq__blk_st64(v + l, (l0 & LOW4) | (hb & h2) << 4);
            lq__blk_st64(v + 32 + l, (l1 & LOW4) | ((hb >> 2) & h2) << 4);
            lq__blk_st64(v + 64 + l, ((l0 >> 4) & LOW4) | ((hb >> 4) & h2) << 4);
            lq__blk_st64(v + 96 + l, ((l1 >> 4) & LOW4) | ((hb >> 6) & h2) << 4);
        }
    }
}

static void numbers_q6_k(const src_row *s, const uint8_t *blk, int64_t g, numbers *o)
{
    const lq__blk_q6_k *x = (const lq__blk_q6_k *)blk;
    for (int j = 0; j < 16; j++)
        o->sc[j] = x->scales[j], o->mm[j] = x->scales[j];
    o->d = half((const uint8_t *)&x->d);
}

static void codes_iq4_xs(const uint8_t *blk, int bits, uint8_t *u)
{
    const lq__blk_iq4_xs *x = (const lq__blk_iq4_xs *)blk;
    for (int j = 0; j < 8; j++)
        iq4_codes16(x->qs + 16 * j, u + 32 * j);
}

static void numbers_iq4_xs(const src_row *s, const uint8_t *blk, int64_t g, numbers *o)
{
    const lq__blk_iq4_xs *x = (const lq__blk_iq4_xs *)blk;
    for (int j = 0; j < 8; j++) {
        o->sc[j] = (int8_t)lq__iq4xs_scale(x, j);
        o->mm[j] = o->sc[j];
    }
    o->d = half(blk);
}

typedef struct unpacker {
    codes_fn codes;
    numbers_fn numbers;
} unpacker;

static unpacker unpacker_for(const lq__row_decoder *d)
{
    if (d->kind == LQ__DECODE_LINEAR)
        return (unpacker){codes_linear, numbers_linear};
    switch (d->view->qp->type) {
    case LQ_TYPE_Q4_0: return (unpacker){codes_q4_0, numbers_d};
    case LQ_TYPE_Q4_1: return (unpacker){codes_q4_1, numbers_d_m};
    case LQ_TYPE_Q5_0: return (unpacker){codes_q5_0, numbers_d};
    case LQ_TYPE_Q5_1: return (unpacker){codes_q5_1, numbers_d_m};
    case LQ_TYPE_Q8_0: return (unpacker){codes_q8_0, numbers_d};
    case LQ_TYPE_IQ4_NL: return (unpacker){codes_iq4_nl, numbers_d};
    case LQ_TYPE_MXFP4: return (unpacker){codes_mxfp4, numbers_e8m0};
    case LQ_TYPE_Q2_K: return (unpacker){codes_q2_k, numbers_q2_k};
    case LQ_TYPE_Q3_K: return (unpacker){codes_q3_k, numbers_q3_k};
    case LQ_TYPE_Q4_K: return (unpacker){codes_q4_k, numbers_k4};
    case LQ_TYPE_Q5_K: return (unpacker){codes_q5_k, numbers_k4};
    case LQ_TYPE_Q6_K: return (unpacker){codes_q6_k, numbers_q6_k};
    case LQ_TYPE_IQ4_XS: return (unpacker){codes_iq4_xs, numbers_iq4_xs};
    default: return (unpacker){NULL, NULL}; /* lq__tile_format_for refused it */
    }
}

/* ---- panels ------------------------------------------------------------------- */

static void put_f32(uint8_t *p, float v)
{
    memcpy(p, &v, sizeof v);
}

/* The numbers of row rr of a panel block. */
static void put_numbers(const lq__tile_format *f, const numbers *o, int rr, uint8_t *blk)
{
    if (f->family == LQ__TILE_B32) {
        put_f32(blk + LQ__TILE_B32_D + 4 * rr, o->d);
        if (f->has_min)
            put_f32(blk + LQ__TILE_B32_EXTRA + 4 * rr, o->m);
        else if (f->has_zero)
            memcpy(blk + LQ__TILE_B32_EXTRA + 4 * rr, &o->zero, 4);
        return;
    }
    int nsub = 256 / f->sub;
    uint8_t *mm = blk + lq__tile_s256_mm(f), *dd = blk + lq__tile_s256_d(f);
    for (int j = 0; j < nsub; j++)
        blk[LQ__TILE_S256_SC + j * LQ__TILE_ROWS + rr] = (uint8_t)o->sc[j];
    for (int p = 0; p < nsub / 2; p++)
        memcpy(mm + (p * LQ__TILE_ROWS + rr) * 4, &o->mm[2 * p], 4);
    put_f32(dd + 4 * rr, o->d);
    put_f32(dd + 4 * (LQ__TILE_ROWS + rr), o->dmin);
}

/* The 16 source rows of a panel block are streams that the hardware
 * prefetchers do not follow well: each is prefetched this far ahead. */
#define PREFETCH_AHEAD 512

void lq__tile_pack(const lq__tile_format *f, const lq__row_decoder *d, const lq__kernels *kern,
                   int64_t r0, int64_t nr, uint8_t *dst)
{
    int64_t k = d->view->cols, nb = k / f->block;
    int lin = d->kind == LQ__DECODE_LINEAR, bits = lin ? d->map.bits : 0;
    lq_type type = d->view->qp->type;
    unpacker un = unpacker_for(d);
    /* source bytes per block: of the ggml row, or of the linear codes */
    size_t src_block = lin ? (size_t)(f->block / 8 * bits) : d->row_bytes / (size_t)nb;
    int64_t group = lin ? d->map.group : k;
    uint8_t codes[LQ__TILE_ROWS][256]; /* one block of codes per row, then transposed */
    numbers o[LQ__TILE_ROWS];
    for (int64_t p0 = 0; p0 < nr; p0 += LQ__TILE_ROWS) {
        int rows = nr - p0 < LQ__TILE_ROWS ? (int)(nr - p0) : LQ__TILE_ROWS;
        src_row src[LQ__TILE_ROWS];
        const uint8_t *blk[LQ__TILE_ROWS];
        memset(codes, 0, sizeof codes); /* the missing rows of the last panel stay zero */
        memset(o, 0, sizeof o);
        for (int rr = 0; rr < rows; rr++) {
            src[rr] = (src_row){NULL, {0}, bits};
            if (lin)
                lq__row_decoder_lin_row(d, r0 + p0 + rr, &src[rr].lin);
            else
                src[rr].blocks = d->view->data + (size_t)(r0 + p0 + rr) * d->row_bytes;
        }
        /* a panel block at a time: its scattered writes stay in L1 */
        for (int64_t b = 0, g = 0; b < nb; b++, dst += f->block_bytes) {
            if (b * f->block >= (g + 1) * group)
                g++;
            for (int rr = 0; rr < rows; rr++) {
                blk[rr] = (lin ? src[rr].lin.codes : src[rr].blocks) + (size_t)b * src_block;
                __builtin_prefetch(blk[rr] + PREFETCH_AHEAD);
                un.numbers(&src[rr], blk[rr], g, &o[rr]);
            }
            if (!kern->tile_codes(type, bits, blk, rows, codes[0], sizeof codes[0]))
                for (int rr = 0; rr < rows; rr++)
                    un.codes(blk[rr], bits, codes[rr]);
            kern->tile_transpose(codes[0], sizeof codes[0], f->block / 4, dst);
            for (int rr = 0; rr < LQ__TILE_ROWS; rr++)
                put_numbers(f, &o[rr], rr, dst);
        }
    }
}

/* ---- activations ------------------------------------------------------------------ */

lq_status lq__tile_act_alloc(const lq__tile_format *f, int64_t m, int64_t k, int bias,
                             lq__tile_act *a)
{
    int64_t nb = k / f->block;
    size_t codes, per_row;
    *a = (lq__tile_act){.m = m, .k = k, .nb = nb, .bias = bias};
    if (!lq__mul_size((size_t)m, (size_t)k, &codes) || !lq__mul_size((size_t)m, (size_t)nb, &per_row) ||
        per_row > SIZE_MAX / 32)
        return lq__fail(LQ_ERR_NOMEM, "lq_matmul: %lld x %lld activations do not fit in memory",
                        (long long)m, (long long)k);
    int b32 = f->family == LQ__TILE_B32;
    a->q = lq__malloc(codes);
    a->d = lq__malloc(per_row * sizeof *a->d);
    a->s = b32 && f->has_min ? lq__malloc(per_row * sizeof *a->s) : NULL;
    a->corr = b32 ? lq__malloc(per_row * sizeof *a->corr) : NULL;
    a->asum = b32 && f->has_zero ? lq__malloc(per_row * sizeof *a->asum) : NULL;
    a->bs = b32 ? NULL : lq__malloc(per_row * 8 * sizeof *a->bs);
    if (!a->q || !a->d || (b32 && f->has_min && !a->s) || (b32 && !a->corr) ||
        (b32 && f->has_zero && !a->asum) || (!b32 && !a->bs)) {
        lq__tile_act_free(a);
        return lq__fail(LQ_ERR_NOMEM, "lq_matmul: cannot allocate the quantized activations");
    }
    return LQ_OK;
}

void lq__tile_act_free(lq__tile_act *a)
{
    lq__free(a->q), lq__free(a->d), lq__free(a->s);
    lq__free(a->corr), lq__free(a->asum), lq__free(a->bs);
    memset(a, 0, sizeof *a);
}

static uint32_t pair16(int lo, int hi)
{
    return (uint32_t)(uint16_t)lo | (uint32_t)(uint16_t)hi << 16;
}

void lq__tile_act_fill(const lq__tile_format *f, const uint8_t *act, size_t act_bytes, int64_t i0,
                       int64_t i1, lq__tile_act *a)
{
    int64_t nb = a->nb;
    /* the kernels sum (u - bias) * a: the rest of the offset is corrected here */
    int left_out = f->offset - a->bias;
    for (int64_t i = i0; i < i1; i++) {
        const uint8_t *row = act + (size_t)i * act_bytes;
        int8_t *q = a->q + (size_t)i * (size_t)a->k;
        for (int64_t b = 0; b < nb; b++) {
            size_t ib = (size_t)(i * nb + b);
            if (f->family == LQ__TILE_S256) {
                const lq__blk_q8_k *x = (const lq__blk_q8_k *)row + b;
                memcpy(q + 256 * b, x->qs, 256);
                a->d[ib] = x->d;
                int32_t *bs = a->bs + 8 * ib;
                for (int p = 0; p < 8; p++) {
                    if (f->sub == 16)
                        bs[p] = (int32_t)pair16(x->bsums[2 * p], x->bsums[2 * p + 1]);
                    else /* sums of 32: pairs of bsums added */
                        bs[p] = p >= 4 ? 0 : (int32_t)pair16(x->bsums[4 * p] + x->bsums[4 * p + 1],
                                                             x->bsums[4 * p + 2] + x->bsums[4 * p + 3]);
                }
                continue;
            }
            const int8_t *qs;
            if (f->has_min) { /* q8_1 */
                const lq__blk_q8_1 *x = (const lq__blk_q8_1 *)row + b;
                a->d[ib] = half((const uint8_t *)&x->d);
                a->s[ib] = half((const uint8_t *)&x->s);
                qs = x->qs;
            } else {
                const lq__blk_q8_0 *x = (const lq__blk_q8_0 *)row + b;
                a->d[ib] = half((const uint8_t *)&x->d);
                qs = x->qs;
            }
            memcpy(q + 32 * b, qs, 32);
            int32_t sum = 0;
            for (int e = 0; e < 32; e++)
                sum += qs[e];
            a->corr[ib] = -left_out * sum;
            if (a->asum)
                a->asum[ib] = sum;
        }
    }
}
