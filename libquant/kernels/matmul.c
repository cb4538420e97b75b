/* matmul.c — lq_matmul_v2: Y = X W^T for a weight of any type.
 *
 * Weight rows are read through a row decoder (decode.h): the row kernels of
 * the kernel table, the linear kernels, the code kernels, or the type's
 * codec. X is quantized to 8 bits (the type's q8_0 / q8_1 / q8_K) when the
 * type has integer dot products and the flags do not ask for f32
 * (lq_matmul.h states the rule); then, by the number of rows m of X:
 *   - dot (m < LQ__MATMUL_TILE_ROWS, int3/int2: LQ__MATMUL_TILE_ROWS_NARROW):
 *     every weight row is read once and dotted with every quantized row of X
 *     (vec_dot / lin_dot). This is the decoding case, bound by the bytes of W;
 *   - tile (gemm_q8.c): chunks of W are repacked into panels of 8-bit codes
 *     and multiplied with all rows of X by register-tiled integer kernels.
 * In f32:
 *   - dot (m < LQ__MATMUL_GEMM_ROWS): each weight row is decoded into a small
 *     buffer (or read by an f32 dot kernel) and dotted with every row of X;
 *   - gemm: chunks of W are decoded to f32 and multiplied by the BLAS sgemm,
 *     one single-threaded sgemm per chunk on our threads (f32 weights take
 *     this path too, without decoding); a weight of one chunk is decoded
 *     once and the product split over blocks of X's rows instead. No
 *     process-wide state is changed per call (blas.h), so calls may overlap
 *     in many threads.
 * Work is split over weight rows (or X's rows) in chunks, and each output is
 * computed by one thread: on the dot and tile paths the same way in any
 * chunk (so their chunks may follow the thread count), on the gemm path by
 * sgemm calls whose sums follow their sizes (so its chunks depend only on the
 * shapes, and on lq_ctx's small_buffers). Results never depend on the thread
 * count. */
#include <cblas.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../core/tensor.h"
#include "../formats/convert.h"
#include "blas.h"
#include "decode.h"
#include "kernels.h"
#include "matmul.h"
#include "slots.h"
#include "tile.h"

typedef struct mm {
    const lq__kernels *kern;
    lq__qview view;
    lq__row_decoder dec;
    lq_type act_type;         /* F32, or what X is quantized to on the dot path */
    /* dot path: how each row of X is prepared once per call (quantized to
     * act_type, or arranged as the code kernels read it), or NULL: X as it is */
    lq__quant_act_fn act_prep;
    lq__vec_dot_fn vec_dot;   /* row kernels with an integer or float dot */
    lq__vec_dot_rows_fn vec_dot_rows; /* and its many-row form, or NULL */
    const float *x;
    int64_t m, n, k;
    const uint8_t *act;       /* dot path: m (prepared) activation rows of act_bytes */
    size_t act_bytes;
    float *y;                 /* m x n outputs */
    atomic_int nomem;
    lq__slots tiles;          /* gemm path: the decoded weight chunks */
    const float *w_f32;       /* gemm path in one chunk: all of W in f32 */
} mm;

/* The first bytes of a chunk of weight rows, prefetched before its first
 * row is read. The row kernels prefetch LQ__PREFETCH_DISTANCE bytes ahead of
 * where they read, so a thread that reads chunks one after another has each
 * chunk's start in flight when it gets there; with several threads a thread's
 * next chunk is rarely the one after its last, and without this the start of
 * every chunk was read on demand. */
static void prefetch_chunk_start(const uint8_t *w, size_t bytes)
{
    if (bytes > LQ__PREFETCH_DISTANCE)
        bytes = LQ__PREFETCH_DISTANCE;
    for (size_t o = 0; o < bytes; o += 64)
        __builtin_prefetch(w + o);
}

/* Code-table rows (nf4, fp4, fp8): fused decode and f32 dot, a piece of
 * the row at a time, summed over the pieces in order (the activations in
 * f32, arranged by the level's code_act when it has one); LQ__DOT_ROWS rows
 * at once where the level has code_dot_rows, each row's sums the same. */
static void code_rows(const mm *p, int64_t r0, int64_t r1)
{
    const lq__row_decoder *d = &p->dec;
    lq__code_dot_fn dot = p->kern->code_dot[d->code_kind];
    lq__code_dot_rows_fn dot_rows = p->kern->code_dot_rows[d->code_kind];
    size_t code_bytes = (size_t)p->k / (lq__code_4bit(d->code_kind) ? 2 : 1); /* of a row */
    for (int64_t r = r0, nr; r < r1; r += nr) {
        nr = dot_rows && r + LQ__DOT_ROWS <= r1 ? LQ__DOT_ROWS : 1;
        float *out = p->y + r, scales[LQ__DOT_ROWS][LQ__CODE_PIECE_BLOCKS], s[LQ__DOT_ROWS];
        lq__code_row rows[LQ__DOT_ROWS];
        for (int64_t i = 0; i < p->m; i++)
            for (int64_t j = 0; j < nr; j++)
                out[i * p->n + j] = 0.0f;
        for (int64_t c0 = 0, len = 0; c0 < p->k; c0 += len) {
            for (int64_t j = 0; j < nr; j++) /* the same len for every row */
                len = lq__row_decoder_code_piece(d, r + j, c0, scales[j], &rows[j]);
            if (r == r0 && c0 == 0) /* the chunk's codes, one row after another */
                prefetch_chunk_start(rows[0].codes, (size_t)(r1 - r0) * code_bytes);
            for (int64_t i = 0; i < p->m; i++) {
                const float *a = (const float *)(p->act + (size_t)i * p->act_bytes) + c0;
                if (nr > 1)
                    dot_rows(len, rows, a, s);
                else
                    s[0] = dot(len, rows, a);
                for (int64_t j = 0; j < nr; j++)
                    out[i * p->n + j] += s[j];
            }
        }
    }
}

static void dot_rows(void *arg, int64_t r0, int64_t r1)
{
    mm *p = arg;
    const lq__row_decoder *d = &p->dec;
    float *buf = NULL;
    if (d->kind == LQ__DECODE_CODES) {
        code_rows(p, r0, r1);
        return;
    }
    if (p->view.qp->type == LQ_TYPE_F32) { /* rows read in place */
        for (int64_t r = r0; r < r1; r++) {
            const float *wr = (const float *)p->view.data + r * p->k;
            for (int64_t i = 0; i < p->m; i++)
                p->y[i * p->n + r] = p->kern->dot_f32(p->k, wr, p->x + i * p->k);
        }
        return;
    }
    if (p->act_type == LQ_TYPE_F32 && !p->vec_dot) {
        buf = lq__malloc((size_t)p->k * sizeof *buf);
        if (!buf) {
            atomic_store(&p->nomem, 1);
            return;
        }
    }
    if (p->vec_dot)
        prefetch_chunk_start(p->view.data + (size_t)r0 * d->row_bytes, (size_t)(r1 - r0) * d->row_bytes);
    for (int64_t r = r0; r < r1; r++) {
        float *out = p->y + r;
        if (buf) { /* decode the row, then f32 dot products */
            lq__row_decoder_run(d, r, r + 1, buf);
            for (int64_t i = 0; i < p->m; i++)
                out[i * p->n] = p->kern->dot_f32(p->k, buf, p->x + i * p->k);
        } else if (p->vec_dot) {
            const uint8_t *wr = p->view.data + (size_t)r * d->row_bytes;
            if (p->vec_dot_rows && r + LQ__DOT_ROWS <= r1) { /* the same sums, rows interleaved */
                float s[LQ__DOT_ROWS];
                for (int64_t i = 0; i < p->m; i++) {
                    p->vec_dot_rows(p->k, wr, d->row_bytes, p->act + (size_t)i * p->act_bytes, s);
                    for (int j = 0; j < LQ__DOT_ROWS; j++)
                        out[i * p->n + j] = s[j];
                }
                r += LQ__DOT_ROWS - 1;
                continue;
            }
            for (int64_t i = 0; i < p->m; i++)
                out[i * p->n] = p->vec_dot(p->k, wr, p->act + (size_t)i * p->act_bytes);
        } else {
            lq__lin_row row;
            lq__row_decoder_lin_row(d, r, &row);
            for (int64_t i = 0; i < p->m; i++)
                out[i * p->n] = p->kern->lin_dot[d->lin](p->k, &row, p->act + (size_t)i * p->act_bytes);
        }
    }
    lq__free(buf);
}

static void prepare_act_rows(void *arg, int64_t i0, int64_t i1)
{
    mm *p = arg;
    for (int64_t i = i0; i < i1; i++)
        p->act_prep(p->x + i * p->k, (uint8_t *)p->act + (size_t)i * p->act_bytes, p->k);
}

static lq_status nomem(const char *what)
{
    return lq__fail(LQ_ERR_NOMEM, "lq_matmul: cannot allocate %s", what);
}

/* Bytes of weight per chunk of the dot path, at least. Every chunk costs
 * two atomic updates of counters the threads share (the claim and the
 * progress count), each a cache line moved between cores, and a thread's
 * next chunk is rarely next to its last (see prefetch_chunk_start): 2^16
 * multiply-adds made 36 KiB chunks of q4_0 at k = 4096, a few microseconds
 * of reading each. 128 KiB keeps those costs near 1% of a chunk, and still
 * cuts a 4096 x 4096 q4_0 weight into 72 chunks, which leaves the threads
 * less than a chunk apart at the end. */
#define LQ__DOT_CHUNK_BYTES (128 << 10)

/* Weight rows per chunk of the dot path for n rows in all: about 2^16
 * multiply-adds and LQ__DOT_CHUNK_BYTES, whichever is more rows, but no more
 * than a thread's share of the n rows, rounded up to whole groups of
 * LQ__DOT_ROWS, so that the rows are read by the interleaved kernel (at
 * k = 11008 the chunks were 5 rows: one row in five went through the one-row
 * kernel, with its fixed cost per row). Without the share, a decoded token's
 * products on a 512-wide model were one chunk each, on one thread. Where the
 * chunks end never changes a result: each row's sums are the same whichever
 * kernel and chunk read it. */
static int64_t dot_grain(const mm *p, int64_t n, int64_t threads)
{
    int64_t g = lq__grain_for(p->k * p->m, 1 << 16);
    int64_t row_bytes = (int64_t)(p->view.layout.total / (size_t)p->n);
    int64_t by_bytes = lq__grain_for(row_bytes, LQ__DOT_CHUNK_BYTES);
    g = by_bytes > g ? by_bytes : g;
    int64_t share = (n + threads - 1) / threads;
    g = threads > 1 && share < g ? share : g;
    return (g + LQ__DOT_ROWS - 1) / LQ__DOT_ROWS * LQ__DOT_ROWS;
}

static lq_status dot_path(const lq_ctx *ctx, mm *p)
{
    uint8_t *act = NULL;
    lq_status st = LQ_OK;
    p->act_bytes = (size_t)lq__act_row_bytes(p->act_type, p->k);
    if (!p->act_prep) {
        p->act = (const uint8_t *)p->x;
    } else {
        act = lq__malloc(p->act_bytes * (size_t)p->m);
        if (!act)
            return nomem("the prepared activations");
        p->act = act;
        st = lq__parallel_for(ctx, "matmul", p->m, 1, prepare_act_rows, p);
    }
    if (st == LQ_OK)
        st = lq__parallel_for(ctx, "matmul", p->n, dot_grain(p, p->n, lq__ctx_threads(ctx)), dot_rows, p);
    lq__free(act);
    if (st == LQ_OK && atomic_load(&p->nomem))
        st = nomem("a row buffer");
    return st;
}

/* One chunk of the gemm path: decode weight rows [r0, r1) (f32 weights are
 * used in place) and multiply them with all of X by a single-threaded sgemm.
 * Chunks have a fixed size, so each output is computed the same way whatever
 * the number of threads. */
static void gemm_rows(void *arg, int64_t r0, int64_t r1)
{
    mm *p = arg;
    const float *wt = (const float *)p->view.data + r0 * p->k;
    int slot = -1;
    if (p->view.qp->type != LQ_TYPE_F32) {
        float *buf = lq__slot_take(&p->tiles, &slot);
        lq__row_decoder_run(&p->dec, r0, r1, buf);
        wt = buf;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)p->m, (int)(r1 - r0), (int)p->k, 1.0f,
                p->x, (int)p->k, wt, (int)p->k, 0.0f, p->y + r0, (int)p->n);
    if (slot >= 0)
        lq__slot_give(&p->tiles, slot);
}

/* Rows of X per chunk when the weight fits one gemm chunk: the work is then
 * split over X instead, so that every thread gets some. Cutting the weight
 * rows into smaller chunks instead cost 1.1-1.7x the CPU time on the
 * fixture's 768 x 256 f32 weights at m = 256 (X packed again per chunk);
 * blocks of 128 rows of X cost the same as one call (64: 1.2x). */
#define LQ__GEMM_X_ROWS 128

/* Rows [r0, r1) of W decoded into the one-chunk buffer. */
static void decode_rows(void *arg, int64_t r0, int64_t r1)
{
    mm *p = arg;
    lq__row_decoder_run(&p->dec, r0, r1, (float *)p->w_f32 + r0 * p->k);
}

/* Rows [i0, i1) of X times all of W (in f32). */
static void gemm_x_rows(void *arg, int64_t i0, int64_t i1)
{
    mm *p = arg;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(i1 - i0), (int)p->n, (int)p->k, 1.0f,
                p->x + i0 * p->k, (int)p->k, p->w_f32, (int)p->k, 0.0f, p->y + i0 * p->n,
                (int)p->n);
}

/* The gemm path's chunks of W: about 32 MiB of f32 weights, a multiple of
 * 16 rows: every chunk's sgemm packs all of X again, which with 8 MiB chunks
 * cost nf4 0.76x sgemm at m = 512 on 4096 x 14336 (0.87x with 32 MiB); under
 * a memory limit 8 MiB, since there is one buffer per thread (2 x 33.5 MB of
 * a calibration walk's peak on the calib_mem model) */
static int64_t gemm_chunk_rows(const lq_ctx *ctx, int64_t k)
{
    int64_t rows = ((int64_t)1 << (ctx && ctx->small_buffers ? 21 : 23)) / k / 16 * 16;
    return rows < 16 ? 16 : rows;
}

static lq_status gemm_path(const lq_ctx *ctx, mm *p)
{
    int64_t rows = gemm_chunk_rows(ctx, p->k);
    int64_t chunks = (p->n + rows - 1) / rows, threads = lq__ctx_threads(ctx);
    bool decode = p->view.qp->type != LQ_TYPE_F32;
    size_t tile_bytes;
    /* one decode buffer per thread, allocated once per call (fresh pages for
     * every chunk would cost the kernel's zeroing each time) */
    if (decode &&
        (!lq__mul_size((size_t)rows * sizeof(float), (size_t)p->k, &tile_bytes) ||
         !lq__slots_init(&p->tiles, (int)(threads < chunks ? threads : chunks), tile_bytes)))
        return nomem("the weight tiles");
    /* Our threads run the chunks; OpenBLAS must not split them again (its
     * results would then depend on its thread count) */
    lq__blas_serial();
    lq_status st = LQ_OK;
    if (chunks == 1 && p->m >= 2 * LQ__GEMM_X_ROWS) {
        /* the whole weight decoded once (by all threads), then split over X */
        p->w_f32 = decode ? (const float *)p->tiles.mem : (const float *)p->view.data;
        if (decode)
            st = lq__parallel_for(ctx, "matmul", p->n, 64, decode_rows, p);
        if (st == LQ_OK)
            st = lq__parallel_for(ctx, "matmul", p->m, LQ__GEMM_X_ROWS, gemm_x_rows, p);
    } else {
        st = lq__parallel_for(ctx, "matmul", p->n, rows, gemm_rows, p);
    }
    if (decode)
        lq__slots_free(&p->tiles);
    return st;
}

/* The activation type of the type's integer dot product (q8_0, q8_1 or
 * q8_K), or F32 when it has none. */
static lq_type q8_act_type(const mm *p)
{
    const lq__type_kernels *tk = &p->kern->t[p->view.qp->type];
    if (p->dec.kind == LQ__DECODE_ROW_KERNEL && tk->vec_dot)
        return tk->act_type;
    if (p->dec.kind == LQ__DECODE_LINEAR && p->k % 32 == 0 && p->dec.map.group % 32 == 0)
        return LQ_TYPE_Q8_0;
    return LQ_TYPE_F32;
}

/* Whether the product goes to the tile kernels (many rows of X quantized);
 * f is then their format. */
static bool takes_tile_path(const mm *p, lq__tile_format *f)
{
    return p->act_type != LQ_TYPE_F32 && p->m >= LQ__MATMUL_TILE_ROWS && lq__tile_format_for(&p->dec, f) &&
           p->m >= (f->family == LQ__TILE_B32 && f->umax < 15 ? LQ__MATMUL_TILE_ROWS_NARROW
                                                              : LQ__MATMUL_TILE_ROWS);
}

/* Set up the decoder and decide whether X is quantized (lq_matmul.h states
 * the rule of flags 0). The caller has checked the layout of p->view. */
static void plan(mm *p, unsigned flags)
{
    lq__row_decoder_init(&p->dec, p->kern, &p->view);
    lq_type q8 = q8_act_type(p);
    int64_t f32_rows = p->kern->tile_f32_rows;
    int quantize = q8 != LQ_TYPE_F32 && !(flags & LQ_MATMUL_ACT_F32) &&
                   ((flags & LQ_MATMUL_ACT_8BIT) || !f32_rows || p->m < f32_rows);
    p->act_type = quantize ? q8 : LQ_TYPE_F32;
    if (quantize)
        p->act_prep = lq__level_quant_act(p->kern, q8);
    else if (p->dec.kind == LQ__DECODE_CODES)
        p->act_prep = p->kern->code_act[p->dec.code_kind];
    else
        p->act_prep = NULL;
    p->vec_dot = NULL;
    p->vec_dot_rows = NULL;
    /* row kernels with a dot product: the integer one when quantizing, or
     * f16 / bf16's float one (not for LQ__MATMUL_F32_SUMS: their rows are
     * then decoded for the f32 dot) */
    if (p->dec.kind == LQ__DECODE_ROW_KERNEL && p->kern->t[p->view.qp->type].act_type == p->act_type &&
        !(p->act_type == LQ_TYPE_F32 && (flags & LQ__MATMUL_F32_SUMS))) {
        p->vec_dot = p->kern->t[p->view.qp->type].vec_dot;
        p->vec_dot_rows = p->kern->t[p->view.qp->type].vec_dot_rows;
    }
}

/* The view of w with its layout checked; false (and a message) when w's
 * bytes do not match its layout. */
static lq_status view_of(const char *fn, const lq_tensor *w, lq__qparams *qp, lq__qview *v)
{
    lq__tensor_qparams(w, qp);
    *v = (lq__qview){w->data, w->shape[0], w->shape[1], qp, {0}};
    lq_status st = lq__codec_layout(fn, qp, v->rows, v->cols, &v->layout);
    if (st == LQ_OK && v->layout.total != w->nbytes)
        st = lq__fail(LQ_ERR_INTERNAL, "%s: tensor '%s' holds %zu bytes, its layout %zu", fn, w->name,
                      w->nbytes, v->layout.total);
    return st;
}

int64_t lq__matmul_split_rows(const lq_ctx *ctx, const lq_tensor *w, int64_t m, unsigned flags)
{
    lq__qparams qp;
    mm p = {.kern = lq__kernels_get(), .m = m, .n = w->shape[0], .k = w->shape[1]};
    if (m < 1 || p.n < 1 || p.k < 1 || view_of("lq_matmul", w, &qp, &p.view) != LQ_OK)
        return 0;
    plan(&p, flags);
    /* the tile and dot paths compute each output alike in any chunk; the
     * gemm path's sgemm calls stay the same when a run starts at one of
     * its chunks and spans two or more (one chunk takes the other split) */
    return p.act_type == LQ_TYPE_F32 && m >= LQ__MATMUL_GEMM_ROWS ? gemm_chunk_rows(ctx, p.k) : 16;
}

int lq__matmul_quantizes_activations(const lq_tensor *w, int64_t m, unsigned flags)
{
    lq__qparams qp;
    mm p = {.kern = lq__kernels_get(), .m = m, .n = w->shape[0], .k = w->shape[1]};
    if (w->type == LQ_TYPE_F32 || view_of("lq_matmul", w, &qp, &p.view) != LQ_OK)
        return 0;
    plan(&p, flags);
    return p.act_type != LQ_TYPE_F32;
}

lq_status lq__matmul(const lq_ctx *ctx, const float *x, int64_t m, const lq_tensor *w, float *y,
                     unsigned flags)
{
    lq__qparams qp;
    mm p = {.kern = lq__kernels_get(), .x = x, .m = m, .n = w->shape[0], .k = w->shape[1], .y = y};
    atomic_init(&p.nomem, 0);
    lq_status st = view_of("lq_matmul", w, &qp, &p.view);
    if (st != LQ_OK)
        return st;
    lq__tile_format f;
    bool tile = false;
    if (m > 0 && p.n > 0 && p.k > 0) {
        plan(&p, flags);
        tile = takes_tile_path(&p, &f);
    }
    int check = (flags & LQ__MATMUL_CHECK_X) != 0;
    if (check && !tile && (st = lq__check_x(x, m, p.k)) != LQ_OK)
        return st;
    if (m == 0 || p.n == 0)
        return LQ_OK;
    if (p.k == 0) {
        for (int64_t i = 0; i < m * p.n; i++)
            y[i] = 0.0f;
        return LQ_OK;
    }
    if (tile)
        return lq__tile_matmul(ctx, p.kern, &p.dec, &f, p.act_type, x, m, y, check);
    if (p.act_type == LQ_TYPE_F32 && m >= LQ__MATMUL_GEMM_ROWS)
        return gemm_path(ctx, &p);
    return dot_path(ctx, &p);
}

/* The products of lq__matmul_shared: rows [r0, r1) of all the weights'
 * rows one after another. */
typedef struct shared {
    mm p[LQ__MATMUL_SHARED_MAX];
    lq__qparams qp[LQ__MATMUL_SHARED_MAX]; /* the views point at them */
    int64_t first[LQ__MATMUL_SHARED_MAX]; /* where each weight's rows start */
    int count;
} shared;

static void shared_rows(void *arg, int64_t r0, int64_t r1)
{
    shared *s = arg;
    for (int j = 0; j < s->count; j++) {
        int64_t b = s->first[j], e = b + s->p[j].n;
        int64_t lo = r0 > b ? r0 : b, hi = r1 < e ? r1 : e;
        if (lo < hi)
            dot_rows(&s->p[j], lo - b, hi - b);
    }
}

/* Plan every product of s; false when one is empty or their k differ. */
static bool plan_all(shared *s, unsigned flags)
{
    for (int j = 0; j < s->count; j++) {
        mm *p = &s->p[j];
        if (p->n == 0 || p->k == 0 || p->k != s->p[0].k)
            return false;
        plan(p, flags);
    }
    return true;
}

/* Whether every product of s (planned) takes the dot path with X quantized
 * to the same type (then X can be quantized once for all). */
static bool dot_shareable(const shared *s)
{
    for (int j = 0; j < s->count; j++) {
        const mm *p = &s->p[j];
        lq__tile_format f;
        if (p->act_type == LQ_TYPE_F32 || p->act_type != s->p[0].act_type || takes_tile_path(p, &f))
            return false;
    }
    return true;
}

static bool same_tile_format(const lq__tile_format *a, const lq__tile_format *b)
{
    return a->family == b->family && a->block == b->block && a->offset == b->offset &&
           a->wide == b->wide && a->has_min == b->has_min && a->has_zero == b->has_zero &&
           a->sub == b->sub && a->umax == b->umax && a->block_bytes == b->block_bytes;
}

/* Whether every product of s (planned) takes the tile path in one format f
 * with X quantized to one type (then X is quantized and prepared once). */
static bool tile_shareable(const shared *s, lq__tile_format *f)
{
    _Static_assert(LQ__MATMUL_SHARED_MAX <= LQ__TILE_SHARED_MAX, "tile products share as many X");
    for (int j = 0; j < s->count; j++) {
        const mm *p = &s->p[j];
        lq__tile_format fj;
        if (p->act_type != s->p[0].act_type || !takes_tile_path(p, &fj) || (j && !same_tile_format(&fj, f)))
            return false;
        if (!j)
            *f = fj;
    }
    return true;
}

lq_status lq__matmul_shared(const lq_ctx *ctx, const float *x, int64_t m, const lq_tensor *const *w,
                            int count, float *const *y, unsigned flags)
{
    shared s = {.count = count};
    lq_status st = count < 1 || count > LQ__MATMUL_SHARED_MAX
                       ? lq__fail(LQ_ERR_INVALID, "lq_matmul: %d products share X", count)
                       : LQ_OK;
    for (int j = 0; st == LQ_OK && j < count; j++) {
        mm *p = &s.p[j];
        *p = (mm){.kern = lq__kernels_get(), .x = x, .m = m, .n = w[j]->shape[0],
                  .k = w[j]->shape[1], .y = y[j]};
        atomic_init(&p->nomem, 0);
        st = view_of("lq_matmul", w[j], &s.qp[j], &p->view);
        s.first[j] = j ? s.first[j - 1] + s.p[j - 1].n : 0;
    }
    bool planned = st == LQ_OK && m > 0 && plan_all(&s, flags);
    lq__tile_format f;
    if (planned && tile_shareable(&s, &f)) {
        const lq__row_decoder *dec[LQ__MATMUL_SHARED_MAX];
        for (int j = 0; j < count; j++)
            dec[j] = &s.p[j].dec;
        return lq__tile_matmul_shared(ctx, s.p[0].kern, count, dec, &f, s.p[0].act_type, x, m, y,
                                      (flags & LQ__MATMUL_CHECK_X) != 0);
    }
    /* the other paths check X first, once for all the weights */
    if (st == LQ_OK && (flags & LQ__MATMUL_CHECK_X) && count > 0)
        st = lq__check_x(x, m, s.p[0].k);
    flags &= ~LQ__MATMUL_CHECK_X;
    if (st != LQ_OK)
        return st;
    if (planned && dot_shareable(&s)) {
        mm *p0 = &s.p[0];
        size_t act_bytes = (size_t)lq__act_row_bytes(p0->act_type, p0->k);
        uint8_t *act = lq__malloc(act_bytes * (size_t)m);
        if (!act)
            st = nomem("the prepared activations");
        else {
            p0->act = act;
            p0->act_bytes = act_bytes;
            st = lq__parallel_for(ctx, "matmul", m, 1, prepare_act_rows, p0);
            for (int j = 1; j < count; j++) {
                s.p[j].act = act;
                s.p[j].act_bytes = act_bytes;
            }
            int64_t rows = s.first[count - 1] + s.p[count - 1].n;
            if (st == LQ_OK)
                st = lq__parallel_for(ctx, "matmul", rows, dot_grain(p0, rows, lq__ctx_threads(ctx)),
                                      shared_rows, &s);
            lq__free(act);
            for (int j = 0; j < count; j++)
                if (st == LQ_OK && atomic_load(&s.p[j].nomem))
                    st = nomem("a row buffer");
        }
    } else {
        for (int j = 0; st == LQ_OK && j < count; j++)
            st = lq__matmul(ctx, x, m, w[j], y[j], flags);
    }
    return st;
}

lq_status lq_matmul_v2(lq_ctx *ctx, const float *x, int64_t m, const lq_tensor *w, unsigned flags,
                       float *y)
{
    static const char fn[] = "lq_matmul";
    const unsigned acts = LQ_MATMUL_ACT_8BIT | LQ_MATMUL_ACT_F32;
    if ((flags & ~acts) || (flags & acts) == acts)
        return lq__fail(LQ_ERR_INVALID, "%s: flags 0x%x (known: LQ_MATMUL_ACT_8BIT or "
                        "LQ_MATMUL_ACT_F32, not both)", fn, flags);
    if (!w || (m > 0 && (!x || !y)))
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (m < 0)
        return lq__fail(LQ_ERR_INVALID, "%s: m = %lld rows", fn, (long long)m);
    if (w->ndim != 2)
        return lq__fail(LQ_ERR_SHAPE, "%s: weight '%s' has %d dimensions, not 2 ([n, k])", fn,
                        w->name, w->ndim);
    int64_t n = w->shape[0], k = w->shape[1];
    if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) /* the BLAS takes int sizes */
        return lq__fail(LQ_ERR_SHAPE, "%s: [%lld x %lld] x [%lld x %lld]^T exceeds 2^31 - 1 "
                        "in a dimension", fn, (long long)m, (long long)k, (long long)n,
                        (long long)k);
    return lq__matmul(ctx, x, m, w, y, flags | LQ__MATMUL_CHECK_X);
}

lq_status lq_matmul(lq_ctx *ctx, const float *x, int64_t m, const lq_tensor *w, float *y)
{
    return lq_matmul_v2(ctx, x, m, w, 0, y);
}
