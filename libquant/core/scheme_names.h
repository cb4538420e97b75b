/* scheme_names.h — names the scheme grammar knows, for other layers
 * (the lq tool, GGUF file types). Internal. */
#ifndef LQ_CORE_SCHEME_NAMES_H
#define LQ_CORE_SCHEME_NAMES_H

#include <lq/lq_core.h>
#include <lq/lq_types.h>

/* "rtn", "gptq", ...; NULL for an unknown method. */
const char *lq__method_name(int method);
/* "q4_k_m", ... for a llama_ftype that has a mixture name; NULL otherwise. */
const char *lq__mixture_name(int ftype);

struct lq_scheme;
/* The default rtn scheme of a type (what "q4_k" or "int4" parse to), for
 * tensors read from files. Errors: LQ_ERR_INVALID for a type that is not a
 * weight format. */
lq_status lq__scheme_default(lq_type type, struct lq_scheme *out);

#endif
