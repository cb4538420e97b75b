/* gptq.c — GPTQ (Frantar et al. 2022) as IST-DASLab/gptq and AutoGPTQ run it
 * (doc/methods.md; facts in algorithms.md 1.2-1.6).
 *
 * Columns are quantized one after another; the error of each is spread over
 * the columns not yet quantized through the upper Cholesky factor U of H^-1,
 * within blocks of 128 columns (rank-1 updates) and lazily to the rest
 * (one sgemm per block). W is kept transposed, one source column per row of
 * `wt`, so both updates run over contiguous memory.
 *
 * Int types follow the reference exactly: damping percdamp x mean diag(H),
 * dead columns, act_order (descending diag, ties to the lower index),
 * static_groups, and group parameters taken at a group's first column from
 * the current W outside the block (the in-block updates of that group's
 * later columns are not seen yet: the reference's quirk, kept).
 *
 * ggml block types: a block's scales depend on all of its 32 or 256 values.
 * At a block's first column the type's quantize_row chooses them from the
 * current (already updated) W, with the caller's importance weights, or else
 * the calibration set's mean x^2 (llama.cpp's imatrix of these same
 * activations), as the reference chooses a group's grid at its first column.
 * Then, for the types whose elements each have a grid a level(q) + b
 * (formats/ggml_grid.h), the block's columns are rounded one at a time onto
 * that fixed grid, each column's error fed to the ones after it, inside the
 * block too; any other type keeps quantize_row's codes for the whole block
 * and feeds the errors of its columns forward. act_order
 * orders whole blocks by their summed diagonal, so the layout stays
 * llama.cpp's: a file has no column permutation (g_idx), so there is no
 * act_order within a block. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lq/lq_methods.h>

#include "../calib/calib.h"
#include "../calib/panels.h"
#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../core/tensor.h"
#include "../core/type_info.h"
#include "../formats/ggml_grid.h"
#include "../formats/linear.h"
#include "../kernels/blas.h"
#include "gptq_factor.h"
#include "gptq_order.h"
#include "methods.h"
#include "quantize.h"

#define GPTQ_BLOCK 128
/* GPTQ runs over chunks of rows of about this many floats of work space per
 * row set (the working copy, cols per row, and the per-block buffers, 5 x 256
 * per row for the ggml types, which is more than the int types' two blocks
 * of 128 and their grids): a row's errors move along its own columns only,
 * through the shared U and the shared column order, so rows are independent
 * given those, and the working copy and the per-block buffers, which are as
 * tall as the weight, stay bounded for a tall weight (the output head of a
 * 128 k vocabulary: 1.05 GB of them at once). Per-channel and per-group
 * grids are a row's own; a per-tensor grid is found first, in a pass over
 * all rows. */
#define GPTQ_CHUNK_FLOATS ((int64_t)1 << 24)
/* The weight's rows are read (widened to f32 and checked, lq__method_rows)
 * about this many floats at a time, into the chunk's working copy. */
#define GPTQ_READ_FLOATS ((int64_t)1 << 18)

typedef struct gptq {
    const lq__method_job *job;
    int64_t rows, cols;  /* rows: of the current chunk */
    int64_t row0;        /* its first row */
    float *read;      /* read_rows x cols: source rows as read */
    int64_t read_rows;
    float *wt;        /* cols x rows: W^T in processing order */
    float *u;         /* cols x cols in row panels, upper triangle: U with H^-1 = U^T U */
    int32_t *perm;    /* processing position -> source column */
    float *hdiag;     /* cols: H's diagonal, 0 for a dead column */
    bool shared;      /* u, perm and hdiag belong to the calibration set */
    bool in_place;    /* u is the set's H, taken (the set has H in its file) */
    int permuted_out; /* codes stored in processing order (act_order, groups) */
    int64_t bsz;      /* columns per lazy-update block */
    /* int types */
    lq__linear_map m;
    lq__linear_param *cur;  /* rows: the grid of the current group */
    lq__linear_param *stat; /* static groups or channel/tensor: n_params x rows */
    /* ggml types */
    const lq__codec *codec;
    int64_t be, bb;   /* elements and bytes per block */
    const float *imatrix; /* the caller's, or own_imatrix */
    float *own_imatrix;
    const lq__grid_ops *grid; /* per-element grids, or NULL: whole blocks */
    float *ga, *gb;   /* be x rows: the grid a q + b of the current block's elements */
} gptq;

static int is_int(lq_type t) { return lq__linear_bits(t) != 0; }

/* Stored column of processing position c. */
static int64_t out_col(const gptq *g, int64_t c)
{
    return g->permuted_out ? c : g->perm[c];
}

/* ---- the Hessian, its order and its inverse factor -------------------- */

typedef struct {
    double key;
    int32_t index;
} ranked;

/* Descending key, then ascending index: a total order, so qsort's result is
 * the same everywhere. */
static int by_key_desc(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? 1 : -1;
    return (a->index > b->index) - (a->index < b->index);
}

/* The processing order: identity, or by descending diag(H) with ties to the
 * lower index (torch's argsort is not stable, so the reference is not
 * reproducible on ties). For ggml types whole blocks move, ordered by their
 * summed diagonal. */
static lq_status find_order(gptq *g, const double *diag)
{
    const int64_t n = g->cols;
    const int64_t unit = g->codec ? g->be : 1, nu = n / unit;
    for (int64_t i = 0; i < n; i++)
        g->perm[i] = (int32_t)i;
    if (!g->job->scheme->act_order)
        return LQ_OK;
    ranked *r = lq__malloc((size_t)nu * sizeof *r);
    if (!r)
        return lq__fail(LQ_ERR_NOMEM, "gptq: out of memory");
    for (int64_t b = 0; b < nu; b++) {
        r[b].key = 0;
        for (int64_t k = 0; k < unit; k++)
            r[b].key += diag[b * unit + k];
        r[b].index = (int32_t)b;
    }
    qsort(r, (size_t)nu, sizeof *r, by_key_desc);
    for (int64_t b = 0; b < nu; b++)
        for (int64_t k = 0; k < unit; k++)
            g->perm[b * unit + k] = (int32_t)(r[b].index * unit + k);
    lq__free(r);
    return LQ_OK;
}

/* The calibration set's H in processing order into a, as
 * lq__gptq_order_hessian leaves it. H comes from the set's memory, or from
 * its file once GPTQ has taken that memory (in_place): at the first attempt
 * a is that memory and holds H already. */
static lq_status load_hessian(const gptq *g, const double *diag, float *a, bool first)
{
    const lq_calib *c = g->job->calib;
    const float *src = !g->in_place ? c->h : first ? a : NULL;
    return lq__gptq_order_hessian(a, g->cols, src, c, g->perm, diag);
}

/* Damp H and factor it, in place in g->u. Like GPTQModel: on failure raise
 * the damping by 0.01 while it stays below 1; if that does not help, add a
 * diagonal floor of 1e-6 max diag x 10^(k-1) (k = 1..6) and run the damping
 * loop again. Each attempt loads H again (load_hessian), from the set's
 * memory or its file, so no other copy of H is needed. */
static lq_status damp_and_factor(gptq *g, const double *diag)
{
    const int64_t n = g->cols;
    double mean = 0, maxd = 0;
    for (int64_t i = 0; i < n; i++) { /* summed in processing order, as the reference */
        mean += diag[g->perm[i]];
        maxd = fmax(maxd, fabs(diag[i]));
    }
    mean /= (double)n;
    float *a = g->u;
    bool ok = false, first = true;
    const int threads = lq__ctx_threads(g->job->q.ctx);
    lq_status st = LQ_OK;
    for (int floor_step = 0; floor_step <= 6 && !ok && st == LQ_OK; floor_step++) {
        double floor = floor_step ? 1e-6 * maxd * pow(10.0, floor_step - 1) : 0.0;
        for (double p = g->job->scheme->damp; p < 1.0 && !ok && st == LQ_OK; p += 0.01) {
            st = load_hessian(g, diag, a, first);
            first = false;
            for (int64_t i = 0; st == LQ_OK && i < n; i++) {
                float *d = lq__panels_at(a, n, i, i);
                *d = (float)((double)*d + p * mean + floor);
            }
            if (st == LQ_OK)
                st = lq__gptq_inverse_factor(threads, a, n, &ok);
        }
    }
    if (st != LQ_OK)
        return st;
    return ok ? LQ_OK : lq__fail(LQ_ERR_NUMERIC, "gptq: the Hessian is not positive definite "
                                 "even with damping up to 1 and a diagonal floor");
}

/* The key of what prepare_factor makes (lq__calib_factor): the order moves
 * units of one column (int types) or of one block (ggml types) when
 * act_order is on, and the damping starts at the scheme's. Nothing else
 * enters find_order and damp_and_factor: they read only H (its diagonal,
 * with dead columns as 1), that order and the damping, and their fallback
 * loop is a fixed sequence of attempts. The weight, its type beyond the unit,
 * its groups (static or not) and the importance weights do not enter, so
 * every weight on one set with the same key gets the same U and order, and
 * taking them from an earlier weight is exact. */
static lq__calib_factor factor_key(const gptq *g)
{
    lq__calib_factor k = {.damp = g->job->scheme->damp};
    if (g->job->scheme->act_order)
        k.unit = g->codec ? g->be : 1;
    return k;
}

/* The processing order and the damped, factored Hessian: taken from the set
 * when an earlier weight left them with the same key, else made, and then
 * left on the set when its owner shares it. A shared set that can keep H in
 * its file gives GPTQ H's own memory to factor in (lq__calib_take_hessian),
 * so that one half matrix (H's row panels, calib/panels.h) is held, not
 * two; a later weight that needs H again (another key) reads it back. */
static lq_status prepare_factor(gptq *g)
{
    const lq__method_job *job = g->job;
    /* a shared set is the owner's, used by one thread at a time (calib.h) */
    lq_calib *c = (lq_calib *)job->calib;
    const int64_t n = g->cols;
    lq__calib_factor key = factor_key(g);
    if (c->share && c->factor.u && c->factor.unit == key.unit && c->factor.damp == key.damp) {
        g->u = c->factor.u;
        g->perm = c->factor.perm;
        g->hdiag = c->factor.hdiag;
        g->shared = true;
        return LQ_OK;
    }
    g->in_place = c->share && lq__calib_spillable(c);
    if (g->in_place) /* before H comes back from its file: one half matrix */
        lq__calib_drop_factor(c);
    lq_status st = lq__calib_unpark(c);
    g->perm = lq__malloc((size_t)n * sizeof *g->perm);
    g->hdiag = lq__malloc((size_t)n * sizeof *g->hdiag);
    double *diag = lq__malloc((size_t)n * sizeof *diag);
    if (st == LQ_OK && (!g->perm || !g->hdiag || !diag))
        st = lq__fail(LQ_ERR_NOMEM, "gptq: out of memory");
    for (int64_t i = 0; st == LQ_OK && i < n; i++) {
        g->hdiag[i] = *lq__panels_at(c->h, n, i, i);
        diag[i] = g->hdiag[i] == 0.0f ? 1.0 : g->hdiag[i]; /* dead: 1 */
    }
    if (st == LQ_OK)
        st = find_order(g, diag);
    if (st == LQ_OK && g->in_place)
        st = lq__calib_take_hessian(c, &g->u);
    else if (st == LQ_OK && !(g->u = lq__malloc(lq__panel_offset(n, lq__panels_count(n)) *
                                                sizeof *g->u)))
        st = lq__fail(LQ_ERR_NOMEM, "gptq: cannot allocate the %lld x %lld inverse factor",
                      (long long)n, (long long)n);
    if (st == LQ_OK)
        st = damp_and_factor(g, diag);
    lq__free(diag);
    if (st == LQ_OK && c->share) {
        lq__calib_drop_factor(c);
        key.u = g->u;
        key.perm = g->perm;
        key.hdiag = g->hdiag;
        c->factor = key;
        g->shared = true;
    }
    return st;
}

/* ---- int types ---------------------------------------------------------- */

/* The reference quantizer's grid for [lo, hi]: an all-zero range becomes
 * [-1, 1] (find_params), which matters when later updates move those
 * columns away from zero. */
static lq_status grid_for(const gptq *g, float lo, float hi, lq__linear_param *p)
{
    if (lo == 0.0f && hi == 0.0f) {
        lo = -1.0f;
        hi = 1.0f;
    }
    return lq__linear_param_for_range(lo, hi, g->m.bits, g->m.sym, g->m.scale_type, p);
}

/* Grids of `rows` rows over source columns [c0, c0 + len) of the original W
 * (before dead columns are zeroed, as the reference's find_params(W) runs
 * first for per-channel grids) or of wt rows (processing order). */
static lq_status grids_of(const gptq *g, const float *w, int64_t rows, int64_t stride_r,
                          int64_t stride_c, int64_t len, lq__linear_param *out)
{
    for (int64_t r = 0; r < rows; r++) {
        float lo = 0.0f, hi = 0.0f;
        for (int64_t k = 0; k < len; k++) {
            float v = w[r * stride_r + k * stride_c];
            lo = fminf(lo, v);
            hi = fmaxf(hi, v);
        }
        lq_status st = grid_for(g, lo, hi, &out[r]);
        if (st != LQ_OK)
            return st;
    }
    return LQ_OK;
}

/* The per-tensor grid, from the range of all rows (read once for it),
 * stored in the output and set as every row's grid of a chunk. */
static lq_status tensor_grid(gptq *g)
{
    const int64_t all_rows = g->job->q.rows, cols = g->cols;
    float lo = 0.0f, hi = 0.0f;
    lq_status st = LQ_OK;
    for (int64_t r0 = 0; st == LQ_OK && r0 < all_rows; r0 += g->read_rows) {
        int64_t n = all_rows - r0 < g->read_rows ? all_rows - r0 : g->read_rows;
        st = lq__method_rows(g->job, r0, r0 + n, g->read);
        for (int64_t i = 0; st == LQ_OK && i < n * cols; i++) {
            lo = fminf(lo, g->read[i]);
            hi = fmaxf(hi, g->read[i]);
        }
    }
    if (st == LQ_OK)
        st = grid_for(g, lo, hi, &g->stat[0]);
    for (int64_t r = 1; st == LQ_OK && r < g->rows; r++)
        g->stat[r] = g->stat[0];
    if (st == LQ_OK)
        lq__linear_store_param(g->job->q.dst, &g->m, 0, g->stat[0]);
    return st;
}

/* wt: the chunk's rows of W^T in processing order, dead columns zeroed, read
 * read_rows at a time; per-channel grids of an int type from the rows as
 * read. */
static lq_status load_weights(gptq *g)
{
    const int64_t n = g->cols, rows = g->rows;
    const bool channel = !g->codec && !g->m.per_tensor && g->m.row_params == 1;
    lq_status st = LQ_OK;
    for (int64_t b0 = 0; st == LQ_OK && b0 < rows; b0 += g->read_rows) {
        int64_t nb = rows - b0 < g->read_rows ? rows - b0 : g->read_rows;
        st = lq__method_rows(g->job, g->row0 + b0, g->row0 + b0 + nb, g->read);
        if (st == LQ_OK && channel)
            st = grids_of(g, g->read, nb, n, 1, n, g->stat + b0);
        for (int64_t i = 0; st == LQ_OK && i < n; i++) {
            int64_t a = g->perm[i];
            /* dead columns: W[:, dead] = 0 */
            float *dst = g->wt + i * rows + b0;
            if (g->hdiag[a] == 0.0f)
                memset(dst, 0, (size_t)nb * sizeof *dst);
            else
                for (int64_t r = 0; r < nb; r++)
                    dst[r] = g->read[r * n + a];
        }
    }
    return st;
}

/* Grids fixed before the sweep of a chunk: per channel (found by
 * load_weights) or static groups (consecutive source columns of W with dead
 * columns zeroed), stored in the output right away; the per-tensor grid is
 * stored already (tensor_grid). */
static lq_status fixed_grids(gptq *g)
{
    const lq__linear_map *m = &g->m;
    const int64_t rows = g->rows, cols = g->cols;
    lq_status st = LQ_OK;
    if (m->per_tensor || (m->row_params > 1 && !g->job->scheme->static_groups))
        return LQ_OK; /* stored already (tensor_grid), or found during the sweep */
    if (m->row_params > 1) { /* static groups (per channel: found by load_weights) */
        /* source column s sits at processing position inv[s] */
        int32_t *inv = lq__malloc((size_t)cols * sizeof *inv);
        float *tmp = lq__malloc((size_t)(rows * m->group) * sizeof *tmp);
        if (!inv || !tmp)
            st = lq__fail(LQ_ERR_NOMEM, "gptq: out of memory");
        for (int64_t i = 0; st == LQ_OK && i < cols; i++)
            inv[g->perm[i]] = (int32_t)i;
        for (int64_t k = 0; st == LQ_OK && k < m->row_params; k++) {
            for (int64_t j = 0; j < m->group; j++)
                memcpy(tmp + j * rows, g->wt + (int64_t)inv[k * m->group + j] * rows,
                       (size_t)rows * sizeof *tmp);
            st = grids_of(g, tmp, rows, 1, rows, m->group, g->stat + k * rows);
        }
        lq__free(inv);
        lq__free(tmp);
    }
    for (int64_t k = 0; st == LQ_OK && k < m->row_params; k++)
        for (int64_t r = 0; r < rows; r++)
            lq__linear_store_param(g->job->q.dst, m, (size_t)((g->row0 + r) * m->row_params + k),
                                   g->stat[k * rows + r]);
    return st;
}

/* The grids for processing position c (NULL on a failure to make them). */
static const lq__linear_param *grids_at(gptq *g, int64_t c, lq_status *st)
{
    const lq__linear_map *m = &g->m;
    if (m->per_tensor || m->row_params == 1)
        return g->stat;
    if (g->job->scheme->static_groups)
        return g->stat + (g->perm[c] / m->group) * g->rows;
    if (c % m->group == 0) {
        /* from the global W: the reference's quirk for groups < block */
        *st = grids_of(g, g->wt + c * g->rows, g->rows, 1, g->rows, m->group, g->cur);
        if (*st != LQ_OK)
            return NULL;
        for (int64_t r = 0; r < g->rows; r++)
            lq__linear_store_param(g->job->q.dst, m,
                                   (size_t)((g->row0 + r) * m->row_params + c / m->group),
                                   g->cur[r]);
    }
    return g->cur;
}

/* Quantize column i of the block copy w1 (processing position c): codes into
 * the output, errors (w - q) / d into err. */
static lq_status int_column(gptq *g, int64_t c, const float *w, float *err)
{
    lq_status st = LQ_OK;
    const lq__linear_param *p = grids_at(g, c, &st);
    if (!p)
        return st;
    const lq__linear_map *m = &g->m;
    uint8_t *codes = g->job->q.dst + m->codes;
    int64_t oc = out_col(g, c);
    float d = *lq__panels_at(g->u, g->cols, c, c);
    for (int64_t r = 0; r < g->rows; r++) {
        int q = lq__linear_quantize_value(w[r], p[r], m->maxq);
        lq__linear_put_code(codes + (size_t)(g->row0 + r) * m->row_bytes, oc, m->bits, q);
        err[r] = (w[r] - lq__linear_dequantize_value(q, p[r])) / d;
    }
    return LQ_OK;
}

/* ---- ggml block types ------------------------------------------------- */

typedef struct {
    gptq *g;
    const float *w1;  /* block copy, (i2 - i1) x rows */
    float *q;         /* be x rows: the dequantized block */
    int64_t k0;       /* first column of the ggml block within the copy */
    int64_t c0;       /* its processing position */
} ggml_block;

/* The block of row r that holds stored column oc. */
static uint8_t *block_at(const gptq *g, int64_t r, int64_t oc)
{
    size_t row_bytes = (size_t)(g->cols / g->be) * (size_t)g->bb;
    return g->job->q.dst + (size_t)(g->row0 + r) * row_bytes + (size_t)(oc / g->be) * (size_t)g->bb;
}

static void ggml_rows(void *arg, int64_t r0, int64_t r1)
{
    const ggml_block *b = arg;
    const gptq *g = b->g;
    float x[256], y[256];
    int64_t oc = out_col(g, b->c0);
    const float *imat = g->imatrix + oc;
    for (int64_t r = r0; r < r1; r++) {
        for (int64_t k = 0; k < g->be; k++)
            x[k] = b->w1[(b->k0 + k) * g->rows + r];
        uint8_t *blk = block_at(g, r, oc);
        g->codec->quantize_row(x, blk, g->be, imat);
        if (g->grid) {
            g->grid->grid(blk, x, y);
            for (int64_t k = 0; k < g->be; k++) {
                g->ga[k * g->rows + r] = x[k];
                g->gb[k * g->rows + r] = y[k];
            }
            continue;
        }
        g->codec->dequantize_row(blk, y, g->be);
        for (int64_t k = 0; k < g->be; k++)
            b->q[k * g->rows + r] = y[k];
    }
}

/* Column k of the current block (processing position c): each row's value
 * rounded onto its element's grid, the code written into the block, errors
 * (w - q) / d into err. */
static void grid_column(const gptq *g, int64_t c, int64_t k, const float *w, float *err)
{
    const float *a = g->ga + k * g->rows, *b = g->gb + k * g->rows;
    const int8_t *levels = g->grid->levels;
    const int64_t oc = out_col(g, c - k);
    const float d = *lq__panels_at(g->u, g->cols, c, c);
    for (int64_t r = 0; r < g->rows; r++) {
        /* a zero scale: every code decodes to b; a negative one (Q3_K, Q6_K
         * signed scales) reverses the order, which t / a undoes */
        int q = a[r] != 0.0f ? lq__grid_nearest(g->grid, (w[r] - b[r]) / a[r]) : 0;
        g->grid->set(block_at(g, r, oc), (int)k, q);
        float level = levels ? (float)levels[q] : (float)q;
        err[r] = (w[r] - (a[r] * level + b[r])) / d;
    }
}

/* ---- the sweep ---------------------------------------------------------- */

/* w1[j] -= err * U[c, i1 + j] for the columns j after i in the block. */
static void spread_in_block(const gptq *g, float *w1, int64_t i, int64_t count, int64_t i1,
                            const float *err)
{
    const float *urow = lq__panels_at(g->u, g->cols, i1 + i, i1 + i); /* from column i1 + i */
    for (int64_t j = i + 1; j < count; j++) {
        float f = urow[j - i];
        float *dst = w1 + j * g->rows;
        for (int64_t r = 0; r < g->rows; r++)
            dst[r] -= err[r] * f;
    }
}

/* The update after a block, W[:, i2:] -= Err1 U[i1:i2, i2:] (W transposed),
 * split over the columns after the block on our pool with a single-threaded
 * sgemm per chunk (blas.h): chunks of a fixed size, so the result does not
 * depend on the thread count. ub: U[i1:i2, i2:] with leading dimension ldu. */
typedef struct {
    const gptq *g;
    const float *e1, *ub;
    int64_t i2, count, ldu;
} block_update;

static void update_cols(void *arg, int64_t c0, int64_t c1)
{
    const block_update *b = arg;
    const gptq *g = b->g;
    int64_t c = b->i2 + c0;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(c1 - c0), (int)g->rows, (int)b->count,
                -1.0f, b->ub + c0, (int)b->ldu, b->e1, (int)g->rows, 1.0f, g->wt + c * g->rows,
                (int)g->rows);
}

/* Do U's rows [i1, i2) lie in more than one of its panels? */
static bool crosses_panels(const gptq *g, int64_t i1, int64_t i2)
{
    return lq__panel_of(g->cols, i1) != lq__panel_of(g->cols, i2 - 1);
}

/* ucopy: room for U[i1:i2, i2:] when its rows cross panels (NULL when no
 * block of the sweep does), copied there: the same numbers, the same
 * product. */
static lq_status update_after_block(const gptq *g, const float *e1, int64_t i1, int64_t i2,
                                    float *ucopy)
{
    block_update b = {g, e1, lq__panels_at(g->u, g->cols, i1, i2), i2, i2 - i1,
                      lq__panels_ld(g->cols, i1)};
    if (crosses_panels(g, i1, i2)) {
        b.ldu = g->cols - i2;
        for (int64_t r = i1; r < i2; r++)
            memcpy(ucopy + (r - i1) * b.ldu, lq__panels_at(g->u, g->cols, r, i2),
                   (size_t)b.ldu * sizeof *ucopy);
        b.ub = ucopy;
    }
    /* the threads of the caller's context, without its progress callback:
     * progress is reported per block by the sweep */
    lq_ctx threads = {.threads = lq__ctx_threads(g->job->q.ctx)};
    lq__blas_serial();
    /* 64 columns a chunk: enough rows for sgemm's register tiles */
    return lq__parallel_for(&threads, "gptq", g->cols - i2, 64, update_cols, &b);
}

/* Column i of the block copy w1 (processing position i1 + i) of a ggml type:
 * the block's scales chosen at its first column, then the column rounded
 * onto its grid, or taken from the whole block's codes; errors into err. */
static lq_status ggml_column(gptq *g, const float *w1, float *q, int64_t i, int64_t i1, float *err)
{
    const int64_t rows = g->rows;
    if (i % g->be == 0) {
        ggml_block b = {g, w1, q, i, i1 + i};
        lq_status st = lq__parallel_for(g->job->q.ctx, "gptq", rows,
                                        lq__grain_for(g->be * 64, 1 << 16), ggml_rows, &b);
        if (st != LQ_OK)
            return st;
    }
    const float *w = w1 + i * rows;
    if (g->grid) {
        grid_column(g, i1 + i, i % g->be, w, err);
        return LQ_OK;
    }
    const float *qc = q + (i % g->be) * rows;
    float d = *lq__panels_at(g->u, g->cols, i1 + i, i1 + i);
    for (int64_t r = 0; r < rows; r++)
        err[r] = (w[r] - qc[r]) / d;
    return LQ_OK;
}

static lq_status sweep(gptq *g)
{
    const int64_t rows = g->rows, cols = g->cols;
    float *w1 = lq__malloc((size_t)(g->bsz * rows) * sizeof *w1);
    float *e1 = lq__malloc((size_t)(g->bsz * rows) * sizeof *e1);
    float *q = g->codec ? lq__malloc((size_t)(g->be * rows) * sizeof *q) : NULL;
    bool cross = false; /* (cols not a multiple of the block, rare) */
    for (int64_t i1 = 0; i1 < cols; i1 += g->bsz)
        cross = cross || crosses_panels(g, i1, i1 + g->bsz < cols ? i1 + g->bsz : cols);
    float *ucopy = cross ? lq__malloc((size_t)(g->bsz * cols) * sizeof *ucopy) : NULL;
    lq_status st = LQ_OK;
    if (!w1 || !e1 || (g->codec && !q) || (cross && !ucopy))
        st = lq__fail(LQ_ERR_NOMEM, "gptq: out of memory");
    for (int64_t i1 = 0; st == LQ_OK && i1 < cols; i1 += g->bsz) {
        int64_t i2 = i1 + g->bsz < cols ? i1 + g->bsz : cols, count = i2 - i1;
        memcpy(w1, g->wt + i1 * rows, (size_t)(count * rows) * sizeof *w1);
        for (int64_t i = 0; st == LQ_OK && i < count; i++) {
            float *err = e1 + i * rows;
            if (!g->codec) {
                st = int_column(g, i1 + i, w1 + i * rows, err);
            } else {
                st = ggml_column(g, w1, q, i, i1, err);
            }
            if (st == LQ_OK)
                spread_in_block(g, w1, i, count, i1, err);
        }
        if (st == LQ_OK && i2 < cols)
            st = update_after_block(g, e1, i1, i2, ucopy);
        if (st == LQ_OK) /* the chunks' share done, and this one's */
            st = lq__method_progress(g->job->q.ctx, "gptq",
                                     ((double)g->row0 + (double)rows * (double)i2 / (double)cols) /
                                         (double)g->job->q.rows);
    }
    lq__free(w1);
    lq__free(e1);
    lq__free(q);
    lq__free(ucopy);
    return st;
}

/* ---- entry points ------------------------------------------------------- */

static lq_status gptq_solve(const lq__method_job *job, int32_t *perm_out, int allow_permuted)
{
    const lq_scheme *s = job->scheme;
    const lq__qparams *qp = job->q.qp;
    gptq g;
    memset(&g, 0, sizeof g);
    g.job = job;
    g.rows = job->q.rows;
    g.cols = job->q.cols;
    lq_status st = lq__calib_check("gptq", job->calib, g.cols);
    if (st != LQ_OK)
        return st;
    if (is_int(qp->type)) {
        lq__linear_map_init(&g.m, qp, g.rows, g.cols, job->q.layout);
        g.bsz = GPTQ_BLOCK;
        g.permuted_out = s->act_order && qp->group > 0 && !s->static_groups;
    } else {
        const lq__type_info *ti = lq__type(qp->type);
        g.codec = lq__codec_for(qp->type);
        if (!(ti->flags & LQ__T_GGML) || !g.codec || !g.codec->quantize_row ||
            ti->block_elems > 256)
            return lq__fail(LQ_ERR_UNSUPPORTED, "gptq: no row quantizer for %s in this build",
                            ti->name);
        g.be = ti->block_elems;
        g.bb = ti->block_bytes;
        g.bsz = g.be >= GPTQ_BLOCK ? g.be : GPTQ_BLOCK;
        g.grid = lq__grid_for(qp->type);
        g.imatrix = job->q.imatrix;
        if (!g.imatrix) {
            if (!(g.own_imatrix = lq__malloc((size_t)g.cols * sizeof *g.own_imatrix)))
                return lq__fail(LQ_ERR_NOMEM, "gptq: out of memory");
            lq__calib_mean_sq(job->calib, g.own_imatrix);
            g.imatrix = g.own_imatrix;
        }
    }
    if (g.permuted_out && !allow_permuted) /* (int types only: own_imatrix is NULL) */
        return lq__fail(LQ_ERR_UNSUPPORTED, "gptq: act_order with groups of %lld and no "
                        "static_groups makes groups of scattered columns, which this layout "
                        "cannot say; add static_groups, or use lq_gptq_quantize, which returns "
                        "the column order", (long long)qp->group);
    if (g.rows == 0) {
        lq__free(g.own_imatrix);
        return LQ_OK;
    }
    size_t n_stat = g.codec ? 0 : (size_t)(g.m.row_params > 1 ? g.m.row_params : 1);
    const int64_t all_rows = g.rows;
    /* a quarter under a memory limit: on ffn_down of the calib_mem model
     * (2048 x 5632) the whole weight's 56 MB were part of the run's peak;
     * each chunk reads all of U again, which is the cost */
    const lq_ctx *ctx = job->q.ctx;
    int64_t floats = ctx && ctx->small_buffers ? GPTQ_CHUNK_FLOATS / 4 : GPTQ_CHUNK_FLOATS;
    int64_t fit = floats / (g.cols + 5 * 256);
    g.rows = fit < 1 ? 1 : fit < all_rows ? fit : all_rows;
    g.read_rows = GPTQ_READ_FLOATS / g.cols;
    g.read_rows = g.read_rows < 1 ? 1 : g.read_rows < g.rows ? g.read_rows : g.rows;
    g.read = lq__malloc((size_t)(g.cols * g.read_rows) * sizeof *g.read);
    g.wt = lq__malloc((size_t)(g.cols * g.rows) * sizeof *g.wt);
    g.cur = g.codec ? NULL : lq__malloc((size_t)g.rows * sizeof *g.cur);
    g.stat = g.codec ? NULL : lq__malloc(n_stat * (size_t)g.rows * sizeof *g.stat);
    if (g.grid) {
        g.ga = lq__malloc((size_t)(g.be * g.rows) * sizeof *g.ga);
        g.gb = lq__malloc((size_t)(g.be * g.rows) * sizeof *g.gb);
    }
    if (!g.read || !g.wt || (!g.codec && (!g.cur || !g.stat)) || (g.grid && (!g.ga || !g.gb)))
        st = lq__fail(LQ_ERR_NOMEM, "gptq: cannot allocate the work space of a %lld x %lld "
                      "layer", (long long)g.rows, (long long)g.cols);
    if (st == LQ_OK)
        st = prepare_factor(&g);
    if (st == LQ_OK && !g.codec && g.m.per_tensor)
        st = tensor_grid(&g);
    const int64_t chunk = g.rows;
    for (int64_t r0 = 0; st == LQ_OK && r0 < all_rows; r0 += chunk) {
        g.row0 = r0;
        g.rows = all_rows - r0 < chunk ? all_rows - r0 : chunk;
        st = load_weights(&g);
        if (st == LQ_OK && !g.codec)
            st = fixed_grids(&g);
        if (st == LQ_OK)
            st = sweep(&g);
    }
    if (st == LQ_OK && perm_out)
        for (int64_t i = 0; i < g.cols; i++)
            perm_out[i] = g.permuted_out ? g.perm[i] : (int32_t)i;
    lq__free(g.read);
    lq__free(g.wt);
    if (!g.shared) {
        lq__free(g.u);
        lq__free(g.perm);
        lq__free(g.hdiag);
    }
    lq__free(g.cur);
    lq__free(g.stat);
    lq__free(g.ga);
    lq__free(g.gb);
    lq__free(g.own_imatrix);
    return st;
}

static lq_status gptq_run(const lq__method_job *job)
{
    return gptq_solve(job, NULL, 0);
}

const lq__method lq__method_gptq = {1, gptq_run, 1};

static lq_status gptq_run_perm(const lq__method_job *job, void *perm)
{
    return gptq_solve(job, perm, perm != NULL);
}

lq_status lq_gptq_quantize(lq_ctx *ctx, const lq_tensor *src, const lq_scheme *scheme,
                           const lq_calib *calib, lq_tensor **out, int32_t *perm)
{
    static const char fn[] = "lq_gptq_quantize";
    if (out)
        *out = NULL;
    if (scheme && scheme->method != LQ_METHOD_GPTQ)
        return lq__fail(LQ_ERR_INVALID, "%s: scheme '%s' is not a gptq scheme", fn, scheme->text);
    return lq__quantize_with(fn, ctx, src, scheme, calib, NULL, gptq_run_perm, perm, out);
}
