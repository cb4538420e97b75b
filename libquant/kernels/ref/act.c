/* act.c — the activation quantizers (q8_0, q8_1, q8_K) and activation row
 * sizes. The quantizers are the codecs' quantize_row (formats/ggml_*.c),
 * bit-exact with ggml's reference row functions; one implementation for every
 * level: see kernels.h. */
#include "../../core/type_info.h"
#include "../../formats/codec.h"
#include "../kernels.h"

/* lq__quant_act_fn has no importance matrix; activations never use one. */
static void quant_q8_0(const float *x, void *y, int64_t n)
{
    lq__codec_for(LQ_TYPE_Q8_0)->quantize_row(x, y, n, NULL);
}

static void quant_q8_1(const float *x, void *y, int64_t n)
{
    lq__codec_for(LQ_TYPE_Q8_1)->quantize_row(x, y, n, NULL);
}

static void quant_q8_k(const float *x, void *y, int64_t n)
{
    lq__codec_for(LQ_TYPE_Q8_K)->quantize_row(x, y, n, NULL);
}

lq__quant_act_fn lq__quant_act_for(lq_type act_type)
{
    switch (act_type) {
    case LQ_TYPE_Q8_0: return quant_q8_0;
    case LQ_TYPE_Q8_1: return quant_q8_1;
    case LQ_TYPE_Q8_K: return quant_q8_k;
    default: return NULL;
    }
}

int64_t lq__act_row_bytes(lq_type act_type, int64_t n)
{
    const lq__type_info *ti = lq__type(act_type);
    if (act_type == LQ_TYPE_F32)
        return 4 * n;
    return n / ti->block_elems * ti->block_bytes;
}
