/* codecs_fp8.h — the codec of fp8_e4m3, fp8_e5m2 (fp8.c). */
#ifndef LQ_FORMATS_CODECS_FP8_H
#define LQ_FORMATS_CODECS_FP8_H

#include "codec.h"

extern const lq__codec lq__codec_fp8;

/* The f32 scale of row r of the fp8 tensor v (per tensor or per row). */
float lq__fp8_row_scale(const lq__qview *v, int64_t r);

#endif
