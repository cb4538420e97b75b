/* quantize.c — lq_model_quantize: a model's weights quantized in memory with
 * any scheme. llama.cpp mixtures choose a type per tensor by llama.cpp's rules
 * (methods/mixture.h, as lq_gguf_quantize does); the calibrated methods learn
 * from the model's own inputs on calibration text (calibrate.h), layer by
 * layer, with AWQ and SmoothQuant scales moved into the norms and weights
 * before them. */
#include <stdio.h>
#include <string.h>

#include <lq/lq_methods.h>
#include <lq/lq_quant.h>

#include "../calib/calib.h"
#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../io/gguf_internal.h"
#include "../methods/awq.h"
#include "../methods/method.h"
#include "../methods/mixture.h"
#include "../methods/mixture_plan.h"
#include "calibrate.h"
#include "quantize.h"

#define PARTS LQ__LAYER_WEIGHTS /* linear weights per layer */

/* One weight of the new model and what it becomes. */
typedef struct {
    lq__linear *l;  /* NULL for the output head of a model with tied embeddings */
    int site;       /* LQ__SITE_* of a layer's weight, -1 for token_embd and output */
    lq_type mix;    /* the mixture's type for it (mixtures only) */
    bool gptq_head; /* the output head of a mixture under gptq: calibrated too */
} slot;

typedef struct {
    const char *fn;
    const lq_ctx *user;
    lq_ctx quiet;              /* the caller's threads, no progress */
    lq_model *base, *q;
    const lq_scheme *scheme;
    int method;
    bool mixture;
    lq_scheme *side;           /* token_embd and output under a calibrated method: the same, rtn */
    const lq_imatrix *imatrix;
    const lq__plan *plan;      /* the types to take instead of the mixture's, or NULL */
    slot *slots;               /* token_embd, output, then PARTS per layer */
    int64_t n_slots, done;
} job;

static slot *layer_slot(const job *j, int64_t il, int part)
{
    return &j->slots[2 + il * PARTS + part];
}

static lq_status make_slots(job *j)
{
    lq_model *q = j->q;
    j->n_slots = 2 + q->hp.n_layer * PARTS;
    j->slots = lq__calloc((size_t)j->n_slots, sizeof *j->slots);
    if (!j->slots)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", j->fn);
    j->slots[0] = (slot){&q->embd, -1, -1, false};
    j->slots[1] = (slot){q->output.t == q->embd.t ? NULL : &q->output, -1, -1, false};
    for (int64_t il = 0; il < q->hp.n_layer; il++) {
        lq__linear *parts[PARTS];
        lq__layer_linears(&q->layers[il], parts);
        for (int p = 0; p < PARTS; p++)
            *layer_slot(j, il, p) = (slot){parts[p], lq__layer_site(p), -1, false};
    }
    return LQ_OK;
}

/* The plan's type for every slot (by the slot's tensor's index in the file). */
static lq_status plan_given(job *j)
{
    const lq_gguf *g = j->q->src;
    for (int64_t s = 0; s < j->n_slots; s++) {
        slot *sl = &j->slots[s];
        if (!sl->l)
            continue;
        int64_t i = lq_gguf_find_tensor(g, lq_tensor_name(sl->l->t));
        if (i < 0 || i >= j->plan->n || j->plan->target[i] < 0)
            return lq__fail(LQ_ERR_INVALID, "%s: the plan has no type for '%s'", j->fn,
                            lq_tensor_name(sl->l->t));
        sl->mix = j->plan->target[i];
    }
    return LQ_OK;
}

/* The mixture's type for every slot, chosen in llama.cpp's tensor order so
 * that its layer counters advance as they do in lq_gguf_quantize. */
static lq_status plan_mixture(job *j, int64_t ftype)
{
    const lq_gguf *g = j->q->src;
    const lq__hparams *hp = &j->q->hp;
    lq__mixture rules;
    lq_status st = lq__mixture_init(&rules, (int)ftype);
    if (st != LQ_OK)
        return st;
    rules.n_layer = (int)hp->n_layer;
    rules.n_gqa = (int)(hp->n_head / hp->n_head_kv);
    rules.is_70b = hp->n_layer == 80 && hp->n_head != hp->n_head_kv;
    rules.has_imatrix = j->imatrix != NULL;
    int64_t n = lq_gguf_tensor_count(g);
    const char **names = lq__calloc((size_t)n + 1, sizeof *names);
    int64_t *order = lq__calloc((size_t)n + 1, sizeof *order);
    if (!names || !order)
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", j->fn);
    for (int64_t i = 0; st == LQ_OK && i < n; i++)
        names[i] = lq_gguf_tensor_name(g, i);
    if (st == LQ_OK) {
        lq__mixture_scan(&rules, names, n);
        st = lq__mixture_order(j->fn, names, n, order);
    }
    for (int64_t k = 0; st == LQ_OK && k < n; k++) {
        const char *name = names[order[k]];
        for (int64_t s = 0; s < j->n_slots; s++) {
            slot *sl = &j->slots[s];
            if (!sl->l || strcmp(lq_tensor_name(sl->l->t), name) != 0)
                continue;
            st = lq__mixture_pick(&rules, name, 2, sl->l->cols, 1, lq_tensor_type(sl->l->t),
                                  &sl->mix);
            if (st == LQ_OK && lq__mixture_needs_imatrix(&rules, name, sl->mix) && !j->imatrix)
                st = lq__fail(LQ_ERR_INVALID, "%s: tensor '%s': %s in this mixture needs an "
                              "importance matrix", j->fn, name, lq_type_name(sl->mix));
            break;
        }
    }
    lq__free(names);
    lq__free(order);
    lq__mixture_free(&rules);
    return st;
}

/* The scheme slot s gets; NULL (and *owned NULL) when it stays as it is. */
static lq_status scheme_for(const job *j, const slot *s, lq_scheme **owned, const lq_scheme **use)
{
    *owned = NULL;
    *use = s->site < 0 && j->side ? j->side : j->scheme;
    lq_type cur = lq_tensor_type(s->l->t), want = s->mix;
    if (!j->mixture) {
        int64_t t;
        lq_scheme_get_int(*use, LQ_PARAM_TYPE, &t);
        want = (lq_type)t;
    }
    if (want == cur) {
        *use = NULL; /* already that type: kept, as lq_gguf_quantize keeps it */
        return LQ_OK;
    }
    if (!j->mixture)
        return LQ_OK;
    lq_status st = lq_scheme_parse(lq_type_name(want), owned);
    if (st == LQ_OK && (s->site >= 0 || s->gptq_head) && j->method == LQ_METHOD_GPTQ) {
        /* a layer's weight or the head under gptq: gptq to the mixture's type
         * for it, with the scheme's damping and block order (a new method
         * resets them) */
        double damp = 0;
        int64_t act_order = 0;
        lq_scheme_get_float(j->scheme, LQ_PARAM_DAMP, &damp);
        lq_scheme_get_int(j->scheme, LQ_PARAM_ACT_ORDER, &act_order);
        st = lq_scheme_set_int(*owned, LQ_PARAM_METHOD, LQ_METHOD_GPTQ);
        if (st == LQ_OK)
            st = lq_scheme_set_float(*owned, LQ_PARAM_DAMP, damp);
        if (st == LQ_OK)
            st = lq_scheme_set_int(*owned, LQ_PARAM_ACT_ORDER, act_order);
    }
    *use = *owned;
    return st;
}

/* The importance weights of a weight with `cols` columns, or NULL. */
static lq_status importance(const job *j, const char *name, int64_t cols, float **out)
{
    *out = NULL;
    int64_t len = j->imatrix ? lq_imatrix_length(j->imatrix, name) : 0;
    if (len == 0 || (len != cols && strcmp(name, "token_embd.weight") == 0))
        return LQ_OK; /* as llama-quantize: quantized without one */
    if (len != cols)
        return lq__fail(LQ_ERR_INVALID, "%s: imatrix entry '%s' has %lld values, the weight %lld "
                        "columns", j->fn, name, (long long)len, (long long)cols);
    float *w = lq__calloc((size_t)cols, sizeof *w);
    if (!w)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", j->fn);
    lq_status st = lq_imatrix_get(j->imatrix, name, w, cols);
    if (st != LQ_OK) {
        lq__free(w);
        return st;
    }
    *out = w;
    return LQ_OK;
}

/* Put t (owned from now on by the model) in the place of l's weight. */
static lq_status replace(job *j, lq__linear *l, lq_tensor *t)
{
    lq_model *q = j->q;
    bool tied = l == &q->embd && q->output.t == q->embd.t;
    const float scale = l->scale; /* the file's factor applies to the new weight too */
    for (int64_t k = 0; k < q->n_tensors; k++) {
        if (q->tensors[k] == l->t) {
            lq_tensor_free(q->tensors[k]);
            q->tensors[k] = t;
            if (q->lazy) /* the new weight is the model's own */
                q->lazy[k] = false;
            if (q->spill_at)
                q->spill_at[k] = -1;
        }
    }
    lq_status st = lq__linear_init(l, t, j->fn);
    l->scale = scale;
    if (tied)
        q->output = q->embd;
    return st;
}

static lq_status report(job *j)
{
    j->done++;
    if (j->user && j->user->progress &&
        j->user->progress(j->user->progress_user, "quantize", (double)j->done / (double)j->n_slots))
        return lq__fail(LQ_ERR_CANCELLED, "%s: cancelled by the progress callback", j->fn);
    return LQ_OK;
}

static bool is_calibrated(int method)
{
    return method == LQ_METHOD_GPTQ || method == LQ_METHOD_AWQ || method == LQ_METHOD_SMOOTHQUANT;
}

/* The base model's weight `name`, or NULL. */
static const lq_tensor *base_weight(const job *j, const char *name)
{
    for (int64_t k = 0; k < j->base->n_tensors; k++)
        if (strcmp(lq_tensor_name(j->base->tensors[k]), name) == 0)
            return j->base->tensors[k];
    return NULL;
}

/* Does lq_quantize hand a weight of this type to the scheme's method as it
 * is, for the method to read a chunk of rows at a time (methods/method.h)? */
static bool reads_rows(const lq_scheme *use, lq_type type)
{
    const lq__method *m = lq__method_for(use->method);
    return m && m->reads_rows && (type == LQ_TYPE_F16 || type == LQ_TYPE_BF16);
}

/* Quantize slot s from its weight, or from `f32` (a rescaled copy) when given;
 * `in_scale` (may be NULL): the scales AWQ multiplied f32's columns by, which
 * divide its input, so its importance weights (mean x^2) by their squares. */
static lq_status quantize_slot(job *j, slot *s, const lq_tensor *f32, const lq_calib *calib,
                               const float *in_scale)
{
    if (!s->l)
        return report(j);
    lq_scheme *owned = NULL;
    const lq_scheme *use = NULL;
    const lq_tensor *src = f32 ? f32 : s->l->t;
    lq_tensor *decoded = NULL, *out = NULL;
    float *imatrix = NULL;
    lq_status st = f32 ? LQ_OK : lq__model_fetch(j->fn, j->q, src); /* made on use */
    if (st == LQ_OK)
        st = scheme_for(j, s, &owned, &use);
    /* widened to F32 here (a quantized one decoded, to be quantized again),
     * as lq_quantize would widen it, so that the file's pages of the weight
     * can leave memory before the method runs: GPTQ on the output head of a
     * real vocabulary held them (half the head's F32 size) beside its two
     * F32 copies. An F16 or BF16 weight for a method that reads its rows a
     * chunk at a time (GPTQ) stays as it is: its pages, half the F32 size,
     * are then all the weight that is held */
    if (st == LQ_OK && (use || f32) && lq_tensor_type(src) != LQ_TYPE_F32 &&
        !(use && !f32 && reads_rows(use, lq_tensor_type(src))) &&
        (st = lq_dequantize(&j->quiet, src, LQ_TYPE_F32, &decoded)) == LQ_OK) {
        lq__gguf_map_release(j->q->src, lq_gguf_find_tensor(j->q->src, lq_tensor_name(src)), 0,
                             UINT64_MAX);
        /* and a folder's, made in its stored type (model/load.c), is freed:
         * held beside its F32 copy it was +9-14 MB on the calib_mem model
         * (fp8, bnb_nf4, rtn) */
        lq__model_drop(j->q, src);
        src = decoded;
    }
    if (st == LQ_OK && use)
        st = importance(j, lq_tensor_name(src), s->l->cols, &imatrix);
    for (int64_t k = 0; imatrix && in_scale && k < s->l->cols; k++)
        imatrix[k] /= in_scale[k] * in_scale[k];
    if (st == LQ_OK && use)
        st = lq_quantize(&j->quiet, src, use, calib, imatrix, &out);
    else if (st == LQ_OK && f32) /* kept, but rescaled */
        st = lq_dequantize(&j->quiet, src, LQ_TYPE_F32, &out);
    if (st == LQ_OK && out) {
        st = replace(j, s->l, out);
        out = NULL;
        /* under a memory limit the new weight goes to the temporary file,
         * and leaves memory at once: a calibration walk reads its layer back
         * for the follower's pass (held until then, the layer's weights
         * quantized so far were 27 MB of GPTQ's peak on ffn_down on the
         * calib_mem model) */
        if (st == LQ_OK)
            st = lq__model_spill(j->fn, j->q, s->l->t);
        if (st == LQ_OK)
            lq__model_drop(j->q, s->l->t);
    } else if (st == LQ_OK) { /* kept as it is: a weight made on use stays made */
        lq__model_keep(j->q, s->l->t);
    }
    /* done with the source's bytes of this weight: its pages leave this
     * process's memory (they come back from the file if a weight kept as it
     * was is read again), so that a mapped input is resident about one layer
     * at a time instead of whole by the end; the base's copy of a weight
     * made on use is freed */
    if (st == LQ_OK) {
        lq__gguf_map_release(j->q->src, lq_gguf_find_tensor(j->q->src, lq_tensor_name(s->l->t)),
                             0, UINT64_MAX);
        lq__model_drop(j->base, base_weight(j, lq_tensor_name(s->l->t)));
    }
    lq_tensor_free(out);
    lq_tensor_free(decoded);
    lq__free(imatrix);
    lq_scheme_free(owned);
    if (st != LQ_OK && st != LQ_ERR_CANCELLED && strncmp(lq_last_error(), j->fn, strlen(j->fn))) {
        char prefix[LQ_MAX_NAME + 48];
        snprintf(prefix, sizeof prefix, "%s: tensor '%s'", j->fn, lq_tensor_name(s->l->t));
        lq__error_prefix(prefix);
    }
    return st == LQ_OK ? report(j) : st;
}

/* ---- calibrated methods, one layer at a time ---- */

/* f32 copies of a layer's weights, which AWQ and SmoothQuant rescale, and its
 * norms and v bias (qwen2) as tensors over the new model's own arrays. */
typedef struct {
    lq_tensor *w[PARTS]; /* NULL until a group needs the weight, and again once quantized */
    lq_tensor *attn_norm, *ffn_norm;
    lq_tensor *v_bias; /* NULL without biases */
    float *in_scale[LQ__SITE_COUNT]; /* AWQ's scales of each input, NULL where none */
} layer_copy;

static void free_copy(layer_copy *c)
{
    for (int p = 0; p < PARTS; p++)
        lq_tensor_free(c->w[p]);
    lq_tensor_free(c->attn_norm);
    lq_tensor_free(c->ffn_norm);
    lq_tensor_free(c->v_bias);
    for (int i = 0; i < LQ__SITE_COUNT; i++)
        lq__free(c->in_scale[i]);
}

/* The layer's norms and v bias as tensors; the weights are copied later,
 * one by one, by copy_weight. */
static lq_status start_copy(job *j, int64_t il, layer_copy *c)
{
    memset(c, 0, sizeof *c);
    lq__layer *y = &j->q->layers[il];
    int64_t e = j->q->hp.n_embd;
    size_t bytes = (size_t)e * sizeof(float);
    lq_status st = lq_tensor_wrap(LQ_TYPE_F32, 1, &e, y->attn_norm, bytes, LQ_BORROW,
                                  "attn_norm", &c->attn_norm);
    if (st == LQ_OK)
        st = lq_tensor_wrap(LQ_TYPE_F32, 1, &e, y->ffn_norm, bytes, LQ_BORROW, "ffn_norm",
                            &c->ffn_norm);
    int64_t kvd = j->q->hp.n_head_kv * j->q->hp.head_dim;
    if (st == LQ_OK && y->bias[2])
        st = lq_tensor_wrap(LQ_TYPE_F32, 1, &kvd, y->bias[2], (size_t)kvd * sizeof(float),
                            LQ_BORROW, "attn_v.bias", &c->v_bias);
    return st;
}

/* The f32 copy of part p, made if not made yet: only right before it is
 * rescaled as a group's prev or quantized (the searches read the file's
 * weights a chunk of rows at a time, lq__awq_weights), not all seven at the
 * layer's start (205 MB on the calib_mem model, held until the layer was
 * quantized); the file's pages of the weight leave memory once copied. The
 * scales of the groups before (its columns') are applied by the same
 * products as when they were found; a part is a group's prev only in the
 * last group that touches it (groups[]), so no rows were scaled yet. */
static lq_status copy_weight(job *j, int64_t il, layer_copy *c, int p)
{
    if (c->w[p])
        return LQ_OK;
    const lq_tensor *w = layer_slot(j, il, p)->l->t;
    lq_status st = lq__model_fetch(j->fn, j->q, w); /* made on use: freed once copied */
    if (st == LQ_OK)
        st = lq_dequantize(&j->quiet, w, LQ_TYPE_F32, &c->w[p]);
    lq__model_drop(j->q, w);
    if (st == LQ_OK)
        lq__gguf_map_release(j->q->src, lq_gguf_find_tensor(j->q->src, lq_tensor_name(w)), 0,
                             UINT64_MAX);
    const float *s = c->in_scale[lq__layer_site(p)];
    if (st == LQ_OK && s)
        st = lq_scales_apply(s, lq_tensor_dim(c->w[p], 1), NULL, NULL, &c->w[p], 1);
    return st;
}

enum { Q, K, V, O, GATE, UP, DOWN };

/* Weights that share an input, and the operation before them that takes
 * their scales: AutoAWQ's groups for Llama (SmoothQuant uses the first and
 * third, the norm -> linear pairs). */
typedef struct {
    int site;
    int prev;     /* a part, or -1 / -2 for attn_norm / ffn_norm */
    int next[3];
    int n_next;
} scale_group;

static const scale_group groups[] = {
    {LQ__SITE_ATTN, -1, {Q, K, V}, 3},
    {LQ__SITE_ATTN_OUT, V, {O}, 1},
    {LQ__SITE_FFN, -2, {GATE, UP}, 2},
    {LQ__SITE_FFN_DOWN, UP, {DOWN}, 1},
};

/* The last group that reads or rescales part p (as prev or next). */
static int last_group(int p)
{
    int last = -1;
    for (int g = 0; g < (int)(sizeof groups / sizeof *groups); g++) {
        bool in = groups[g].prev == p;
        for (int i = 0; i < groups[g].n_next; i++)
            in = in || groups[g].next[i] == p;
        last = in ? g : last;
    }
    return last;
}

/* AWQ's search in a mixture: each weight of the group scored in the type
 * the mixture gives it, with the importance weights it is quantized with. */
static lq_status search_mixture(job *j, int64_t il, const scale_group *g,
                                const lq_tensor *const *next, const lq_calib *calib, float *s)
{
    lq_type types[3];
    float *im[3] = {NULL, NULL, NULL};
    lq_status st = LQ_OK;
    for (int i = 0; st == LQ_OK && i < g->n_next; i++) {
        const slot *sl = layer_slot(j, il, g->next[i]);
        types[i] = sl->mix;
        st = importance(j, lq_tensor_name(sl->l->t), sl->l->cols, &im[i]);
    }
    if (st == LQ_OK)
        st = lq__awq_search_ggml(&j->quiet, calib, next, types, (const float *const *)im,
                                 g->n_next, s);
    for (int i = 0; i < g->n_next; i++)
        lq__free(im[i]);
    return st;
}

/* The group's scales, searched on its weights as the file holds them (read
 * a chunk of rows at a time: no f32 copies beside the set; on the
 * calib_mem model ffn_down's search held down and, after it, up as f32
 * beside ffn_down's set, 293 MB at its peak), into c->in_scale[g->site] (s
 * and 1 / s); the set's channels are divided by them. */
static lq_status search_scales(job *j, int64_t il, layer_copy *c, const scale_group *g,
                               lq_calib *calib)
{
    int64_t n = lq_calib_features(calib);
    if (g->prev >= 0 && lq_tensor_dim(layer_slot(j, il, g->prev)->l->t, 0) != n)
        return LQ_OK; /* grouped-query attention: v has fewer outputs than o has inputs */
    const lq_tensor *next[3] = {NULL, NULL, NULL};
    lq_status st = LQ_OK;
    for (int i = 0; st == LQ_OK && i < g->n_next; i++) {
        next[i] = layer_slot(j, il, g->next[i])->l->t;
        st = lq__model_fetch(j->fn, j->q, next[i]); /* made on use */
    }
    float *s = st == LQ_OK ? lq__calloc((size_t)n * 2, sizeof *s) : NULL;
    if (st == LQ_OK && !s)
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", j->fn);
    if (st == LQ_OK)
        st = j->method != LQ_METHOD_AWQ
                 ? lq_smoothquant_scales(j->scheme, calib, next, g->n_next, s)
             : j->mixture ? search_mixture(j, il, g, next, calib, s)
                          : lq_awq_search(&j->quiet, j->scheme, calib, next, g->n_next, s);
    /* the weights are read again (copy_weight) when rescaled or quantized */
    for (int i = 0; i < g->n_next && next[i]; i++) {
        lq__model_drop(j->q, next[i]);
        lq__gguf_map_release(j->q->src, lq_gguf_find_tensor(j->q->src, lq_tensor_name(next[i])),
                             0, UINT64_MAX);
    }
    for (int64_t i = 0; st == LQ_OK && i < n; i++)
        s[n + i] = 1.0f / s[i];
    if (st == LQ_OK)
        st = lq_calib_scale_channels(calib, s + n);
    if (st == LQ_OK) { /* kept for the copies and the importance weights of the scaled weights */
        c->in_scale[g->site] = s;
        s = NULL;
    }
    lq__free(s);
    return st;
}

/* The group's scales (if it found any) into the operation before it: a
 * norm, or the rows of prev (and v's bias). The group's own weights take
 * them into their columns when they are copied (copy_weight). */
static lq_status scale_prev(job *j, int64_t il, layer_copy *c, const scale_group *g,
                            const lq_calib *calib)
{
    const float *s = c->in_scale[g->site];
    if (!s)
        return LQ_OK;
    lq_status st = g->prev >= 0 ? copy_weight(j, il, c, g->prev) : LQ_OK;
    lq_tensor *prev = g->prev >= 0 ? c->w[g->prev] : g->prev == -1 ? c->attn_norm : c->ffn_norm;
    if (st == LQ_OK)
        st = lq_scales_apply(s, lq_calib_features(calib), prev, g->prev == V ? c->v_bias : NULL,
                             NULL, 0);
    return st;
}

/* The model's tensor `name` (a norm or bias the runner keeps as f32 in
 * `v`, which AWQ rescaled) replaced by v in the tensor's own type, so that
 * lq_model_save_gguf writes the folded scales. */
static lq_status refresh_vector(job *j, const char *name, const float *v, int64_t len)
{
    lq_model *q = j->q;
    for (int64_t k = 0; k < q->n_tensors; k++) {
        if (strcmp(lq_tensor_name(q->tensors[k]), name) != 0)
            continue;
        lq_tensor *f = NULL, *t = NULL;
        lq_scheme *keep = NULL;
        lq_type type = lq_tensor_type(q->tensors[k]);
        lq_status st = lq_tensor_wrap(LQ_TYPE_F32, 1, &len, v, (size_t)len * sizeof *v, LQ_COPY,
                                      name, &f);
        if (st == LQ_OK && type != LQ_TYPE_F32 &&
            (st = lq_scheme_parse(lq_type_name(type), &keep)) == LQ_OK)
            st = lq_quantize(&j->quiet, f, keep, NULL, NULL, &t);
        else if (st == LQ_OK) {
            t = f;
            f = NULL;
        }
        lq_scheme_free(keep);
        lq_tensor_free(f);
        if (st != LQ_OK)
            return st;
        lq_tensor_free(q->tensors[k]);
        q->tensors[k] = t;
        return LQ_OK;
    }
    return lq__fail(LQ_ERR_INVALID, "%s: the model holds no tensor '%s'", j->fn, name);
}

/* The layer's norms and v bias, as AWQ left them, into the model's tensors. */
static lq_status refresh_layer(job *j, int64_t il)
{
    const lq__layer *y = &j->q->layers[il];
    int64_t e = j->q->hp.n_embd, kvd = j->q->hp.n_head_kv * j->q->hp.head_dim;
    const struct { const char *part; const float *v; int64_t len; } vec[] = {
        {"attn_norm.weight", y->attn_norm, e},
        {"ffn_norm.weight", y->ffn_norm, e},
        {"attn_v.bias", y->bias[2], kvd},
    };
    lq_status st = LQ_OK;
    for (size_t i = 0; st == LQ_OK && i < sizeof vec / sizeof *vec; i++) {
        char name[64];
        snprintf(name, sizeof name, "blk.%lld.%s", (long long)il, vec[i].part);
        if (vec[i].v)
            st = refresh_vector(j, name, vec[i].v, vec[i].len);
    }
    return st;
}

static lq_status calibrated_layer(void *user, int64_t il, lq_calib *const *sets)
{
    job *j = user;
    if (il == j->q->hp.n_layer) { /* the head's input (gptq_head): factored in H's memory */
        lq__calib_share(sets[0], true);
        lq_status st = quantize_slot(j, &j->slots[1], NULL, sets[0], NULL);
        lq__calib_share(sets[0], false);
        return st;
    }
    if (j->method == LQ_METHOD_GPTQ) {
        /* q, k and v read one set, gate and up another: GPTQ's factor of a
         * set's Hessian is made by the first of them and taken by the others
         * (methods/gptq.c), and freed after the last, so a layer factors 4
         * Hessians instead of 7 and holds at most one factor at a time.
         * Under a memory limit the sets wait in their file (LQ__CALIB_PARK)
         * and GPTQ loads each when it comes to it and factors in its
         * memory, so one in-features squared matrix is held at a time */
        lq_status st = LQ_OK;
        for (int p = 0; st == LQ_OK && p < PARTS; p++) {
            lq_calib *set = sets[lq__layer_site(p)];
            lq__calib_share(set, true);
            st = quantize_slot(j, layer_slot(j, il, p), NULL, set, NULL);
            if (p + 1 == PARTS || lq__layer_site(p + 1) != lq__layer_site(p))
                lq__calib_share(set, false);
        }
        return st;
    }
    /* Each group's search reads its weights from the file, a chunk of rows
     * at a time; then its prev is rescaled, and the weights it is the last
     * group of (q and k after attn, v and o after attn_out, gate after ffn,
     * up and down after ffn_down — still in part order, the order the
     * weights are reported and spilled in) are copied, rescaled, quantized
     * and freed one at a time. Under a memory limit the sets come parked
     * (LQ__CALIB_PARK): each is loaded for the search and for a
     * quantization that reads it (not a mixture's: its types round each
     * weight alone), and parked again after it (without a file both do
     * nothing), so that one Hessian is in memory at a time instead of four
     * (111 MB on the calib_mem model) and not beside the f32 copies: down's
     * set (63 MB there) was in memory beside down and up as f32. */
    layer_copy c;
    lq_status st = start_copy(j, il, &c);
    const lq__method *m = lq__method_for(j->method);
    const bool reads_set = !j->mixture && m && m->needs_calib;
    const int n_groups = (int)(sizeof groups / sizeof *groups);
    for (int g = 0; st == LQ_OK && g < n_groups; g++) {
        const scale_group *gr = &groups[g];
        if (j->method == LQ_METHOD_AWQ || gr->prev < 0) {
            st = lq__calib_unpark(sets[gr->site]);
            if (st == LQ_OK)
                st = search_scales(j, il, &c, gr, sets[gr->site]);
            if (st == LQ_OK)
                st = lq__calib_park(sets[gr->site]);
            if (st == LQ_OK)
                st = scale_prev(j, il, &c, gr, sets[gr->site]);
        }
        for (int p = 0; st == LQ_OK && p < PARTS; p++) {
            if (last_group(p) != g)
                continue;
            lq_calib *set = sets[lq__layer_site(p)];
            st = copy_weight(j, il, &c, p);
            if (st == LQ_OK && reads_set)
                st = lq__calib_unpark(set);
            if (st == LQ_OK)
                st = quantize_slot(j, layer_slot(j, il, p), c.w[p], set,
                                   c.in_scale[lq__layer_site(p)]);
            if (st == LQ_OK)
                st = lq__calib_park(set);
            lq_tensor_free(c.w[p]);
            c.w[p] = NULL;
        }
    }
    if (st == LQ_OK && j->mixture) /* written by lq_model_save_gguf */
        st = refresh_layer(j, il);
    free_copy(&c);
    return st;
}

/* ---- the whole model ---- */

/* token_embd and output keep the scheme's type and layout, rounded to nearest:
 * no calibration reaches the embedding, and the W8A8 products are for the
 * layers (as the reference implementations leave lm_head alone). */
static lq_status side_scheme(job *j)
{
    if (j->method == LQ_METHOD_RTN || j->method == LQ_METHOD_HQQ)
        return LQ_OK;
    int64_t sym = 1;
    lq_scheme_get_int(j->scheme, LQ_PARAM_SYMMETRIC, &sym);
    lq_status st = lq_scheme_clone(j->scheme, &j->side);
    if (st == LQ_OK && j->method == LQ_METHOD_GPTQ) {
        lq_scheme_set_int(j->side, LQ_PARAM_ACT_ORDER, 0);
        lq_scheme_set_int(j->side, LQ_PARAM_STATIC_GROUPS, 0);
    }
    if (st == LQ_OK)
        st = lq_scheme_set_int(j->side, LQ_PARAM_METHOD, LQ_METHOD_RTN);
    if (st == LQ_OK) /* the method's default symmetry (asym for awq) stays */
        lq_scheme_set_int(j->side, LQ_PARAM_SYMMETRIC, sym);
    return st;
}

static lq_status run(job *j, const int32_t *calib, int64_t n_calib)
{
    lq_status st = make_slots(j);
    int64_t ftype = 0;
    lq_scheme_get_int(j->scheme, LQ_PARAM_MIXTURE, &ftype);
    j->mixture = ftype != 0;
    if (st == LQ_OK && j->mixture && j->method != LQ_METHOD_RTN && j->method != LQ_METHOD_GPTQ &&
        j->method != LQ_METHOD_AWQ)
        st = lq__fail(LQ_ERR_UNSUPPORTED, "%s: '%s': mixtures are rounded to nearest or "
                      "quantized by gptq or awq only", j->fn, lq_scheme_string(j->scheme));
    if (st == LQ_OK && j->mixture)
        st = j->plan ? plan_given(j) : plan_mixture(j, ftype);
    if (st == LQ_OK)
        st = side_scheme(j);
    /* in a mixture under gptq, a head of its own (not the tied embedding) is
     * quantized by gptq too, on what the quantized layers give it: unlike the
     * int schemes, whose reference implementations keep lm_head as it is, a
     * llama.cpp file type quantizes it anyway */
    if (st == LQ_OK) /* (no slots when make_slots failed) */
        j->slots[1].gptq_head = j->mixture && j->method == LQ_METHOD_GPTQ && j->slots[1].l &&
                                calib && n_calib > 0;
    if (st == LQ_OK)
        st = quantize_slot(j, &j->slots[0], NULL, NULL, NULL);
    if (st == LQ_OK && !j->slots[1].gptq_head)
        st = quantize_slot(j, &j->slots[1], NULL, NULL, NULL);
    if (st != LQ_OK || !is_calibrated(j->method)) {
        for (int64_t s = 2; st == LQ_OK && s < j->n_slots; s++)
            st = quantize_slot(j, &j->slots[s], NULL, NULL, NULL);
        return st;
    }
    if (!calib || n_calib < 1)
        return lq__fail(LQ_ERR_INVALID, "%s: '%s' needs calibration tokens", j->fn,
                        lq_scheme_string(j->scheme));
    int64_t window = j->base->kv.n_ctx < j->q->kv.n_ctx ? j->base->kv.n_ctx : j->q->kv.n_ctx;
    /* no method here reads the sets' row samples (lq_method_error does) */
    unsigned flags = (j->slots[1].gptq_head ? LQ__CALIB_HEAD : 0u) | LQ__CALIB_NO_SAMPLE |
                     LQ__CALIB_PARK;
    return lq__calibrate(j->user, j->fn, j->base, j->q, calib, n_calib, window, flags,
                         calibrated_layer, j);
}

static lq_status quantize_model(const char *fn, lq_ctx *ctx, lq_model *base,
                                const lq_scheme *scheme, const lq_imatrix *imatrix, lq__plan *plan,
                                const int32_t *calib, int64_t n_calib, int64_t n_ctx, int kv_type,
                                lq_model **out)
{
    if (!base || !scheme)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (base->quantized)
        return lq__fail(LQ_ERR_INVALID, "%s: base was made by lq_model_quantize; quantize the "
                        "model it came from", fn);
    if (n_calib < 0 || (n_calib > 0 && !calib))
        return lq__fail(LQ_ERR_INVALID, "%s: %lld calibration tokens at %p", fn,
                        (long long)n_calib, (const void *)calib);
    int64_t method = 0, ftype = 0;
    lq_scheme_get_int(scheme, LQ_PARAM_METHOD, &method);
    lq_scheme_get_int(scheme, LQ_PARAM_MIXTURE, &ftype);
    if (plan && !ftype)
        return lq__fail(LQ_ERR_INVALID, "%s: '%s' is not a llama.cpp mixture", fn,
                        lq_scheme_string(scheme));
    job j = {.fn = fn, .user = ctx,
             .quiet = {.threads = lq__ctx_threads(ctx), .small_buffers = base->max_memory > 0},
             .base = base, .scheme = scheme, .method = (int)method, .imatrix = imatrix, .plan = plan};
    lq_status st = lq__model_build(&j.quiet, base->src, n_ctx, kv_type, &j.q, fn);
    /* under a memory limit the quantized weights wait for saving in a
     * temporary file, not in memory */
    if (st == LQ_OK && base->max_memory > 0)
        st = lq__model_spill_start(fn, j.q);
    if (st == LQ_OK)
        st = run(&j, calib, n_calib);
    if (st != LQ_OK && st != LQ_ERR_CANCELLED && strncmp(lq_last_error(), fn, strlen(fn)) != 0)
        lq__error_prefix(fn);
    lq__free(j.slots);
    lq_scheme_free(j.side);
    if (st != LQ_OK) {
        lq_model_free(j.q);
        return st;
    }
    j.q->quantized = true;
    j.q->max_memory = base->max_memory; /* for walks over the new model (static fp8 scales) */
    j.q->mixture = (int)ftype;
    j.q->mixture_imatrix = imatrix != NULL;
    j.q->plan = plan;
    *out = j.q;
    return LQ_OK;
}

lq_status lq_model_quantize(lq_ctx *ctx, lq_model *base, const lq_scheme *scheme,
                            const lq_imatrix *imatrix, const int32_t *calib, int64_t n_calib,
                            int64_t n_ctx, int kv_type, lq_model **out)
{
    static const char fn[] = "lq_model_quantize";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    return quantize_model(fn, ctx, base, scheme, imatrix, NULL, calib, n_calib, n_ctx, kv_type,
                          out);
}

lq_status lq__model_quantize_planned(lq_ctx *ctx, lq_model *base, const lq_scheme *scheme,
                                     const lq_imatrix *imatrix, lq__plan *plan,
                                     const int32_t *calib, int64_t n_calib, int64_t n_ctx,
                                     int kv_type, lq_model **out)
{
    static const char fn[] = "lq_model_quantize_opts";
    lq_status st = !out || !plan ? lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn) : LQ_OK;
    if (out)
        *out = NULL;
    if (st == LQ_OK)
        st = quantize_model(fn, ctx, base, scheme, imatrix, plan, calib, n_calib, n_ctx, kv_type,
                            out);
    if (st != LQ_OK && plan) {
        lq__plan_free(plan);
        lq__free(plan);
    }
    return st;
}
