/* quantize.h — the common path behind lq_quantize, for the entry points that
 * give a method more than its job (lq_gptq_quantize) (internal). */
#ifndef LQ_METHODS_QUANTIZE_H
#define LQ_METHODS_QUANTIZE_H

#include "method.h"

/* Check the arguments, convert src to f32 (unless the scheme's method reads
 * rows: method.h), lay out and allocate the output, then call run(job, arg)
 * — or the scheme's method when run is NULL — and hand the tensor to *out
 * only on success. `fn` names the public function in messages. Errors: those
 * of lq_quantize, and whatever run returns. */
lq_status lq__quantize_with(const char *fn, lq_ctx *ctx, const lq_tensor *src,
                            const lq_scheme *scheme, const lq_calib *calib, const float *imatrix,
                            lq_status (*run)(const lq__method_job *job, void *arg), void *arg,
                            lq_tensor **out);

#endif
