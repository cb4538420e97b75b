/* codecs_ggml.h — the codec table rows for the ggml block types (ggml_*.c). */
#ifndef LQ_FORMATS_CODECS_GGML_H
#define LQ_FORMATS_CODECS_GGML_H

#include "codec.h"

#define LQ__CODECS_GGML

#endif
