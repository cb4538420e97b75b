/* tokenizer_keys_pending.c — placeholder for lq__hf_tokenizer_keys until the
 * tokenizer readers merge: the model folder view then has no tokenizer.*
 * keys. The lead deletes this file at that merge. */
#include "tokenizer_keys.h"

lq_status lq__hf_tokenizer_keys(const char *dir, const char *arch, int64_t n_vocab, lq_gguf *g)
{
    (void)dir;
    (void)arch;
    (void)n_vocab;
    (void)g;
    return LQ_OK;
}
