/* method.h — the methods that choose codes (internal).
 *
 * lq_quantize converts the input to f32, checks it, lays out the output and
 * then calls the method's run function. Round-to-nearest (and ggml's reference
 * searches) is the type's own codec; the other methods register here. */
#ifndef LQ_METHODS_METHOD_H
#define LQ_METHODS_METHOD_H

#include <lq/lq_quant.h>

#include "../formats/codec.h"

typedef struct lq__method_job {
    lq__qjob q;                  /* input, layout and destination, as for a codec */
    const struct lq_scheme *scheme;
    const lq_calib *calib;       /* may be NULL */
    const char *name;            /* tensor name, for messages */
} lq__method_job;

typedef struct lq__method {
    int needs_calib;
    lq_status (*run)(const lq__method_job *job);
} lq__method;

/* The implementation of a method, or NULL when this build has none. */
const lq__method *lq__method_for(int method);

#endif
