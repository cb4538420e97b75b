/* fuzz_model.c — libFuzzer target for the model loader (lq_model_from_gguf)
 * on a GGUF read from memory. Any input must load or fail with a format,
 * shape or support error, without a sanitizer report and without allocating
 * more than the file can back (run.sh caps the fuzzer's memory); a model that
 * loads must tokenize and run two tokens to finite logits or say why not. */
#include <math.h>
#include <stdint.h>

#include "libquant/io/gguf_internal.h"

#include "fuzz_util.h"

#define N_CTX 8 /* the cache the header's context length would otherwise size */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lq_gguf *g = NULL;
    if (lq__gguf_parse("fuzz", "input", size ? data : NULL, size, &g) != LQ_OK)
        return 0; /* the GGUF reader has its own target */
    lq_model *m = NULL;
    lq_status st = lq_model_from_gguf(NULL, g, N_CTX, LQ_KV_F16, &m);
    if (st != LQ_OK) {
        if (st != LQ_ERR_FORMAT && st != LQ_ERR_SHAPE && st != LQ_ERR_UNSUPPORTED &&
            st != LQ_ERR_NOMEM)
            fuzz_fail("a bad model gave an unexpected status");
        if (m)
            fuzz_fail("a failed load left a model");
        lq_gguf_free(g);
        return 0;
    }
    int64_t n_vocab = lq_model_info(m, LQ_MODEL_N_VOCAB);
    if (n_vocab < 1 || lq_model_info(m, LQ_MODEL_N_LAYER) < 1)
        fuzz_fail("a loaded model has no vocabulary or no layer");
    int32_t *tok = NULL;
    int64_t n = 0;
    if (lq_model_tokenize(m, "a b", 3, 1, &tok, &n) == LQ_OK && n >= 1) {
        int64_t k = n < 2 ? n : 2;
        float *logits = malloc((size_t)(k * n_vocab) * sizeof *logits);
        st = logits ? lq_model_eval(NULL, m, tok, k, 0, 0, logits) : LQ_ERR_NOMEM;
        if (st != LQ_OK && st != LQ_ERR_NONFINITE && st != LQ_ERR_NOMEM)
            fuzz_fail("a loaded model does not run");
        for (int64_t i = 0; st == LQ_OK && i < k * n_vocab; i++)
            if (!isfinite(logits[i]))
                fuzz_fail("a model run gave non-finite logits without saying so");
        free(logits);
    }
    lq_free(tok);
    lq_model_free(m);
    lq_gguf_free(g);
    return 0;
}
