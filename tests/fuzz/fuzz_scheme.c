/* fuzz_scheme.c — libFuzzer target for the scheme grammar. Any text must
 * parse or fail with LQ_ERR_INVALID; a scheme that parses must give a
 * canonical string that parses to the same canonical string, and answer every
 * parameter query. */
#include <stdint.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    lq_scheme *s = NULL, *again = NULL;
    lq_status st = lq_scheme_parse(text, &s);
    if (st != LQ_OK) {
        if (st != LQ_ERR_INVALID || s != NULL)
            fuzz_fail("a bad scheme string gave a status other than LQ_ERR_INVALID");
        free(text);
        return 0;
    }
    const char *canon = lq_scheme_string(s);
    if (lq_scheme_parse(canon, &again) != LQ_OK)
        fuzz_fail("the canonical string does not parse");
    if (strcmp(canon, lq_scheme_string(again)) != 0)
        fuzz_fail("the canonical string is not canonical");
    for (int p = 0; p <= LQ_PARAM_ITERS; p++) {
        int64_t i;
        double f;
        if (lq_scheme_get_int(s, p, &i) != LQ_OK && lq_scheme_get_float(s, p, &f) != LQ_OK)
            fuzz_fail("a parameter cannot be read");
    }
    uint64_t bytes;
    (void)lq_scheme_tensor_bytes(s, 4, 256, &bytes);
    lq_scheme_free(again);
    lq_scheme_free(s);
    free(text);
    return 0;
}
