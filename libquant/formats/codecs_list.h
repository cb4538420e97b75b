/* codecs_list.h — gathers every family's rows for the table in codecs.c.
 * A new family adds its header here and its macro to LQ__CODECS_QUANTIZED. */
#ifndef LQ_FORMATS_CODECS_LIST_H
#define LQ_FORMATS_CODECS_LIST_H

#include "codecs_bnb4.h"
#include "codecs_fp8.h"
#include "codecs_ggml.h"
#include "codecs_linear.h"

extern const lq__codec lq__codec_f32, lq__codec_f16, lq__codec_bf16, lq__codec_f64,
    lq__codec_i8, lq__codec_u8, lq__codec_i16, lq__codec_i32, lq__codec_i64;

#define LQ__CODECS_QUANTIZED LQ__CODECS_LINEAR LQ__CODECS_BNB4 LQ__CODECS_FP8 LQ__CODECS_GGML

#endif
