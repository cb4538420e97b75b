/* calibrate.c — a model's weight inputs on calibration text, layer by layer
 * (lq__calibrate), and the importance matrix llama-imatrix would compute from
 * them (lq_model_imatrix). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/tempfile.h"
#include "../core/tensor.h"
#include "../calib/calib.h"
#include "../calib/imatrix.h"
#include "calibrate.h"
#include "states.h"

int64_t lq__site_width(const lq__hparams *hp, int site)
{
    switch (site) {
    case LQ__SITE_ATTN_OUT: return hp->n_head * hp->head_dim;
    case LQ__SITE_FFN_DOWN: return hp->n_ff;
    default: return hp->n_embd;
    }
}

typedef struct {
    const char *fn;
    lq_ctx quiet;          /* the caller's threads, no progress */
    const lq_ctx *user;
    lq_model *source, *follow;
    int64_t n_tokens, window, n_windows, n_embd;
    bool sums_only;        /* LQ__CALIB_SUMS_ONLY */
    bool no_sample;        /* LQ__CALIB_NO_SAMPLE */
    int hessians;          /* LQ__CALIB_PARK under a memory limit: the sets' file, else -1 */
    int first_site;        /* the sites add_rows takes: from this one to the tap's last */
    bool halves;           /* the source's layer in two passes (one_layer) */
    lq__states states;     /* n_tokens rows of n_embd: the hidden state entering the layer */
    /* in halves: n_tokens rows of n_embd, the FFN's normed input, kept by the
     * first pass (from `row` on, the window's first) for the second */
    lq__states ffn_in;
    int64_t row;
    float *scratch;        /* one window of states, run through `source` when it is not `follow` */
    lq_calib *sets[LQ__SITE_COUNT];
} walk;

/* The file pages of the source's weights of `layer` that read `site` leave
 * this process (a no-op unless the source is a mapped file). */
static void release_site(const walk *w, int64_t layer, int site)
{
    lq__linear *l[LQ__LAYER_WEIGHTS];
    lq__layer_linears(&w->source->layers[layer], l);
    for (int p = 0; p < LQ__LAYER_WEIGHTS; p++)
        if (lq__layer_site(p) == site)
            lq__tensor_release_rows(l[p]->t, 0, lq__tensor_rows(l[p]->t));
}

static lq_status add_rows(void *user, int64_t layer, int site, const float *x, int64_t n)
{
    walk *w = user;
    /* the window is done with the weights of the site before: under the
     * sets' file their pages go (they come back from the page cache for the
     * next window), so that a mapped source holds about one site's weights
     * instead of the layer's (ffn_down's pass read 74 MB of F16 pages on the
     * calib_mem model, gate and up alone are 46) */
    if (w->halves && site > 0)
        release_site(w, layer, site - 1);
    if (w->halves && site == LQ__SITE_FFN && w->first_site < site) { /* the first pass */
        float *keep;
        lq_status st = lq__states_get(&w->ffn_in, w->row, n, &keep);
        if (st == LQ_OK) {
            memcpy(keep, x, (size_t)(n * w->n_embd) * sizeof *x);
            st = lq__states_put(&w->ffn_in, w->row, n);
        }
        if (st != LQ_OK)
            return st;
    }
    return site < w->first_site ? LQ_OK : lq_calib_add(w->sets[site], x, n);
}

/* Sets [first, last] into their file, when they have one. */
static lq_status park(walk *w, int first, int last)
{
    lq_status st = LQ_OK;
    for (int s = first; st == LQ_OK && s <= last; s++)
        st = lq__calib_park(w->sets[s]);
    return st;
}

static void free_sets(walk *w)
{
    for (int s = 0; s < LQ__SITE_COUNT; s++) {
        lq_calib_free(w->sets[s]);
        w->sets[s] = NULL;
    }
}

/* Sets [first, last], made when their pass begins: a new Hessian is zeroed,
 * so it takes its memory at once. */
static lq_status new_sets(walk *w, int first, int last)
{
    uint64_t at = 0; /* each set's place in the Hessians' file, one after another */
    for (int s = 0; s <= last; s++) {
        int64_t width = lq__site_width(&w->source->hp, s);
        lq_status st = LQ_OK;
        if (s < first) {
            at += lq__calib_spill_bytes(width);
            continue;
        }
        if (!w->sums_only)
            st = lq_calib_create(width, &w->sets[s]);
        else if (!(w->sets[s] = lq__calib_new_sums(width)))
            st = lq__fail(LQ_ERR_NOMEM, "out of memory");
        if (st == LQ_OK && w->no_sample) /* nothing allocated yet: cannot fail */
            st = lq_calib_set_max_samples(w->sets[s], 0);
        if (st != LQ_OK) {
            lq__error_prefix(w->fn);
            return st;
        }
        if (w->hessians >= 0)
            lq__calib_spill_to(w->sets[s], w->hessians, at);
        at += lq__calib_spill_bytes(width);
    }
    return LQ_OK;
}

/* Window k's rows of s (the states or ffn_in), at *x: their first row and
 * count. */
static lq_status window_rows(walk *w, lq__states *s, int64_t k, int64_t *first, int64_t *len,
                             float **x)
{
    *first = k * w->window;
    *len = w->n_tokens - *first < w->window ? w->n_tokens - *first : w->window;
    return lq__states_get(s, *first, *len, x);
}

/* Free m's activation buffer, which the forward pass grows again when it
 * next runs (forward.c): the two models' buffers are never held at once. */
static void release_scratch(lq_model *m)
{
    lq__free(m->scratch);
    m->scratch = NULL;
    m->scratch_floats = 0;
}

/* Sites [first, last] of layer il into the sets over every window; the
 * pass stops at `last` (LQ__SITE_COUNT: the whole layer). In halves, the
 * second pass (first ffn_down) starts at the FFN, on the inputs the first
 * kept. */
static lq_status source_pass(walk *w, int64_t il, int first, int last)
{
    bool same = w->source == w->follow, at_ffn = w->halves && first == LQ__SITE_FFN_DOWN;
    /* from a mapped file, gate and up a piece at a time with their pages
     * released after each: with its smaller scratch 176 -> 145 MB on the
     * calib_mem model's F16 GGUF (forward.c) */
    bool mapped = !lq__model_lazy_source(w->source->src);
    lq__tap tap = {.fn = add_rows, .release = at_ffn && mapped, .user = w,
                   .first = at_ffn ? LQ__SITE_FFN : 0, .last = last};
    lq_status st = LQ_OK;
    w->first_site = first;
    for (int64_t k = 0; st == LQ_OK && k < w->n_windows; k++) {
        int64_t row, len;
        float *x;
        st = window_rows(w, at_ffn ? &w->ffn_in : &w->states, k, &row, &len, &x);
        w->row = row;
        if (st == LQ_OK && !same) {
            memcpy(w->scratch, x, (size_t)(len * w->n_embd) * sizeof *x);
            x = w->scratch;
        }
        if (st == LQ_OK)
            st = lq__model_layer(&w->quiet, w->source, il, x, len, &tap);
        if (st == LQ_OK && same) /* the states moved on in place */
            st = lq__states_put(&w->states, row, len);
    }
    return st;
}

/* Make (fetch) or free the source's weights of layer il that read sites
 * [first, last]: a source whose weights are made on use (a folder) then
 * holds only those its pass runs: attention's in the first half (41 MB as
 * F32 on the calib_mem model) instead of the layer's 180 MB through both
 * (the second makes gate and up itself). */
static lq_status source_weights(walk *w, int64_t il, int first, int last, bool fetch)
{
    lq__linear *l[LQ__LAYER_WEIGHTS];
    lq__layer_linears(&w->source->layers[il], l);
    lq_status st = LQ_OK;
    for (int p = 0; st == LQ_OK && p < LQ__LAYER_WEIGHTS; p++) {
        if (lq__layer_site(p) < first || lq__layer_site(p) > last)
            continue;
        if (fetch)
            st = lq__model_fetch(w->fn, w->source, l[p]->t);
        else
            lq__model_drop(w->source, l[p]->t);
    }
    return st;
}

/* The sets of layer il, with the states moved on through `follow`'s layer il
 * (after the visitor, which may have changed it). Weights made on use
 * (model.h) are made for the layer's runs and freed after them: the
 * source's before the visitor, which makes the follower's it reads itself.
 *
 * Sets that wait in a file (LQ__CALIB_PARK) are accumulated in two passes
 * over the source's layer, so that the sets in memory at once are the three
 * of the hidden size (attention input and output, FFN input), then ffn_down's
 * alone, in-features squared (5632^2 floats = 127 MB on the 0.37 G bench
 * model, 3 x 2048^2 = 50 MB for the three others; 822 and 201 MB on
 * Llama-3-8B), instead of all four. The first pass stops at the FFN's input
 * and the second at ffn_down's: their outputs are not needed (the follower
 * moves the states on). The first keeps the FFN's input (tokens x n_embd
 * floats, in a file beside the states when they are in one) and the second
 * starts there: it needs neither attention's weights (resident or made)
 * nor its work, and the two together cost about one whole pass. Other
 * bounds were dearer: parking every set after each window writes and reads
 * them all once per window (128 windows per layer by default), and keeping
 * the inputs of ffn_down for later holds tokens x FFN floats (2048 tokens x
 * 128 samples x 14336 x 4 bytes = 15 GB on Llama-3-8B). */
static lq_status one_layer(walk *w, int64_t il, lq__calib_visit visit, void *user)
{
    bool same = w->source == w->follow;
    lq_status st = LQ_OK;
    if (w->halves) {
        st = source_weights(w, il, LQ__SITE_ATTN, LQ__SITE_ATTN_OUT, true);
        if (st == LQ_OK)
            st = new_sets(w, LQ__SITE_ATTN, LQ__SITE_FFN);
        if (st == LQ_OK)
            st = source_pass(w, il, LQ__SITE_ATTN, LQ__SITE_FFN);
        source_weights(w, il, LQ__SITE_ATTN, LQ__SITE_ATTN_OUT, false);
        release_scratch(w->source); /* the second pass needs less (forward.c) */
        if (st == LQ_OK)
            st = park(w, LQ__SITE_ATTN, LQ__SITE_FFN);
        /* gate and up are not made here: the pass makes them a piece at a
         * time where it can (forward.c; 213 -> 165 MB from the calib_mem
         * model's folder), else whole */
        if (st == LQ_OK)
            st = new_sets(w, LQ__SITE_FFN_DOWN, LQ__SITE_FFN_DOWN);
        if (st == LQ_OK)
            st = source_pass(w, il, LQ__SITE_FFN_DOWN, LQ__SITE_FFN_DOWN);
    } else {
        st = lq__model_fetch_layer(w->fn, w->source, il);
        if (st == LQ_OK)
            st = new_sets(w, 0, LQ__SITE_COUNT - 1);
        if (st == LQ_OK)
            st = source_pass(w, il, 0, LQ__SITE_COUNT);
    }
    if (st == LQ_OK)
        st = park(w, 0, LQ__SITE_COUNT - 1);
    if (!same) { /* the source does not run while the visitor does */
        lq__model_drop_layer(w->source, il);
        release_scratch(w->source);
    }
    if (st == LQ_OK)
        st = visit(user, il, w->sets);
    free_sets(w);
    if (st == LQ_OK && !same)
        st = lq__model_fetch_layer(w->fn, w->follow, il);
    for (int64_t k = 0; st == LQ_OK && !same && k < w->n_windows; k++) {
        int64_t first, len;
        float *x;
        st = window_rows(w, &w->states, k, &first, &len, &x);
        if (st == LQ_OK)
            st = lq__model_layer(&w->quiet, w->follow, il, x, len, NULL);
        if (st == LQ_OK)
            st = lq__states_put(&w->states, first, len);
    }
    lq__model_drop_layer(w->follow, il);
    /* nor the follower's while the visitor or the source's next passes run
     * (it was alive beside the source's, 25 MB each on the calib_mem model) */
    if (!same)
        release_scratch(w->follow);
    if (st != LQ_OK && st != LQ_ERR_CANCELLED && strncmp(lq_last_error(), w->fn, strlen(w->fn)))
        lq__error_prefix(w->fn);
    return st;
}

static lq_status head_input(walk *w, lq__calib_visit visit, void *user)
{
    lq_status st = new_sets(w, 0, 0);
    w->first_site = 0;
    for (int64_t k = 0; st == LQ_OK && k < w->n_windows; k++) {
        int64_t first, len;
        float *x;
        st = window_rows(w, &w->states, k, &first, &len, &x);
        if (st == LQ_OK) {
            lq__model_head_input(w->source, x, len, w->scratch);
            st = lq_calib_add(w->sets[0], w->scratch, len);
        }
    }
    if (st == LQ_OK)
        st = park(w, 0, 0);
    if (st == LQ_OK)
        st = visit(user, w->source->hp.n_layer, w->sets);
    free_sets(w);
    return st;
}

static lq_status report(const walk *w, double fraction)
{
    if (w->user && w->user->progress &&
        w->user->progress(w->user->progress_user, "calibrate", fraction) != 0)
        return lq__fail(LQ_ERR_CANCELLED, "%s: cancelled by the progress callback", w->fn);
    return LQ_OK;
}

lq_status lq__calibrate(const lq_ctx *ctx, const char *fn, lq_model *source, lq_model *follow,
                        const int32_t *tokens, int64_t n_tokens, int64_t window, unsigned flags,
                        lq__calib_visit visit, void *user)
{
    bool head = flags & LQ__CALIB_HEAD;
    const lq__hparams *hp = &source->hp;
    if (!tokens || n_tokens < 1)
        return lq__fail(LQ_ERR_INVALID, "%s: no calibration tokens", fn);
    for (int64_t i = 0; i < n_tokens; i++)
        if (tokens[i] < 0 || tokens[i] >= hp->n_vocab)
            return lq__fail(LQ_ERR_INVALID, "%s: calibration token %lld = %d is outside the "
                            "vocabulary of %lld", fn, (long long)i, tokens[i], (long long)hp->n_vocab);
    walk w = {.fn = fn,
              .quiet = {.threads = lq__ctx_threads(ctx), .small_buffers = source->max_memory > 0},
              .user = ctx,
              .source = source, .follow = follow, .n_tokens = n_tokens, .window = window,
              .n_embd = hp->n_embd, .sums_only = flags & LQ__CALIB_SUMS_ONLY,
              .no_sample = flags & LQ__CALIB_NO_SAMPLE, .hessians = -1,
              .ffn_in = {.fd = -1}};
    bool parked = (flags & LQ__CALIB_PARK) && source->max_memory > 0 && !w.sums_only;
    w.halves = parked && source != follow;
    w.n_windows = (n_tokens + window - 1) / window;
    lq_status st = lq__states_init(&w.states, fn, n_tokens, hp->n_embd, window,
                                   source->max_memory);
    if (st != LQ_OK)
        return st;
    w.scratch = lq__calloc((size_t)(window * hp->n_embd), sizeof(float));
    if (!w.scratch)
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (st == LQ_OK && parked)
        st = lq__temp_file(fn, "the calibration sets' Hessians", &w.hessians);
    /* as many rows as the states, so in a file when they are */
    if (st == LQ_OK && w.halves)
        st = lq__states_init(&w.ffn_in, fn, n_tokens, hp->n_embd, window, source->max_memory);
    if (st != LQ_OK) {
        lq__states_free(&w.ffn_in);
        lq__states_free(&w.states);
        lq__free(w.scratch);
        if (w.hessians >= 0)
            close(w.hessians);
        return st;
    }
    int32_t bos = source->vocab.add_bos ? source->vocab.bos : -1;
    st = lq__model_fetch(fn, follow, follow->embd.t);
    for (int64_t k = 0; st == LQ_OK && k < w.n_windows; k++) {
        int64_t first, len;
        float *x;
        st = window_rows(&w, &w.states, k, &first, &len, &x);
        if (st != LQ_OK)
            break;
        lq__model_embed(follow, tokens + first, len, x);
        if (bos >= 0)
            lq__model_embed(follow, &bos, 1, x);
        st = lq__states_put(&w.states, first, len);
    }
    lq__model_drop(follow, follow->embd.t);
    for (int64_t il = 0; st == LQ_OK && il < hp->n_layer; il++) {
        st = one_layer(&w, il, visit, user);
        if (st == LQ_OK)
            st = report(&w, (double)(il + 1) / (double)(hp->n_layer + head));
    }
    if (st == LQ_OK && head && (st = head_input(&w, visit, user)) == LQ_OK)
        st = report(&w, 1.0);
    lq__states_free(&w.states);
    lq__states_free(&w.ffn_in);
    lq__free(w.scratch);
    if (w.hessians >= 0)
        close(w.hessians);
    return st;
}

/* ---- lq_model_imatrix ---- */

typedef struct {
    const lq_model *m;
    lq_imatrix *im;
    bool any_head; /* v1: record the head under its own name, even token_embd.weight when tied */
} imatrix_job;

static lq_status record(void *user, int64_t layer, lq_calib *const *sets)
{
    static const struct { int site; const char *part; } weights[] = {
        {LQ__SITE_ATTN, "attn_q"},   {LQ__SITE_ATTN, "attn_k"}, {LQ__SITE_ATTN, "attn_v"},
        {LQ__SITE_ATTN_OUT, "attn_output"}, {LQ__SITE_FFN, "ffn_gate"}, {LQ__SITE_FFN, "ffn_up"},
        {LQ__SITE_FFN_DOWN, "ffn_down"},
    };
    imatrix_job *j = user;
    if (layer == j->m->hp.n_layer) {
        /* llama-imatrix --process-output collects only a product with a tensor
         * named output.weight: a head tied to token_embd.weight is left out */
        const char *head = lq_tensor_name(j->m->output.t);
        if (!j->any_head && strcmp(head, "output.weight") != 0)
            return LQ_OK;
        return lq_imatrix_add(j->im, head, sets[0]);
    }
    lq_status st = LQ_OK;
    for (size_t i = 0; st == LQ_OK && i < sizeof weights / sizeof *weights; i++) {
        char name[64];
        snprintf(name, sizeof name, "blk.%lld.%s.weight", (long long)layer, weights[i].part);
        st = lq_imatrix_add(j->im, name, sets[weights[i].site]);
    }
    return st;
}

static lq_status imatrix(lq_ctx *ctx, const char *fn, lq_model *m, const int32_t *tokens,
                         int64_t n_tokens, int64_t n_ctx, bool head, bool any_head,
                         int64_t chunk_size, lq_imatrix **out)
{
    imatrix_job j = {m, NULL, any_head};
    lq_status st = lq_imatrix_create(&j.im);
    if (st == LQ_OK)
        st = lq__calibrate(ctx, fn, m, m, tokens, n_tokens, n_ctx,
                           LQ__CALIB_SUMS_ONLY | (head ? LQ__CALIB_HEAD : 0u), record, &j);
    if (st != LQ_OK) {
        lq_imatrix_free(j.im);
        return st;
    }
    lq__imatrix_set_chunk_size(j.im, chunk_size);
    *out = j.im;
    return LQ_OK;
}

/* The common checks; n_ctx 0 becomes the cache size. */
static lq_status imatrix_args(const char *fn, const lq_model *m, const int32_t *tokens,
                              int64_t *n_ctx, lq_imatrix **out)
{
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!m || !tokens)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (*n_ctx == 0)
        *n_ctx = m->kv.n_ctx;
    if (*n_ctx < 1 || *n_ctx > m->kv.n_ctx)
        return lq__fail(LQ_ERR_INVALID, "%s: windows of %lld tokens do not fit a KV cache of %lld",
                        fn, (long long)*n_ctx, (long long)m->kv.n_ctx);
    return LQ_OK;
}

lq_status lq_model_imatrix(lq_ctx *ctx, lq_model *m, const int32_t *tokens, int64_t n_tokens,
                           int64_t n_ctx, lq_imatrix **out)
{
    static const char fn[] = "lq_model_imatrix";
    lq_status st = imatrix_args(fn, m, tokens, &n_ctx, out);
    if (st != LQ_OK)
        return st;
    return imatrix(ctx, fn, m, tokens, n_tokens, n_ctx, true, true, LQ__IMATRIX_CHUNK, out);
}

lq_status lq_model_imatrix_v2(lq_ctx *ctx, lq_model *m, const int32_t *tokens, int64_t n_tokens,
                              int64_t n_ctx, int flags, lq_imatrix **out)
{
    static const char fn[] = "lq_model_imatrix_v2";
    lq_status st = imatrix_args(fn, m, tokens, &n_ctx, out);
    if (st != LQ_OK)
        return st;
    if (flags & ~LQ_IMATRIX_PROCESS_OUTPUT)
        return lq__fail(LQ_ERR_INVALID, "%s: unknown flags 0x%x", fn, (unsigned)flags);
    if (n_tokens < n_ctx)
        return lq__fail(LQ_ERR_INVALID, "%s: %lld tokens are fewer than one window of %lld", fn,
                        (long long)n_tokens, (long long)n_ctx);
    /* whole windows only, as llama-imatrix: the rest of the text is not run */
    int64_t used = n_tokens / n_ctx * n_ctx;
    bool head = flags & LQ_IMATRIX_PROCESS_OUTPUT;
    return imatrix(ctx, fn, m, tokens, used, n_ctx, head, false, n_ctx, out);
}
