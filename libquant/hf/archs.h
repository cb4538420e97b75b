/* archs.h — the Hugging Face model classes a model folder can be read as
 * (internal): one row per class of config.json's "architectures", with what
 * convert_hf_to_gguf.py does differently for it (doc/hf-input.md, "What
 * convert_hf_to_gguf.py writes"). */
#ifndef LQ_HF_ARCHS_H
#define LQ_HF_ARCHS_H

#include <stdbool.h>
#include <stddef.h>

/* Tensors a class has beyond the common Llama set. */
enum {
    LQ__HF_QKV_BIAS = 1 << 0, /* self_attn.{q,k,v}_proj.bias (Qwen2) */
    LQ__HF_QK_NORM = 1 << 1   /* self_attn.{q,k}_norm.weight (Qwen3) */
};

typedef struct lq__hf_arch {
    const char *hf_class;   /* "LlamaForCausalLM" */
    const char *gguf_arch;  /* general.architecture: "llama" */
    /* the converter's Llama class: Q/K rows reordered from rotate-half to
     * llama.cpp's adjacent pairs, ARCH.vocab_size and ARCH.rope.dimension_count
     * written, llama3 rope scaling written as the rope_freqs tensor */
    bool llama;
    int extras;             /* LQ__HF_* tensors the class may have */
} lq__hf_arch;

/* The row of `hf_class`, or NULL. */
const lq__hf_arch *lq__hf_arch_find(const char *hf_class);

/* The supported classes, ", "-separated, into buf (for messages). */
void lq__hf_arch_list(char *buf, size_t size);

#endif
