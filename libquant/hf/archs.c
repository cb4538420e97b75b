/* archs.c — the table of Hugging Face model classes (archs.h). Mistral goes
 * through the converter's Llama class: same keys, names and permutation.
 * The runner's own table (libquant/model/) is on the GGUF side. */
#include <stdio.h>
#include <string.h>

#include "archs.h"

static const lq__hf_arch archs[] = {
    {"LlamaForCausalLM", "llama", true, 0},
    {"MistralForCausalLM", "llama", true, 0},
    {"Qwen2ForCausalLM", "qwen2", false, LQ__HF_QKV_BIAS},
    {"Qwen3ForCausalLM", "qwen3", false, LQ__HF_QK_NORM},
};

const lq__hf_arch *lq__hf_arch_find(const char *hf_class)
{
    for (size_t i = 0; i < sizeof archs / sizeof *archs; i++)
        if (strcmp(archs[i].hf_class, hf_class) == 0)
            return &archs[i];
    return NULL;
}

void lq__hf_arch_list(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof archs / sizeof *archs && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", archs[i].hf_class);
        used += n > 0 ? (size_t)n : 0;
    }
}
