/* fuzz_spm.c — libFuzzer target for the SentencePiece tokenizer.model
 * reader (the protobuf reader of libquant/hf/tok_spm.c). Any input must be
 * read or refused with LQ_ERR_FORMAT or LQ_ERR_UNSUPPORTED, without a
 * sanitizer report; a model that is read must hold what the reader
 * promises: pieces that are non-empty valid UTF-8 without NUL, types 1..6,
 * exactly one unknown piece. */
#include <stdint.h>

#include "libquant/hf/tok.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lq__spm spm;
    lq_status s = lq__spm_read("fuzz", "tokenizer.model", data, size, &spm);
    if (s != LQ_OK) {
        if (s != LQ_ERR_FORMAT && s != LQ_ERR_UNSUPPORTED && s != LQ_ERR_NOMEM)
            fuzz_fail("a status other than FORMAT, UNSUPPORTED or NOMEM");
        if (!lq_last_error()[0])
            fuzz_fail("a refusal without a message");
        return 0;
    }
    int unknown = 0;
    if (spm.count < 1)
        fuzz_fail("a model without pieces was read");
    for (int64_t i = 0; i < spm.count; i++) {
        const lq__spm_piece *p = &spm.pieces[i];
        size_t n = strlen(p->text);
        if (n == 0 || n > size || !lq__utf8_valid(p->text, n))
            fuzz_fail("a piece's text is empty, too long or not UTF-8");
        if (p->type < LQ__TOK_NORMAL || p->type > LQ__TOK_BYTE)
            fuzz_fail("a piece type outside 1..6");
        unknown += p->type == LQ__TOK_UNKNOWN;
        uint32_t bits; /* every score readable (any bits: NaN included) */
        memcpy(&bits, &p->score, 4);
        fuzz_sink ^= (uint8_t)bits;
    }
    if (unknown != 1)
        fuzz_fail("a model without exactly one unknown piece was read");
    lq__spm_free(&spm);
    return 0;
}
