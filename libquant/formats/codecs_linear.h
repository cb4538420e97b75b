/* codecs_linear.h — the codec table rows for int8, int4, int3, int2 (linear.c). */
#ifndef LQ_FORMATS_CODECS_LINEAR_H
#define LQ_FORMATS_CODECS_LINEAR_H

#include "codec.h"

#define LQ__CODECS_LINEAR

#endif
