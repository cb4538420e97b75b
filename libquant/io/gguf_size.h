/* gguf_size.h — how many bytes a GGUF handle becomes on disk (internal). */
#ifndef LQ_IO_GGUF_SIZE_H
#define LQ_IO_GGUF_SIZE_H

#include <stdint.h>

#include <lq/lq_io.h>

/* The size of the file lq_gguf_save or the streaming writer makes of `g`
 * (tensors may be declared only): the header with its padding, then every
 * tensor padded to the alignment. `fn` names the caller in messages.
 * Errors: LQ_ERR_NOMEM (the header is built in memory to be measured, so
 * that its length comes from the one serializer). */
lq_status lq__gguf_file_size(const char *fn, const lq_gguf *g, uint64_t *out);

#endif
