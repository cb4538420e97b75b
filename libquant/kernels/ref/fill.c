/* fill.c — the reference level of the kernel table. */
#include "../../core/type_list.h"
#include "../../formats/codec.h"
#include "../kernels.h"
#include "../vexp.h"
#include "ref.h"

LQ__VEXP_INPLACE_DEFINE(exp_f32, lq__v4_exp, lq__v4f, 4)

void lq__kernels_fill_ref(lq__kernels *k)
{
/* Plain float types: decoders of their own. ggml block types: the codec's
 * dequantize_row, which is the reference (formats/ggml_*.c). */
#define ROW(T, f, act) \
    k->t[LQ_TYPE_##T] = (lq__type_kernels){LQ_TYPE_##act, lq__ref_dequant_##f, lq__ref_dot_##f, NULL};
#define GGML_ROW(T, f, v, g, be, bb, bits, fl, act, kern, ...)                          \
    LQ__IF_KERNELS_REF_##kern(k->t[LQ_TYPE_##T] = (lq__type_kernels){                     \
                                  LQ_TYPE_##act, lq__codec_for(LQ_TYPE_##T)->dequantize_row, \
                                  lq__ref_dot_##f, NULL};)
    ROW(F32, f32, F32)
    ROW(F16, f16, F32)
    ROW(BF16, bf16, F32)
    LQ__GGML_TYPES(GGML_ROW)
#undef GGML_ROW
#undef ROW
    k->dot_f32 = lq__ref_dot_f32;
    k->quant_q8_0 = lq__quant_act_for(LQ_TYPE_Q8_0);
    k->quant_q8_1 = lq__quant_act_for(LQ_TYPE_Q8_1);
    k->quant_q8_k = lq__quant_act_for(LQ_TYPE_Q8_K);
    k->exp_f32 = exp_f32;
    k->gemm_i8 = lq__ref_gemm_i8;
    k->to_f16 = lq__ref_to_f16;
    lq__ref_fill_linear(k);
    lq__ref_fill_codes(k);
    k->tile_gemm[0] = k->tile_gemm[1] = lq__ref_tile_gemm;
    k->tile_wide_bias = 0;
    k->tile_transpose = lq__ref_tile_transpose;
    k->tile_codes = lq__ref_tile_codes;
    k->tile_f32_rows = 0;
}
