/* scheme.h — the data behind lq_scheme and the layout parameters every codec
 * reads (internal). The parser and validator are in scheme_parse.c;
 * here is only the plain data, so that a tensor can own a copy of its scheme. */
#ifndef LQ_CORE_SCHEME_H
#define LQ_CORE_SCHEME_H

#include <stdint.h>

#include <lq/lq_scheme.h>

/* Everything a codec needs to lay out and decode a quantized tensor. */
typedef struct lq__qparams {
    lq_type type;
    int64_t group;      /* > 0: elements per group along a row; LQ_GROUP_CHANNEL; LQ_GROUP_TENSOR */
    int sym;            /* 1: symmetric codes, 0: with zero points */
    lq_type scale_type; /* LQ_TYPE_F16 or LQ_TYPE_F32 */
    int block;          /* nf4/fp4: absmax block size */
    int double_quant;   /* nf4/fp4: absmax stored as 8-bit codes in blocks of 256 */
} lq__qparams;

#define LQ__SCHEME_TEXT 160

struct lq_scheme {
    int method;         /* enum lq_method */
    lq__qparams qp;
    int mixture;        /* llama_ftype of a file-type mixture, 0 if none */
    int act_order;
    int static_groups;
    double damp;
    double alpha;
    double threshold;
    int iters;
    char text[LQ__SCHEME_TEXT]; /* canonical string */
};

#endif
