/* method.h — the methods that choose codes (internal).
 *
 * lq_quantize converts the input to f32, checks it, lays out the output and
 * then calls the method's run function; a method that reads rows
 * (lq__method.reads_rows) converts and checks its input itself. Round-to-nearest (and ggml's reference
 * searches) is the type's own codec; the other methods register here. */
#ifndef LQ_METHODS_METHOD_H
#define LQ_METHODS_METHOD_H

#include <lq/lq_quant.h>

#include "../formats/codec.h"

typedef struct lq__method_job {
    lq__qjob q;                  /* input, layout and destination, as for a codec;
                                  * q.src is NULL for a method that reads rows */
    const struct lq_scheme *scheme;
    const lq_calib *calib;       /* may be NULL */
    const char *name;            /* tensor name, for messages */
    const lq_tensor *src;        /* the caller's tensor (f32, f16 or bf16), for lq__method_rows */
    const char *fn;              /* the public function, for messages */
} lq__method_job;

typedef struct lq__method {
    int needs_calib;
    lq_status (*run)(const lq__method_job *job);
    /* The method reads its weight a chunk of rows at a time through
     * lq__method_rows instead of as one f32 array (job->q.src is NULL), so
     * that a weight is not held whole as f32 beside the method's own work
     * space: GPTQ's chunks of rows, with the Hessian's factor, are what a
     * calibrated run's peak memory is made of (issue 16). */
    int reads_rows;
} lq__method;

/* Rows [r0, r1) of the job's source widened to f32 into dst ((r1 - r0) x
 * cols floats), checked finite: the first non-finite value fails with the
 * message lq_quantize gives for it (its row in the whole tensor and its
 * column). A source viewing a read-only file map then has those rows' pages
 * dropped from memory (lq__tensor_release_rows): they are read again from the
 * page cache if needed. Errors: LQ_ERR_NONFINITE, and those of decoding. */
lq_status lq__method_rows(const lq__method_job *job, int64_t r0, int64_t r1, float *dst);

/* The implementation of a method, or NULL when this build has none. */
const lq__method *lq__method_for(int method);

#endif
