/* fuzz_safetensors.c — libFuzzer target for the safetensors reader (and the
 * JSON reader under it). Any input must parse or fail with LQ_ERR_FORMAT; an
 * input that parses must save, read back alike, and save again to the same
 * bytes. */
#include <stdint.h>

#include "libquant/io/safetensors_internal.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lq_safetensors *st = NULL;
    if (lq_safetensors_create(&st) != LQ_OK)
        return 0;
    lq_status s = lq__safetensors_parse("fuzz", "input", data, size, 0, st);
    if (s != LQ_OK) {
        if (s != LQ_ERR_FORMAT && s != LQ_ERR_NOMEM)
            fuzz_fail("a bad file gave a status other than LQ_ERR_FORMAT");
        lq_safetensors_free(st);
        return 0;
    }
    for (int64_t i = 0; i < lq_safetensors_tensor_count(st); i++) {
        lq_tensor *t = NULL;
        s = lq_safetensors_get_tensor(st, i, &t);
        if (s != LQ_OK && s != LQ_ERR_UNSUPPORTED)
            fuzz_fail("lq_safetensors_get_tensor failed on a valid file");
        /* fp8 tensors carry their scale (4 bytes) after the codes */
        size_t extra = t && lq_type_is_quantized(lq_tensor_type(t)) ? 4 : 0;
        if (t && lq_tensor_nbytes(t) != lq_safetensors_tensor_nbytes(st, i) + extra)
            fuzz_fail("a tensor's size changed");
        lq_tensor_free(t);
    }
    const char *a = fuzz_path("a"), *b = fuzz_path("b");
    if (lq_safetensors_save(NULL, st, a, 0) != LQ_OK)
        fuzz_fail("a valid file does not save");
    lq_safetensors *r = NULL;
    if (lq_safetensors_open(a, &r) != LQ_OK)
        fuzz_fail("a saved file does not open");
    if (lq_safetensors_tensor_count(r) != lq_safetensors_tensor_count(st) ||
        lq_safetensors_meta_count(r) != lq_safetensors_meta_count(st))
        fuzz_fail("a saved file differs in its counts");
    for (int64_t i = 0; i < lq_safetensors_tensor_count(st); i++) {
        int64_t j = lq_safetensors_find_tensor(r, lq_safetensors_tensor_name(st, i));
        const void *pa, *pb;
        uint64_t na, nb;
        if (j < 0 || lq_safetensors_tensor_raw(st, i, &pa, &na) != LQ_OK ||
            lq_safetensors_tensor_raw(r, j, &pb, &nb) != LQ_OK || na != nb || (na && memcmp(pa, pb, na)))
            fuzz_fail("a tensor changed on its way through a file");
    }
    if (lq_safetensors_save(NULL, r, b, 0) != LQ_OK || !fuzz_same_files(a, b))
        fuzz_fail("saving a saved file changes it");
    lq_safetensors_free(r);
    lq_safetensors_free(st);
    return 0;
}
