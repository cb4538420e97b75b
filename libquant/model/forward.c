/* forward.c — the forward pass over a run of tokens (lq_model_eval): Llama, with
 * the variations of the architectures in arch.h. */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../core/tensor.h"
#include "../kernels/matmul.h"
#include "../kernels/vexp.h"
#include "attention.h"
#include "model.h"

/* Activations of one call: n tokens attending to t = pos + n positions. */
typedef struct {
    float *x, *h, *q, *k, *v, *att, *proj, *gate, *up; /* per token */
    float *keys, *vals;  /* the cache decoded: t rows of n_head_kv * head_dim (not for f32) */
    float *scores;       /* lq__attention's scratch */
    float *rope_cs;      /* cos and sin of each token's angle per pair: n * n_rot floats */
} activations;

/* Carve the activations out of the model's scratch, grown when this call needs
 * more than an earlier one did (so a run of windows or of decoded tokens
 * allocates once). Without `attention` (a pass from the FFN on) its
 * activations get no room: 11 MB less beside ffn_down's Hessian on the
 * calib_mem model, whose walk frees the scratch between its passes. */
static lq_status activations_alloc(lq_model *m, activations *a, int64_t n, int64_t t,
                                   bool attention)
{
    const lq__hparams *hp = &m->hp;
    int64_t e = hp->n_embd, qd = hp->n_head * hp->head_dim, kvd = hp->n_head_kv * hp->head_dim;
    int64_t cached = m->kv.type == LQ_KV_F32 ? 0 : t * kvd; /* attention reads f32 in place */
    int64_t at = attention ? n : 0;
    int64_t sizes[] = {n * e, n * e, at * qd, at * kvd, at * kvd, at * qd, n * e, n * hp->n_ff,
                       n * hp->n_ff, attention ? cached : 0, attention ? cached : 0,
                       attention ? lq__attention_scratch(hp, n, t) : 0, at * hp->n_rot};
    float **slots[] = {&a->x, &a->h, &a->q, &a->k, &a->v, &a->att, &a->proj, &a->gate,
                       &a->up, &a->keys, &a->vals, &a->scores, &a->rope_cs};
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) /* 16 floats apart: 64-byte rows */
        if (!lq__add_size(total, ((size_t)sizes[i] + 15) / 16 * 16, &total))
            return LQ_ERR_NOMEM;
    if (total > m->scratch_floats) {
        size_t bytes;
        float *buf = lq__mul_size(total, sizeof(float), &bytes) ? lq__malloc(bytes) : NULL;
        if (!buf)
            return LQ_ERR_NOMEM;
        lq__free(m->scratch);
        m->scratch = buf;
        m->scratch_floats = total;
    }
    float *p = m->scratch;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        *slots[i] = p;
        p += ((size_t)sizes[i] + 15) / 16 * 16;
    }
    return LQ_OK;
}

/* y = x / sqrt(mean(x^2) + eps) * w, for n rows of e floats (y may be x). */
static void rms_norm(const float *x, const float *w, int64_t n, int64_t e, float eps, float *y)
{
    for (int64_t i = 0; i < n; i++) {
        const float *xi = x + i * e;
        double ss = 0;
        for (int64_t j = 0; j < e; j++)
            ss += (double)xi[j] * xi[j];
        float scale = 1.0f / sqrtf((float)(ss / (double)e) + eps);
        const lq__v4f vs = {scale, scale, scale, scale};
        int64_t j = 0;
        /* four at a time (GCC -O2 leaves a loop that needs an epilogue
         * scalar), the same products */
        for (lq__v4f vx, vw; j + 4 <= e; j += 4) {
            memcpy(&vx, xi + j, sizeof vx);
            memcpy(&vw, w + j, sizeof vw);
            vx = vx * vs * vw;
            memcpy(y + i * e + j, &vx, sizeof vx);
        }
        for (; j < e; j++)
            y[i * e + j] = xi[j] * scale * w[j];
    }
}

/* cos and sin of the angle of pair i at position pos + t, for the n tokens:
 * pos * m->rope_freq[i], in double as the angles grow large. */
static void rope_table(const lq_model *m, int64_t n, int64_t pos, float *cs)
{
    int64_t half = m->hp.n_rot / 2;
    for (int64_t t = 0; t < n; t++)
        for (int64_t i = 0; i < half; i++) {
            double theta = (double)(pos + t) * m->rope_freq[i];
            cs[(t * half + i) * 2] = (float)cos(theta);
            cs[(t * half + i) * 2 + 1] = (float)sin(theta);
        }
}

/* Rotate the first n_rot dimensions of each head of each token by position,
 * with the angles of rope_table. The pair is (2i, 2i+1) in the normal style
 * and (i, i + n_rot/2) in the NEOX style, as llama.cpp's
 * LLAMA_ROPE_TYPE_NORMAL and _NEOX. */
static void rope(const lq_model *m, const float *cs, float *x, int64_t n, int64_t heads)
{
    const lq__hparams *hp = &m->hp;
    int64_t half = hp->n_rot / 2;
    bool neox = hp->arch->rope == LQ__ROPE_NEOX;
    for (int64_t t = 0; t < n; t++) {
        for (int64_t h = 0; h < heads; h++) {
            float *p = x + (t * heads + h) * hp->head_dim;
            const float *tc = cs + t * half * 2;
            for (int64_t i = 0; i < half; i++) {
                float c = tc[2 * i], s = tc[2 * i + 1];
                int64_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
                float x0 = p[a], x1 = p[b];
                p[a] = x0 * c - x1 * s;
                p[b] = x0 * s + x1 * c;
            }
        }
    }
}

/* x[n][width] += bias, when the architecture has one. */
static void add_bias(float *x, const float *bias, int64_t n, int64_t width)
{
    for (int64_t i = 0; bias && i < n; i++)
        for (int64_t j = 0; j < width; j++)
            x[i * width + j] += bias[j];
}

/* x += y, four floats at a time as in rms_norm */
static void add(float *x, const float *y, int64_t n)
{
    int64_t i = 0;
    for (lq__v4f vx, vy; i + 4 <= n; i += 4) {
        memcpy(&vx, x + i, sizeof vx);
        memcpy(&vy, y + i, sizeof vy);
        vx += vy;
        memcpy(x + i, &vx, sizeof vx);
    }
    for (; i < n; i++)
        x[i] += y[i];
}

/* gate = silu(gate) * up = gate / (1 + e^-gate) * up, e^x through the
 * kernel table (vexp.h) a piece at a time */
static void swiglu(float *gate, const float *up, int64_t n)
{
    enum { PIECE = 256 };
    float e[PIECE];
    for (int64_t i0 = 0; i0 < n; i0 += PIECE) {
        int64_t len = n - i0 < PIECE ? n - i0 : PIECE;
        float *g = gate + i0;
        const float *u = up + i0;
        int64_t j = 0;
        for (lq__v4f v; j + 4 <= len; j += 4) { /* four at a time, as in rms_norm */
            memcpy(&v, g + j, sizeof v);
            v = -v;
            memcpy(e + j, &v, sizeof v);
        }
        for (; j < len; j++)
            e[j] = -g[j];
        lq__exp_f32(e, len);
        j = 0;
        for (lq__v4f vg, vu, ve; j + 4 <= len; j += 4) { /* the scalar loop's bits, 4 at once */
            memcpy(&vg, g + j, sizeof vg);
            memcpy(&vu, u + j, sizeof vu);
            memcpy(&ve, e + j, sizeof ve);
            vg = vg / (1.0f + ve) * vu;
            memcpy(g + j, &vg, sizeof vg);
        }
        for (; j < len; j++)
            g[j] = g[j] / (1.0f + e[j]) * u[j];
    }
}

static bool all_finite(const float *x, int64_t n)
{
    return lq__first_nonfinite(x, n) == n;
}

/* The element-wise steps between a layer's products, split over token rows
 * on ctx's threads (each row computed the same way by whichever thread, so
 * the bits never depend on the thread count): done by the calling thread
 * alone they were about 5 % of a window's work on the fixture (SwiGLU's e^x
 * most of it), during which a second thread waited. */
typedef struct rows_job {
    const lq__hparams *hp;
    float *x;            /* the residual stream: n rows of n_embd */
    const float *add;    /* added to x first when not NULL */
    const float *norm;   /* then h = rms_norm(x) * norm when not NULL */
    float *h;
    float *gate;         /* swiglu: gate = silu(gate) * up, rows of n_ff */
    const float *up;
    atomic_int nonfinite; /* set when a row of x is not finite after the add */
} rows_job;

static void residual_rows(void *arg, int64_t i0, int64_t i1)
{
    rows_job *j = arg;
    int64_t e = j->hp->n_embd;
    float *x = j->x + i0 * e;
    if (j->add) {
        add(x, j->add + i0 * e, (i1 - i0) * e);
        if (!all_finite(x, (i1 - i0) * e))
            atomic_store(&j->nonfinite, 1);
    }
    if (j->norm)
        rms_norm(x, j->norm, i1 - i0, e, j->hp->norm_eps, j->h + i0 * e);
}

static void swiglu_rows(void *arg, int64_t i0, int64_t i1)
{
    rows_job *j = arg;
    int64_t f = j->hp->n_ff;
    swiglu(j->gate + i0 * f, j->up + i0 * f, (i1 - i0) * f);
}

/* Rows per chunk: about 2^14 elements, a few microseconds of work. */
static int64_t rows_grain(int64_t width)
{
    return lq__grain_for(width, 1 << 14);
}

/* x += add (when add is not NULL; LQ_ERR_NONFINITE when x then holds a
 * non-finite value), then h = rms_norm(x) * norm (when norm is not NULL). */
static lq_status residual(lq_ctx *ctx, const lq__hparams *hp, float *x, const float *add_,
                          const float *norm, float *h, int64_t n, int64_t il)
{
    rows_job j = {.hp = hp, .x = x, .add = add_, .norm = norm, .h = h};
    atomic_init(&j.nonfinite, 0);
    lq_status st = lq__parallel_for(ctx, "forward", n, rows_grain(hp->n_embd), residual_rows, &j);
    if (st == LQ_OK && atomic_load(&j.nonfinite))
        st = lq__fail(LQ_ERR_NONFINITE, "lq_model_eval: activations are not finite in layer "
                      "%lld", (long long)il);
    return st;
}

/* Show the input of a layer's linear weights to the tap, if any. */
static lq_status tap(const lq__tap *t, int64_t il, int site, const float *x, int64_t n)
{
    return t ? t->fn(t->user, il, site, x, n) : LQ_OK;
}

/* Does the tap stop the pass after `site`? */
static bool ends(const lq__tap *t, int site)
{
    return t && t->last == site;
}

/* The query, key and value rows of tokens [i0, i1) made ready for
 * attention: biases, Qwen3's per-head norms, RoPE, then the keys and values
 * stored in the cache; split over tokens on the pool like the loops above. */
typedef struct qkv_job {
    lq_model *m;
    const lq__layer *y;
    activations *a;
    int64_t slot, pos; /* the cache's layer and first position */
} qkv_job;

static void qkv_rows(void *arg, int64_t i0, int64_t i1)
{
    const qkv_job *j = arg;
    const lq__hparams *hp = &j->m->hp;
    int64_t n = i1 - i0, d = hp->head_dim, qd = hp->n_head * d, kvd = hp->n_head_kv * d;
    float *q = j->a->q + i0 * qd, *k = j->a->k + i0 * kvd, *v = j->a->v + i0 * kvd;
    add_bias(q, j->y->bias[0], n, qd);
    add_bias(k, j->y->bias[1], n, kvd);
    add_bias(v, j->y->bias[2], n, kvd);
    if (j->y->q_norm) { /* Qwen3: each head RMS-normed on its own, before RoPE */
        rms_norm(q, j->y->q_norm, n * hp->n_head, d, hp->norm_eps, q);
        rms_norm(k, j->y->k_norm, n * hp->n_head_kv, d, hp->norm_eps, k);
    }
    const float *cs = j->a->rope_cs + i0 * (hp->n_rot / 2) * 2;
    rope(j->m, cs, q, n, hp->n_head);
    rope(j->m, cs, k, n, hp->n_head_kv);
    for (int64_t i = 0; i < n; i++) {
        lq__kv_store(&j->m->kv, j->slot, LQ__KV_K, j->pos + i0 + i, k + i * kvd);
        lq__kv_store(&j->m->kv, j->slot, LQ__KV_V, j->pos + i0 + i, v + i * kvd);
    }
}

static lq_status ffn_forward(lq_ctx *ctx, lq_model *m, int64_t il, activations *a, int64_t n,
                             const lq__tap *watch);

static lq_status alloc_failed(int64_t n)
{
    return lq__fail(LQ_ERR_NOMEM, "lq_model_eval: cannot allocate activations for %lld tokens",
                    (long long)n);
}

/* Layer il over n tokens at positions pos.. of the cache's layer `slot`:
 * il in a whole pass; 0 for a layer run alone (lq__model_layer), whose
 * cache is discarded after it, so that a calibration walk writes one
 * layer's cache pages, not every layer's as it goes (1 MiB a layer on the
 * calib_mem model; 16 MiB a layer on a 70B model at 2048 tokens, 1.3 GB in
 * all for its two models). */
static lq_status layer_forward(lq_ctx *ctx, lq_model *m, int64_t il, int64_t slot, activations *a,
                               int64_t n, int64_t pos, const lq__tap *watch)
{
    const lq__hparams *hp = &m->hp;
    const lq__layer *y = &m->layers[il];
    int64_t qd = hp->n_head * hp->head_dim, kvd = hp->n_head_kv * hp->head_dim;
    int64_t t = pos + n;
    lq_status st;

    if ((st = residual(ctx, hp, a->x, NULL, y->attn_norm, a->h, n, il)))
        return st;
    const lq__linear *qkv[] = {&y->q, &y->k, &y->v};
    float *qkv_out[] = {a->q, a->k, a->v};
    if ((st = tap(watch, il, LQ__SITE_ATTN, a->h, n)) || ends(watch, LQ__SITE_ATTN) ||
        (st = lq__linear_forward_shared(ctx, qkv, 3, a->h, n, qkv_out)))
        return st;
    qkv_job qj = {m, y, a, slot, pos};
    if ((st = lq__parallel_for(ctx, "forward", n, rows_grain(qd + 2 * kvd), qkv_rows, &qj)))
        return st;
    /* attention reads every position back from the cache, in the cache's
     * precision: an f32 cache in place (a copy of it was 4 % of decoding at
     * 512 positions), the others decoded */
    const float *keys = lq__kv_f32(&m->kv, slot, LQ__KV_K), *vals = lq__kv_f32(&m->kv, slot, LQ__KV_V);
    if (!keys) {
        lq__kv_load(&m->kv, slot, LQ__KV_K, t, a->keys);
        lq__kv_load(&m->kv, slot, LQ__KV_V, t, a->vals);
        keys = a->keys, vals = a->vals;
    }
    if ((st = lq__attention(ctx, hp, a->q, keys, vals, n, pos, a->scores, a->att)) ||
        (st = tap(watch, il, LQ__SITE_ATTN_OUT, a->att, n)) || ends(watch, LQ__SITE_ATTN_OUT) ||
        (st = lq__linear_forward(ctx, &y->o, a->att, n, a->proj)))
        return st;
    if ((st = residual(ctx, hp, a->x, a->proj, y->ffn_norm, a->h, n, il)))
        return st;
    return ffn_forward(ctx, m, il, a, n, watch);
}

/* The least bytes of the weight a piece of gate_up_pieces holds: 2 MiB (the
 * gemm chunk's 1024 rows of F16 on the calib_mem model; 16 rows of q8_0
 * would run a product per 34 kB), or a test's (lq__forward_piece_bytes). */
#define PIECE_BYTES ((size_t)2 << 20)
static _Atomic size_t piece_bytes = PIECE_BYTES;

void lq__forward_piece_bytes(size_t bytes)
{
    piece_bytes = bytes ? bytes : PIECE_BYTES;
}

/* The rows gate_up_pieces' pieces start at multiples of and hold more of,
 * or 0 when it cannot run these weights: a piece must give the same outputs
 * as the whole (lq__matmul_split_rows: 16 rows on the tile and dot paths,
 * a gemm chunk of 8 MiB of F32 on the gemm path, which decodes F16 and
 * BF16), hold whole rows of ggml blocks (a run of rows is a run of bytes) and
 * be smaller than the weight; and there must be bytes to free: the tap's
 * (`release`) or a weight's that were left to be made here (calibrate.c). */
static int64_t piece_rows(const lq_ctx *ctx, const lq__tap *watch, const lq__linear *const *l,
                          int64_t n)
{
    int64_t rows = 0;
    bool frees = watch && (watch->release || !l[0]->t->data || !l[1]->t->data);
    for (int j = 0; frees && j < 2; j++) {
        if (l[j]->method != LQ_METHOD_RTN || l[j]->act_flags != LQ_MATMUL_ACT_8BIT ||
            l[j]->rows != l[0]->rows || l[j]->t->nbytes % (size_t)l[j]->rows)
            return 0;
        int64_t r = lq__matmul_split_rows(ctx, l[j]->t, n, l[j]->act_flags);
        if (r == 0 || (rows && r != rows))
            return 0;
        rows = r;
    }
    /* a multiple of that with piece_bytes of the weight or more */
    int64_t times = rows ? (int64_t)(piece_bytes / (l[0]->t->nbytes / (size_t)l[0]->rows)) / rows
                         : 0;
    rows *= times > 1 ? times : 1;
    return rows < l[0]->rows / 3 ? rows : 0;
}

/* The piece of gate_up_pieces at `rest` rows from the end: 2 steps, or the
 * rest when a piece after them would not hold more than a step. */
static int64_t piece_len(int64_t rest, int64_t step)
{
    return rest - 2 * step <= step ? rest : 2 * step;
}

/* y[j] = x l[j]^T for gate and up as lq__linear_forward_shared computes it,
 * a piece of their rows at a time: a weight without bytes made a piece at a
 * time, a mapped one's pages released after each piece (`release`). For a
 * calibration walk's second half-pass, so that only a piece of gate and up
 * is resident beside ffn_down's Hessian (the whole of them, 46 MB of F16
 * pages from a GGUF, 92 MB made as F32 from a folder on the calib_mem model,
 * set its peak). The same outputs (piece_rows). */
static lq_status gate_up_pieces(lq_ctx *ctx, const lq_model *m, const lq__tap *watch,
                                const lq__linear *const *l, const float *x, int64_t n,
                                int64_t step, float *const *y)
{
    int64_t rows = l[0]->rows;
    int64_t most = 0; /* the longest piece: the buffers hold it */
    for (int64_t r0 = 0; r0 < rows; r0 += piece_len(rows - r0, step))
        most = piece_len(rows - r0, step) > most ? piece_len(rows - r0, step) : most;
    float *part = lq__malloc((size_t)(2 * n * most) * sizeof *part);
    uint8_t *made[2] = {NULL, NULL};
    bool ok = part != NULL;
    for (int j = 0; j < 2; j++)
        if (!l[j]->t->data)
            ok = ok && (made[j] = lq__malloc((size_t)most * (l[j]->t->nbytes / (size_t)rows)));
    if (!ok) {
        lq__free(part);
        lq__free(made[0]);
        lq__free(made[1]);
        return alloc_failed(n);
    }
    lq_status st = LQ_OK;
    for (int64_t r0 = 0, len; st == LQ_OK && r0 < rows; r0 += len) {
        len = piece_len(rows - r0, step);
        lq_tensor t[2];
        lq__linear piece[2];
        const lq__linear *pl[2] = {&piece[0], &piece[1]};
        float *py[2] = {part, part + n * len};
        size_t row_bytes[2];
        for (int j = 0; j < 2; j++) {
            row_bytes[j] = l[j]->t->nbytes / (size_t)l[j]->rows;
            t[j] = *l[j]->t;
            t[j].shape[0] = len;
            t[j].data = made[j] ? made[j] : t[j].data + (size_t)r0 * row_bytes[j];
            if (made[j] && st == LQ_OK)
                st = lq__model_fetch_rows("lq_model_eval", m, l[j]->t, r0, r0 + len, made[j]);
            t[j].nbytes = (size_t)len * row_bytes[j];
            t[j].owned = false;
            piece[j] = *l[j];
            piece[j].t = &t[j];
            piece[j].rows = len;
        }
        if (st == LQ_OK)
            st = lq__linear_forward_shared(ctx, pl, 2, x, n, py);
        for (int j = 0; st == LQ_OK && j < 2; j++) {
            for (int64_t i = 0; i < n; i++)
                memcpy(y[j] + i * rows + r0, py[j] + i * len, (size_t)len * sizeof(float));
            if (watch->release && !made[j])
                lq__tensor_release_rows(l[j]->t, r0, r0 + len);
        }
    }
    lq__free(part);
    lq__free(made[0]);
    lq__free(made[1]);
    return st;
}

/* The layer's FFN from its input, normed in a->h, on: its output is added to
 * a->x. */
static lq_status ffn_forward(lq_ctx *ctx, lq_model *m, int64_t il, activations *a, int64_t n,
                             const lq__tap *watch)
{
    const lq__hparams *hp = &m->hp;
    const lq__layer *y = &m->layers[il];
    const lq__linear *gate_up[] = {&y->gate, &y->up};
    float *gate_up_out[] = {a->gate, a->up};
    rows_job ffn = {.hp = hp, .gate = a->gate, .up = a->up};
    int64_t piece = piece_rows(ctx, watch, gate_up, n);
    lq_status st = LQ_OK;
    /* weights left to be made here that cannot go by pieces are made whole
     * (the caller frees them) */
    for (int j = 0; !piece && st == LQ_OK && j < 2; j++)
        st = lq__model_fetch("lq_model_eval", m, gate_up[j]->t);
    if (st != LQ_OK)
        return st;
    if ((st = tap(watch, il, LQ__SITE_FFN, a->h, n)) || ends(watch, LQ__SITE_FFN) ||
        (st = piece ? gate_up_pieces(ctx, m, watch, gate_up, a->h, n, piece, gate_up_out)
                  : lq__linear_forward_shared(ctx, gate_up, 2, a->h, n, gate_up_out)) ||
        (st = lq__parallel_for(ctx, "forward", n, rows_grain(hp->n_ff), swiglu_rows, &ffn)) ||
        (st = tap(watch, il, LQ__SITE_FFN_DOWN, a->gate, n)) || ends(watch, LQ__SITE_FFN_DOWN) ||
        (st = lq__linear_forward(ctx, &y->down, a->gate, n, a->proj)))
        return st;
    return residual(ctx, hp, a->x, a->proj, NULL, NULL, n, il);
}

void lq__model_embed(const lq_model *m, const int32_t *tokens, int64_t n, float *x)
{
    for (int64_t i = 0; i < n; i++)
        lq__linear_row(&m->embd, tokens[i], x + i * m->hp.n_embd);
}

void lq__model_head_input(const lq_model *m, const float *x, int64_t n, float *h)
{
    rms_norm(x, m->output_norm, n, m->hp.n_embd, m->hp.norm_eps, h);
}

lq_status lq__model_layer(lq_ctx *ctx, lq_model *m, int64_t il, float *x, int64_t n,
                          const lq__tap *t)
{
    activations a;
    bool at_ffn = t && t->first == LQ__SITE_FFN;
    if (activations_alloc(m, &a, n, n, !at_ffn) != LQ_OK)
        return alloc_failed(n);
    m->n_past = 0; /* the other layers' cache no longer goes with this one's */
    size_t bytes = (size_t)(n * m->hp.n_embd) * sizeof *x;
    if (at_ffn) { /* x is the FFN's input: attention is skipped */
        memcpy(a.h, x, bytes);
        return ffn_forward(ctx, m, il, &a, n, t);
    }
    memcpy(a.x, x, bytes);
    rope_table(m, n, 0, a.rope_cs);
    lq_status st = layer_forward(ctx, m, il, 0, &a, n, 0, t);
    if (st == LQ_OK && (!t || t->last == LQ__SITE_COUNT)) /* the layer ran whole */
        memcpy(x, a.x, bytes);
    return st;
}

static lq_status forward(lq_ctx *ctx, lq_model *m, const int32_t *tokens, int64_t n,
                            int64_t pos, int64_t logits_from, float *logits)
{
    const lq__hparams *hp = &m->hp;
    activations a;
    if (activations_alloc(m, &a, n, pos + n, true) != LQ_OK)
        return alloc_failed(n);
    m->n_past = pos; /* positions at and above pos are rewritten now */
    lq__model_embed(m, tokens, n, a.x);
    rope_table(m, n, pos, a.rope_cs);
    lq_status st = LQ_OK;
    for (int64_t il = 0; st == LQ_OK && il < hp->n_layer; il++)
        st = layer_forward(ctx, m, il, il, &a, n, pos, NULL);
    if (st == LQ_OK && logits_from < n) {
        int64_t rows = n - logits_from;
        lq__model_head_input(m, a.x + logits_from * hp->n_embd, rows, a.h);
        st = lq__linear_forward(ctx, &m->output, a.h, rows, logits);
        /* the layers' activations were finite; the head's weights (from the
         * file, which may hold NaN or huge values) can still spoil them */
        if (st == LQ_OK && !all_finite(logits, rows * hp->n_vocab))
            st = lq__fail(LQ_ERR_NONFINITE, "lq_model_eval: logits are not finite (output norm "
                          "and head)");
    }
    if (st == LQ_OK)
        m->n_past = pos + n;
    return st;
}

lq_status lq_model_eval(lq_ctx *ctx, lq_model *m, const int32_t *tokens, int64_t n, int64_t pos,
                        int64_t logits_from, float *logits)
{
    static const char fn[] = "lq_model_eval";
    if (!m || !tokens)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (n < 1 || pos < 0 || pos > m->n_past || n > m->kv.n_ctx - pos)
        return lq__fail(LQ_ERR_INVALID, "%s: %lld tokens at position %lld do not fit a cache of "
                        "%lld positions holding %lld", fn, (long long)n, (long long)pos,
                        (long long)m->kv.n_ctx, (long long)m->n_past);
    if (logits_from < 0 || logits_from > n || (logits_from < n && !logits))
        return lq__fail(LQ_ERR_INVALID, "%s: logits_from %lld is outside [0, %lld] or logits is "
                        "NULL", fn, (long long)logits_from, (long long)n);
    for (int64_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= m->hp.n_vocab)
            return lq__fail(LQ_ERR_INVALID, "%s: tokens[%lld] = %d is outside the vocabulary of "
                            "%lld", fn, (long long)i, tokens[i], (long long)m->hp.n_vocab);
    lq_status st = lq__model_fetch_all(fn, m); /* weights made on use: all of them now */
    if (st == LQ_OK && m->file) /* lq_model_load's own map only (resident.c) */
        st = lq__model_make_resident(fn, m, m->file);
    if (st != LQ_OK)
        return st;
    /* the library's own loops report no progress of their own */
    lq_ctx quiet = {.threads = lq__ctx_threads(ctx)};
    return forward(&quiet, m, tokens, n, pos, logits_from, logits);
}
