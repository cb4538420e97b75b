/* codecs_linear.h — the codec table rows for int8, int4, int3, int2 (linear.c). */
#ifndef LQ_FORMATS_CODECS_LINEAR_H
#define LQ_FORMATS_CODECS_LINEAR_H

#include "codec.h"

extern const lq__codec lq__codec_linear;

#define LQ__CODECS_LINEAR                                                              \
    [LQ_TYPE_INT8] = &lq__codec_linear, [LQ_TYPE_INT4] = &lq__codec_linear,             \
    [LQ_TYPE_INT3] = &lq__codec_linear, [LQ_TYPE_INT2] = &lq__codec_linear,

#endif
