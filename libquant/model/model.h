/* model.h — the data behind lq_model (internal). */
#ifndef LQ_MODEL_MODEL_H
#define LQ_MODEL_MODEL_H

#include <lq/lq_model.h>

#include "arch.h"
#include "kv_cache.h"
#include "linear.h"
#include "vocab.h"

typedef struct lq__hparams {
    const lq__arch *arch;
    int64_t n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx_train;
    int64_t n_rot;    /* leading dimensions of each head that RoPE rotates */
    float rope_base;  /* theta */
    float norm_eps;   /* RMSNorm epsilon */
} lq__hparams;

typedef struct lq__layer {
    float *attn_norm, *ffn_norm; /* n_embd each */
    float *bias[3];              /* q, k, v biases (LQ__ARCH_QKV_BIAS), else NULL */
    float *q_norm, *k_norm;      /* head_dim each (LQ__ARCH_QK_NORM), else NULL */
    lq__linear q, k, v, o, gate, up, down;
} lq__layer;

struct lq_model {
    lq_gguf *file;          /* lq_model_load's own handle, NULL for lq_model_from_gguf */
    const lq_gguf *src;     /* what the model was built from: file, or the caller's handle */
    bool quantized;         /* made by lq_model_quantize: its weights differ from src's */
    int mixture;            /* the llama.cpp file type lq_model_quantize chose types by, 0 if none */
    bool mixture_imatrix;   /* ... with an importance matrix (its rules differ with one) */
    struct lq__plan *plan;  /* the GGUF plan whose types it took instead of the mixture's
                             * (lq_model_quantize_opts), owned; NULL if none */
    lq__hparams hp;
    lq__vocab vocab;
    lq_tensor **tensors;    /* views of the file's tensors, freed with the model */
    int64_t n_tensors;
    bool *lazy;             /* per tensor: a weight made on use (weights.c); NULL when the
                             * model was built from a mapped file and keeps no spill */
    int64_t *spill_at;      /* per tensor: where its bytes are in spill_fd, -1 if not */
    int spill_fd;           /* the quantized weights' temporary file, -1 without one */
    uint64_t spill_end;
    lq__linear embd, output; /* output is a copy of embd when the file has no output.weight */
    float *output_norm;
    double *rope_freq;      /* n_rot / 2 angles per position: base^(-2i/n_rot), divided by
                             * rope_freqs.weight's factors when the file has them */
    lq__layer *layers;
    lq__kv kv;
    int64_t n_past;         /* positions held in the cache */
    float *scratch;         /* the forward pass's activations (forward.c), kept between calls */
    void *resident;         /* the block the matrix weights were copied to (resident.c), or NULL */
    size_t resident_bytes;  /* its mapped length */
    bool resident_done;     /* lq__model_make_resident has run */
    size_t scratch_floats;
    int64_t n_params;
    int64_t max_memory;     /* bytes the hidden states of a calibration walk may take in
                             * memory before going to a file (states.h); 0: no limit */
};

/* Build a model from g (borrowed), as lq_model_from_gguf; `fn` names the
 * public function in messages. */
lq_status lq__model_build(lq_ctx *ctx, const lq_gguf *g, int64_t n_ctx, int kv_type,
                          lq_model **out, const char *fn);

/* ---- weights made on use (weights.c) ----
 *
 * A model built from a handle with a tensor source (lq__model_lazy_source)
 * holds its 2-D weights as views without bytes (lq__model_lazy_view, flagged
 * in m->lazy). lq__model_fetch makes a weight's bytes (the model's own
 * memory) if it has none, lq__model_drop frees them again, and
 * lq__model_keep makes a weight stay as it is from then on (lq_model_quantize
 * keeps a weight it does not change). All are no-ops for other tensors and
 * other models. */
#define LQ__LAYER_WEIGHTS 7
/* The layer's linear weights in the one order every walk over them uses:
 * q, k, v, o, gate, up, down. */
static inline void lq__layer_linears(lq__layer *y, lq__linear *out[LQ__LAYER_WEIGHTS])
{
    lq__linear *l[LQ__LAYER_WEIGHTS] = {&y->q, &y->k, &y->v, &y->o, &y->gate, &y->up, &y->down};
    for (int p = 0; p < LQ__LAYER_WEIGHTS; p++)
        out[p] = l[p];
}
bool lq__model_lazy_source(const lq_gguf *g);
lq_status lq__model_lazy_view(const char *fn, const lq_gguf *g, int64_t i, lq_tensor **out);
lq_status lq__model_fetch(const char *fn, lq_model *m, const lq_tensor *t);
void lq__model_drop(lq_model *m, const lq_tensor *t);
/* Rows [r0, r1) of 2-D weight t into dst (their bytes): from its bytes, or
 * when it has none without making the rest (from the file of spilled
 * weights or the handle's source). Errors: LQ_ERR_IO, LQ_ERR_NOMEM. */
lq_status lq__model_fetch_rows(const char *fn, const lq_model *m, const lq_tensor *t, int64_t r0,
                               int64_t r1, uint8_t *dst);
void lq__model_keep(lq_model *m, const lq_tensor *t);
/* Keep the bytes of the model's own weights in an unlinked temporary file
 * from now on (lq_model_quantize under a memory limit): lq__model_spill
 * writes t's bytes there and makes t a weight made on use, so that
 * lq__model_drop frees them and lq__model_fetch reads them back. Errors:
 * LQ_ERR_IO, LQ_ERR_NOMEM. */
lq_status lq__model_spill_start(const char *fn, lq_model *m);
lq_status lq__model_spill(const char *fn, lq_model *m, const lq_tensor *t);
/* The same for the seven linear weights of layer il, and for every weight. */
lq_status lq__model_fetch_layer(const char *fn, lq_model *m, int64_t il);
void lq__model_drop_layer(lq_model *m, int64_t il);
lq_status lq__model_fetch_all(const char *fn, lq_model *m);

/* Copy the matrix weights of a model built from the mapped file g (not one
 * whose weights are made on use) into a block of its own in 2 MiB pages,
 * dropping their file pages from this process (resident.c says why); once:
 * later calls return at once. lq_model_eval calls it, so that a model only
 * quantized layer by layer (lq_model_quantize releases the map's pages as it
 * goes) never holds a copy. Only a speed-up: when the copy is too small to
 * gain, larger than half the machine's memory or its mapping is refused, the
 * model reads the file map as before and the call succeeds; LQ_ERR_NOMEM only
 * when its few bookkeeping bytes cannot be had. lq__model_free_resident
 * unmaps the block (lq_model_free). */
lq_status lq__model_make_resident(const char *fn, lq_model *m, const lq_gguf *g);
void lq__model_free_resident(lq_model *m);
/* Fewer bytes of matrix weights are not copied (resident.c says why; 16 MiB;
 * tests lower it to run on the small fixture). */
extern size_t lq__resident_min_bytes;

/* The tensor `name` (a GGUF name) as the model holds it now, for writing the
 * model out: a 2-D weight in *mat (borrowed; quantized when lq_model_quantize
 * quantized it), a 1-D one as the *len f32 values the runner uses in *vec
 * (norms and biases, with the scales AWQ and SmoothQuant moved into them).
 * False when the model has no such tensor. */
bool lq__model_weight(const lq_model *m, const char *name, const lq_tensor **mat,
                      const float **vec, int64_t *len);

/* ---- pieces of the forward pass (forward.c), for calibration ---- */

/* Where a layer's linear weights read their input. */
enum {
    LQ__SITE_ATTN = 0,      /* normed hidden state: attn_q, attn_k, attn_v */
    LQ__SITE_ATTN_OUT = 1,  /* attention output: attn_output */
    LQ__SITE_FFN = 2,       /* normed hidden state: ffn_gate, ffn_up */
    LQ__SITE_FFN_DOWN = 3,  /* silu(gate) * up: ffn_down */
    LQ__SITE_COUNT = 4
};

/* The site weight `part` of lq__layer_linears reads. */
static inline int lq__layer_site(int part)
{
    static const int site[LQ__LAYER_WEIGHTS] = {LQ__SITE_ATTN, LQ__SITE_ATTN, LQ__SITE_ATTN,
                                                LQ__SITE_ATTN_OUT, LQ__SITE_FFN, LQ__SITE_FFN,
                                                LQ__SITE_FFN_DOWN};
    return site[part];
}

/* Sees the n input rows of the weights at `site` of layer `layer`. The
 * layer's pass stops once it has shown site `last` (LQ__SITE_COUNT: it
 * runs whole), for a caller that wants the inputs only. With `first`
 * LQ__SITE_FFN (else 0) the pass starts at the FFN: x is its normed input as
 * the tap was shown it at that site, and the pass must stop before the
 * layer's end (the residual stream is not there to add to); gate and up
 * may then be weights without bytes, made on use. With `release`, or such
 * weights, their products run a piece of rows at a time where that gives
 * the same outputs (the weights made a piece at a time), and with `release`
 * each piece's file pages leave memory after it (lq__tensor_release_rows: a
 * no-op unless the weight is a view into a file map). */
typedef struct lq__tap {
    lq_status (*fn)(void *user, int64_t layer, int site, const float *x, int64_t n);
    bool release;
    void *user;
    int first, last;
} lq__tap;

/* x[n][n_embd] = the embedding rows of n tokens. */
void lq__model_embed(const lq_model *m, const int32_t *tokens, int64_t n, float *x);

/* Run layer il alone over n tokens at positions 0 .. n-1 (its keys and
 * values go to the cache's first layer, whatever il; the model's cache is
 * left empty): x[n][n_embd] in and out. The
 * tap (may be NULL) sees each input of the layer's weights; x is left as it
 * was when the tap stops the pass early. */
lq_status lq__model_layer(lq_ctx *ctx, lq_model *m, int64_t il, float *x, int64_t n,
                          const lq__tap *t);

/* Test hook: a calibration walk's second half-pass runs gate and up in
 * pieces of at least `bytes` of the weight (forward.c) instead of 2 MiB, so
 * that the tests' small fixtures take that path; 0 restores 2 MiB. */
void lq__forward_piece_bytes(size_t bytes);

/* h[n][n_embd] = the output head's input: x after the final RMSNorm. */
void lq__model_head_input(const lq_model *m, const float *x, int64_t n, float *h);

#endif
