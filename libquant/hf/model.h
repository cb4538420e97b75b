/* model.h — a Hugging Face model folder read as the GGUF that
 * convert_hf_to_gguf.py writes (internal): the folder (model_dir.c), the
 * tensors and their bytes (model_tensors.c), the metadata (model_keys.c),
 * and lq_hf_model_open on top (model_api.c). doc/hf-input.md has the facts. */
#ifndef LQ_HF_MODEL_H
#define LQ_HF_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include <lq/lq_io.h>

#include "../io/json.h"
#include "archs.h"
#include "quant_weights.h"

/* What config.json says, as the converter reads it. */
typedef struct lq__hf_cfg {
    int64_t n_layer, n_embd, n_ff, n_head, n_head_kv, n_vocab;
    int64_t n_ctx;        /* max_position_embeddings, when has_ctx */
    int64_t head_dim;     /* config's head_dim when has_head_dim, else n_embd / n_head */
    bool has_ctx, has_head_kv, has_head_dim, has_theta, has_eps; /* in config.json */
    double rope_theta, rms_eps;
    bool llama3_rope;     /* rope_scaling of rope_type "llama3": the rope_freqs tensor */
    double rope_factor, rope_low, rope_high, rope_orig;
} lq__hf_cfg;

/* One tensor of the GGUF. */
typedef struct lq__hf_out {
    char name[LQ_GGUF_MAX_NAME + 1];
    int64_t src;          /* its checkpoint tensor, -1 for rope_freqs.weight */
    int64_t heads;        /* Q/K rows reordered within this many heads; 0: as stored */
    lq_type type;         /* F32, F16, BF16 or Q8_0 */
    int ndim;             /* 1 or 2 */
    int64_t rows, cols;   /* outermost first; a 1-D tensor is rows x 1 */
    bool quant;           /* src holds a quantized layer's codes (quant_weights.h) */
    int scalar;           /* k + 1: scalar k of the quantized layer at src, as the
                           * F32 [1] tensor the converter writes (quant_weights.h);
                           * 0: the tensor itself */
    lq__hf_qlayer layer;  /* its shape and exact type, when quant */
} lq__hf_out;

typedef struct lq__hf_model {
    char *dir;
    lq__json_doc *cfg_doc;
    lq__json_doc *gen_doc;  /* generation_config.json; NULL when absent or not JSON */
    const lq__hf_arch *arch;
    lq__hf_cfg cfg;
    lq_safetensors *st;
    int64_t *order;       /* the checkpoint's tensors as the converter visits them */
    int64_t n_order;
    lq__hf_out *out;
    int64_t n_out, cap_out;
    lq_type outtype;      /* resolved (auto decided) */
    const lq__hf_qscheme *qscheme; /* quantized layers' scheme; NULL: none */
    bool exact;           /* LQ_HF_EXACT_QUANT: layers a ggml type holds are kept */
} lq__hf_model;

/* Read config.json (architecture, sizes) and open the weights; tensors in
 * the converter's order: shard files sorted by name, each in header order.
 * Errors: LQ_ERR_IO (no config.json, no weights), LQ_ERR_FORMAT (a malformed
 * file or a missing size), LQ_ERR_UNSUPPORTED (an architecture or rope
 * scaling not handled: the message names it), LQ_ERR_NOMEM. */
lq_status lq__hf_model_load(const char *fn, const char *dir, lq__hf_model *m);
void lq__hf_model_clear(lq__hf_model *m);

/* Build m->out for `outtype` (an lq_type or LQ_HF_OUTTYPE_AUTO) and
 * `flags` (LQ_HF_EXACT_QUANT): names, order, types and shapes, each
 * checkpoint tensor checked against config.json. Quantized layers come
 * after the other tensors, in the order of their codes (the converter
 * appends the weights it dequantizes). Errors: LQ_ERR_INVALID (outtype,
 * flags), LQ_ERR_SHAPE (a tensor contradicting config.json: named),
 * LQ_ERR_UNSUPPORTED (a tensor name or dtype the converter would not take,
 * a quantization scheme not read: named), LQ_ERR_FORMAT (a quantized
 * layer's tensors: named), LQ_ERR_NOMEM. */
lq_status lq__hf_model_tensors(const char *fn, lq__hf_model *m, int outtype, unsigned flags);

/* A flag of lq__hf_model_tensors beside lq_hf.h's (refused from the public
 * functions): every plain tensor takes the type it is stored in (F32, F16,
 * BF16: a row of model_tensors.c's dtypes) where the outtype would go, and
 * every decoded one (a quantized layer, FP8) F32, so that each weight is
 * exactly its checkpoint's values in the fewest bytes; general.file_type
 * stays the outtype's. */
#define LQ__HF_STORED_TYPES (1u << 31)

/* lq_hf_model_open(dir, LQ_TYPE_F32, out) with LQ__HF_STORED_TYPES (and its
 * messages): how lq_model_load reads a folder. */
lq_status lq__hf_model_open_stored(const char *dir, lq_gguf **out);

/* The bytes of rows [r0, r1) of m->out[i] as the converter writes them, into
 * dst (a vector is one row, read whole).
 * Errors: LQ_ERR_NOMEM (the message names the tensor; the caller puts its
 * function's name before it); for FP8 and quantized layers also
 * LQ_ERR_FORMAT (data the open could not check without decoding, named).
 * Thread-safe: reads m only. */
lq_status lq__hf_tensor_read(const lq__hf_model *m, int64_t i, int64_t r0, int64_t r1,
                             void *dst);

/* The checkpoint row of GGUF row r of a Q or K weight (or bias) of `rows`
 * rows reordered within `heads` heads (lq__hf_out.heads; 0: r itself). */
int64_t lq__hf_qk_src_row(int64_t rows, int64_t heads, int64_t r);

/* The naming metadata gguf-py derives (its Metadata heuristics): from
 * config.json's _name_or_path when it looks like a model id, then from the
 * folder name; the size label from `params` when no name gives one. Empty
 * strings for fields it leaves out. README.md model cards are not read. */
typedef struct lq__hf_naming {
    char name[256], organization[256], basename[256], finetune[256], version[256];
    char size_label[64];
} lq__hf_naming;

void lq__hf_naming_of(const lq__hf_model *m, int64_t params, lq__hf_naming *out);

/* Add the metadata the converter writes, in its order, to g (tokenizer keys
 * included). Errors: those of lq__hf_tokenizer_keys, LQ_ERR_NOMEM. */
lq_status lq__hf_model_keys(const char *fn, const lq__hf_model *m, lq_gguf *g);

#endif
