/* fuzz_gguf.c — libFuzzer target for the GGUF reader. Any input must parse
 * or fail with LQ_ERR_FORMAT, without a sanitizer report; an input that
 * parses must survive everything the handle offers, save, read back, and save
 * again to the same bytes. */
#include <stdint.h>

#include "libquant/io/gguf_internal.h"

#include "fuzz_util.h"

static void touch(const lq_gguf *g)
{
    for (int64_t i = 0; i < lq_gguf_kv_count(g); i++) {
        const char *k = lq_gguf_kv_key(g, i), *s;
        int t = lq_gguf_kv_type(g, i), et;
        uint64_t n;
        const void *d;
        int64_t v;
        (void)lq_gguf_get_int(g, k, &v);
        if (t == LQ_GGUF_TYPE_STRING && lq_gguf_get_string(g, k, &s, NULL) != LQ_OK)
            fuzz_fail("a string kv does not read as a string");
        if (t != LQ_GGUF_TYPE_ARRAY)
            continue;
        if (lq_gguf_get_array(g, k, &et, &n) != LQ_OK)
            fuzz_fail("an array kv does not read as an array");
        if (et == LQ_GGUF_TYPE_STRING) {
            for (uint64_t j = 0; j < n; j++)
                if (lq_gguf_get_array_string(g, k, j, &s, NULL) != LQ_OK)
                    fuzz_fail("a string element does not read");
        } else if (et != LQ_GGUF_TYPE_ARRAY && lq_gguf_get_array_data(g, k, et, &d, &n) != LQ_OK) {
            fuzz_fail("a numeric array does not read");
        }
    }
    for (int64_t i = 0; i < lq_gguf_tensor_count(g); i++) {
        const void *raw;
        uint64_t nb;
        if (lq_gguf_tensor_raw(g, i, &raw, &nb) != LQ_OK)
            fuzz_fail("tensor bytes are not there");
        for (uint64_t k = 0; k < nb; k++) /* every byte must be readable */
            fuzz_sink ^= ((const uint8_t *)raw)[k];
        lq_tensor *t = NULL;
        lq_status st = lq_gguf_get_tensor(g, i, &t);
        if (st != LQ_OK && st != LQ_ERR_UNSUPPORTED)
            fuzz_fail("lq_gguf_get_tensor failed on a valid file");
        lq_tensor_free(t);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lq_gguf *g = NULL;
    lq_status st = lq__gguf_parse("fuzz", "input", size ? data : NULL, size, &g);
    if (st != LQ_OK) {
        if (st != LQ_ERR_FORMAT && st != LQ_ERR_NOMEM)
            fuzz_fail("a bad file gave a status other than LQ_ERR_FORMAT");
        return 0;
    }
    touch(g);
    const char *a = fuzz_path("a"), *b = fuzz_path("b");
    if (lq_gguf_save(NULL, g, a) != LQ_OK)
        fuzz_fail("a valid file does not save");
    lq_gguf *r = NULL;
    if (lq_gguf_open(a, &r) != LQ_OK)
        fuzz_fail("a saved file does not open");
    if (lq_gguf_kv_count(r) != lq_gguf_kv_count(g) ||
        lq_gguf_tensor_count(r) != lq_gguf_tensor_count(g))
        fuzz_fail("a saved file differs in its counts");
    if (lq_gguf_save(NULL, r, b) != LQ_OK || !fuzz_same_files(a, b))
        fuzz_fail("saving a saved file changes it");
    lq_gguf_free(r);
    lq_gguf_free(g);
    return 0;
}
