/* calibrate.h — what each weight of a model sees on calibration text
 * (internal).
 *
 * lq__calibrate runs tokens through a model one layer at a time, as GPTQ's
 * and AWQ's reference scripts do: the hidden states of all tokens are kept
 * between layers, each layer's weights get one lq_calib set per input site
 * (LQ__SITE_*), and a visitor consumes the sets of a layer before the hidden
 * states move on to the next. The states can move on through another model
 * (`follow`) than the one whose weights give the inputs (`source`): the model
 * being quantized, so that layer i is calibrated on what the already
 * quantized layers 0 .. i-1 produce. */
#ifndef LQ_MODEL_CALIBRATE_H
#define LQ_MODEL_CALIBRATE_H

#include <lq/lq_calib.h>

#include "model.h"

/* Called once per layer (0 .. n_layer-1) with sets[LQ__SITE_COUNT], and
 * once more with layer == n_layer and sets[0] = the output head's input
 * when the head was asked for. The visitor may change `follow`'s weights of
 * that layer; the sets are freed after it returns. */
typedef lq_status (*lq__calib_visit)(void *user, int64_t layer, lq_calib *const *sets);

/* Flags of lq__calibrate. */
enum {
    LQ__CALIB_HEAD = 1,      /* also the output head's input (layer == n_layer) */
    LQ__CALIB_SUMS_ONLY = 2, /* sets keep sums and maxima only, no Hessian or sample
                                (lq__calib_new_sums): all the importance matrix needs */
    LQ__CALIB_NO_SAMPLE = 4, /* sets keep no row sample: GPTQ reads none */
    LQ__CALIB_PARK = 8       /* under source's memory limit the visitor gets the sets
                                parked (calib.h) and loads each it uses */
};

/* Calibrate on tokens[0 .. n_tokens-1], cut into windows of at most `window`
 * tokens (at most either model's KV cache), each starting from an empty
 * cache with its first token replaced by BOS when the vocabulary asks for it
 * (as llama-imatrix does). `follow` may be `source`. `ctx` gives threads and
 * receives progress (stage "calibrate", by layers). `fn` names the public
 * function in messages. Errors: LQ_ERR_INVALID (no tokens, a token outside
 * the vocabulary), LQ_ERR_NOMEM, LQ_ERR_NONFINITE, LQ_ERR_CANCELLED, and the
 * visitor's. */
lq_status lq__calibrate(const lq_ctx *ctx, const char *fn, lq_model *source, lq_model *follow,
                        const int32_t *tokens, int64_t n_tokens, int64_t window, unsigned flags,
                        lq__calib_visit visit, void *user);

/* In-features of the weights at `site`. */
int64_t lq__site_width(const lq__hparams *hp, int site);

#endif
