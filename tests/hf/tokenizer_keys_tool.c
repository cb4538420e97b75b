/* tokenizer_keys_tool.c — tokenizer_keys_tool DIR ARCH N_VOCAB OUT.gguf:
 * writes lq__hf_tokenizer_keys's keys for the folder DIR into a GGUF with
 * nothing else, for tests/hf/real_tokenizers.sh to compare with the
 * converter's. Prints the error and exits 1 on failure. */
#include <stdio.h>
#include <stdlib.h>

#include "../../libquant/hf/tokenizer_keys.h"

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: tokenizer_keys_tool DIR ARCH N_VOCAB OUT.gguf\n");
        return 2;
    }
    lq_gguf *g = NULL;
    lq_status s = lq_gguf_create(&g);
    if (!s)
        s = lq__hf_tokenizer_keys(argv[1], argv[2], strtoll(argv[3], NULL, 10), g);
    if (!s)
        s = lq_gguf_save(NULL, g, argv[4]);
    if (s)
        fprintf(stderr, "tokenizer_keys_tool: %s\n", lq_last_error());
    lq_gguf_free(g);
    return s ? 1 : 0;
}
