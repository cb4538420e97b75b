/* mixture.h — llama.cpp's file-type mixtures: which type each tensor of a
 * model gets for a llama_ftype such as Q4_K_M (internal).
 *
 * The rules follow llama.cpp's llama-quant.cpp as shipped in the reference
 * build (node-llama-cpp 3.22.1) so that `lq quantize` chooses the same type
 * for every tensor as `llama-quantize`: tensor categories by name, the layer
 * counters that advance in processing order, use_more_bits, the tied-embedding
 * rule, user overrides, and the fallbacks for rows that do not fit a block.
 *
 * Use: lq__mixture_init, then lq__mixture_scan over all tensor names, then
 * lq__mixture_pick for each tensor in lq__mixture_order's order. */
#ifndef LQ_METHODS_MIXTURE_H
#define LQ_METHODS_MIXTURE_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include <lq/lq_types.h>

#define LQ__MIX_MAX_OVERRIDES 32

typedef struct lq__mixture {
    /* set by lq__mixture_init */
    int ftype;
    lq_type default_type;
    /* model facts, set by the caller after init (GGUF metadata) */
    int n_layer;     /* {arch}.block_count */
    int n_gqa;       /* head_count / head_count_kv; 0 if unknown */
    int n_expert;    /* {arch}.expert_count; 0 or 1 for dense models */
    bool falcon;     /* general.architecture == falcon */
    bool bailingmoe3; /* general.architecture == bailingmoe3 (MXFP4_MOE's rule) */
    bool is_70b;     /* llama with 80 layers and grouped-query attention */
    /* options */
    bool has_imatrix;
    bool pure;             /* --pure: every quantizable tensor gets the default type */
    bool quantize_output;  /* false for --leave-output-tensor */
    lq_type output_type;   /* --output-tensor-type, or -1 */
    lq_type token_embd_type; /* --token-embedding-type, or -1 */
    int n_overrides;       /* --tensor-type PATTERN=TYPE, first match wins */
    regex_t override_re[LQ__MIX_MAX_OVERRIDES];
    lq_type override_type[LQ__MIX_MAX_OVERRIDES];
    /* state, from lq__mixture_scan and lq__mixture_pick */
    bool tied_embeddings;
    int n_attention_wv;
    int i_attention_wv, i_ffn_down, i_ffn_gate, i_ffn_up;
} lq__mixture;

/* The default type of a llama_ftype, with its name ("Q4_K_M") when asked.
 * false for file types libquant cannot write. */
bool lq__ftype_info(int ftype, lq_type *default_type, const char **name);
/* The llama_ftype whose name (case-insensitive, e.g. "q4_k_m", "F16") is
 * given; false if none. */
bool lq__ftype_from_name(const char *name, int *ftype);
/* "F32, F16, ...": every name lq__ftype_from_name knows, for messages. Static. */
const char *lq__ftype_names(void);

/* Start a mixture for ftype (LQ_ERR_INVALID for an unknown one). */
lq_status lq__mixture_init(lq__mixture *m, int ftype);
/* Add a --tensor-type override ("PATTERN=TYPE" parsed by the caller);
 * LQ_ERR_INVALID for a bad regular expression or too many overrides. */
lq_status lq__mixture_add_override(lq__mixture *m, const char *pattern, lq_type type);
void lq__mixture_free(lq__mixture *m);

/* Count what the rules need from the whole tensor list. */
void lq__mixture_scan(lq__mixture *m, const char *const *names, int64_t n);

/* llama.cpp's processing (and output file) order: tensors outside blk.N
 * first, then by layer number, then by name. Fills order[0..n). Errors:
 * LQ_ERR_NOMEM, with `fn` (the public function) in the message. */
lq_status lq__mixture_order(const char *fn, const char *const *names, int64_t n, int64_t *order);

/* Whether the tensor is quantized at all (norms, 1-D tensors, routers, ... are not). */
bool lq__mixture_allows(const lq__mixture *m, const char *name, int ndims);

/* The type for one tensor, given its name, number of dimensions, row length
 * (ne0), expert count dimension (ne2, 1 if none) and current type. Call in
 * lq__mixture_order's order: counters advance as in llama.cpp. Returns
 * LQ_ERR_FORMAT when an MoE tensor's name has no valid layer. */
lq_status lq__mixture_pick(lq__mixture *m, const char *name, int ndims, int64_t ne0,
                           int64_t ne2, lq_type current, lq_type *out);

/* Whether the user chose the tensor's type (--tensor-type, or the output
 * and token embedding types). */
bool lq__mixture_pinned(const lq__mixture *m, const char *name);

/* llama.cpp refuses some combinations without an importance matrix: Q2_K
 * tensors of a Q2_K_S file (other than the embeddings and the output). */
bool lq__mixture_needs_imatrix(const lq__mixture *m, const char *name, lq_type type);

#endif
