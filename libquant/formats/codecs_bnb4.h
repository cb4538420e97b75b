/* codecs_bnb4.h — the codec table rows for nf4, fp4 (bnb4.c). */
#ifndef LQ_FORMATS_CODECS_BNB4_H
#define LQ_FORMATS_CODECS_BNB4_H

#include "codec.h"

#define LQ__CODECS_BNB4

#endif
