/* codecs_linear.h — the codec of int8, int4, int3, int2 (linear.c). */
#ifndef LQ_FORMATS_CODECS_LINEAR_H
#define LQ_FORMATS_CODECS_LINEAR_H

#include "codec.h"

extern const lq__codec lq__codec_linear;

#endif
