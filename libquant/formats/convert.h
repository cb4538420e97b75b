/* convert.h — the layout parameters of a tensor (internal). */
#ifndef LQ_FORMATS_CONVERT_H
#define LQ_FORMATS_CONVERT_H

#include <lq/lq_tensor.h>

#include "codec.h"

/* The layout parameters of any tensor (its scheme's, or the plain type's). */
void lq__tensor_qparams(const lq_tensor *t, lq__qparams *qp);

#endif
