/* scheme_internal.h — names the scheme grammar knows, for other layers
 * (the lq tool, GGUF file types). Internal. */
#ifndef LQ_METHODS_SCHEME_INTERNAL_H
#define LQ_METHODS_SCHEME_INTERNAL_H

/* "rtn", "gptq", ...; NULL for an unknown method. */
const char *lq__method_name(int method);
/* "q4_k_m", ... for a llama_ftype that has a mixture name; NULL otherwise. */
const char *lq__mixture_name(int ftype);

#endif
