/* arch.h — the GGUF architectures the runner runs (internal): one row per
 * general.architecture value, with what differs between them. */
#ifndef LQ_MODEL_ARCH_H
#define LQ_MODEL_ARCH_H

#include <stddef.h>

/* How RoPE pairs a head's dimensions (llama.cpp's LLAMA_ROPE_TYPE_*). */
enum {
    LQ__ROPE_NORMAL = 0, /* adjacent pairs (2i, 2i+1): the converter permutes Q/K rows to match */
    LQ__ROPE_NEOX = 1,   /* halves (i, i + n_rot/2), as the checkpoints rotate them */
};

/* Tensors an architecture adds to Llama's (flags). */
enum {
    LQ__ARCH_QKV_BIAS = 1u << 0,   /* blk.N.attn_{q,k,v}.bias, required, added after the products */
    LQ__ARCH_QK_NORM = 1u << 1,    /* blk.N.attn_{q,k}_norm.weight, required: per-head RMSNorm before RoPE */
    LQ__ARCH_ROPE_FREQS = 1u << 2, /* rope_freqs.weight, optional: llama3 frequency divisors */
};

/*     name   rope style      tensors */
#define LQ__ARCH_LIST(X)                                     \
    X(llama, LQ__ROPE_NORMAL, LQ__ARCH_ROPE_FREQS)           \
    X(qwen2, LQ__ROPE_NEOX, LQ__ARCH_QKV_BIAS)               \
    X(qwen3, LQ__ROPE_NEOX, LQ__ARCH_QK_NORM)

typedef struct lq__arch {
    const char *name; /* general.architecture, and the prefix of its hparam keys */
    int rope;         /* LQ__ROPE_* */
    unsigned tensors; /* LQ__ARCH_* */
} lq__arch;

/* The row named `name`, or NULL. */
const lq__arch *lq__arch_find(const char *name);

/* "llama, qwen2, ..." into buf (for messages). */
const char *lq__arch_names(char *buf, size_t size);

#endif
