/* gemm_q8.c — the many-row integer product (tile.h): X quantized once to the
 * weight type's activation type, then chunks of weight rows repacked into
 * panels and multiplied with every row of X by the level's tile kernel.
 *
 * A chunk's panels are sized to stay in L2 while the kernel passes over all
 * activation rows a few at a time (those stay in L1), so each weight byte is
 * read from memory once per call and each activation byte once per chunk.
 * Each output comes from one kernel call over the whole of k, so results
 * depend neither on the thread count nor on the chunk size. */

#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "nonfinite.h"
#include "slots.h"
#include "tile.h"

/* Panel bytes per chunk: half the L2 cache. Every chunk passes over all of
 * X, so larger chunks read X fewer times, until the panels no longer stay in
 * L2 (measured on 4096 x 4096 q4_0, batch 512, 2 MiB L2: 267 GFLOP/s with
 * 256 KiB chunks, 305 with 512 KiB, 347 with 1 MiB, 256 with 2 MiB). The
 * chunk size never changes a result: each output is computed whole by one
 * kernel call, the same way in any chunk. */
static size_t chunk_bytes(void)
{
    long l2 = 0;
#ifdef _SC_LEVEL2_CACHE_SIZE
    l2 = sysconf(_SC_LEVEL2_CACHE_SIZE); /* 0 or -1 when unknown */
#endif
    return l2 >= (1 << 19) && l2 <= (1 << 23) ? (size_t)l2 / 2 : (size_t)1 << 19;
}

typedef struct tile_weight {
    const lq__row_decoder *dec;
    float *y;
    int64_t n;           /* weight rows: y's row stride */
    int64_t rows;        /* weight rows per chunk */
    int64_t first_chunk; /* index of its first chunk in the job */
} tile_weight;

typedef struct tile_job {
    const lq__kernels *kern;
    const lq__tile_format *f;
    lq_type act_type;
    const float *x;
    uint8_t *q8;       /* m activation rows in act_type */
    size_t q8_bytes;   /* bytes of one */
    lq__tile_act act;
    int64_t k;
    int count;
    int check_x;         /* check X's rows for infinity and NaN */
    atomic_int nonfinite; /* set when one is not finite */
    tile_weight w[LQ__TILE_SHARED_MAX];
    lq__slots slots;
} tile_job;

static void quant_rows(void *arg, int64_t i0, int64_t i1)
{
    tile_job *p = arg;
    lq__quant_act_fn q = lq__level_quant_act(p->kern, p->act_type);
    for (int64_t i = i0; i < i1; i++) {
        uint8_t *row = p->q8 + (size_t)i * p->q8_bytes;
        /* the row is read here anyway, by the thread that quantizes it; a
         * row that is not finite is not quantized (nothing is multiplied
         * then), only zeroed for the fill below */
        if (p->check_x && lq__first_nonfinite(p->x + i * p->k, p->k) < p->k) {
            atomic_store(&p->nonfinite, 1);
            memset(row, 0, p->q8_bytes);
            continue;
        }
        q(p->x + i * p->k, row, p->k);
    }
    lq__tile_act_fill(p->f, p->q8, p->q8_bytes, i0, i1, &p->act);
}

/* Chunks [c0, c1) of the job: each a run of one weight's rows. */
static void weight_chunks(void *arg, int64_t c0, int64_t c1)
{
    tile_job *p = arg;
    for (int64_t c = c0; c < c1; c++) {
        int j = p->count - 1;
        while (c < p->w[j].first_chunk)
            j--;
        const tile_weight *w = &p->w[j];
        int64_t r0 = (c - w->first_chunk) * w->rows;
        int64_t nr = w->n - r0 < w->rows ? w->n - r0 : w->rows;
        int slot;
        uint8_t *panels = lq__slot_take(&p->slots, &slot);
        lq__tile_pack(p->f, w->dec, p->kern, r0, nr, panels);
        p->kern->tile_gemm[p->f->family](p->f, panels, nr, &p->act, w->y + r0, w->n);
        lq__slot_give(&p->slots, slot);
    }
}

/* Chunks per thread at most, with more than one thread: a thread that
 * starts late (woken late, or its core taken for a while) then leaves only
 * a small chunk to the others instead of half the product. Each chunk
 * streams X once more, from L2 when X fits it (a window of 256 rows of a
 * 512-wide model is 128 KiB of codes), and costs a claim. */
#define LQ__TILE_CHUNKS_PER_THREAD 4

/* Weight rows per chunk: whole panels, about chunk_bytes() of them, but
 * no more than a quarter of a thread's share, so that a small weight (a
 * 512-wide model's whole matrix fits one chunk) still keeps every thread
 * busy to the end. */
static int64_t chunk_rows(const lq__tile_format *f, int64_t n, int64_t k, int64_t threads)
{
    size_t panel = lq__tile_panels_bytes(f, LQ__TILE_ROWS, k), target = chunk_bytes();
    int64_t panels = panel && panel < target ? (int64_t)(target / panel) : 1;
    int64_t tiles = (n + LQ__TILE_ROWS - 1) / LQ__TILE_ROWS, parts = threads * LQ__TILE_CHUNKS_PER_THREAD;
    int64_t share = threads > 1 ? (tiles + parts - 1) / parts : tiles;
    if (panels > share)
        panels = share > 0 ? share : 1;
    return panels * LQ__TILE_ROWS;
}

/* Rows of X per chunk of the quantization: a few tens of microseconds of
 * work, so that the threads share it even for one window of a small model
 * (2^16 elements per chunk left a 256 x 256 X to one thread). Where the
 * chunks end never changes a byte: each row is quantized on its own. */
#define LQ__TILE_QUANT_ELEMS (1 << 13)

lq_status lq__tile_matmul_shared(const lq_ctx *ctx, const lq__kernels *kern, int count,
                                 const lq__row_decoder *const *dec, const lq__tile_format *f,
                                 lq_type act_type, const float *x, int64_t m, float *const *y,
                                 int check_x)
{
    if (count < 1 || count > LQ__TILE_SHARED_MAX)
        return lq__fail(LQ_ERR_INTERNAL, "lq_matmul: %d tile products share X", count);
    tile_job p = {.kern = kern, .f = f, .act_type = act_type, .x = x, .k = dec[0]->view->cols,
                  .count = count, .check_x = check_x};
    atomic_init(&p.nonfinite, 0);
    int64_t threads = lq__ctx_threads(ctx), chunks = 0;
    size_t panel_bytes = 0;
    for (int j = 0; j < count; j++) {
        tile_weight *w = &p.w[j];
        *w = (tile_weight){.dec = dec[j], .y = y[j], .n = dec[j]->view->rows, .first_chunk = chunks};
        w->rows = chunk_rows(f, w->n, p.k, threads);
        chunks += (w->n + w->rows - 1) / w->rows;
        size_t b = lq__tile_panels_bytes(f, w->rows, p.k);
        panel_bytes = b > panel_bytes ? b : panel_bytes;
    }
    int bias = f->wide ? kern->tile_wide_bias : 0;
    lq_status st = lq__tile_act_alloc(f, m, p.k, bias, &p.act);
    if (st != LQ_OK)
        return st;
    p.q8_bytes = (size_t)lq__act_row_bytes(act_type, p.k);
    size_t q8_total;
    p.q8 = lq__mul_size(p.q8_bytes, (size_t)m, &q8_total) ? lq__malloc(q8_total) : NULL;
    if (!p.q8) {
        lq__tile_act_free(&p.act);
        return lq__fail(LQ_ERR_NOMEM, "lq_matmul: cannot allocate the quantized activations");
    }
    st = lq__parallel_for(ctx, "matmul", m, lq__grain_for(p.k, LQ__TILE_QUANT_ELEMS), quant_rows, &p);
    lq__free(p.q8);
    p.q8 = NULL;
    if (st == LQ_OK && atomic_load(&p.nonfinite)) /* the message names the first one */
        st = lq__check_x(x, m, p.k);
    if (st == LQ_OK && !lq__slots_init(&p.slots, (int)(threads < chunks ? threads : chunks), panel_bytes))
        st = lq__fail(LQ_ERR_NOMEM, "lq_matmul: cannot allocate the weight panels");
    if (st == LQ_OK) {
        /* every weight's chunks in one job: one wake-up of the pool */
        st = lq__parallel_for(ctx, "matmul", chunks, 1, weight_chunks, &p);
        lq__slots_free(&p.slots);
    }
    lq__tile_act_free(&p.act);
    return st;
}

lq_status lq__tile_matmul(const lq_ctx *ctx, const lq__kernels *kern, const lq__row_decoder *dec,
                          const lq__tile_format *f, lq_type act_type, const float *x, int64_t m,
                          float *y, int check_x)
{
    return lq__tile_matmul_shared(ctx, kern, 1, &dec, f, act_type, x, m, &y, check_x);
}
