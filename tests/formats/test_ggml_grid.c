/* test_ggml_grid.c — the per-element grids of ggml blocks (formats/ggml_grid.h)
 * against the codecs' own decoding: every element of a quantized block
 * decodes to a level(q) + b for some code q in 0 .. maxq, setting an
 * element's code changes that element only, to a level(q) + b, and
 * lq__grid_nearest finds the nearest level. */
#include "formats_util.h"
#include "libquant/core/type_info.h"
#include "libquant/formats/codec.h"
#include "libquant/formats/ggml_grid.h"

#define N 256

static float rnd(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static float level(const lq__grid_ops *g, int q)
{
    return g->levels ? (float)g->levels[q] : (float)q;
}

static void one(lq_type t)
{
    const lq__grid_ops *g = lq__grid_for(t);
    const lq__codec *c = lq__codec_for(t);
    CHECKF(g && c, "%s has no grid or codec", lq_type_name(t));
    if (!g || !c)
        return;
    float x[N], y[N], z[N], a[N], b[N];
    uint8_t blk[1024];
    unsigned s = 7u + (unsigned)t;
    for (int k = 0; k < N; k++)
        x[k] = rnd(&s) * (k % 7 == 0 ? 3.0f : 1.0f);
    c->quantize_row(x, blk, N, NULL);
    c->dequantize_row(blk, y, N);
    int64_t be = lq__type(t)->block_elems, per = N / be;
    size_t bb = (size_t)lq__type(t)->block_bytes;
    int on_grid = 1, only = 1, value = 1;
    for (int64_t i = 0; i < per; i++) {
        uint8_t *p = blk + (size_t)i * bb;
        g->grid(p, a + i * be, b + i * be);
    }
    for (int k = 0; k < N; k++) {
        int found = 0;
        for (int q = 0; q <= g->maxq && !found; q++)
            found = fabsf(a[k] * level(g, q) + b[k] - y[k]) <= 1e-6f * (fabsf(y[k]) + 1e-6f);
        on_grid &= found;
    }
    /* every element to a code that differs from its own in each bit */
    for (int k = 0; k < N; k += 5) {
        int64_t i = k / be, e = k % be;
        uint8_t *p = blk + (size_t)i * bb;
        int q = (int)((k * 37) % (g->maxq + 1));
        memcpy(z, y, sizeof z);
        g->set(p, (int)e, q);
        c->dequantize_row(blk, y, N);
        for (int j = 0; j < N; j++)
            if (j != k)
                only &= y[j] == z[j];
        /* the product a q may round differently from the codec's own order
         * of operations (d sc (q - 32) against d sc q - 32 d sc): 1e-6 relative */
        value &= fabsf(y[k] - (a[k] * level(g, q) + b[k])) <= 1e-6f * (fabsf(y[k]) + fabsf(b[k]) + 1e-6f);
    }
    CHECKF(on_grid, "%s: a decoded value is on no code of its grid", lq_type_name(t));
    CHECKF(only, "%s: setting a code changed another element", lq_type_name(t));
    CHECKF(value, "%s: a set code decodes to another value than a level(q) + b", lq_type_name(t));
    /* nearest: against a scan of every level, at points between and beyond them */
    int nearest = 1;
    for (float x0 = -2.0f * fabsf(level(g, 0)) - 3.0f; x0 < 2.0f * level(g, g->maxq) + 3.0f;
         x0 += 0.37f) {
        int best = 0;
        for (int q = 1; q <= g->maxq; q++)
            if (fabsf(x0 - level(g, q)) < fabsf(x0 - level(g, best)))
                best = q;
        int got = lq__grid_nearest(g, x0);
        nearest &= fabsf(x0 - level(g, got)) == fabsf(x0 - level(g, best));
    }
    CHECKF(nearest, "%s: lq__grid_nearest missed the nearest level", lq_type_name(t));
}

static void grids_match_codecs(void)
{
    const lq_type types[] = {LQ_TYPE_Q4_0, LQ_TYPE_Q8_0, LQ_TYPE_Q2_K,   LQ_TYPE_Q3_K, LQ_TYPE_Q4_K,
                             LQ_TYPE_Q5_K, LQ_TYPE_Q6_K, LQ_TYPE_IQ4_NL, LQ_TYPE_IQ4_XS};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        one(types[i]);
    CHECK(lq__grid_for(LQ_TYPE_Q4_1) == NULL); /* not listed: GPTQ quantizes whole blocks */
}

LQT_MAIN(grids_match_codecs)
