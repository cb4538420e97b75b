/* codecs_list.h — declares every codec the table in codecs.c points to: the
 * families' headers, and one lq__codec_<name> per plain and ggml type of
 * core/type_list.h. A new family adds its header here and its name to the
 * `codec` column of its rows. */
#ifndef LQ_FORMATS_CODECS_LIST_H
#define LQ_FORMATS_CODECS_LIST_H

#include "../core/type_list.h"
#include "codecs_bnb4.h"
#include "codecs_fp8.h"
#include "codecs_ggml.h"
#include "codecs_linear.h"

#define LQ__DECLARE_PLAIN_CODEC(T, n, ...) extern const lq__codec lq__codec_##n;
LQ__PLAIN_TYPES(LQ__DECLARE_PLAIN_CODEC)
#undef LQ__DECLARE_PLAIN_CODEC

#endif
